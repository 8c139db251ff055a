"""Order life-cycle events. Every signal is sent with ``sender=Order`` and the
``order`` instance; order_cancelled also carries a ``reason``."""
from django.dispatch import Signal

order_placed = Signal()
order_paid = Signal()
order_cancelled = Signal()
