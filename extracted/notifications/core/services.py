"""Public API of the shared kernel."""
from typing import Any

from django.db import models

from core.models import AuditLogEntry, SiteSetting


def audit(action: str, obj: models.Model, *, actor_id: int | None = None, **data: Any) -> AuditLogEntry:
    """Record ``action`` on ``obj`` in the audit log."""
    return AuditLogEntry.objects.create(
        actor_id=actor_id,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        data=data,
    )


def audit_trail(obj: models.Model) -> list[dict[str, Any]]:
    entries = AuditLogEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    return [
        {"action": e.action, "actor_id": e.actor_id, "data": e.data, "at": e.created_at.isoformat()}
        for e in entries.order_by("created_at", "id")
    ]


def get_setting(key: str, default: str | None = None) -> str | None:
    value = SiteSetting.objects.filter(key=key).values_list("value", flat=True).first()
    return default if value is None else value


def set_setting(key: str, value: str, description: str = "") -> SiteSetting:
    setting, _ = SiteSetting.objects.update_or_create(
        key=key, defaults={"value": value, "description": description}
    )
    return setting
