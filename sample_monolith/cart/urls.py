from django.urls import path

from cart import views

app_name = "cart"

urlpatterns = [
    path("", views.summary, name="summary"),
    path("items/", views.items, name="items"),
    path("items/<int:product_id>/", views.item, name="item"),
    path("coupon/", views.coupon, name="coupon"),
]
