"""The code of a moved app's data migrations (``RunPython`` functions) follows the relations cut to ids.

In the service a foreign key to a model that stays in the monolith is an id column (``submission`` →
``submission_id``), in the models and in every migration's state. A data migration's ORM calls still
name the relation: ``TalkSlot.objects.filter(submission__isnull=True)`` fails with ``FieldError:
Cannot resolve keyword 'submission'`` when ``migrate`` runs. :class:`CutLookups` rewrites, inside one
function, the lookups of the models it reads with ``apps.get_model(...)`` that have cut relations:

- ``submission=…``, ``submission__in=…``, ``submission__isnull=…`` (the relation itself, or a lookup
  on it) → ``submission_id=…``, ``submission_id__in=…``, ``submission_id__isnull=…``;
- ``submission__id…`` / ``submission__pk…`` → ``submission_id…``;
- the same in the field names given as strings to ``values``, ``values_list``, ``order_by``, ``only``,
  ``defer``, ``distinct`` (``"-submission"`` → ``"-submission_id"``).

A lookup that follows the relation into the staying model (``submission__state="x"``) joins a table
the service does not have: it is kept as it is and listed in :attr:`CutLookups.joins`, for the caller
to turn the migration into a no-op with a TODO (as one reading a staying app's models).

>>> import libcst as cst
>>> fn = cst.parse_module(
...     "def f(apps, schema_editor):\\n"
...     "    TalkSlot = apps.get_model('schedule', 'TalkSlot')\\n"
...     "    TalkSlot.objects.filter(submission__isnull=True).order_by('-submission').update(slot_type='break')\\n"
... )
>>> lookups = CutLookups({"talkslot": frozenset({"submission"})})
>>> print(fn.visit(lookups).code.splitlines()[2].strip())
TalkSlot.objects.filter(submission_id__isnull=True).order_by('-submission_id').update(slot_type='break')
>>> lookups.joins
[]
"""

from __future__ import annotations

from collections.abc import Mapping

import libcst as cst

#: Django's lookups on a relation or a field (not a field name of the related model)
LOOKUPS = frozenset(
    {
        "exact", "iexact", "in", "gt", "gte", "lt", "lte", "isnull", "range", "contains", "icontains",
        "startswith", "istartswith", "endswith", "iendswith", "regex", "iregex",
    }
)  # fmt: skip
#: queryset methods whose string arguments are field paths
_FIELD_METHODS = frozenset({"values", "values_list", "order_by", "only", "defer", "distinct"})


class _ModelsRead(cst.CSTVisitor):
    """The model names (lower case) a function reads through ``apps.get_model("app", "Model")`` or
    ``apps.get_model("app.Model")``, with their app labels."""

    def __init__(self) -> None:
        self.models: list[tuple[str, str]] = []

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "get_model" and node.args):
            return
        values = [a.value.evaluated_value if isinstance(a.value, cst.SimpleString) else None for a in node.args[:2]]
        if len(values) == 2 and isinstance(values[0], str) and isinstance(values[1], str):
            self.models.append((values[0], values[1].lower()))
        elif isinstance(values[0], str) and "." in values[0]:
            app, model = values[0].split(".", 1)
            self.models.append((app, model.lower()))


def models_read(fn: cst.FunctionDef) -> list[tuple[str, str]]:
    """``(app label, model name in lower case)`` of every ``apps.get_model(...)`` in ``fn``, in order."""
    found = _ModelsRead()
    fn.visit(found)
    return found.models


class CutLookups(cst.CSTTransformer):
    """Rename the lookups over ``cut`` relations (model name in lower case → its cut field names) in the
    calls of one function; see the module docstring. ``joins`` lists the lookups it could not rename."""

    def __init__(self, cut: Mapping[str, frozenset[str]]) -> None:
        self.fields = frozenset().union(*cut.values()) if cut else frozenset()
        self.joins: list[str] = []

    def _renamed(self, path: str) -> str | None:
        """The path over the id column (None: not over a cut relation, or a join recorded in ``joins``)."""
        sign, bare = ("-", path[1:]) if path.startswith("-") else ("", path)
        head, *rest = bare.split("__")
        if head not in self.fields:
            return None
        if rest and rest[0] in ("id", "pk"):
            rest = rest[1:]
        if rest and rest[0] not in LOOKUPS:
            self.joins.append(bare)
            return None
        return sign + "__".join([f"{head}_id", *rest])

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        if updated_node.keyword is None:
            return updated_node
        new = self._renamed(updated_node.keyword.value)
        return updated_node if new is None else updated_node.with_changes(keyword=cst.Name(new))

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        func = updated_node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in _FIELD_METHODS):
            return updated_node
        args = []
        for a in updated_node.args:
            value = a.value
            if a.keyword is None and isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
                new = self._renamed(value.evaluated_value)
                if new is not None:
                    a = a.with_changes(value=cst.SimpleString(f"{value.prefix}{value.quote}{new}{value.quote}"))
            args.append(a)
        return updated_node.with_changes(args=args)
