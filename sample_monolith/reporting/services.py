"""Public API of reporting: sales figures for a period and daily snapshots."""
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.utils import daterange
from payments.services import captured_total
from reporting import queries
from reporting.models import ReportRun, SalesSnapshot


def _money(value: Decimal | None) -> str:
    return str((value or Decimal("0")).quantize(Decimal("0.01")))


def sales_report(start: date, end: date, *, requested_by=None) -> dict[str, Any]:
    """Revenue, refunds, best sellers and category split between two dates (inclusive)."""
    if end < start:
        raise ValueError("end date is before start date")
    run = ReportRun.objects.create(
        kind="sales", parameters={"start": start.isoformat(), "end": end.isoformat()}, requested_by=requested_by
    )
    totals = queries.order_totals(start, end)
    refunds = queries.refunds_total(start, end)
    report = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "currency": settings.SHOP_CURRENCY,
        "orders": totals["orders"],
        "items_sold": totals["items"],
        "revenue": _money(totals["revenue"]),
        "discounts": _money(totals["discounts"]),
        "shipping": _money(totals["shipping"]),
        "average_order": _money(totals["average"]),
        "refunds": _money(refunds),
        "net_revenue": _money(totals["revenue"] - refunds),
        "cash_captured": str(captured_total(start, end, settings.SHOP_CURRENCY).amount),
        "payments_by_status": queries.payment_status_counts(start, end),
        "new_customers": queries.new_customers(start, end),
        "top_products": [{**row, "revenue": _money(row["revenue"])} for row in queries.top_products(start, end)],
        "by_category": [{**row, "revenue": _money(row["revenue"])} for row in queries.revenue_by_category(start, end)],
        "best_rated": queries.best_rated_products(),
    }
    run.row_count = len(report["top_products"]) + len(report["by_category"])
    run.finished_at = timezone.now()
    run.save(update_fields=["row_count", "finished_at"])
    return report


def build_daily_snapshot(day: date) -> SalesSnapshot:
    """(Re)compute the frozen figures of one day."""
    totals = queries.order_totals(day, day)
    with transaction.atomic():
        snapshot, _ = SalesSnapshot.objects.update_or_create(
            day=day,
            defaults={
                "orders_count": totals["orders"],
                "items_sold": totals["items"],
                "revenue": totals["revenue"],
                "refunds": queries.refunds_total(day, day),
                "new_customers": queries.new_customers(day, day),
                "currency": settings.SHOP_CURRENCY,
            },
        )
    return snapshot


def build_snapshots(start: date, end: date) -> list[SalesSnapshot]:
    return [build_daily_snapshot(day) for day in daterange(start, end)]


def snapshots(start: date, end: date) -> list[dict[str, Any]]:
    return [
        {
            "day": s.day.isoformat(),
            "orders": s.orders_count,
            "items_sold": s.items_sold,
            "revenue": _money(s.revenue),
            "refunds": _money(s.refunds),
            "net_revenue": _money(s.net_revenue),
        }
        for s in SalesSnapshot.objects.filter(day__gte=start, day__lte=end).order_by("day")
    ]
