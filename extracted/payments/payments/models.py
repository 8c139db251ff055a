from decimal import Decimal

from django.db import models
from django.db.models import Sum

from core.models import TimeStampedModel
from core.money import Money, quantize
from payments_service import monolith


class Payment(TimeStampedModel):
    class Status(models.TextChoices):
        AUTHORIZED = "authorized", "Authorised"
        CAPTURED = "captured", "Captured"
        FAILED = "failed", "Failed"
        VOIDED = "voided", "Voided"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        REFUNDED = "refunded", "Refunded"

    # decompose: was a relation to orders.Order, which stays in the monolith; same column order_id
    order_id = models.BigIntegerField(db_index=True)
    reference = models.CharField(max_length=20, unique=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    status = models.CharField(max_length=20, choices=Status.choices, db_index=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    gateway_reference = models.CharField(max_length=64, blank=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} {self.currency} ({self.status})"

    @property
    def refunded_amount(self) -> Decimal:
        return quantize(self.refunds.aggregate(total=Sum("amount"))["total"] or Decimal("0"))

    @property
    def refundable(self) -> Money:
        if self.status not in {self.Status.CAPTURED, self.Status.PARTIALLY_REFUNDED}:
            return Money.zero(self.currency)
        return Money(self.amount - self.refunded_amount, self.currency)

    @property
    def order(self):
        """orders.Order stays in the monolith: a reference by id (decompose)."""
        return monolith.held_ref(self, "order", "orders.Order", self.order_id)

    @order.setter
    def order(self, value):
        self.order_id = monolith.ref_id(value)


class GatewayTransaction(models.Model):
    class Kind(models.TextChoices):
        AUTHORIZE = "authorize", "Authorise"
        CAPTURE = "capture", "Capture"
        VOID = "void", "Void"
        REFUND = "refund", "Refund"

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="transactions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    success = models.BooleanField()
    gateway_reference = models.CharField(max_length=64, blank=True)
    message = models.CharField(max_length=255, blank=True)
    raw_response = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {'ok' if self.success else 'failed'} {self.amount}"


class Refund(TimeStampedModel):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    reason = models.CharField(max_length=255, blank=True)
    gateway_reference = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Refund {self.amount} on {self.payment.reference}"
