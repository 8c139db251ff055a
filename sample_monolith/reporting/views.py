"""JSON endpoints of reporting (staff only)."""
from datetime import date, timedelta

from django.contrib.admin.views.decorators import staff_member_required
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.http import json_error
from reporting.services import sales_report, snapshots


def parse_period(params) -> tuple[date, date]:
    """``start``/``end`` ISO dates from a query string; default: the last 30 days."""
    today = timezone.localdate()
    end = date.fromisoformat(params["end"]) if params.get("end") else today
    start = date.fromisoformat(params["start"]) if params.get("start") else end - timedelta(days=29)
    if end < start:
        raise ValueError("end date is before start date")
    return start, end


@require_GET
@staff_member_required
def sales(request):
    try:
        start, end = parse_period(request.GET)
    except ValueError as exc:
        return json_error(str(exc))
    return JsonResponse(sales_report(start, end, requested_by=request.user))


@require_GET
@staff_member_required
def daily(request):
    try:
        start, end = parse_period(request.GET)
    except ValueError as exc:
        return json_error(str(exc))
    return JsonResponse({"days": snapshots(start, end)})
