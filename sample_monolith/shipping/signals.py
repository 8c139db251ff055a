"""Parcel events, sent with ``sender=Shipment``, the ``shipment`` and the ``order_url`` of
the customer's order page."""
from django.dispatch import Signal

shipment_dispatched = Signal()
shipment_delivered = Signal()
