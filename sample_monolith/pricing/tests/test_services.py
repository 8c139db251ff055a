from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.money import Money
from pricing.exceptions import InvalidCoupon, PriceMissing
from pricing.services import (
    create_coupon,
    create_discount,
    list_price,
    price_for,
    quote,
    validate_coupon,
)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def test_price_without_promotion_is_the_list_price(shop):
    assert price_for(shop.headphones) == eur("59.90")


def test_best_promotion_applies_through_parent_categories(shop):
    electronics = shop.headphones.category.parent
    create_discount("Electronics week", Decimal("10"), category_ids=[electronics.pk])
    create_discount("Headphone deal", Decimal("25"), product_ids=[shop.headphones.pk])
    assert price_for(shop.speaker) == eur("108.00")
    assert price_for(shop.headphones) == eur("44.92")
    assert list_price(shop.headphones.pk) == eur("59.90")


def test_expired_promotions_are_ignored(shop):
    create_discount(
        "Last month", Decimal("50"), product_ids=[shop.novel.pk], ends_at=timezone.now() - timedelta(days=1),
        starts_at=timezone.now() - timedelta(days=30),
    )
    assert price_for(shop.novel) == eur("12.50")


def test_missing_price_is_reported(shop):
    from catalog.services import create_product

    unpriced = create_product(sku="XX-1", name="Mystery", category_slug="books")
    with pytest.raises(PriceMissing):
        price_for(unpriced)


def test_percent_and_fixed_coupons(shop):
    create_coupon("TENOFF", value=Decimal("10"))
    create_coupon("FIVE", kind="fixed", value=Decimal("5"), min_subtotal=Decimal("20"))
    basket = [(shop.headphones, 2)]
    assert quote(basket, "tenoff").discount == eur("11.98")
    result = quote(basket, "FIVE")
    assert (result.subtotal, result.discount, result.total) == (eur("119.80"), eur("5.00"), eur("114.80"))


def test_coupon_rules(shop):
    create_coupon("BIGSPEND", kind="fixed", value=Decimal("5"), min_subtotal=Decimal("100"))
    create_coupon("ONCE", value=Decimal("5"), max_uses=1, times_used=1)
    create_coupon("LATER", value=Decimal("5"), valid_from=timezone.now() + timedelta(days=2))
    with pytest.raises(InvalidCoupon, match="at least"):
        validate_coupon("BIGSPEND", eur("99.99"))
    with pytest.raises(InvalidCoupon, match="used up"):
        validate_coupon("ONCE", eur("50"))
    with pytest.raises(InvalidCoupon, match="not valid"):
        validate_coupon("LATER", eur("50"))
    with pytest.raises(InvalidCoupon, match="does not exist"):
        validate_coupon("NOPE", eur("50"))


def test_quote_drops_an_unusable_coupon_with_a_message(shop):
    result = quote([(shop.novel, 1)], "NOPE")
    assert result.coupon_code is None and result.discount.is_zero()
    assert result.total == eur("12.50")
    assert result.messages == ["coupon 'NOPE' does not exist"]


def test_fixed_coupon_never_makes_the_total_negative(shop):
    create_coupon("HUGE", kind="fixed", value=Decimal("500"))
    assert quote([(shop.novel, 1)], "HUGE").total == eur("0")


def test_quote_api(client, shop):
    response = client.post(
        "/api/pricing/quote/",
        {"lines": [{"product_id": shop.novel.pk, "quantity": 2}]},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["total"] == {"amount": "25.00", "currency": "EUR"}
    missing = client.post("/api/pricing/quote/", {"lines": [{"product_id": 0, "quantity": 1}]}, content_type="application/json")
    assert missing.status_code == 404
