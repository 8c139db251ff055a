"""Payment events, sent with ``sender=Payment``."""
from django.dispatch import Signal

# payment=<Payment>
payment_captured = Signal()
# payment=<Payment>, refund=<Refund>
payment_refunded = Signal()
