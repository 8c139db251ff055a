"""Parcel events, sent with ``sender=Shipment`` and the ``shipment``."""
from django.dispatch import Signal

shipment_dispatched = Signal()
shipment_delivered = Signal()
