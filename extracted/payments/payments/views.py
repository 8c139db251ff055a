"""JSON endpoints of payments."""
from django.contrib.admin.views.decorators import staff_member_required
from django.http import JsonResponse
from django.views.decorators.http import require_GET, require_POST

from core.http import login_required_json, read_json, service_errors_as_json
# TODO(decompose): orders.services.get_order is called back over HTTP (monolith.get_order); the monolith must expose it
from payments_service.monolith import get_order
from payments.services import capture_payment, payment_as_dict, payment_status, payments_for_order, refund_payment


@require_GET
@login_required_json
@service_errors_as_json
def order_payments(request, order_id: int):
    user_id = None if request.user.is_staff else request.user.pk
    order = get_order(order_id, user_id=user_id)
    return JsonResponse({"order_id": order.pk, "status": payment_status(order.pk), "payments": payments_for_order(order.pk)})


@require_POST
@staff_member_required
@service_errors_as_json
def capture(request, payment_id: int):
    return JsonResponse(payment_as_dict(capture_payment(payment_id)))


@require_POST
@staff_member_required
@service_errors_as_json
def refund(request, payment_id: int):
    payload = read_json(request)
    amount = payload.get("amount")
    created = refund_payment(payment_id, amount=None if amount in (None, "") else amount, reason=payload.get("reason", ""))
    return JsonResponse(payment_as_dict(created.payment), status=201)
