"""Orders follows the parcel: delivery and dispatch are reported by shipping."""
from django.dispatch import receiver

from orders.services import mark_delivered, mark_shipped
from shipping.signals import shipment_delivered, shipment_dispatched


@receiver(shipment_dispatched, dispatch_uid="orders.mark_shipped")
def order_shipped(sender, shipment, **kwargs):
    mark_shipped(shipment.order_id)


@receiver(shipment_delivered, dispatch_uid="orders.mark_delivered")
def order_delivered(sender, shipment, **kwargs):
    mark_delivered(shipment.order_id)
