"""Public API of payments: authorise, capture, void and refund order payments
through the configured gateway."""
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from core.money import Money
from core.services import audit
from core.utils import generate_reference, period_bounds
from orders.models import Order
from orders.services import mark_paid
from payments.exceptions import PaymentError, PaymentNotFound
from payments.gateway import GatewayResponse, card_last4, get_gateway
from payments.models import GatewayTransaction, Payment, Refund
from payments.signals import payment_captured, payment_refunded


def _get(payment_id: int) -> Payment:
    try:
        return Payment.objects.select_related("order").get(pk=payment_id)
    except Payment.DoesNotExist as exc:
        raise PaymentNotFound(f"no payment {payment_id}") from exc


def _record(payment: Payment, kind: str, amount: Decimal, response: GatewayResponse) -> GatewayTransaction:
    """Keep every exchange with the gateway, successful or not."""
    return GatewayTransaction.objects.create(
        payment=payment,
        kind=kind,
        amount=amount,
        success=response.success,
        gateway_reference=response.reference,
        message=response.message,
        raw_response=response.raw,
    )


def authorize_payment(order: Order, card_token: str) -> Payment:
    """Ask the gateway to hold the order total on the card. Always returns the
    Payment; a declined card gives status ``failed`` with the reason."""
    amount = Money(order.total, order.currency)
    response = get_gateway().authorize(amount, card_token, order_reference=order.reference)
    with transaction.atomic():
        payment = Payment.objects.create(
            order=order,
            reference=generate_reference("PAY"),
            amount=amount.amount,
            currency=amount.currency,
            status=Payment.Status.AUTHORIZED if response.success else Payment.Status.FAILED,
            card_last4=card_last4(card_token),
            gateway_reference=response.reference,
            failure_reason="" if response.success else response.message,
        )
        _record(payment, GatewayTransaction.Kind.AUTHORIZE, amount.amount, response)
    return payment


def capture_payment(payment_id: int) -> Payment:
    """Take the authorised money; the order becomes paid."""
    payment = _get(payment_id)
    if payment.status != Payment.Status.AUTHORIZED:
        raise PaymentError(f"payment {payment.reference} is {payment.status}, only authorised payments can be captured")
    response = get_gateway().capture(payment.gateway_reference, Money(payment.amount, payment.currency))
    _record(payment, GatewayTransaction.Kind.CAPTURE, payment.amount, response)
    if not response.success:
        raise PaymentError(f"capture failed: {response.message}")
    with transaction.atomic():
        payment.status = Payment.Status.CAPTURED
        payment.gateway_reference = response.reference
        payment.captured_at = timezone.now()
        payment.save(update_fields=["status", "gateway_reference", "captured_at", "updated_at"])
        payment.order = mark_paid(payment.order_id)
        audit("payments.captured", payment, amount=str(payment.amount))
    payment_captured.send(sender=Payment, payment=payment)
    return payment


def void_payment(payment_id: int) -> Payment:
    """Release an authorisation that will not be captured."""
    payment = _get(payment_id)
    if payment.status != Payment.Status.AUTHORIZED:
        raise PaymentError(f"payment {payment.reference} is {payment.status}, only authorised payments can be voided")
    response = get_gateway().void(payment.gateway_reference)
    _record(payment, GatewayTransaction.Kind.VOID, payment.amount, response)
    if not response.success:
        raise PaymentError(f"void failed: {response.message}")
    payment.status = Payment.Status.VOIDED
    payment.save(update_fields=["status", "updated_at"])
    return payment


def refund_payment(payment_id: int, amount: Decimal | None = None, reason: str = "") -> Refund:
    """Refund ``amount`` (default: everything still refundable) of a captured payment."""
    payment = _get(payment_id)
    refundable = payment.refundable
    if refundable.is_zero():
        raise PaymentError(f"payment {payment.reference} has nothing to refund")
    money = refundable if amount is None else Money(amount, payment.currency)
    if money.amount <= 0 or money > refundable:
        raise PaymentError(f"refund must be between 0.01 and {refundable.amount}")
    response = get_gateway().refund(payment.gateway_reference, money)
    _record(payment, GatewayTransaction.Kind.REFUND, money.amount, response)
    if not response.success:
        raise PaymentError(f"refund failed: {response.message}")
    with transaction.atomic():
        refund = Refund.objects.create(
            payment=payment, amount=money.amount, reason=reason, gateway_reference=response.reference
        )
        fully = money == refundable
        payment.status = Payment.Status.REFUNDED if fully else Payment.Status.PARTIALLY_REFUNDED
        payment.save(update_fields=["status", "updated_at"])
        audit("payments.refunded", payment, amount=str(money.amount), reason=reason)
    payment_refunded.send(sender=Payment, payment=payment, refund=refund)
    return refund


def refund_order(order_id: int, *, reason: str = "") -> Refund | None:
    """Give back whatever an order's latest payment holds: void an authorisation,
    refund a capture. Returns the Refund when money was refunded."""
    payment = latest_payment(order_id)
    if payment is None:
        return None
    if payment.status == Payment.Status.AUTHORIZED:
        void_payment(payment.pk)
        return None
    if payment.status in {Payment.Status.CAPTURED, Payment.Status.PARTIALLY_REFUNDED}:
        return refund_payment(payment.pk, reason=reason)
    return None


def latest_payment(order_id: int) -> Payment | None:
    return Payment.objects.filter(order_id=order_id).order_by("-created_at", "-id").first()


def payment_status(order_id: int) -> str | None:
    """Status of the order's latest payment, or None if it has none."""
    payment = latest_payment(order_id)
    return payment.status if payment else None


def payment_as_dict(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.pk,
        "reference": payment.reference,
        "order_id": payment.order_id,
        "amount": str(payment.amount),
        "currency": payment.currency,
        "status": payment.status,
        "card_last4": payment.card_last4,
        "refunded": str(payment.refunded_amount),
        "failure_reason": payment.failure_reason or None,
    }


def payments_for_order(order_id: int) -> list[dict[str, Any]]:
    return [payment_as_dict(p) for p in Payment.objects.filter(order_id=order_id).order_by("created_at", "id")]


def captured_total(start: date, end: date, currency: str = "EUR") -> Money:
    """Money captured between two dates (inclusive), before refunds."""
    lower, upper = period_bounds(start, end)
    total = Payment.objects.filter(
        captured_at__gte=lower, captured_at__lt=upper, currency=currency
    ).aggregate(total=Sum("amount"))["total"]
    return Money(total or 0, currency)
