from django.urls import path

from shipping import views

app_name = "shipping"

urlpatterns = [
    path("methods/", views.methods, name="methods"),
    path("track/<str:tracking_number>/", views.tracking, name="track"),
    path("track/<str:tracking_number>/events/", views.tracking_event, name="tracking_event"),
]
