"""Order life-cycle events. Every signal is sent with ``sender=Order`` and the
``order`` instance; order_placed and order_cancelled also carry the ``order_url`` of the
customer's order page (so receivers need no URL of the web layer), order_cancelled a ``reason``."""
from django.dispatch import Signal

order_placed = Signal()
order_paid = Signal()
order_cancelled = Signal()
