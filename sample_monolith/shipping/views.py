"""JSON endpoints of shipping."""
from decimal import Decimal, InvalidOperation

from django.contrib.admin.views.decorators import staff_member_required
from django.http import JsonResponse
from django.views.decorators.http import require_GET, require_POST

from core.http import json_error, read_json, service_errors_as_json
from core.money import Money
from shipping.services import methods_with_prices, record_tracking_event, shipment_as_dict, track


@require_GET
def methods(request):
    try:
        basket = Money(Decimal(request.GET.get("total", "0")))
    except (InvalidOperation, ValueError):
        return json_error("total must be a decimal amount")
    return JsonResponse({"methods": methods_with_prices(basket)})


@require_GET
@service_errors_as_json
def tracking(request, tracking_number: str):
    return JsonResponse(track(tracking_number))


@require_POST
@staff_member_required
@service_errors_as_json
def tracking_event(request, tracking_number: str):
    payload = read_json(request)
    event = record_tracking_event(
        tracking_number,
        str(payload.get("status", "")),
        location=str(payload.get("location", "")),
        message=str(payload.get("message", "")),
    )
    return JsonResponse(shipment_as_dict(event.shipment), status=201)
