from django.apps import AppConfig


class CartConfig(AppConfig):
    name = "cart"
    verbose_name = "Shopping cart"

    def ready(self) -> None:
        from cart import receivers  # noqa: F401  (connects the signal receivers)
