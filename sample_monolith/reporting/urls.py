from django.urls import path

from reporting import views

app_name = "reports"

urlpatterns = [
    path("sales/", views.sales, name="sales"),
    path("daily/", views.daily, name="daily"),
]
