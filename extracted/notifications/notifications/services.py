"""Public API of notifications: create, list and read a customer's notifications."""
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

# TODO(decompose): accounts.services.user_summary is called back over HTTP (monolith.user_summary); the monolith must expose it
from notifications_service.monolith import user_summary
from core.exceptions import NotFound
from notifications.backends import get_backend
from notifications.models import Notification, NotificationPreference, OutboxMessage

ORDER_KINDS = {
    Notification.Kind.ORDER_PLACED,
    Notification.Kind.ORDER_CANCELLED,
    Notification.Kind.REFUND,
    Notification.Kind.SHIPMENT_DISPATCHED,
    Notification.Kind.SHIPMENT_DELIVERED,
}


def get_preferences(user_id: int) -> NotificationPreference:
    preference, _ = NotificationPreference.objects.get_or_create(user_id=user_id)
    return preference


def set_preferences(user_id: int, **flags: bool) -> NotificationPreference:
    preference = get_preferences(user_id)
    for name, value in flags.items():
        if name not in {"email_enabled", "order_updates", "review_updates"}:
            raise ValueError(f"unknown preference {name!r}")
        setattr(preference, name, bool(value))
    preference.save()
    return preference


def _wants(preference: NotificationPreference, kind: str) -> bool:
    if kind in ORDER_KINDS:
        return preference.order_updates
    if kind == Notification.Kind.REVIEW_RECEIVED:
        return preference.review_updates
    return True


def notify(user_id: int, kind: str, context: dict[str, Any], *, link: str = "") -> Notification | None:
    """Create a notification from the ``notifications/<kind>.txt`` template
    (first line: subject; ``customer`` is accounts' ``user_summary``) and e-mail it if
    the customer wants e-mail. Returns None when the customer opted out of this kind."""
    preference = get_preferences(user_id)
    if not _wants(preference, kind):
        return None
    customer = user_summary(user_id)
    rendered = render_to_string(f"notifications/{kind}.txt", {"customer": customer, **context}).strip()
    subject, _, body = rendered.partition("\n")
    notification = Notification.objects.create(
        user_id=user_id, kind=kind, subject=subject.strip(), body=body.strip(), link=link
    )
    if preference.email_enabled and customer["email"]:
        get_backend().deliver(notification, customer["email"])
    return notification


def notification_as_dict(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "subject": notification.subject,
        "body": notification.body,
        "link": notification.link or None,
        "read": notification.is_read,
        "created_at": notification.created_at.isoformat(),
    }


def list_notifications(user_id: int, *, unread_only: bool = False) -> list[dict[str, Any]]:
    notifications = Notification.objects.filter(user_id=user_id)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return [notification_as_dict(n) for n in notifications]


def unread_count(user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()


def mark_read(notification_id: int, user_id: int) -> Notification:
    try:
        notification = Notification.objects.get(pk=notification_id, user_id=user_id)
    except Notification.DoesNotExist as exc:
        raise NotFound(f"no notification {notification_id}") from exc
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at", "updated_at"])
    return notification


def mark_all_read(user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).update(read_at=timezone.now())


def sent_messages(recipient: str) -> list[dict[str, str]]:
    """E-mails sent to an address, oldest first (support tooling and tests)."""
    messages = OutboxMessage.objects.filter(recipient=recipient).order_by("created_at", "id")
    return [{"subject": m.subject, "body": m.body, "status": m.status} for m in messages]
