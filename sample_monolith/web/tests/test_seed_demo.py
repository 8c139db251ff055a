import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.services import get_product_by_slug, list_products
from inventory.services import available_quantity
from pricing.services import list_price, price_for


@pytest.mark.django_db
def test_seed_demo_builds_a_browsable_shop(client, capsys):
    call_command("seed_demo")
    assert "8 products" in capsys.readouterr().out
    assert list_products().count() == 8
    pan = get_product_by_slug("cast-iron-pan-kt-400")
    assert str(list_price(pan.pk)) == "45.00 EUR" and str(price_for(pan)) == "38.25 EUR"
    assert available_quantity(pan.pk) == 12
    assert client.login(username="alice", password="demo-password-123")
    assert client.get("/").status_code == 200
    with pytest.raises(CommandError):
        call_command("seed_demo")
