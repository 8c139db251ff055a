from decimal import Decimal

import pytest

from cart.services import add_item, cart_item_count
from inventory.exceptions import OutOfStock
from inventory.services import available_quantity
from orders.exceptions import EmptyCart, InvalidOrderState
from orders.services import (
    cancel_order,
    get_order,
    has_purchased,
    mark_delivered,
    order_as_dict,
    order_history,
    orders_for_user,
    place_order,
)
from payments.services import payment_status
from pricing.services import create_coupon, quote


def test_place_order_snapshots_lines_and_totals(shop, customer, address):
    add_item(customer, shop.headphones.pk, 1)
    add_item(customer, shop.novel.pk, 1)
    order = place_order(customer, address_id=address.pk, shipping_method="standard")
    data = order_as_dict(order)
    assert data["status"] == "placed"
    assert [(line["sku"], line["quantity"]) for line in data["lines"]] == [("HP-100", 1), ("BK-300", 1)]
    assert (data["subtotal"], data["shipping_total"], data["total"]) == ("72.40", "4.90", "77.30")
    assert [change["to"] for change in order_history(order.pk)] == ["placed"]


def test_shipping_is_free_above_the_threshold(shop, customer, address):
    add_item(customer, shop.speaker.pk, 1)
    order = place_order(customer, address_id=address.pk, shipping_method="standard")
    assert order.shipping_total == Decimal("0.00") and order.total == Decimal("120.00")


def test_empty_cart_cannot_be_ordered(shop, customer, address):
    with pytest.raises(EmptyCart):
        place_order(customer, address_id=address.pk, shipping_method="standard")


def test_order_uses_only_the_customers_own_address(shop, customer, other_customer):
    add_item(customer, shop.novel.pk, 1)
    foreign = other_customer.addresses.get()
    with pytest.raises(Exception, match="no address"):
        place_order(customer, address_id=foreign.pk, shipping_method="standard")


def test_stock_shortage_rolls_back_the_whole_order(shop, customer, other_customer, address):
    create_coupon("ONCE", value=Decimal("10"), max_uses=1)
    add_item(customer, shop.novel.pk, 1)
    add_item(other_customer, shop.novel.pk, 1)
    place_order(other_customer, address_id=other_customer.addresses.get().pk, shipping_method="standard")
    with pytest.raises(OutOfStock):
        place_order(customer, address_id=address.pk, shipping_method="standard", coupon_code="ONCE")
    assert list(orders_for_user(customer.pk)) == []
    # the coupon redemption was rolled back with the order
    assert quote([(shop.novel, 1)], "ONCE").coupon_code == "ONCE"


def test_checkout_authorises_payment_and_empties_the_cart(buy, shop, customer):
    result = buy(customer, (shop.headphones, 2))
    assert result.ok
    assert payment_status(result.order.pk) == "authorized"
    assert cart_item_count(customer) == 0
    assert available_quantity(shop.headphones.pk) == 8


def test_declined_card_cancels_the_order_and_keeps_the_cart(buy, shop, customer):
    create_coupon("ONCE", value=Decimal("10"), max_uses=1)
    result = buy(customer, (shop.headphones, 2), card_token="tok_decline_0002", coupon="ONCE")
    assert not result.ok
    assert get_order(result.order.pk).status == "cancelled"
    assert payment_status(result.order.pk) == "failed"
    assert available_quantity(shop.headphones.pk) == 10
    assert cart_item_count(customer) == 2
    # the coupon can be used again
    assert quote([(shop.headphones, 1)], "ONCE").coupon_code == "ONCE"


def test_cancelling_a_paid_order_refunds_it(buy, ship, shop, customer):
    from payments.services import capture_payment, latest_payment

    order = buy(customer, (shop.novel, 1)).order
    capture_payment(latest_payment(order.pk).pk)
    cancel_order(order.pk, reason="changed my mind")
    assert payment_status(order.pk) == "refunded"
    assert get_order(order.pk).status == "cancelled"


def test_shipped_orders_cannot_be_cancelled(buy, ship, shop, customer):
    order = buy(customer, (shop.novel, 1)).order
    ship(order)
    with pytest.raises(InvalidOrderState):
        cancel_order(order.pk, reason="too late")


def test_invalid_transitions_are_refused(buy, shop, customer):
    order = buy(customer, (shop.novel, 1)).order
    with pytest.raises(InvalidOrderState):
        mark_delivered(order.pk)


def test_has_purchased_counts_only_paid_orders(buy, ship, shop, customer):
    order = buy(customer, (shop.novel, 1)).order
    assert not has_purchased(customer.pk, shop.novel.pk)
    ship(order)
    assert has_purchased(customer.pk, shop.novel.pk)
    assert not has_purchased(customer.pk, shop.speaker.pk)
