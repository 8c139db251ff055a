from django.contrib import admin

from notifications.models import Notification, NotificationPreference, OutboxMessage


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "subject", "read_at"]
    list_filter = ["kind"]
    search_fields = ["subject", "user__email"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email_enabled", "order_updates", "review_updates"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "subject", "status", "backend"]
    list_filter = ["status"]
