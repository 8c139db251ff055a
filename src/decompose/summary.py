"""What ``decompose analyze`` tells a person: per-app metrics, strongest couplings, app cycles.

:func:`summarize` is a pure function of the graph (testable, no I/O);
:func:`print_summary` renders it with rich (a terminal), :func:`format_plain` as plain aligned
text (a pipe or a log: nothing cut to the terminal's width, no box drawing).

Metrics and cycles leave out external packages, migrations and test modules
(the per-app module and line counts include them):

``fan-in`` (Ca)   modules outside the app that depend on a module of the app
``fan-out`` (Ce)  modules outside the app that a module of the app depends on
``instability``   Ce / (Ca + Ce): 0 = everything leans on it, 1 = it leans on everything
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from decompose.cycles import _components, _short_cycles  # noqa: F401  # isort: skip (tested through this module)
from decompose.cycles import AppCycles, app_cycles  # isort: skip
from decompose.graph import EDGE_KINDS, OUTSIDE_APPS, DependencyGraph, Evidence

if TYPE_CHECKING:
    from rich.console import Console

    from decompose.builder import PlainGraph


@dataclass(frozen=True, slots=True)
class AppRow:
    label: str
    modules: int
    lines: int
    fan_in: int
    fan_out: int
    instability: float | None


@dataclass(frozen=True, slots=True)
class Coupling:
    kind: str
    source: str
    target: str
    weight: int
    example: str  # "path:line symbol"


@dataclass(frozen=True, slots=True)
class Summary:
    apps: tuple[AppRow, ...]
    couplings: tuple[Coupling, ...]
    cycles: AppCycles  # decompose.cycles: the definition `graph` and the HTML page use too
    skipped: tuple[tuple[str, str], ...]
    warnings: tuple[str, ...]
    modules: int
    lines: int
    externals: int

    @property
    def warning_count(self) -> int:
        return len(self.skipped) + len(self.warnings)


def _ev(e: Evidence) -> str:
    return f"{e} {e.symbol}".strip()


def _parts(
    graph: DependencyGraph | PlainGraph,
) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[str, str, str, list[Evidence]]]]:
    """(nodes with attributes, edges as (source, target, kind, evidence)) of a graph, networkx or plain."""
    if isinstance(graph, DependencyGraph):
        g = graph.graph
        return list(g.nodes(data=True)), [(u, v, d["kind"], d["evidence"]) for u, v, d in graph.edges()]
    return list(graph.iter_nodes()), list(graph.iter_edges())


def summarize(graph: DependencyGraph | PlainGraph, *, top: int = 3, max_cycles: int = 10) -> Summary:
    """Per-app metrics, the ``top`` strongest cross-app couplings of each kind, and the app cycles.

    ``graph``: a :class:`DependencyGraph`, or the builder's plain form of one (same summary).
    """
    nodes, all_edges = _parts(graph)
    bucket: dict[str, str] = {}
    for n, d in nodes:
        if d.get("type") == "module" and not d.get("test") and not d.get("migration"):
            bucket[n] = d.get("app") or OUTSIDE_APPS
    fan_in: dict[str, set[str]] = defaultdict(set)
    fan_out: dict[str, set[str]] = defaultdict(set)
    for u, v, _k, evidence in all_edges:
        if u not in bucket or v not in bucket or bucket[u] == bucket[v]:
            continue
        if all("migration" in e.flags for e in evidence):
            continue
        fan_out[bucket[u]].add(v)
        fan_in[bucket[v]].add(u)
    # the app-level aggregation of app_graph(graph, exclude_flags=("migration",)), in plain dicts:
    # per app (modules, lines); per (app, app, kind) the weight and the first evidence
    sizes: dict[str, list[int]] = {label: [0, 0] for label in graph.app_labels()}
    app_of: dict[str, str] = {}
    for n, d in nodes:
        if d.get("type") != "module":
            continue
        b = d.get("app") or OUTSIDE_APPS
        app_of[n] = b
        row = sizes.setdefault(b, [0, 0])
        row[0] += 1
        row[1] += int(d.get("lines", 0))
    agg: dict[tuple[str, str, str], tuple[int, Evidence]] = {}  # (weight, first evidence)
    cycle_edges: list[tuple[str, str, str, list[Evidence]]] = []
    for u, v, kind, evidence in all_edges:
        bu, bv = app_of.get(u), app_of.get(v)
        if bu is None or bv is None or bu == bv:
            continue
        ev = [e for e in evidence if "migration" not in e.flags]
        if not ev:
            continue
        if u in bucket and v in bucket:
            cycle_edges.append((u, v, kind, ev))
        key = (bu, bv, kind)
        first = min(ev)
        seen = agg.get(key)
        agg[key] = (len(ev), first) if seen is None else (seen[0] + len(ev), min(seen[1], first))
    rows = []
    labels = graph.app_labels() + ([OUTSIDE_APPS] if OUTSIDE_APPS in sizes else [])
    for label in labels:
        modules, lines = sizes.get(label, (0, 0))
        ca, ce = len(fan_in[label]), len(fan_out[label])
        rows.append(AppRow(label, modules, lines, ca, ce, round(ce / (ca + ce), 2) if ca + ce else None))
    couplings = []
    for kind in EDGE_KINDS:
        edges = sorted(
            ((w, u, v, first) for (u, v, k), (w, first) in agg.items() if k == kind),
            key=lambda t: (-t[0], t[1], t[2]),
        )
        for w, u, v, first in edges[:top]:
            couplings.append(Coupling(kind, u, v, w, _ev(first)))
    # app cycles over every kind of coupling, tests and migrations left out: what `graph` draws by default
    cycles = app_cycles(
        ((bucket.get(u), bucket.get(v), kind, len(ev), ev) for u, v, kind, ev in cycle_edges), max_cycles=max_cycles
    )
    module_nodes = [d for _n, d in nodes if d.get("type") == "module"]
    return Summary(
        apps=tuple(rows),
        couplings=tuple(couplings),
        cycles=cycles,
        skipped=tuple((s.path, s.reason) for s in graph.skipped),
        warnings=tuple(graph.meta.get("warnings", ())),
        modules=len(module_nodes),
        lines=sum(int(d.get("lines", 0)) for d in module_nodes),
        externals=sum(1 for _n, d in nodes if d.get("type") == "external"),
    )


#: one table of the summary: (title, column headers, rows, indexes of right-aligned columns)
_Table = tuple[str, tuple[str, ...], list[tuple[str, ...]], frozenset[int]]


def _tables(summary: Summary) -> list[_Table | str]:
    """The summary's tables (and the line that stands for an empty one), for either renderer."""
    out: list[_Table | str] = [
        (
            "Apps",
            ("app", "modules", "lines", "fan-in", "fan-out", "instability"),
            [
                (
                    r.label,
                    str(r.modules),
                    str(r.lines),
                    str(r.fan_in),
                    str(r.fan_out),
                    "-" if r.instability is None else f"{r.instability:.2f}",
                )
                for r in summary.apps
            ],
            frozenset({1, 2, 3, 4, 5}),
        )
    ]
    if summary.couplings:
        out.append(
            (
                "Strongest cross-app couplings by kind",
                ("kind", "from", "to", "weight", "e.g."),
                [(cp.kind, cp.source, cp.target, str(cp.weight), cp.example) for cp in summary.couplings],
                frozenset({3}),
            )
        )
    cyc = summary.cycles
    if cyc.groups:
        cut = set(cyc.cut_pairs)
        apps = sum(len(g) for g in cyc.groups)
        more = "" if cyc.complete else "; more not listed"
        out.append(
            (
                f"App cycles ({len(cyc.groups)} group(s) of {apps} apps, any kind of coupling{more})",
                ("cycle", "hops to cut"),
                [
                    (
                        " -> ".join((*c, c[0])),
                        ", ".join(f"{a} -> {b}" for a, b in zip(c, (*c[1:], c[0]), strict=True) if (a, b) in cut),
                    )
                    for c in cyc.cycles
                ],
                frozenset(),
            )
        )
        out.append(
            (
                "Cut these app dependencies to break every app cycle (minimal weight)",
                ("hop", "kind", "weight", "evidence"),
                [(f"{h.source} -> {h.target}", h.kind, str(h.weight), ", ".join(h.evidence)) for h in cyc.cut],
                frozenset({2}),
            )
        )
    else:
        out.append("No cycles between apps.")
    if summary.skipped:
        out.append((f"Skipped files ({len(summary.skipped)})", ("file", "reason"), list(summary.skipped), frozenset()))
    return out


def print_summary(summary: Summary, console: Console, *, headline: str | None = None) -> None:
    """Render ``summary`` as rich tables on ``console`` (a ``rich.console.Console``).

    The headline is printed without highlighting and without wrapping, so a rendering can be kept
    and its figures replaced (``decompose analyze`` reuses the text when nothing changed).
    """
    from rich.table import Table

    c = console
    if headline:
        c.print(headline, highlight=False, soft_wrap=True)
    for item in _tables(summary):
        if isinstance(item, str):
            c.print(item)
            continue
        title, header, rows, right = item
        t = Table(title=title, title_justify="left")
        for i, col in enumerate(header):
            t.add_column(col, justify="right" if i in right else "left")
        for row in rows:
            t.add_row(*row)
        c.print(t)
    for w in summary.warnings:
        c.print(f"[yellow]warning:[/] {w}", highlight=False)


def format_plain(summary: Summary) -> str:
    """The tables of :func:`print_summary` as plain aligned text, every cell whole.

    For output that is not a terminal (a pipe, a CI log): no colour, no box drawing, nothing
    shortened to a terminal's width, so ``grep`` sees every path and symbol.
    """
    out: list[str] = []
    for item in _tables(summary):
        if isinstance(item, str):
            out.append(item)
            continue
        title, header, rows, right = item
        widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]

        def line(cells: tuple[str, ...], widths: list[int] = widths, right: frozenset[int] = right) -> str:
            pairs = enumerate(zip(cells, widths, strict=True))
            padded = (c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in pairs)
            return "  ".join(padded).rstrip()

        out += [title, line(header), line(tuple("-" * w for w in widths)), *(line(r) for r in rows), ""]
    out.extend(f"warning: {w}" for w in summary.warnings)
    return "\n".join(out).rstrip("\n") + "\n"
