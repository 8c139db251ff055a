from django.contrib import admin

from shipping.models import Carrier, Shipment, ShipmentItem, ShippingMethod, TrackingEvent


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "carrier", "price", "free_over", "is_active"]


class ShipmentItemInline(admin.TabularInline):
    model = ShipmentItem
    extra = 0
    raw_id_fields = ["order_line"]


class TrackingEventInline(admin.TabularInline):
    model = TrackingEvent
    extra = 0


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["order", "method", "status", "tracking_number", "dispatched_at", "delivered_at"]
    list_filter = ["status", "method"]
    search_fields = ["tracking_number", "order__reference"]
    raw_id_fields = ["order"]
    inlines = [ShipmentItemInline, TrackingEventInline]
