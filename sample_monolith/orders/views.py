"""JSON endpoints of orders (the signed-in customer's own orders)."""
from django.http import JsonResponse
from django.views.decorators.http import require_GET, require_POST

from core.http import login_required_json, read_json, service_errors_as_json
from orders.services import cancel_order, get_order, order_as_dict, order_history, orders_for_user


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
