from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import Address, CustomerProfile, User


class AddressInline(admin.TabularInline):
    model = Address
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = DjangoUserAdmin.fieldsets + (("Shop", {"fields": ("phone", "marketing_opt_in")}),)
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "marketing_opt_in"]
    inlines = [AddressInline]


@admin.register(CustomerProfile)
class CustomerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "loyalty_points", "preferred_language"]
    search_fields = ["user__username", "user__email"]
