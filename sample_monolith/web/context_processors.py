from django.conf import settings

from cart.services import cart_item_count
from notifications.services import unread_count


def shop_context(request) -> dict:
    context = {"shop_name": settings.SHOP_NAME, "cart_count": 0, "unread_notifications": 0}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["cart_count"] = cart_item_count(user)
        context["unread_notifications"] = unread_count(user.pk)
    return context
