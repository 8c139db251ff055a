"""Turn other apps' events into customer notifications."""
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.urls import reverse

from notifications_service.monolith import User
from notifications.models import Notification
from notifications.services import get_preferences, notify
from notifications_service.signals import order_cancelled, order_placed
from notifications_service.signals import payment_refunded
from notifications_service.monolith import Review
from notifications_service.signals import shipment_delivered, shipment_dispatched


def _order_link(order) -> str:
    return reverse("web:order_detail", kwargs={"reference": order.reference})


@receiver(post_save, sender=User, dispatch_uid="notifications.welcome")
def welcome_new_user(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        get_preferences(instance.pk)
        notify(instance.pk, Notification.Kind.WELCOME, {})


@receiver(order_placed, dispatch_uid="notifications.order_placed")
def order_confirmation(sender, order, **kwargs):
    notify(order.user_id, Notification.Kind.ORDER_PLACED, {"order": order}, link=_order_link(order))


@receiver(order_cancelled, dispatch_uid="notifications.order_cancelled")
def order_cancellation(sender, order, reason="", **kwargs):
    notify(order.user_id, Notification.Kind.ORDER_CANCELLED, {"order": order, "reason": reason}, link=_order_link(order))


@receiver(payment_refunded, dispatch_uid="notifications.refund")
def refund_issued(sender, payment, refund, **kwargs):
    order = payment.order
    notify(order.user_id, Notification.Kind.REFUND, {"order": order, "refund": refund}, link=_order_link(order))


@receiver(shipment_dispatched, dispatch_uid="notifications.dispatched")
def parcel_on_its_way(sender, shipment, **kwargs):
    order = shipment.order
    notify(
        order.user_id, Notification.Kind.SHIPMENT_DISPATCHED, {"order": order, "shipment": shipment}, link=_order_link(order)
    )


@receiver(shipment_delivered, dispatch_uid="notifications.delivered")
def parcel_delivered(sender, shipment, **kwargs):
    order = shipment.order
    notify(
        order.user_id, Notification.Kind.SHIPMENT_DELIVERED, {"order": order, "shipment": shipment}, link=_order_link(order)
    )


@receiver(post_save, sender=Review, dispatch_uid="notifications.review_received")
def review_received(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        notify(instance.user_id, Notification.Kind.REVIEW_RECEIVED, {"review": instance})
