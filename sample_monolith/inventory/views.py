"""JSON endpoints of inventory."""
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from core.http import json_error
from inventory.services import availability, available_quantity


@require_GET
def stock_level(request, product_id: int):
    return JsonResponse({"product_id": product_id, "available": available_quantity(product_id)})


@require_GET
def stock_levels(request):
    try:
        ids = [int(part) for part in request.GET.get("ids", "").split(",") if part]
    except ValueError:
        return json_error("ids must be a comma-separated list of integers")
    return JsonResponse({"availability": {str(k): v for k, v in availability(ids).items()}})
