"""The staying models the code the service copies from the monolith writes (issue 14, the monolith's command endpoint).

In remote mode the service runs, besides the moved code, staying code copied into it: modules vendored whole
(pretalx's ``pretalx.common.models.mixins``, whose ``LogMixin`` the moved ``QueuedMail`` inherits), slices of
staying modules, and the staying models' members copied into their reference classes. Such code writes staying
models too: ``LogMixin.log_action`` runs ``ActivityLog.objects.create(...)``, and ``mail.log_action(...)`` in the
moved ``send_draft`` is that copy. ``ActivityLog`` is a reference class there, its ``objects`` the remote ORM over
the monolith's endpoints; a model the plan serves read-only has no command, and the write failed (pretalx mail:
14 x ``common.ActivityLog is not a model this monolith serves``).

The rule: a row of a model that stays is the monolith's, and the monolith writes it, once. The copied code's write is
therefore planned as one of the monolith's commands, exactly as a write of the moved code is (one ``POST
/api/v1/command/<app_label>/<Model>`` with an ``Idempotency-Key``, run in one transaction on the monolith, the
same key never run twice): the model is served for writes, and the plan lists the copied write sites as the reason
(``InterfaceModel.copied_writes``). Calling the copied member back instead is no general answer: the copy runs on
the service's own objects (``log_action``'s ``self`` is the service's ``QueuedMail``, which the monolith does not
have), and it is copied because the monolith has no function to call for it.

Nothing of the project is imported or executed: the copied code is read from its modules' syntax trees.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from decompose.extract.plan import index as F
from decompose.extract.plan.state import PlannerState
from decompose.extract.plan.values import ReferenceClasses, ServiceRewrites
from decompose.graph import Evidence


def _spans(m: F.Module, names: Iterable[str]) -> list[tuple[int, int]]:
    """The line spans of the top-level definitions ``names`` of ``m`` (a slice's copied definitions)."""
    wanted = set(names)
    out = []
    for node in m.tree.body:
        targets: list[str] = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            targets = [node.name]
        elif isinstance(node, ast.Assign):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            targets = [node.target.id]
        if wanted & set(targets):
            start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
            out.append((start, node.end_lineno or node.lineno))
    return out


def _member_span(m: F.Module, line: int) -> tuple[int, int] | None:
    """The span of the statement of ``m`` that starts at ``line`` (a copied member or helper: its ``def``, a
    decorator of it, or an assignment), searched through classes."""
    for node in ast.walk(m.tree):
        if not isinstance(node, ast.stmt):
            continue
        starts = {node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))}
        if line in starts:
            return min(starts), node.end_lineno or node.lineno
    return None


def copied_writes(
    state: PlannerState, rewrites: ServiceRewrites, reference_classes: ReferenceClasses
) -> dict[str, tuple[Evidence, ...]]:
    """Staying model label → the sites where the staying code the service copies (vendored modules, slices, the
    members and helpers copied into reference classes) writes it (``create``, ``save``, ``update``, ``delete``,
    ``bulk_create``, ``get_or_create``...); sorted. Abstract and moved models are none of it."""
    by_path = {m.path: m for m in state.p.modules.values()}
    spans: dict[str, list[tuple[int, int]] | None] = {}  # module → copied spans (None: the whole module)
    for name in rewrites.vendored:
        spans[name] = None
    for name, defs in rewrites.slices.items():
        m = state.p.modules.get(name)
        if m is not None and spans.get(name, []) is not None:
            spans.setdefault(name, []).extend(_spans(m, defs))  # type: ignore[union-attr]
    classes = reference_classes.classes
    for code in (*classes.helpers, *(c for b in classes.models for c in (*b.members, *b.queryset))):
        m = by_path.get(code.path)
        if m is None or m.name in state.moved:
            continue
        span = _member_span(m, code.line)
        if span is not None and spans.get(m.name, []) is not None:
            spans.setdefault(m.name, []).append(span)  # type: ignore[union-attr]
    out: dict[str, set[Evidence]] = {}
    for name in sorted(spans):
        m = state.p.modules.get(name)
        if m is None or m.test or m.migration or name in state.moved:
            continue
        try:
            tree = m.tree
        except F.ModuleUnreadable:
            continue
        parents = F.parent_map(tree)
        within = spans[name]
        for dotted, node, line in state.scan_uses(m, "staying"):
            if within is not None and not any(a <= line <= b for a, b in within):
                continue
            c = state.canonical(dotted)
            if c is None or c[0] != "model":
                continue
            mf = state.p.models[c[1]]
            if mf.abstract or mf.module in state.moved:
                continue
            _lk, _fl, writes, _top = state.model_usage(m, node, parents)  # type: ignore[attr-defined]
            # the name may hold the method already (``Log.objects.create``), as the planner reads the moved code
            writes = writes or any(part in F.WRITE_METHODS for part in c[2].split("."))
            if writes:
                out.setdefault(mf.label, set()).add(Evidence(m.path, line, mf.qualname))
    return {label: tuple(sorted(sites)) for label, sites in sorted(out.items())}
