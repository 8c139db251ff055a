from django.contrib import admin

from orders.models import Order, OrderLine, OrderStatusChange


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ["product"]


class OrderStatusChangeInline(admin.TabularInline):
    model = OrderStatusChange
    extra = 0
    readonly_fields = ["from_status", "to_status", "note", "created_at"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["reference", "user", "status", "total", "currency", "placed_at"]
    list_filter = ["status", "shipping_method_code"]
    search_fields = ["reference", "user__email"]
    date_hierarchy = "placed_at"
    raw_id_fields = ["user", "shipping_address"]
    inlines = [OrderLineInline, OrderStatusChangeInline]
