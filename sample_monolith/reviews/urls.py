from django.urls import path

from reviews import views

app_name = "reviews"

urlpatterns = [
    path("products/<int:product_id>/", views.product_reviews, name="product_reviews"),
]
