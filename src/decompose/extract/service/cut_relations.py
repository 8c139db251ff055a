"""``<pkg>/cut_relations.py`` of the service: query paths through the moved models' cut foreign keys.

A moved model's foreign key (or one-to-one) to a staying model is an id column in the service (the plan's
``fk_cuts``, direction ``from_moved``). The moved code still queries through it: pretalx's
``schedule.talks.filter(Q(submission__state=...))`` (``release.py``), ``select_related("submission")``.
The generated module (its template says how) makes Django's query building in the service turn such a
lookup into ``submission_id__in=<the ids one query of the monolith answers>`` through the monolith's query
endpoint (the target is served to the service: the cut targets are among ``plan.monolith_models``), drops
``select_related``/``prefetch_related`` through it, and names the call site of what cannot run
(``order_by``, ``values``, ``F()`` through it). The app config's ``ready`` installs it.

A moved model's many-to-many relation to a staying model whose join table the service carries (joins.py) is a
``ManyToManyToMonolith`` field of the module on the service's model (``MANY``): a manager over the join rows whose
members are references of the staying model, lookups by and through it, and a ModelForm field of it.

Example::

    >>> from decompose.extract.plan.values import Evidence, ForeignKeyCut
    >>> cut = ForeignKeyCut("from_moved", "schedule.TalkSlot", "submission", "submission.Submission",
    ...                     "submission_id", True, Evidence("slot.py", 3, ""))
    >>> cut_table((cut,))
    {'schedule.TalkSlot': {'submission': 'submission.Submission'}}
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from string import Template

from decompose.extract.plan.values import ForeignKeyCut
from decompose.extract.service.joins import join_models_of

#: the generated module, in the service's package
MODULE = "cut_relations"


def cut_table(cuts: Iterable[ForeignKeyCut]) -> dict[str, dict[str, str]]:
    """``CUTS`` of the generated module: moved model label → cut foreign key (or one-to-one) → target label, sorted.
    A many-to-many cut is no column (its join table is a model of the service: see joins.py)."""
    table: dict[str, dict[str, str]] = {}
    for c in cuts:
        if c.direction == "from_moved" and c.field_type in ("ForeignKey", "OneToOneField"):
            table.setdefault(c.model, {})[c.field] = c.target
    return {label: dict(sorted(fields.items())) for label, fields in sorted(table.items())}


def many_table(cuts: Iterable[ForeignKeyCut]) -> dict[str, dict[str, tuple[str, str, str]]]:
    """``MANY`` of the generated module: moved model label → many-to-many relation to a staying model whose join
    table is the service's (joins.py) → (its join rows' accessor, the staying side's id column, the target's label).
    """
    table: dict[str, dict[str, tuple[str, str, str]]] = {}
    for j in join_models_of(cuts):
        table.setdefault(j.model, {})[j.field] = (j.related_name, j.column, j.target)
    return {label: dict(sorted(fields.items())) for label, fields in sorted(table.items())}


def module_text(package: str, service: str, cuts: Iterable[ForeignKeyCut]) -> str | None:
    """The text of ``<package>/cut_relations.py``; None when no moved model has a cut foreign key or a cut
    many-to-many relation with a join table."""
    cuts = tuple(cuts)
    table, many = cut_table(cuts), many_table(cuts)
    if not table and not many:
        return None
    template = resources.files("decompose.extract.service").joinpath("templates", "cut_relations.py.tmpl")
    return Template(template.read_text("utf-8")).substitute(
        package=package, service=service, cuts=repr(table), many=repr(many)
    )
