import pytest
from django.core.management import call_command

from cart.services import add_item
from inventory.exceptions import OutOfStock, UnknownWarehouse
from inventory.services import (
    adjust_stock,
    availability,
    available_quantity,
    receive_stock,
    reservations_for_order,
    set_warehouse_active,
)
from orders.services import cancel_order, place_order


def test_received_stock_is_available_across_warehouses(shop):
    assert available_quantity(shop.speaker.pk) == 5
    receive_stock(shop.speaker.pk, "backup", 4)
    assert availability([shop.speaker.pk, shop.novel.pk]) == {shop.speaker.pk: 9, shop.novel.pk: 1}


def test_receiving_needs_a_known_warehouse_and_a_positive_quantity(shop):
    with pytest.raises(UnknownWarehouse):
        receive_stock(shop.speaker.pk, "moon", 1)
    with pytest.raises(ValueError):
        receive_stock(shop.speaker.pk, "main", 0)


def test_inactive_warehouses_do_not_count(shop):
    set_warehouse_active("backup", False)
    assert available_quantity(shop.speaker.pk) == 2


def test_placing_an_order_reserves_from_the_preferred_warehouse_first(shop, customer, address):
    add_item(customer, shop.speaker.pk, 4)
    order = place_order(customer, address_id=address.pk, shipping_method="standard")
    reserved = sorted((r["warehouse"], r["quantity"]) for r in reservations_for_order(order.pk))
    assert reserved == [("backup", 2), ("main", 2)]
    assert available_quantity(shop.speaker.pk) == 1


def test_cancelling_releases_the_reservation(shop, customer, address):
    add_item(customer, shop.headphones.pk, 3)
    order = place_order(customer, address_id=address.pk, shipping_method="standard")
    assert available_quantity(shop.headphones.pk) == 7
    cancel_order(order.pk, reason="changed my mind")
    assert available_quantity(shop.headphones.pk) == 10
    assert {r["status"] for r in reservations_for_order(order.pk)} == {"released"}


def test_stock_count_cannot_go_below_reserved_units(shop, customer, address):
    add_item(customer, shop.headphones.pk, 3)
    place_order(customer, address_id=address.pk, shipping_method="standard")
    with pytest.raises(OutOfStock):
        adjust_stock(shop.headphones.pk, "main", 2)
    adjust_stock(shop.headphones.pk, "main", 5)
    assert available_quantity(shop.headphones.pk) == 2


def test_low_stock_command_lists_scarce_products(shop, capsys):
    call_command("low_stock", threshold=1)
    out = capsys.readouterr().out
    assert "BK-300" in out and "HP-100" not in out


def test_stock_api(client, shop):
    response = client.get(f"/api/inventory/stock/{shop.speaker.pk}/")
    assert response.json() == {"product_id": shop.speaker.pk, "available": 5}
    assert client.get("/api/inventory/stock/", {"ids": "x,1"}).status_code == 400
