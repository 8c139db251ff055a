"""URLs of the notifications service: /healthz, the OpenAPI documents and the generated API."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from notifications_service import api, query, rest
from notifications_service import web_urls

urlpatterns = [
    path("healthz", rest.healthz, name="healthz"),
    path("api/v1/openapi.json", rest.OpenAPIDocument.as_view(), name="openapi"),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/events/order_cancelled", api.EventOrderCancelled.as_view(), name="event_order_cancelled"),
    path("api/v1/events/order_placed", api.EventOrderPlaced.as_view(), name="event_order_placed"),
    path("api/v1/events/payment_refunded", api.EventPaymentRefunded.as_view(), name="event_payment_refunded"),
    path("api/v1/events/review_submitted", api.EventReviewSubmitted.as_view(), name="event_review_submitted"),
    path("api/v1/events/shipment_delivered", api.EventShipmentDelivered.as_view(), name="event_shipment_delivered"),
    path("api/v1/events/shipment_dispatched", api.EventShipmentDispatched.as_view(), name="event_shipment_dispatched"),
    path("api/v1/events/user_registered", api.EventUserRegistered.as_view(), name="event_user_registered"),
    path("api/v1/services/list_notifications", api.ServicesListNotifications.as_view(), name="services_list_notifications"),
    path("api/v1/services/mark_all_read", api.ServicesMarkAllRead.as_view(), name="services_mark_all_read"),
    path("api/v1/services/unread_count", api.ServicesUnreadCount.as_view(), name="services_unread_count"),
    path("api/v1/query/<str:app_label>/<str:model_name>", query.Query.as_view(), name="orm_query"),
    path("api/v1/command/<str:app_label>/<str:model_name>", query.Command.as_view(), name="orm_command"),
    path("api/v1/_test/reset", query.Reset.as_view(), name="test_reset"),  # DECOMPOSE_TEST_RESET=1 only
]

urlpatterns += web_urls.urlpatterns  # the moved apps' pages (web_urls.py), after the API

handler400 = "notifications_service.rest.bad_request"
handler404 = "notifications_service.rest.not_found"
handler500 = "notifications_service.rest.server_error"
