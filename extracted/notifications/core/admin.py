from django.contrib import admin

from core.models import AuditLogEntry, SiteSetting


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "object_type", "object_id", "actor_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "action"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(SiteSetting)
class SiteSettingAdmin(admin.ModelAdmin):
    list_display = ["key", "value", "description"]
    search_fields = ["key"]
