"""A captured payment means the order can be packed."""
from django.dispatch import receiver

from payments.signals import payment_captured
from shipping.services import create_shipment


@receiver(payment_captured, dispatch_uid="shipping.prepare_parcel")
def prepare_parcel(sender, payment, **kwargs):
    create_shipment(payment.order)
