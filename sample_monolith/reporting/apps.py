from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """Sales reporting. Its label is ``reports`` (tables reports_*, models reports.SalesSnapshot)."""

    name = "reporting"
    label = "reports"
    verbose_name = "Reports"
