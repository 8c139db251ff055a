"""Parcel events, sent with ``sender=Shipment`` and the ``shipment``; shipment_dispatched
also carries the ``carrier``'s name."""
from django.dispatch import Signal

shipment_dispatched = Signal()
shipment_delivered = Signal()
