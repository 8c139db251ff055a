"""URLs of the payments service: /healthz, the OpenAPI documents and the generated API."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from payments_service import api, query, rest
from payments_service import web_urls

urlpatterns = [
    path("healthz", rest.healthz, name="healthz"),
    path("api/v1/openapi.json", rest.OpenAPIDocument.as_view(), name="openapi"),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/payments/payments/", api.PaymentsPaymentList.as_view(), name="payments_payment_list"),
    path("api/v1/payments/payments/<int:id>/", api.PaymentsPaymentRetrieve.as_view(), name="payments_payment_retrieve"),
    path("api/v1/payments/refunds/", api.PaymentsRefundList.as_view(), name="payments_refund_list"),
    path("api/v1/payments/refunds/<int:id>/", api.PaymentsRefundRetrieve.as_view(), name="payments_refund_retrieve"),
    path("api/v1/services/authorize_payment", api.ServicesAuthorizePayment.as_view(), name="services_authorize_payment"),
    path("api/v1/services/capture_payment", api.ServicesCapturePayment.as_view(), name="services_capture_payment"),
    path("api/v1/services/captured_total", api.ServicesCapturedTotal.as_view(), name="services_captured_total"),
    path("api/v1/services/latest_payment", api.ServicesLatestPayment.as_view(), name="services_latest_payment"),
    path("api/v1/services/payment_status", api.ServicesPaymentStatus.as_view(), name="services_payment_status"),
    path("api/v1/services/payments_for_order", api.ServicesPaymentsForOrder.as_view(), name="services_payments_for_order"),
    path("api/v1/services/refund_order", api.ServicesRefundOrder.as_view(), name="services_refund_order"),
    path("api/v1/services/refund_payment", api.ServicesRefundPayment.as_view(), name="services_refund_payment"),
    path("api/v1/query/<str:app_label>/<str:model_name>", query.Query.as_view(), name="orm_query"),
    path("api/v1/command/<str:app_label>/<str:model_name>", query.Command.as_view(), name="orm_command"),
    path("api/v1/_test/reset", query.Reset.as_view(), name="test_reset"),  # DECOMPOSE_TEST_RESET=1 only
]

urlpatterns += web_urls.urlpatterns  # the moved apps' pages (web_urls.py), after the API

handler400 = "payments_service.rest.bad_request"
handler404 = "payments_service.rest.not_found"
handler500 = "payments_service.rest.server_error"
