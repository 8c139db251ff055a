"""Read-only queries across the shop's apps, straight through the ORM.

Reporting owns no business data: it reads orders, order lines, payments,
refunds, reviews and customers where they live."""
from datetime import date
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, DecimalField, Sum, Value
from django.db.models.functions import Coalesce

from catalog.models import Category
from core.utils import period_bounds
from orders.models import Order, OrderLine
from payments.models import Refund

SOLD_STATES = ["paid", "shipped", "delivered"]
ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=12, decimal_places=2))


def sold_orders(start: date, end: date):
    lower, upper = period_bounds(start, end)
    return Order.objects.filter(placed_at__gte=lower, placed_at__lt=upper, status__in=SOLD_STATES)


def order_totals(start: date, end: date) -> dict[str, Any]:
    totals = sold_orders(start, end).aggregate(
        orders=Count("id"),
        revenue=Coalesce(Sum("total"), ZERO),
        discounts=Coalesce(Sum("discount_total"), ZERO),
        shipping=Coalesce(Sum("shipping_total"), ZERO),
        average=Avg("total"),
    )
    items = OrderLine.objects.filter(order__in=sold_orders(start, end)).aggregate(n=Sum("quantity"))["n"]
    totals["items"] = items or 0
    return totals


def refunds_total(start: date, end: date) -> Decimal:
    lower, upper = period_bounds(start, end)
    return Refund.objects.filter(created_at__gte=lower, created_at__lt=upper).aggregate(
        total=Coalesce(Sum("amount"), ZERO)
    )["total"]


def top_products(start: date, end: date, limit: int = 10) -> list[dict[str, Any]]:
    rows = (
        OrderLine.objects.filter(order__in=sold_orders(start, end))
        .values("product_id", "product__sku", "product__name")
        .annotate(units=Sum("quantity"), revenue=Sum("line_total"))
        .order_by("-units", "-revenue", "product__sku")[:limit]
    )
    return [
        {"product_id": r["product_id"], "sku": r["product__sku"], "name": r["product__name"], "units": r["units"], "revenue": r["revenue"]}
        for r in rows
    ]


def revenue_by_category(start: date, end: date) -> list[dict[str, Any]]:
    """Units and revenue per category that holds products, best first; unsold categories show zero."""
    sold = {
        row["product__category_id"]: row
        for row in OrderLine.objects.filter(order__in=sold_orders(start, end))
        .values("product__category_id")
        .annotate(units=Sum("quantity"), revenue=Sum("line_total"))
    }
    rows = []
    for category in Category.objects.filter(products__isnull=False).distinct():
        row = sold.get(category.pk, {})
        rows.append({"category": category.name, "units": row.get("units", 0), "revenue": row.get("revenue") or Decimal("0")})
    return sorted(rows, key=lambda r: (-r["revenue"], r["category"]))


def payment_status_counts(start: date, end: date) -> dict[str, int]:
    Payment = apps.get_model("payments", "Payment")
    lower, upper = period_bounds(start, end)
    rows = Payment.objects.filter(created_at__gte=lower, created_at__lt=upper).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows.order_by("status")}


def best_rated_products(limit: int = 5, min_reviews: int = 1) -> list[dict[str, Any]]:
    Review = apps.get_model("reviews", "Review")
    rows = (
        Review.objects.filter(status="published")
        .values("product_id", "product__name")
        .annotate(average=Avg("rating"), reviews=Count("id"))
        .filter(reviews__gte=min_reviews)
        .order_by("-average", "-reviews", "product__name")[:limit]
    )
    return [
        {"product_id": r["product_id"], "name": r["product__name"], "average": round(r["average"], 2), "reviews": r["reviews"]}
        for r in rows
    ]


def new_customers(start: date, end: date) -> int:
    lower, upper = period_bounds(start, end)
    return get_user_model().objects.filter(date_joined__gte=lower, date_joined__lt=upper, is_staff=False).count()
