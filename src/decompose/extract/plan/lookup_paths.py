"""The staying models a served staying model's lookups go through (issue 14, the monolith's query endpoint).

The service reads the staying models of ``plan.monolith_models`` through the monolith's query endpoint, which
accepts a field path only through the models it serves (an ordering through a model it does not serve could leak
that model's data). The code the service runs also queries them along relations: pretalx's copied
``Submission.sorted_speakers`` orders ``self.speakers`` (``person.SpeakerProfile``) by
``speaker_roles__position``, the reverse relation of ``submission.SpeakerRole``, the many-to-many's ``through``
model, which nobody queries directly. This part reads every lookup path the service's code names (the string
arguments of ``filter``/``exclude``/``get``/``order_by``/``values``/``Q``/``F``... and their keyword names), follows
each from every served staying model through its forward relations and the reverse relations of other staying
models' (``related_name``, else the model's name), and serves the staying models along the way read-only. The
plan decides what is served; the query endpoint opens nothing by itself.

Nothing of the project is imported or executed: the code is read from its syntax trees.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping

from decompose.extract.plan import index as F

#: queryset methods and expressions whose string arguments (and keyword names) are field paths
_PATH_CALLS = frozenset(
    {
        "filter",
        "exclude",
        "get",
        "order_by",
        "values",
        "values_list",
        "select_related",
        "prefetch_related",
        "only",
        "defer",
        "distinct",
        "get_or_create",
        "update_or_create",
        "latest",
        "earliest",
        "Q",
        "F",
        "Prefetch",
        "OuterRef",
        "Count",
        "Sum",
        "Min",
        "Max",
        "Avg",
    }
)
#: keyword arguments of those calls that are no field path
_NOT_PATHS = frozenset({"flat", "named", "defaults", "create_defaults", "to_attr", "queryset", "distinct", "filter"})


def lookup_paths(trees: Iterable[ast.AST]) -> set[tuple[str, ...]]:
    """The field paths the code names in queries, split at ``__`` (``order_by("-speaker_roles__position")``:
    ``("speaker_roles", "position")``); only paths of at least two parts (one part goes through no relation)."""
    out: set[tuple[str, ...]] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name not in _PATH_CALLS:
                continue
            texts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            texts += [k.arg for k in node.keywords if k.arg and k.arg not in _NOT_PATHS]
            for text in texts:
                parts = tuple(text.lstrip("-?").split("__"))
                if len(parts) > 1 and all(p.isidentifier() for p in parts):
                    out.add(parts)
    return out


def _query_name(owner: F.ModelFacts, f: F.ModelField) -> str | None:
    """The name a lookup on ``f``'s target uses for the relation back to ``owner`` (Django's related query name:
    the ``related_name``, else the model's name in lower case); None when hidden (``+``)."""
    app_label, _, name = owner.label.partition(".")
    if not f.related_name:
        return name.lower()
    text = f.related_name
    for key, value in (("class", name.lower()), ("model_name", name.lower()), ("app_label", app_label)):
        text = text.replace(f"%({key})s", value)
    return None if text.endswith("+") else text


def relations(models: Iterable[F.ModelFacts]) -> dict[str, dict[str, str]]:
    """Model label → the relation names a lookup on it follows (its forward relations, other models' reverse ones)
    → the label of the model the name leads to."""
    out: dict[str, dict[str, str]] = {}
    concrete = [mf for mf in models if not mf.abstract]
    for mf in sorted(concrete, key=lambda mf: mf.label):
        for f in mf.fields:
            if f.is_relation and f.target:
                out.setdefault(mf.label, {}).setdefault(f.name, f.target)
                back = _query_name(mf, f)
                if back:
                    out.setdefault(f.target, {}).setdefault(back, mf.label)
    return out


def path_models(
    served: Iterable[str],
    paths: Iterable[tuple[str, ...]],
    graph: Mapping[str, Mapping[str, str]],
    staying: frozenset[str] | set[str],
) -> tuple[str, ...]:
    """The staying models (labels in ``staying``) that ``paths``, followed from each model of ``served``, go
    through and that are not served yet; sorted. A path stops at its first name that is no relation, or at a
    model that is not staying."""
    start = sorted(set(served))
    out: set[str] = set()
    for path in sorted(set(paths)):
        for label in start:
            current = label
            for name in path:
                target = graph.get(current, {}).get(name)
                if target is None or target not in staying:
                    break
                out.add(target)
                current = target
    return tuple(sorted(out - set(start)))
