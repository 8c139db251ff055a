from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("stock/", views.stock_levels, name="stock_levels"),
    path("stock/<int:product_id>/", views.stock_level, name="stock_level"),
]
