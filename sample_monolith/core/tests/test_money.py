from decimal import Decimal

import pytest

from core.money import CurrencyMismatch, Money, quantize


def test_amounts_are_rounded_half_up_to_cents():
    assert Money("10.005", "EUR").amount == Decimal("10.01")
    assert quantize("2.344") == Decimal("2.34")


def test_arithmetic_keeps_currency_and_supports_sum():
    total = sum([Money("1.10", "EUR"), Money("2.20", "EUR")], Money.zero("EUR"))
    assert total == Money("3.30", "EUR")
    assert Money("5", "EUR") * 3 == Money("15", "EUR")
    assert Money("5", "EUR") - Money("7", "EUR") == Money("-2", "EUR")


def test_mixing_currencies_is_an_error():
    with pytest.raises(CurrencyMismatch):
        Money("1", "EUR") + Money("1", "USD")
    with pytest.raises(TypeError):
        Money("1", "EUR") * 1.5


def test_percent_and_clamp():
    assert Money("59.90", "EUR").percent(10) == Money("5.99", "EUR")
    assert Money("-3", "EUR").clamp_min_zero().is_zero()


def test_default_currency_comes_from_settings(settings):
    settings.SHOP_CURRENCY = "GBP"
    assert Money("1").currency == "GBP"


def test_junk_is_rejected():
    with pytest.raises(ValueError):
        quantize("twelve")
