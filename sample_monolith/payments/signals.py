"""Payment events, sent with ``sender=Payment``."""
from django.dispatch import Signal

# payment=<Payment>
payment_captured = Signal()
# payment=<Payment>, refund=<Refund>, order_url=<the order's page>
payment_refunded = Signal()
