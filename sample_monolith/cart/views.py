"""JSON endpoints of the cart (for the signed-in customer)."""
from django.http import JsonResponse
from django.views.decorators.http import require_GET, require_POST

from cart.services import add_item, apply_coupon, cart_summary, set_quantity
from core.http import json_error, login_required_json, read_json, service_errors_as_json


@require_GET
@login_required_json
def summary(request):
    return JsonResponse(cart_summary(request.user).to_dict())


@require_POST
@login_required_json
@service_errors_as_json
def items(request):
    payload = read_json(request)
    try:
        product_id, quantity = int(payload["product_id"]), int(payload.get("quantity", 1))
    except (KeyError, TypeError, ValueError):
        return json_error("product_id and quantity must be integers")
    add_item(request.user, product_id, quantity)
    return JsonResponse(cart_summary(request.user).to_dict(), status=201)


@require_POST
@login_required_json
@service_errors_as_json
def item(request, product_id: int):
    payload = read_json(request)
    set_quantity(request.user, product_id, int(payload.get("quantity", 0)))
    return JsonResponse(cart_summary(request.user).to_dict())


@require_POST
@login_required_json
@service_errors_as_json
def coupon(request):
    payload = read_json(request)
    return JsonResponse(apply_coupon(request.user, str(payload.get("code", ""))).to_dict())
