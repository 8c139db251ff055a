"""Public API of orders: placing, following and cancelling orders."""
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.services import get_address
from cart.services import cart_items, clear_cart
from core.money import Money
from core.services import audit
from core.utils import generate_reference
from inventory.services import reserve_stock
from orders.exceptions import EmptyCart, InvalidOrderState, OrderNotFound
from orders.models import Order, OrderLine, OrderStatusChange
from orders.signals import order_cancelled, order_paid, order_placed
from pricing.services import quote, redeem_coupon, release_coupon
from shipping.services import shipping_quote

# Which status may follow which.
TRANSITIONS: dict[str, set[str]] = {
    Order.Status.PENDING: {Order.Status.PLACED, Order.Status.CANCELLED},
    Order.Status.PLACED: {Order.Status.PAID, Order.Status.CANCELLED},
    Order.Status.PAID: {Order.Status.SHIPPED, Order.Status.CANCELLED},
    Order.Status.SHIPPED: {Order.Status.DELIVERED},
    Order.Status.DELIVERED: set(),
    Order.Status.CANCELLED: set(),
}

PURCHASED_STATES = [Order.Status.PAID, Order.Status.SHIPPED, Order.Status.DELIVERED]


@dataclass(frozen=True, slots=True)
class CheckoutResult:
    order: Order
    payment: Any  # payments.models.Payment

    @property
    def ok(self) -> bool:
        return self.payment.status == "authorized"


def _transition(order: Order, to_status: str, note: str = "") -> Order:
    if to_status not in TRANSITIONS[order.status]:
        raise InvalidOrderState(f"order {order.reference} cannot go from {order.status} to {to_status}")
    OrderStatusChange.objects.create(order=order, from_status=order.status, to_status=to_status, note=note)
    order.status = to_status
    return order


def place_order(user, *, address_id: int, shipping_method: str, coupon_code: str | None = None) -> Order:
    """Turn the customer's cart into an order, reserving stock and redeeming the coupon
    in one transaction. The cart is left as it is (see ``checkout``)."""
    items = cart_items(user)
    if not items:
        raise EmptyCart("the cart is empty")
    address = get_address(address_id, user_id=user.pk)
    priced = quote(items, coupon_code)
    shipping = shipping_quote(shipping_method, priced.total)
    total: Money = priced.total + shipping

    with transaction.atomic():
        order = Order.objects.create(
            reference=generate_reference("ORD"),
            user=user,
            shipping_address=address,
            shipping_method_code=shipping_method,
            currency=total.currency,
            subtotal=priced.subtotal.amount,
            discount_total=priced.discount.amount,
            shipping_total=shipping.amount,
            total=total.amount,
            coupon_code=priced.coupon_code or "",
        )
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                product=product,
                sku=product.sku,
                name=product.name,
                unit_price=line.unit_price.amount,
                quantity=quantity,
                line_total=line.line_total.amount,
            )
            for (product, quantity), line in zip(items, priced.lines, strict=True)
        )
        # Both calls write other apps' tables inside this transaction: a failure
        # in either rolls the order back.
        reserve_stock(order)
        if priced.coupon_code:
            redeem_coupon(priced.coupon_code, order)
        _transition(order, Order.Status.PLACED, "placed by customer")
        order.placed_at = timezone.now()
        order.save(update_fields=["status", "placed_at", "updated_at"])
        audit("orders.placed", order, actor_id=user.pk, total=str(order.total))
    order_placed.send(sender=Order, order=order)
    return order


def checkout(
    user, *, address_id: int, shipping_method: str, card_token: str, coupon_code: str | None = None
) -> CheckoutResult:
    """Place the order and authorise its payment. A declined card cancels the
    order again (stock and coupon are released) and keeps the cart."""
    from payments.services import authorize_payment

    order = place_order(user, address_id=address_id, shipping_method=shipping_method, coupon_code=coupon_code)
    payment = authorize_payment(order, card_token)
    result = CheckoutResult(order, payment)
    if result.ok:
        clear_cart(user)
    else:
        cancel_order(order.pk, reason="payment declined")
        order.refresh_from_db()
    return result


def get_order(order_id: int, *, user_id: int | None = None) -> Order:
    orders = Order.objects.select_related("user", "shipping_address")
    if user_id is not None:
        orders = orders.filter(user_id=user_id)
    try:
        return orders.get(pk=order_id)
    except Order.DoesNotExist as exc:
        raise OrderNotFound(f"no order {order_id}") from exc


def order_page_url(reference: str) -> str:
    """The path of the customer's page of an order (for links in messages sent elsewhere)."""
    return reverse("web:order_detail", kwargs={"reference": reference})


def get_order_by_reference(reference: str, *, user_id: int | None = None) -> Order:
    orders = Order.objects.select_related("user", "shipping_address")
    if user_id is not None:
        orders = orders.filter(user_id=user_id)
    try:
        return orders.get(reference=reference)
    except Order.DoesNotExist as exc:
        raise OrderNotFound(f"no order {reference}") from exc


def orders_for_user(user_id: int) -> QuerySet[Order]:
    return Order.objects.filter(user_id=user_id).exclude(status=Order.Status.PENDING).prefetch_related("lines")


def mark_paid(order_id: int) -> Order:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        _transition(order, Order.Status.PAID, "payment captured")
        order.paid_at = timezone.now()
        order.save(update_fields=["status", "paid_at", "updated_at"])
    order_paid.send(sender=Order, order=order)
    return order


def mark_shipped(order_id: int) -> Order:
    order = get_order(order_id)
    _transition(order, Order.Status.SHIPPED, "parcel dispatched")
    order.save(update_fields=["status", "updated_at"])
    return order


def mark_delivered(order_id: int) -> Order:
    order = get_order(order_id)
    _transition(order, Order.Status.DELIVERED, "parcel delivered")
    order.save(update_fields=["status", "updated_at"])
    return order


def cancel_order(order_id: int, *, reason: str, actor_id: int | None = None) -> Order:
    """Cancel an order that has not shipped; money taken is refunded, stock and coupon released."""
    from payments.services import refund_order

    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if not order.can_cancel():
            raise InvalidOrderState(f"order {order.reference} is {order.status} and can no longer be cancelled")
        if order.status != Order.Status.PENDING:
            refund_order(order.pk, reason=reason)
        release_coupon(order.pk)
        _transition(order, Order.Status.CANCELLED, reason)
        order.cancelled_at = timezone.now()
        order.save(update_fields=["status", "cancelled_at", "updated_at"])
        audit("orders.cancelled", order, actor_id=actor_id, reason=reason)
    order_cancelled.send(sender=Order, order=order, reason=reason)
    return order


def has_purchased(user_id: int, product_id: int) -> bool:
    """Whether the customer paid for this product at least once (for verified reviews)."""
    return OrderLine.objects.filter(
        order__user_id=user_id, order__status__in=PURCHASED_STATES, product_id=product_id
    ).exists()


def order_history(order_id: int) -> list[dict[str, str]]:
    return [
        {"from": change.from_status, "to": change.to_status, "note": change.note, "at": change.created_at.isoformat()}
        for change in OrderStatusChange.objects.filter(order_id=order_id)
    ]


def order_as_dict(order: Order) -> dict[str, Any]:
    return {
        "id": order.pk,
        "reference": order.reference,
        "status": order.status,
        "user_id": order.user_id,
        "placed_at": order.placed_at.isoformat() if order.placed_at else None,
        "currency": order.currency,
        "subtotal": str(order.subtotal),
        "discount_total": str(order.discount_total),
        "shipping_total": str(order.shipping_total),
        "total": str(order.total),
        "coupon_code": order.coupon_code or None,
        "shipping_method": order.shipping_method_code,
        "lines": [
            {
                "product_id": line.product_id,
                "sku": line.sku,
                "name": line.name,
                "unit_price": str(line.unit_price),
                "quantity": line.quantity,
                "line_total": str(line.line_total),
            }
            for line in order.lines.all()
        ],
    }
