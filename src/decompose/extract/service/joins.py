"""The join tables of moved models' many-to-many relations to staying models, carried by the service.

``ChatMessage.recipients = ManyToManyField(User)`` with ``User`` staying: Django's join table
(``chat_chatmessage_recipients``: ``chatmessage_id``, ``user_id``) moves with the moved model, its
staying side as a plain id column, as a foreign key to a staying model becomes one. In the service it
is a model of the service's own app (``ChatMessage_recipients``: a foreign key to the moved model,
``related_name="recipients_join"``, and ``user_id``), on the same table and columns, so the data plan
copies its rows as they are. The query endpoint answers lookups across the relation
(``recipients=<id>``, ``recipients__in``, ``recipients__isnull``) through it, and its command endpoint
``m2m`` adds, removes, sets and clears ids (see query.py).

A relation with a ``through=`` model is not one of these: that model is a moved model whose foreign key
to the staying model is cut like any other.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from string import Template

from decompose.extract.plan import ExtractionPlan
from decompose.extract.plan.values import ForeignKeyCut


@dataclass(frozen=True, slots=True)
class JoinModel:
    """One join table the service carries, as a model of the service's own app."""

    #: class name in ``<pkg>.models`` (Django's own name for the auto-created model: ``ChatMessage_recipients``)
    name: str
    #: the moved model (``chat.ChatMessage``) and its many-to-many field (``recipients``)
    model: str
    field: str
    #: the staying model the relation points at (``auth.User``)
    target: str
    table: str
    #: the foreign key to the moved model (``chatmessage``: column ``chatmessage_id``) and the id column
    #: of the staying side (``user_id``), named as Django names them in the join table
    owner_field: str
    column: str

    @property
    def related_name(self) -> str:
        """The moved model's accessor (and query name) of its join rows: ``recipients_join``."""
        return f"{self.field}_join"


def join_models(plan: ExtractionPlan) -> tuple[JoinModel, ...]:
    """The join models of ``plan``'s many-to-many cuts from moved models (those with a join table)."""
    return join_models_of(plan.fk_cuts)


def join_models_of(fk_cuts: Iterable[ForeignKeyCut]) -> tuple[JoinModel, ...]:
    """The join models of the many-to-many cuts from moved models among ``fk_cuts`` (those with a join table)."""
    cuts = sorted(
        (c for c in fk_cuts if c.direction == "from_moved" and c.field_type == "ManyToManyField" and c.join_table),
        key=lambda c: (c.model, c.field),
    )
    names = [f"{c.model.split('.', 1)[1]}_{c.field}" for c in cuts]
    out = []
    for c, name in zip(cuts, names, strict=True):
        if names.count(name) > 1:  # the same model name in two moved apps
            name = f"{c.model.split('.', 1)[0].title().replace('_', '')}{name}"
        source = c.model.split(".", 1)[1].lower()
        target = c.target.split(".", 1)[1].lower()
        owner, column = (f"from_{source}", f"to_{target}_id") if source == target else (source, f"{target}_id")
        out.append(JoinModel(name, c.model, c.field, c.target, c.join_table, owner, column))
    return tuple(out)


def _template(name: str) -> Template:
    return Template(resources.files("decompose.extract.service").joinpath("templates", name).read_text("utf-8"))


def models_text(joins: tuple[JoinModel, ...]) -> str:
    """The join models' classes, appended to the service's ``models.py`` ("" when there are none)."""
    template = _template("join_model.py.tmpl")
    return "".join(
        template.substitute(
            name=j.name,
            model=json.dumps(j.model),
            label=j.model,
            field=j.field,
            target=j.target,
            table=json.dumps(j.table),
            owner=j.owner_field,
            column=j.column,
            related_name=json.dumps(j.related_name),
        )
        for j in joins
    )


def migration_text(package: str, joins: tuple[JoinModel, ...]) -> str:
    """The service's own app's migration creating the join models (after the moved apps' migrations)."""
    apps = sorted({j.model.split(".", 1)[0] for j in joins})
    q = json.dumps  # double quotes, as the rest of the file
    dependencies = ", ".join(
        f"({q(a)}, {q(b)})" for a, b in [(package, "0001_initial"), *((a, "__latest__") for a in apps)]
    )
    operations = "".join(
        _template("join_migration_operation.py.tmpl").substitute(
            name=q(j.name),
            column=q(j.column),
            owner=q(j.owner_field),
            related_name=q(j.related_name),
            to=q(j.model.lower()),
            table=q(j.table),
        )
        for j in joins
    )
    return _template("join_migration.py.tmpl").substitute(dependencies=f"[{dependencies}]", operations=operations)


def query_table(joins: tuple[JoinModel, ...]) -> str:
    """``JOINS`` of query.py: moved model label → field → (join rows' query name, id column, staying target)."""
    table: dict[str, dict[str, tuple[str, str, str]]] = {}
    for j in joins:
        table.setdefault(j.model, {})[j.field] = (j.related_name, j.column, j.target)
    return repr(table)
