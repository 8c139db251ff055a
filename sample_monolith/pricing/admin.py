from django.contrib import admin

from pricing.models import Coupon, CouponRedemption, Discount, PriceList, ProductPrice


@admin.register(PriceList)
class PriceListAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "currency", "is_default"]


@admin.register(ProductPrice)
class ProductPriceAdmin(admin.ModelAdmin):
    list_display = ["product", "price_list", "amount"]
    list_filter = ["price_list"]
    search_fields = ["product__sku", "product__name"]
    autocomplete_fields = ["product"]


@admin.register(Discount)
class DiscountAdmin(admin.ModelAdmin):
    list_display = ["name", "percent", "starts_at", "ends_at", "is_active"]
    filter_horizontal = ["categories", "products"]


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = ["code", "kind", "value", "times_used", "max_uses", "valid_until", "is_active"]
    search_fields = ["code"]


@admin.register(CouponRedemption)
class CouponRedemptionAdmin(admin.ModelAdmin):
    list_display = ["coupon", "order", "user", "amount", "created_at"]
