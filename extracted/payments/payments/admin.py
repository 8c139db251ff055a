from django.contrib import admin

from payments.models import GatewayTransaction, Payment, Refund


class GatewayTransactionInline(admin.TabularInline):
    model = GatewayTransaction
    extra = 0
    readonly_fields = ["kind", "amount", "success", "gateway_reference", "message", "created_at"]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["reference", "order", "amount", "currency", "status", "captured_at"]
    list_filter = ["status"]
    search_fields = ["reference", "order__reference"]
    raw_id_fields = ["order"]
    inlines = [GatewayTransactionInline]


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["payment", "amount", "reason", "created_at"]
