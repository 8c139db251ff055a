from django.contrib import admin

from payments.models import GatewayTransaction, Payment, Refund


class GatewayTransactionInline(admin.TabularInline):
    model = GatewayTransaction
    extra = 0
    readonly_fields = ["kind", "amount", "success", "gateway_reference", "message", "created_at"]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["reference", "order_id", "amount", "currency", "status", "captured_at"]
    list_filter = ["status"]
    # TODO(decompose): search_fields entry 'order__reference' dropped: order is now a reference by id (order_id) to a model of another service
    search_fields = ["reference"]
    # TODO(decompose): raw_id_fields entry 'order' dropped: order is now a reference by id (order_id) to a model of another service
    raw_id_fields = []
    inlines = [GatewayTransactionInline]


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["payment", "amount", "reason", "created_at"]
