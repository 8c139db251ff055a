"""End-to-end flows through the storefront and the JSON API.

These tests talk to the shop only through HTTP (Django's test client) and the
apps' public service functions, so they keep passing when an app is moved
into its own service behind the same interface."""
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.services import register_user
from conftest import PASSWORD
from inventory.services import available_quantity
from pricing.services import create_coupon


def follow_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def order_reference(response) -> str:
    match = re.search(r"/account/orders/(ORD-[A-Z0-9]+)/", response["Location"])
    assert match, response["Location"]
    return match.group(1)


@pytest.fixture
def staff_browser(staff) -> Client:
    browser = Client()
    browser.force_login(staff)
    return browser


def test_browse_buy_ship_review_report(client, shop, customer, staff_browser):
    # Browse anonymously.
    home = client.get(reverse("web:product_list"))
    assert home.status_code == 200
    assert "Studio Headphones" in home.content.decode() and "59.90 EUR" in home.content.decode()
    product_page = client.get(reverse("web:product_detail", args=[shop.headphones.slug]))
    assert "10 in stock" in product_page.content.decode()

    # Log in through the login page and fill the cart.
    login = client.post(reverse("web:login"), {"username": "alice", "password": PASSWORD})
    assert login.status_code == 302
    client.post(reverse("web:cart_add"), {"product_id": shop.headphones.pk, "quantity": 2})
    cart_page = client.get(reverse("web:cart"))
    assert "119.80 EUR" in cart_page.content.decode()

    # Check out: pay and get an order.
    form = client.get(reverse("web:checkout")).context["form"]
    address_id = form.fields["address"].choices[0][0]
    placed = client.post(
        reverse("web:checkout"), {"address": address_id, "shipping_method": "standard", "card_token": "tok_visa_4242"}
    )
    assert placed.status_code == 302
    reference = order_reference(placed)
    detail = client.get(placed["Location"])
    assert "Placed, awaiting payment capture" in detail.content.decode()
    assert "Total 119.80 EUR" in detail.content.decode()  # delivery is free over 100
    assert available_quantity(shop.headphones.pk) == 8

    # The back office captures, dispatches and delivers.
    assert reference in staff_browser.get(reverse("web:staff_orders")).content.decode()
    for step in ("web:staff_capture", "web:staff_dispatch", "web:staff_delivered"):
        response = staff_browser.post(reverse(step, args=[reference]), follow=True)
        assert not [m for m in response.context["messages"] if m.level_tag == "error"], step
    detail = client.get(reverse("web:order_detail", args=[reference])).content.decode()
    assert "Delivered" in detail and "captured" in detail

    # The customer was told at every step.
    notifications = client.get(reverse("web:notifications")).context["notifications"]
    assert [n["kind"] for n in notifications] == [
        "shipment_delivered", "shipment_dispatched", "order_placed", "welcome"
    ]

    # A verified review goes online at once.
    reviewed = client.post(
        reverse("web:review_create", args=[shop.headphones.slug]),
        {"rating": 5, "title": "Crisp sound", "body": "Worth it."},
        follow=True,
    )
    page = reviewed.content.decode()
    assert "Crisp sound" in page and "verified purchase" in page

    # The sales report counts the order.
    report = staff_browser.get(reverse("web:sales_report")).context["report"]
    assert report["orders"] == 1 and report["revenue"] == "119.80"
    assert report["best_rated"][0]["name"] == "Studio Headphones"


def test_declined_card_keeps_the_cart_and_releases_stock(client, shop, customer):
    client.force_login(customer)
    client.post(reverse("web:cart_add"), {"product_id": shop.speaker.pk, "quantity": 3})
    address_id = customer.addresses.get().pk
    response = client.post(
        reverse("web:checkout"),
        {"address": address_id, "shipping_method": "express", "card_token": "tok_decline_0002"},
        follow=True,
    )
    assert any("Payment declined" in m for m in follow_messages(response))
    assert client.get(reverse("cart:summary")).json()["item_count"] == 3
    assert available_quantity(shop.speaker.pk) == 5
    orders = client.get(reverse("orders:order_list")).json()["orders"]
    assert [o["status"] for o in orders] == ["cancelled"]


def test_coupon_applied_in_the_cart_is_charged_once(client, shop, customer, other_customer):
    create_coupon("SPRING", value=Decimal("20"), max_uses=1)
    client.force_login(customer)
    client.post(reverse("web:cart_add"), {"product_id": shop.novel.pk, "quantity": 1})
    client.post(reverse("web:cart_coupon"), {"code": "spring"})
    assert "-2.50 EUR" in client.get(reverse("web:cart")).content.decode()
    placed = client.post(
        reverse("web:checkout"),
        {"address": customer.addresses.get().pk, "shipping_method": "standard", "card_token": "tok_visa_4242"},
    )
    order = client.get(reverse("orders:order_list")).json()["orders"][0]
    assert order["reference"] == order_reference(placed)
    assert (order["discount_total"], order["total"]) == ("2.50", "14.90")

    other = Client()
    other.force_login(other_customer)
    other.post(reverse("web:cart_add"), {"product_id": shop.headphones.pk, "quantity": 1})
    response = other.post(reverse("web:cart_coupon"), {"code": "SPRING"}, follow=True)
    assert any("used up" in m for m in follow_messages(response))


def test_customer_cancels_from_the_order_page(client, shop, customer):
    client.force_login(customer)
    client.post(reverse("web:cart_add"), {"product_id": shop.headphones.pk, "quantity": 4})
    placed = client.post(
        reverse("web:checkout"),
        {"address": customer.addresses.get().pk, "shipping_method": "standard", "card_token": "tok_visa_4242"},
    )
    reference = order_reference(placed)
    assert client.get(reverse("inventory:stock_level", args=[shop.headphones.pk])).json()["available"] == 6
    cancelled = client.post(reverse("web:order_cancel", args=[reference]), follow=True)
    assert "Cancelled" in cancelled.content.decode()
    assert client.get(reverse("inventory:stock_level", args=[shop.headphones.pk])).json()["available"] == 10
    payments = client.get(placed["Location"]).context["payments"]
    assert [p["status"] for p in payments] == ["voided"]


def test_signup_then_address_then_checkout(client, shop):
    response = client.post(
        reverse("web:signup"),
        {
            "username": "frank", "email": "frank@example.com", "first_name": "Frank", "last_name": "Lee",
            "password1": PASSWORD, "password2": PASSWORD,
        },
        follow=True,
    )
    assert response.context["user"].username == "frank"
    assert response.context["unread_notifications"] == 1
    client.post(reverse("web:cart_add"), {"product_id": shop.novel.pk, "quantity": 1})
    to_address = client.get(reverse("web:checkout"))
    assert to_address["Location"] == reverse("web:address_add")
    saved = client.post(
        reverse("web:address_add"),
        {"label": "Home", "full_name": "Frank Lee", "line1": "1 Rue Neuve", "city": "Nantes", "postcode": "44000", "country": "FR"},
    )
    assert saved["Location"] == reverse("web:checkout")
    assert client.get(reverse("web:checkout")).status_code == 200


def test_pages_require_the_right_user(client, shop, customer):
    for name in ("web:cart", "web:checkout", "web:order_list", "web:notifications"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("web:login") in response["Location"], name
    client.force_login(customer)
    assert client.get(reverse("web:staff_orders")).status_code == 302
    assert client.get(reverse("web:sales_report")).status_code == 302
    assert client.get(reverse("web:product_detail", args=["no-such-product"])).status_code == 404
    assert client.get(reverse("web:product_list"), {"category": "garden"}).status_code == 404


def test_json_api_checkout_and_tracking(client, shop, customer, staff_browser):
    client.force_login(customer)
    client.post(reverse("cart:items"), {"product_id": shop.speaker.pk, "quantity": 1}, content_type="application/json")
    address_id = client.get(reverse("accounts:addresses")).json()["addresses"][0]["id"]
    created = client.post(
        reverse("orders:checkout"),
        {"address_id": address_id, "shipping_method": "express", "card_token": "tok_visa_4242"},
        content_type="application/json",
    )
    assert created.status_code == 201
    order = created.json()
    assert (order["payment_status"], order["total"]) == ("authorized", "132.00")

    # The back office captures through the shop's own pages: the JSON endpoints of payments and
    # notifications belong to those apps, which may run as separate services.
    staff_browser.post(reverse("web:staff_capture", args=[order["reference"]]))
    detail = client.get(reverse("web:order_detail", args=[order["reference"]]))
    assert [p["status"] for p in detail.context["payments"]] == ["captured"]
    staff_browser.post(reverse("web:staff_dispatch", args=[order["reference"]]))
    shipment = client.get(reverse("web:order_detail", args=[order["reference"]])).context["shipment"]
    tracking = client.get(reverse("shipping:track", args=[shipment.tracking_number])).json()
    assert tracking["status"] == "dispatched" and tracking["carrier"] == "Dhl"
    assert client.get(reverse("web:notifications")).context["unread_notifications"] == 3

    declined = client.post(
        reverse("orders:checkout"),
        {"address_id": address_id, "shipping_method": "express", "card_token": "tok_decline"},
        content_type="application/json",
    )
    assert declined.status_code == 400 and declined.json()["error"] == "empty_cart"


def test_registration_via_service_is_visible_to_the_api(client, db):
    user = register_user("gina", "gina@example.com", PASSWORD)
    client.force_login(user)
    assert client.get(reverse("accounts:me")).json()["email"] == "gina@example.com"
