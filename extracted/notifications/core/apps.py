from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared kernel: money, base models, audit log and small helpers."""

    name = "core"
    verbose_name = "Core"
