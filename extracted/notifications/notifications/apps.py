from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Tells customers what happened: driven entirely by other apps' signals."""

    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from notifications import receivers  # noqa: F401  (connects the signal receivers)
