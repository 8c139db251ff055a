"""Django's own models a service can be served by the monolith: ``contenttypes.ContentType`` and ``auth``'s.

decompose reads the project's source, never Django's, so the models of ``django.contrib`` are no
:class:`~decompose.scan.facts.ModelFacts` of the index. Yet the moved code names them: a moved model's
content type or user (a cut foreign key's target), ``ContentType.objects.get(pk=<the id in the query
string>)``, ``get_user_model().objects.filter(groups__name=...)``. Their rows stay in the monolith (the user
table stays where users log in; a content type id crossing the boundary is the monolith's), so the service
reads them through the monolith's query endpoint, read-only, like the other staying models it holds
references of. This is their schema, as Django's migrations define it (unchanged in the columns listed here
since Django 1.10; ``auth.User``'s ``password`` is never served, so it is not listed).

>>> DJANGO_MODELS["contenttypes.ContentType"].fields
('id', 'app_label', 'model')
>>> reached(["auth.User"])
('auth.Group', 'auth.Permission', 'auth.User', 'contenttypes.ContentType')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class DjangoModel:
    """One of Django's own models: its label, module, table, served columns (attnames, in order) and their field
    types in the service (a foreign key's column is a ``BigIntegerField``, as every cut relation), its foreign keys
    (name → target label) and many-to-many relations (name → target label)."""

    label: str
    module: str
    table: str
    field_types: dict[str, str]
    foreign_keys: dict[str, str] = field(default_factory=dict)
    many: dict[str, str] = field(default_factory=dict)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self.field_types)


_CHAR = "CharField"
_BOOL = "BooleanField"
_WHEN = "DateTimeField"

DJANGO_MODELS: dict[str, DjangoModel] = {
    m.label: m
    for m in (
        DjangoModel(
            "contenttypes.ContentType",
            "django.contrib.contenttypes.models",
            "django_content_type",
            {"id": "AutoField", "app_label": _CHAR, "model": _CHAR},
        ),
        DjangoModel(
            "auth.Permission",
            "django.contrib.auth.models",
            "auth_permission",
            {"id": "AutoField", "name": _CHAR, "content_type_id": "BigIntegerField", "codename": _CHAR},
            foreign_keys={"content_type": "contenttypes.ContentType"},
        ),
        DjangoModel(
            "auth.Group",
            "django.contrib.auth.models",
            "auth_group",
            {"id": "AutoField", "name": _CHAR},
            many={"permissions": "auth.Permission"},
        ),
        DjangoModel(
            "auth.User",
            "django.contrib.auth.models",
            "auth_user",
            {
                "id": "AutoField",
                "last_login": _WHEN,
                "is_superuser": _BOOL,
                "username": _CHAR,
                "first_name": _CHAR,
                "last_name": _CHAR,
                "email": "EmailField",
                "is_staff": _BOOL,
                "is_active": _BOOL,
                "date_joined": _WHEN,
            },
            many={"groups": "auth.Group", "user_permissions": "auth.Permission"},
        ),
    )
}

#: the dotted names of Django's that the moved code spells these models with, by label: the service imports the
#: reference of the monolith's model instead (``ContentType.objects.get(pk=...)`` reads the monolith's rows)
DJANGO_NAMES: dict[str, tuple[str, ...]] = {
    "contenttypes.ContentType": ("django.contrib.contenttypes.models.ContentType",),
    "auth.User": ("django.contrib.auth.models.User",),
    "auth.Group": ("django.contrib.auth.models.Group",),
    "auth.Permission": ("django.contrib.auth.models.Permission",),
}


def reached(labels: Iterable[str]) -> tuple[str, ...]:
    """``labels`` among :data:`DJANGO_MODELS` and the ones their relations reach (a lookup through
    ``groups__name`` goes through ``auth.Group``), sorted."""
    todo = [x for x in labels if x in DJANGO_MODELS]
    seen: set[str] = set()
    while todo:
        label = todo.pop()
        if label in seen:
            continue
        seen.add(label)
        m = DJANGO_MODELS[label]
        todo.extend(t for t in (*m.foreign_keys.values(), *m.many.values()) if t not in seen)
    return tuple(sorted(seen))
