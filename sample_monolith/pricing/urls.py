from django.urls import path

from pricing import views

app_name = "pricing"

urlpatterns = [
    path("products/<int:product_id>/price/", views.product_price, name="product_price"),
    path("quote/", views.basket_quote, name="quote"),
]
