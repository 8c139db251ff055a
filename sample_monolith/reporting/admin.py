from django.contrib import admin

from reporting.models import ReportRun, SalesSnapshot


@admin.register(SalesSnapshot)
class SalesSnapshotAdmin(admin.ModelAdmin):
    list_display = ["day", "orders_count", "items_sold", "revenue", "refunds", "new_customers"]
    date_hierarchy = "day"


@admin.register(ReportRun)
class ReportRunAdmin(admin.ModelAdmin):
    list_display = ["kind", "requested_by", "row_count", "started_at", "finished_at"]
    list_filter = ["kind"]
