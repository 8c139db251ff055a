from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from payments.services import capture_payment, latest_payment, refund_payment
from reporting.services import build_daily_snapshot, sales_report, snapshots


@pytest.fixture
def sales(buy, ship, shop, customer, other_customer):
    """Two paid orders, one only authorised, one refunded in part."""
    first = buy(customer, (shop.headphones, 2), (shop.novel, 1)).order  # 132.30, free delivery
    ship(first)
    second = buy(other_customer, (shop.speaker, 1)).order  # 120.00
    payment = capture_payment(latest_payment(second.pk).pk)
    refund_payment(payment.pk, Decimal("20.00"), reason="dent")
    buy(other_customer, (shop.headphones, 1))  # placed, not paid
    return first, second


def test_sales_report_counts_paid_orders_only(sales):
    today = timezone.localdate()
    report = sales_report(today, today)
    assert report["orders"] == 2 and report["items_sold"] == 4
    assert report["revenue"] == "252.30"
    assert report["refunds"] == "20.00" and report["net_revenue"] == "232.30"
    assert report["cash_captured"] == "252.30"
    assert report["payments_by_status"] == {"authorized": 1, "captured": 1, "partially_refunded": 1}
    assert [(row["sku"], row["units"]) for row in report["top_products"]] == [("HP-100", 2), ("SP-200", 1), ("BK-300", 1)]
    assert [(row["category"], row["revenue"]) for row in report["by_category"]] == [("Audio", "239.80"), ("Books", "12.50")]


def test_empty_period(sales):
    day = timezone.localdate() - timedelta(days=10)
    report = sales_report(day, day)
    assert (report["orders"], report["revenue"], report["top_products"]) == (0, "0.00", [])
    with pytest.raises(ValueError):
        sales_report(day, day - timedelta(days=1))


def test_daily_snapshot_and_command(sales, capsys):
    today = timezone.localdate()
    snapshot = build_daily_snapshot(today)
    assert (snapshot.orders_count, snapshot.revenue, snapshot.new_customers) == (2, Decimal("252.30"), 2)
    call_command("build_sales_snapshots", start=today - timedelta(days=1), end=today)
    assert "2 snapshot(s) built" in capsys.readouterr().out
    assert [row["orders"] for row in snapshots(today - timedelta(days=1), today)] == [0, 2]
    with pytest.raises(CommandError):
        call_command("build_sales_snapshots", days=0)


def test_app_label_differs_from_package():
    config = apps.get_app_config("reports")
    assert config.name == "reporting"
    assert apps.get_model("reports", "SalesSnapshot")._meta.db_table == "reports_salessnapshot"


def test_reports_api_is_staff_only(client, sales, customer, staff):
    client.force_login(customer)
    assert client.get("/api/reports/sales/").status_code == 302
    client.force_login(staff)
    assert client.get("/api/reports/sales/").json()["orders"] == 2
    assert client.get("/api/reports/sales/", {"start": "2024-02-01", "end": "2024-01-01"}).status_code == 400
