from django.contrib.auth import views as auth_views
from django.urls import path

from web import views

app_name = "web"

urlpatterns = [
    path("", views.ProductListView.as_view(), name="product_list"),
    path("products/<slug:slug>/", views.product_detail, name="product_detail"),
    path("products/<slug:slug>/review/", views.review_create, name="review_create"),
    path("cart/", views.cart_view, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/items/<int:product_id>/", views.cart_update, name="cart_update"),
    path("cart/coupon/", views.cart_coupon, name="cart_coupon"),
    path("checkout/", views.checkout, name="checkout"),
    path("account/addresses/new/", views.address_add, name="address_add"),
    path("account/orders/", views.order_list, name="order_list"),
    path("account/orders/<str:reference>/", views.order_detail, name="order_detail"),
    path("account/orders/<str:reference>/cancel/", views.order_cancel, name="order_cancel"),
    path("account/notifications/", views.notification_list, name="notifications"),
    path("account/signup/", views.signup, name="signup"),
    path("account/login/", auth_views.LoginView.as_view(), name="login"),
    path("account/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("staff/orders/", views.staff_orders, name="staff_orders"),
    path("staff/orders/<str:reference>/capture/", views.staff_capture, name="staff_capture"),
    path("staff/orders/<str:reference>/dispatch/", views.staff_dispatch, name="staff_dispatch"),
    path("staff/orders/<str:reference>/delivered/", views.staff_delivered, name="staff_delivered"),
    path("staff/reports/sales/", views.sales_report_view, name="sales_report"),
]
