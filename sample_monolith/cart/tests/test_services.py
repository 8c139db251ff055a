from decimal import Decimal

import pytest

from cart.services import (
    add_item,
    add_to_wishlist,
    apply_coupon,
    cart_item_count,
    cart_summary,
    clear_cart,
    move_wishlist_item_to_cart,
    set_quantity,
    wishlist_product_ids,
)
from inventory.exceptions import OutOfStock
from pricing.exceptions import InvalidCoupon
from pricing.services import create_coupon


def test_adding_the_same_product_twice_merges_lines(shop, customer):
    add_item(customer, shop.headphones.pk, 1)
    add_item(customer, shop.headphones.pk, 2)
    summary = cart_summary(customer)
    assert [(line.sku, line.quantity) for line in summary.lines] == [("HP-100", 3)]
    assert str(summary.total) == "179.70 EUR"
    assert cart_item_count(customer) == 3


def test_cannot_add_more_than_is_in_stock(shop, customer):
    add_item(customer, shop.novel.pk, 1)
    with pytest.raises(OutOfStock) as excinfo:
        add_item(customer, shop.novel.pk, 1)
    assert excinfo.value.available == 1
    assert cart_item_count(customer) == 1


def test_quantity_zero_removes_the_line(shop, customer):
    add_item(customer, shop.headphones.pk, 2)
    add_item(customer, shop.novel.pk, 1)
    assert set_quantity(customer, shop.headphones.pk, 0) is None
    assert [line.sku for line in cart_summary(customer).lines] == ["BK-300"]
    with pytest.raises(ValueError):
        set_quantity(customer, shop.speaker.pk, 1)


def test_coupon_is_checked_against_the_cart(shop, customer):
    create_coupon("WELCOME", value=Decimal("10"), min_subtotal=Decimal("50"))
    add_item(customer, shop.novel.pk, 1)
    with pytest.raises(InvalidCoupon):
        apply_coupon(customer, "WELCOME")
    add_item(customer, shop.headphones.pk, 1)
    summary = apply_coupon(customer, "welcome")
    assert summary.coupon_code == "WELCOME"
    assert str(summary.discount) == "7.24 EUR"


def test_clearing_the_cart_removes_items_and_coupon(shop, customer):
    create_coupon("WELCOME", value=Decimal("10"))
    add_item(customer, shop.headphones.pk, 1)
    apply_coupon(customer, "WELCOME")
    clear_cart(customer)
    summary = cart_summary(customer)
    assert summary.is_empty and summary.coupon_code is None


def test_wishlist_item_moves_to_the_cart(shop, customer):
    add_to_wishlist(customer, shop.speaker.pk)
    assert wishlist_product_ids(customer) == [shop.speaker.pk]
    move_wishlist_item_to_cart(customer, shop.speaker.pk)
    assert wishlist_product_ids(customer) == []
    assert cart_item_count(customer) == 1


def test_cart_api(client, shop, customer):
    assert client.get("/api/cart/").status_code == 401
    client.force_login(customer)
    response = client.post("/api/cart/items/", {"product_id": shop.novel.pk, "quantity": 1}, content_type="application/json")
    assert response.status_code == 201 and response.json()["item_count"] == 1
    too_many = client.post("/api/cart/items/", {"product_id": shop.novel.pk, "quantity": 5}, content_type="application/json")
    assert too_many.status_code == 409 and too_many.json()["error"] == "out_of_stock"


def test_a_withdrawn_product_leaves_carts_but_stays_on_wishlists(shop, customer):
    from catalog.services import deactivate_product

    add_item(customer, shop.headphones.pk, 1)
    add_item(customer, shop.novel.pk, 1)
    add_to_wishlist(customer, shop.novel.pk)
    deactivate_product(shop.novel.pk)
    assert [line.sku for line in cart_summary(customer).lines] == ["HP-100"]
    assert cart_item_count(customer) == 1
    assert wishlist_product_ids(customer) == [shop.novel.pk]
