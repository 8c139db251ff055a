from django.contrib import admin

from notifications.models import Notification, NotificationPreference, OutboxMessage


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user_id", "kind", "subject", "read_at"]
    list_filter = ["kind"]
    # TODO(decompose): search_fields entry 'user__email' dropped: user is now a reference by id (user_id) to a model of another service
    search_fields = ["subject"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user_id", "email_enabled", "order_updates", "review_updates"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "subject", "status", "backend"]
    list_filter = ["status"]
