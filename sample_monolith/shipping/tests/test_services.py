from decimal import Decimal

import pytest

from core.money import Money
from inventory.services import available_quantity, reservations_for_order
from orders.services import get_order
from payments.services import capture_payment, latest_payment
from shipping.exceptions import ShippingError, UnknownShippingMethod
from shipping.services import (
    create_shipment,
    dispatch_shipment,
    methods_with_prices,
    record_tracking_event,
    shipment_for_order,
    shipping_quote,
    track,
)


def test_quote_is_free_above_the_threshold(shop):
    assert shipping_quote("standard", Money("99.99", "EUR")) == Money("4.90", "EUR")
    assert shipping_quote("standard", Money("100", "EUR")).is_zero()
    assert shipping_quote("express", Money("500", "EUR")) == Money("12.00", "EUR")
    with pytest.raises(UnknownShippingMethod):
        shipping_quote("teleport", Money("1", "EUR"))


def test_methods_are_listed_cheapest_first(shop):
    methods = methods_with_prices(Money("10", "EUR"))
    assert [(m["code"], m["price"]["amount"]) for m in methods] == [("standard", "4.90"), ("express", "12.00")]


def test_unpaid_orders_do_not_ship(buy, shop, customer):
    order = buy(customer, (shop.novel, 1)).order
    with pytest.raises(ShippingError, match="only paid orders"):
        create_shipment(order)


def test_dispatch_ships_the_order_and_takes_stock_out(buy, ship, shop, customer):
    order = buy(customer, (shop.speaker, 3)).order
    shipment = ship(order)
    assert shipment.tracking_number.startswith("LAP-")
    assert get_order(order.pk).status == "shipped"
    assert {r["status"] for r in reservations_for_order(order.pk)} == {"committed"}
    assert available_quantity(shop.speaker.pk) == 2
    assert shipment.weight_grams == 7500
    with pytest.raises(ShippingError):
        dispatch_shipment(shipment.pk)


def test_tracking_events_lead_to_delivery(buy, ship, shop, customer):
    order = buy(customer, (shop.novel, 1)).order
    shipment = ship(order)
    record_tracking_event(shipment.tracking_number, "in_transit", location="Paris hub")
    record_tracking_event(shipment.tracking_number, "delivered", location="Lyon")
    info = track(shipment.tracking_number)
    assert info["status"] == "delivered"
    assert [e["status"] for e in info["events"]] == ["dispatched", "in_transit", "delivered"]
    assert get_order(order.pk).status == "delivered"
    with pytest.raises(ShippingError):
        record_tracking_event(shipment.tracking_number, "in_transit")


def test_create_shipment_is_idempotent(buy, shop, customer):
    order = buy(customer, (shop.novel, 1)).order
    capture_payment(latest_payment(order.pk).pk)
    assert create_shipment(get_order(order.pk)) == shipment_for_order(order.pk)


def test_tracking_api(client, buy, ship, shop, customer, staff):
    order = buy(customer, (shop.novel, 1)).order
    shipment = ship(order)
    response = client.get(f"/api/shipping/track/{shipment.tracking_number}/")
    assert response.json()["carrier"] == "Laposte"
    assert client.get("/api/shipping/track/NOPE/").status_code == 404
    client.force_login(staff)
    event = client.post(
        f"/api/shipping/track/{shipment.tracking_number}/events/", {"status": "lost"}, content_type="application/json"
    )
    assert event.status_code == 400
    assert client.get("/api/shipping/methods/", {"total": "150"}).json()["methods"][0]["price"]["amount"] == "0.00"
    assert Decimal(client.get("/api/shipping/methods/").json()["methods"][1]["price"]["amount"]) == Decimal("12")
