"""Turn other apps' events into customer notifications.

Every receiver listens to an explicit domain event of another app and uses only the
event's arguments and other apps' public service functions (the order page's path comes
from ``orders.services.order_page_url``, not from a URL name of the web layer), so the
receivers work the same in-process or behind a bridged event in a separate service."""
from django.dispatch import receiver

from notifications_service.signals import user_registered
from notifications.models import Notification
from notifications.services import get_preferences, notify
# TODO(decompose): orders.services.order_page_url is called back over HTTP (monolith.order_page_url); the monolith must expose it
from notifications_service.monolith import order_page_url
from notifications_service.signals import order_cancelled, order_placed
from notifications_service.signals import payment_refunded
from notifications_service.signals import review_submitted
from notifications_service.signals import shipment_delivered, shipment_dispatched


@receiver(user_registered, dispatch_uid="notifications.welcome")
def welcome_new_user(sender, user, **kwargs):
    get_preferences(user.pk)
    notify(user.pk, Notification.Kind.WELCOME, {})


@receiver(order_placed, dispatch_uid="notifications.order_placed")
def order_confirmation(sender, order, **kwargs):
    notify(order.user_id, Notification.Kind.ORDER_PLACED, {"order": order}, link=order_page_url(order.reference))


@receiver(order_cancelled, dispatch_uid="notifications.order_cancelled")
def order_cancellation(sender, order, reason="", **kwargs):
    notify(order.user_id, Notification.Kind.ORDER_CANCELLED, {"order": order, "reason": reason}, link=order_page_url(order.reference))


@receiver(payment_refunded, dispatch_uid="notifications.refund")
def refund_issued(sender, payment, refund, **kwargs):
    order = payment.order
    notify(order.user_id, Notification.Kind.REFUND, {"order": order, "refund": refund}, link=order_page_url(order.reference))


@receiver(shipment_dispatched, dispatch_uid="notifications.dispatched")
def parcel_on_its_way(sender, shipment, carrier="", **kwargs):
    order = shipment.order
    context = {"order": order, "shipment": shipment, "carrier": carrier}
    notify(order.user_id, Notification.Kind.SHIPMENT_DISPATCHED, context, link=order_page_url(order.reference))


@receiver(shipment_delivered, dispatch_uid="notifications.delivered")
def parcel_delivered(sender, shipment, **kwargs):
    order = shipment.order
    notify(order.user_id, Notification.Kind.SHIPMENT_DELIVERED, {"order": order, "shipment": shipment}, link=order_page_url(order.reference))


@receiver(review_submitted, dispatch_uid="notifications.review_received")
def review_received(sender, review, **kwargs):
    notify(review.user_id, Notification.Kind.REVIEW_RECEIVED, {"review": review})
