"""JSON endpoints of orders (the signed-in customer's own orders)."""
from django.http import JsonResponse
from django.views.decorators.http import require_GET, require_POST

from core.http import login_required_json, read_json, service_errors_as_json
from core.http import json_error
from orders.services import cancel_order, checkout, get_order, order_as_dict, order_history, orders_for_user


@require_GET
@login_required_json
def order_list(request):
    return JsonResponse({"orders": [order_as_dict(o) for o in orders_for_user(request.user.pk)]})


@require_GET
@login_required_json
@service_errors_as_json
def order_detail(request, order_id: int):
    order = get_order(order_id, user_id=request.user.pk)
    return JsonResponse({**order_as_dict(order), "history": order_history(order.pk)})


@require_POST
@login_required_json
@service_errors_as_json
def order_cancel(request, order_id: int):
    order = get_order(order_id, user_id=request.user.pk)
    reason = read_json(request).get("reason") or "cancelled by customer"
    return JsonResponse(order_as_dict(cancel_order(order.pk, reason=reason, actor_id=request.user.pk)))


@require_POST
@login_required_json
@service_errors_as_json
def order_checkout(request):
    """Place the cart as an order and authorise ``card_token``: 201 when paid, 402 when declined."""
    payload = read_json(request)
    try:
        address_id = int(payload["address_id"])
        shipping_method, card_token = str(payload["shipping_method"]), str(payload["card_token"])
    except (KeyError, TypeError, ValueError):
        return json_error("address_id, shipping_method and card_token are required")
    result = checkout(
        request.user,
        address_id=address_id,
        shipping_method=shipping_method,
        card_token=card_token,
        coupon_code=payload.get("coupon") or None,
    )
    body = {**order_as_dict(result.order), "payment_status": result.payment.status}
    return JsonResponse(body, status=201 if result.ok else 402)
