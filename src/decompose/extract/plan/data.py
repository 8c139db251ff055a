"""The data cut: foreign keys across the boundary, raw SQL on moved tables, transactions that would span it."""

from __future__ import annotations

import ast
import re

from decompose.extract.plan import index as F
from decompose.extract.plan.state import PlannerState
from decompose.extract.plan.values import ForeignKeyCut, ManualStep
from decompose.graph import Evidence


class DataPart(PlannerState):
    def raw_sql(self, m: F.Module) -> None:
        """Strings in ``m`` that look like SQL naming a moved table (the text is searched before it is parsed)."""
        pat = self._moved_tables_pattern()
        if pat is None or not pat.search(m.source):
            return
        for n in ast.walk(m.tree):
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and " " in n.value and pat.search(n.value):
                self.manual.append(
                    ManualStep(
                        m.path,
                        n.lineno,
                        "API composition",
                        f"raw SQL names table {pat.search(n.value).group(1)} that moves to {self.service!r}: "  # type: ignore[union-attr]
                        "replace it with calls to the service's API",
                    )
                )

    def join_tables(self) -> dict[str, str]:
        """The join tables Django made for the moved models' many-to-many fields (``<table>_<field>``, or the
        field's ``db_table=``; none for a ``through=`` model, whose own table is a model's) → the moved model's
        table: their rows move with the model's, to a relation between moved models or, as ids, to one that stays."""
        out: dict[str, str] = {}
        for mf in self.p.models.values():
            if mf.module not in self.moved or mf.abstract:
                continue
            for fl in mf.fields:
                if fl.type == "ManyToManyField":
                    table = _join_table(self.p.modules[mf.module], mf.table, fl.name, fl.line)
                    if table:
                        out[table] = mf.table
        return dict(sorted(out.items()))

    def table_order(self, tables: tuple[str, ...]) -> tuple[str, ...]:
        """The moved tables in the order to copy their rows: a table after the tables its foreign keys reference
        (a join table of :meth:`join_tables` among them after its model's)."""
        refs: dict[str, set[str]] = {t: set() for t in tables}
        for join, owner in self.join_tables().items():
            if join in refs and owner in refs:
                refs[join].add(owner)
        for mf in self.p.models.values():
            if mf.module not in self.moved or mf.abstract or mf.table not in refs:
                continue
            for fl in mf.fields:
                target = (
                    self.p.model_by_label(fl.target)
                    if fl.is_relation and fl.target and "ManyToMany" not in fl.type
                    else None
                )
                if target is not None and target.table in refs and target.table != mf.table:
                    refs[mf.table].add(target.table)
        return _copy_order(refs)

    def _moved_tables_pattern(self) -> re.Pattern[str] | None:
        if not hasattr(self, "_tables_rx"):
            tables = {mf.table for mf in self.p.models.values() if mf.module in self.moved and not mf.abstract}
            self._tables_rx = (
                re.compile(r"\b(" + "|".join(re.escape(t) for t in sorted(tables)) + r")\b") if tables else None
            )
        return self._tables_rx

    def dynamic_refs(self, m: F.Module) -> None:
        """References the import graph cannot see: the user model and URL names of the monolith."""
        user_app = self.p.auth_user_model.split(".", 1)[0]
        url_namespaces = set(self.apps)
        for n in ast.walk(m.tree):
            if not isinstance(n, ast.Call):
                continue
            fn = self.p.resolve(m, n.func) or ""
            if fn == "django.contrib.auth.get_user_model" and user_app not in self.apps:
                self.manual.append(
                    ManualStep(
                        m.path,
                        n.lineno,
                        "API composition",
                        f"get_user_model() is {self.p.auth_user_model}, which stays in the monolith: the service "
                        "has no users; send the user's data with the call (or event) or fetch it from the monolith",
                    )
                )
            elif fn in ("django.urls.reverse", "django.shortcuts.redirect", "django.urls.reverse_lazy") and n.args:
                first = n.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str) and ":" in first.value:
                    namespace = first.value.split(":", 1)[0]
                    if namespace not in url_namespaces:
                        self.manual.append(
                            ManualStep(
                                m.path,
                                n.lineno,
                                "API composition",
                                f"reverse({first.value!r}) names a URL of the monolith: the service cannot "
                                "build it; receive the link (or the monolith's base URL) with the call or event",
                            )
                        )

    def atomic_spans(self, m: F.Module, side: str) -> None:
        """``transaction.atomic()`` blocks of ``m`` that use models or functions of the other side (from the
        scan facts: each block's names, resolved; nothing is parsed)."""
        for block in m.facts.atomic_blocks:
            sides: set[str] = {side}
            for chain in block.chains:
                d = chain.lstrip("*")
                if d and self.is_internal(d):
                    c = self.canonical(d)
                    if c and c[0] in ("model", "function"):
                        sides.add("service" if self.is_moved(d) else "monolith")
            if len(sides) > 1:
                self.manual.append(
                    ManualStep(
                        m.path,
                        block.line,
                        "saga",
                        "transaction.atomic() spans the monolith and the service: one database transaction "
                        "cannot hold both; use a saga (compensating calls) or an outbox",
                    )
                )

    def fk_cuts(self) -> tuple[ForeignKeyCut, ...]:
        out: list[ForeignKeyCut] = []
        for q in sorted(self.p.models):
            mf = self.p.models[q]
            if mf.abstract:
                continue
            src_moved = mf.module in self.moved
            m = self.p.modules[mf.module]
            for fl in mf.fields:
                if not fl.is_relation or not fl.target:
                    continue
                tgt = self.p.model_by_label(fl.target)
                tgt_moved = tgt is not None and tgt.module in self.moved
                if src_moved == tgt_moved:
                    continue
                out.append(
                    ForeignKeyCut(
                        direction="from_moved" if src_moved else "to_moved",
                        model=mf.label,
                        field=fl.name,
                        target=fl.target,
                        column=fl.column,
                        nullable=fl.nullable,
                        evidence=Evidence(m.path, fl.line, fl.target),
                        field_type=fl.type,
                        on_delete=fl.on_delete,
                        related_name=fl.related_name,
                        join_table=_join_table(m, mf.table, fl.name, fl.line)
                        if src_moved and fl.type == "ManyToManyField"
                        else "",
                    )
                )
                if fl.type == "ManyToManyField" and not out[-1].join_table:
                    self.manual.append(
                        ManualStep(
                            m.path,
                            fl.line,
                            "API composition",
                            f"{mf.label}.{fl.name} is a many-to-many relation across the boundary: "
                            "its join table must become a table of ids on one side",
                        )
                    )
        return tuple(sorted(out, key=lambda c: (c.direction, c.model, c.field)))


def _join_table(m: F.Module, table: str, field: str, line: int) -> str:
    """The join table Django creates for the many-to-many field ``field`` (assigned at ``line`` of ``m``) of the
    model whose table is ``table``: its ``db_table=`` or ``<table>_<field>``; "" when it names a ``through=`` model."""
    for n in ast.walk(m.tree):
        if not (isinstance(n, (ast.Assign, ast.AnnAssign)) and n.lineno == line and isinstance(n.value, ast.Call)):
            continue
        targets = n.targets if isinstance(n, ast.Assign) else [n.target]
        if not any(isinstance(t, ast.Name) and t.id == field for t in targets):
            continue
        for kw in n.value.keywords:
            if kw.arg == "through":
                return ""
            if kw.arg == "db_table" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                return kw.value.value
    return f"{table}_{field}"


def _copy_order(refs: dict[str, set[str]]) -> tuple[str, ...]:
    """Tables after the tables they reference, the smallest name first among those ready; in a cycle the
    smallest name left goes next. Kahn's algorithm with a heap: O((tables + references) log tables)
    (a scan of every table per step made 5,000 models take minutes).

    >>> _copy_order({"b": {"a"}, "a": set(), "c": {"b", "a"}})
    ('a', 'b', 'c')
    >>> _copy_order({"x": {"y"}, "y": {"x"}})
    ('x', 'y')
    """
    import heapq

    waiting = {t: len(r) for t, r in refs.items()}
    referrers: dict[str, list[str]] = {t: [] for t in refs}
    for t, r in refs.items():
        for target in r:
            referrers[target].append(t)
    ready = [t for t, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    left = sorted(refs)
    next_left = 0
    placed: set[str] = set()
    order: list[str] = []
    while len(order) < len(refs):
        while ready and ready[0] in placed:
            heapq.heappop(ready)
        if ready:
            table = heapq.heappop(ready)
        else:  # a cycle: the smallest name not placed yet
            while left[next_left] in placed:
                next_left += 1
            table = left[next_left]
        placed.add(table)
        order.append(table)
        for t in referrers[table]:
            waiting[t] -= 1
            if waiting[t] == 0 and t not in placed:
                heapq.heappush(ready, t)
    return tuple(order)
