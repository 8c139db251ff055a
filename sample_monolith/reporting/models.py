from django.conf import settings
from django.db import models


class SalesSnapshot(models.Model):
    """Figures of one day, frozen by the nightly ``build_sales_snapshots`` command."""

    day = models.DateField(unique=True)
    orders_count = models.PositiveIntegerField(default=0)
    items_sold = models.PositiveIntegerField(default=0)
    revenue = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    refunds = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    new_customers = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, default="EUR")
    built_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day}: {self.orders_count} orders, {self.revenue} {self.currency}"

    @property
    def net_revenue(self):
        return self.revenue - self.refunds


class ReportRun(models.Model):
    kind = models.CharField(max_length=40)
    parameters = models.JSONField(default=dict)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="report_runs"
    )
    row_count = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.parameters}"
