"""Shared fixtures: a small shop built through the apps' public services."""
from decimal import Decimal
from types import SimpleNamespace

import pytest

from accounts.services import add_address, register_user
from cart.services import add_item
from catalog.services import create_category, create_product
from inventory.services import create_warehouse, receive_stock
from orders.services import checkout
from payments.services import capture_payment, latest_payment
from pricing.services import create_price_list, set_price
from shipping.services import add_shipping_method, dispatch_shipment, shipment_for_order

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def shop(db):
    """Two categories (audio under electronics, books), three products with
    prices, two warehouses with stock, two delivery options."""
    create_category("Electronics", "electronics")
    create_category("Audio", "audio", parent_slug="electronics")
    create_category("Books", "books")
    headphones = create_product(
        sku="HP-100", name="Studio Headphones", category_slug="audio", weight_grams=300, tags=["wireless"], brand="Sonora"
    )
    speaker = create_product(sku="SP-200", name="Bookshelf Speaker", category_slug="audio", weight_grams=2500)
    novel = create_product(sku="BK-300", name="A Quiet Novel", category_slug="books", weight_grams=400)

    create_price_list("retail", "Retail", is_default=True)
    set_price(headphones.pk, Decimal("59.90"))
    set_price(speaker.pk, Decimal("120.00"))
    set_price(novel.pk, Decimal("12.50"))

    create_warehouse("main", "Main warehouse", city="Lyon", priority=1)
    create_warehouse("backup", "Overflow store", city="Lille", priority=5)
    receive_stock(headphones.pk, "main", 10, reference="PO-1")
    receive_stock(speaker.pk, "main", 2, reference="PO-1")
    receive_stock(speaker.pk, "backup", 3, reference="PO-2")
    receive_stock(novel.pk, "main", 1, reference="PO-3")

    add_shipping_method("standard", "Standard", carrier_code="laposte", price=Decimal("4.90"), free_over=Decimal("100"))
    add_shipping_method("express", "Express", carrier_code="dhl", price=Decimal("12.00"), min_days=1, max_days=2)
    return SimpleNamespace(headphones=headphones, speaker=speaker, novel=novel)


def make_customer(username: str = "alice", **extra):
    user = register_user(username, f"{username}@example.com", PASSWORD, first_name=username.title(), **extra)
    address = add_address(
        user, full_name=f"{username.title()} Martin", line1="3 rue des Lilas", city="Lyon", postcode="69003"
    )
    return user, address


@pytest.fixture
def customer(db):
    user, _ = make_customer("alice")
    return user


@pytest.fixture
def address(customer):
    return customer.addresses.get(is_default=True)


@pytest.fixture
def other_customer(db):
    user, _ = make_customer("bob")
    return user


@pytest.fixture
def staff(db):
    user = register_user("sam", "sam@example.com", PASSWORD)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def customer_client(client, customer):
    client.force_login(customer)
    return client


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def buy(shop):
    """Factory: put products in a customer's cart and check out. Returns the CheckoutResult."""

    def _buy(user, *items, card_token: str = "tok_visa_4242", method: str = "standard", coupon: str | None = None):
        for product, quantity in items:
            add_item(user, product.pk, quantity)
        address = user.addresses.get(is_default=True)
        return checkout(user, address_id=address.pk, shipping_method=method, card_token=card_token, coupon_code=coupon)

    return _buy


@pytest.fixture
def ship(db):
    """Factory: capture an order's payment and dispatch its parcel. Returns the shipment."""

    def _ship(order):
        capture_payment(latest_payment(order.pk).pk)
        return dispatch_shipment(shipment_for_order(order.pk).pk)

    return _ship
