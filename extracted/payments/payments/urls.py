from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("orders/<int:order_id>/", views.order_payments, name="order_payments"),
    path("<int:payment_id>/capture/", views.capture, name="capture"),
    path("<int:payment_id>/refund/", views.refund, name="refund"),
]
