"""JSON endpoints of notifications (the signed-in customer's own)."""
from django.http import JsonResponse
from django.views.decorators.http import require_GET, require_POST

from core.http import login_required_json, service_errors_as_json
from notifications.services import list_notifications, mark_all_read, mark_read, notification_as_dict, unread_count


@require_GET
@login_required_json
def notification_list(request):
    unread_only = request.GET.get("unread") == "1"
    return JsonResponse(
        {
            "unread": unread_count(request.user.pk),
            "notifications": list_notifications(request.user.pk, unread_only=unread_only),
        }
    )


@require_POST
@login_required_json
@service_errors_as_json
def read(request, notification_id: int):
    return JsonResponse(notification_as_dict(mark_read(notification_id, request.user.pk)))


@require_POST
@login_required_json
def read_all(request):
    return JsonResponse({"marked": mark_all_read(request.user.pk)})
