"""Delivery of notifications by e-mail.

``get_backend()`` loads ``settings.NOTIFICATION_BACKEND``. The outbox backend
records every message and hands it to Django's e-mail machinery (the
in-memory backend in this project's settings, so nothing leaves the machine).
"""
from abc import ABC, abstractmethod

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from notifications.models import Notification, OutboxMessage


class NotificationBackend(ABC):
    @abstractmethod
    def deliver(self, notification: Notification, recipient: str) -> OutboxMessage: ...


class OutboxBackend(NotificationBackend):
    def deliver(self, notification: Notification, recipient: str) -> OutboxMessage:
        message = OutboxMessage(
            notification=notification,
            recipient=recipient,
            subject=notification.subject,
            body=notification.body,
            backend=f"{type(self).__module__}.{type(self).__qualname__}",
        )
        try:
            send_mail(notification.subject, notification.body, settings.DEFAULT_FROM_EMAIL, [recipient])
        except OSError as exc:
            message.status, message.error = OutboxMessage.Status.FAILED, str(exc)[:255]
        message.save()
        return message


def get_backend() -> NotificationBackend:
    return import_string(settings.NOTIFICATION_BACKEND)()
