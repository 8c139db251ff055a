"""Inventory reacts to the order and shipment life cycle."""
from django.dispatch import receiver

from inventory.services import commit_reservations, release_reservations
from orders.signals import order_cancelled
from shipping.signals import shipment_dispatched


@receiver(order_cancelled, dispatch_uid="inventory.release_on_cancel")
def release_stock_of_cancelled_order(sender, order, **kwargs):
    release_reservations(order.pk)


@receiver(shipment_dispatched, dispatch_uid="inventory.commit_on_dispatch")
def commit_stock_of_dispatched_shipment(sender, shipment, **kwargs):
    commit_reservations(shipment.order_id)
