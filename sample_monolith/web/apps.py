from django.apps import AppConfig


class WebConfig(AppConfig):
    """The storefront: HTML pages composed from the other apps' services."""

    name = "web"
    verbose_name = "Storefront"
