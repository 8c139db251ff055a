"""``extracted/<name>/MIGRATION.md``: what moved, the API, the data plan, the TODOs, and
the coupling between the monolith and the moved apps before and after the rewiring,
as measured by the analyser.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from decompose.extract.api_spec import endpoints
from decompose.extract.client import client_module, services_package
from decompose.extract.plan import CodeIndex, ExtractionPlan
from decompose.extract.rewire import Rewiring
from decompose.graph import DependencyGraph


@dataclass(frozen=True, slots=True)
class Coupling:
    """Dependencies of staying code on moved code, from the module graph.

    ``edges``: module pairs (staying → moved); ``weight``: evidence occurrences;
    ``by_kind``: weight per edge kind; ``modules``: staying modules that depend on
    moved code; ``via_client``: of those, the generated client modules (the seam).
    """

    edges: int
    weight: int
    by_kind: dict[str, int]
    modules: int
    via_client: int
    sources: tuple[str, ...] = ()


def coupling(graph: DependencyGraph, plan: ExtractionPlan) -> Coupling:
    moved_apps = set(plan.apps)
    seam = services_package(plan)
    g = graph.graph
    edges: set[tuple[str, str]] = set()
    weight = 0
    kinds: Counter[str] = Counter()
    sources: set[str] = set()
    for u, v, d in graph.edges():
        if g.nodes[u].get("type") != "module" or g.nodes[v].get("type") != "module":
            continue
        if g.nodes[u].get("app") in moved_apps or g.nodes[v].get("app") not in moved_apps:
            continue
        edges.add((u, v))
        weight += int(d.get("weight", 1))
        kinds[d["kind"]] += int(d.get("weight", 1))
        sources.add(u)
    via = sum(1 for s in sources if s == seam or s.startswith(seam + "."))
    return Coupling(len(edges), weight, dict(sorted(kinds.items())), len(sources), via, tuple(sorted(sources)))


def coupling_after(index: CodeIndex, rewiring: Rewiring, plan: ExtractionPlan) -> Coupling:
    """Coupling of the rewired monolith: the changed files analysed as an overlay on the analysis's facts
    (nothing copied, nothing written)."""
    from decompose.analysis import overlay_graph

    facts = {name: m.facts for name, m in index.modules.items()}
    return coupling(overlay_graph(index.project, facts, rewiring.changes), plan)


def _fig(c: Coupling | None) -> list[str]:
    if c is None:
        return ["n/a"] * 4
    kinds = ", ".join(f"{k} {n}" for k, n in c.by_kind.items()) or "none"
    return [str(c.edges), str(c.weight), f"{c.modules} (client modules: {c.via_client})", kinds]


def _table_order(plan: ExtractionPlan, root: Path | None = None) -> list[str]:
    """Moved tables, referenced ones first (the order to copy them in), read from the moved models' source."""
    import ast

    tables = sorted(plan.tables.get("service", ()))
    refs: dict[str, set[str]] = {t: set() for t in tables}
    by_class: dict[str, str] = {}
    fks: list[tuple[str, str]] = []
    for app in plan.apps if root is not None else ():
        path = Path(root) / plan.app_paths.get(app, app) / "models.py"  # type: ignore[arg-type]
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError):
            continue
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            table = f"{app}_{cls.name.lower()}"
            for node in ast.walk(cls):
                if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "db_table" for t in node.targets):
                    if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                        table = node.value.value
            by_class[cls.name] = table
            for node in ast.walk(cls):
                if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                    "ForeignKey", "OneToOneField") and node.args:
                    target = node.args[0]
                    name = target.value if isinstance(target, ast.Constant) else getattr(target, "id", None)
                    if isinstance(name, str):
                        fks.append((table, name.rsplit(".", 1)[-1]))
    for table, target in fks:
        if table in refs and by_class.get(target) in refs and by_class[target] != table:
            refs[table].add(by_class[target])
    order: list[str] = []
    while len(order) < len(tables):
        ready = [t for t in tables if t not in order and refs[t] <= set(order)]
        order.append(ready[0] if ready else next(t for t in tables if t not in order))
    return order


def migration_markdown(plan: ExtractionPlan, rewiring: Rewiring, before: Coupling | None, after: Coupling | None) -> str:
    client = client_module(plan)
    env = f"DECOMPOSE_{plan.service.upper()}"
    out: list[str] = [
        f"# Migration of the monolith to the `{plan.service}` service",
        "",
        f"Generated by `decompose extract`. The monolith now calls the moved code through `{client}`",
        f"(same names and signatures). `{env}_MODE=local` (the default) keeps the apps installed and",
        f"calls them in-process; `{env}_MODE=remote` removes them from INSTALLED_APPS and the URLconf",
        f"and calls the service at `{env}_URL` with `{env}_TOKEN`. Rolling back is setting the mode",
        "back to `local`.",
        "",
        "The moved apps' own views (their URLconf) are not proxied by the monolith in `remote` mode:",
        "they authenticate the monolith's session user, which the service does not have, so a blind",
        "forward would either fail or trust an unauthenticated caller. Clients of those URLs move to",
        "the service behind a gateway that propagates the user's identity, or use the monolith's own",
        "pages and views, which call the service through the client module (what the sample",
        "monolith's tests do).",
        "",
        "## What moved",
        "",
        f"Apps: {', '.join(f'`{a}`' for a in plan.apps)} ({len(plan.moved_modules)} modules).",
        "",
        "Call sites re-pointed to the client module:",
        "",
    ]
    out += [f"- `{r}`" for r in rewiring.rewritten_imports] or ["- (none)"]
    out += ["", "## The API the monolith uses", "", "| method | path | kind | target |", "|---|---|---|---|"]
    out += [f"| `{e.method}` | `{e.path}` | {e.kind} | `{e.target}` |" for e in endpoints(plan)]
    out += [
        "",
        "Remote calls: connect/read timeouts, retries with exponential backoff and jitter on",
        "read-only calls only, a circuit breaker per service; any failure raises",
        f"`{services_package(plan)}.runtime.ServiceUnavailable`. The monolith serves the service",
        "`POST /api/v1/events/<signal>` (bridged signals) and `POST /api/v1/callbacks/<function>`.",
        "",
        "## Data plan",
        "",
        "No table and no column is dropped by the monolith. In remote mode the moved apps are",
        "not installed, so their tables stay in the monolith's database, untouched, until their",
        "data is copied; then, by hand and only then, drop them. Tables to copy to the service,",
        "referenced tables first:",
        "",
    ]
    out += [f"{i}. `{t}`" for i, t in enumerate(_table_order(plan, rewiring.root), 1)] or ["(none)"]
    out += ["", "Column changes in the monolith (migration with `SeparateDatabaseAndState`, same column):", ""]
    out += [f"- {c}" for c in rewiring.column_changes] or ["- (none)"]
    cuts = [c for c in plan.fk_cuts if c.direction == "from_moved"]
    if cuts:
        out += ["", "Foreign keys of moved models to the monolith (plain ids in the service):", ""]
        out += [f"- `{c.model}.{c.field}` → `{c.target}` (column `{c.column}`)" for c in cuts]
    out += ["", "## TODOs left (a `# TODO(decompose)` comment marks each spot)", ""]
    out += [f"- `{t.path}:{t.line}` — **{t.pattern}**: {t.message}" for t in rewiring.todos] or ["- (none)"]
    if rewiring.staying_tests:
        out += ["", "Tests of the moved apps that need the monolith (they stay, and need `local` mode):", ""]
        out += [f"- `{k}` — {v}" for k, v in sorted(rewiring.staying_tests.items())]
    if rewiring.notes:
        out += ["", "Notes:", ""] + [f"- {n}" for n in rewiring.notes]
    out += [
        "",
        "## Coupling of the monolith to the moved apps (analyser)",
        "",
        "| | before | after |",
        "|---|---|---|",
    ]
    b, a = _fig(before), _fig(after)
    for label, x, y in zip(("module edges", "evidence (weight)", "staying modules depending on moved code", "by kind"), b, a):
        out.append(f"| {label} | {x} | {y} |")
    if after is not None:
        out += ["", "Staying modules still depending on moved code after the rewiring (the client module's",
                "`local` branch is the seam; the others are settings/URL switches or TODOs above):", ""]
        out += [f"- `{s}`" for s in after.sources] or ["- (none)"]
    out.append("")
    return "\n".join(out)


def rewire_with_report(plan: ExtractionPlan, index: CodeIndex) -> tuple[Rewiring, str]:
    """The rewiring of the monolith (from its stored plan if it was rewired before) and MIGRATION.md."""
    from decompose.extract.rewire import load_stored_plan, rewire

    root = index.root
    used = load_stored_plan(root, plan)
    rewiring = rewire(used, root)
    before = coupling(index.graph, used) if index.graph.modules() else None
    after = coupling_after(index, rewiring, used) if before is not None else None
    return rewiring, migration_markdown(used, rewiring, before, after)


def plan_markdown(plan: ExtractionPlan) -> str:
    """The plan for people: ``EXTRACTION.md``, and what ``--plan`` prints."""
    out: list[str] = [f"# Extraction plan: service `{plan.service}`", ""]
    out.append(f"Apps: {', '.join(f'`{a}`' for a in plan.apps)} → project package `{plan.package}`.")
    out += ["", "## What moves", ""]
    out.append(f"{len(plan.moved_modules)} modules, {len(plan.moved_files)} files (code, tests, migrations, templates, static):")
    out.append("")
    for f in plan.moved_files:
        out.append(f"- `{f}`")
    out += ["", "## The interface: what staying code uses", ""]
    if not plan.interface_functions and not plan.interface_models:
        out.append("Nothing: no staying code uses the moved code directly (signals aside).")
    for f in plan.interface_functions:
        sig = ", ".join(
            p.name + (f": {p.annotation}" if p.annotation else "") + (f" = {p.default}" if p.default else "")
            for p in f.params
        )
        out.append(f"### function `{f.qualname}({sig})" + (f" -> {f.returns}`" if f.returns else "`"))
        out.append("")
        notes = ["read-only (safe to retry)" if f.idempotent else "writes (not retried)"]
        if f.returns_model:
            notes.append(f"returns a `{f.returns_model}` (sent as a DTO)")
        models_in = [
            f"`{p.name}` is a `{p.model}` (sent as "
            + (f"a DTO with id, {', '.join(p.fields)})" if p.fields else "its id)")
            for p in f.params if p.model
        ]
        notes += models_in
        if f.raises:
            notes.append("raises " + ", ".join(f"`{r}`" for r in f.raises) + " (→ 422)")
        out.append("- " + "; ".join(notes))
        for ev in f.call_sites:
            out.append(f"- called at `{ev.path}:{ev.line}`")
        out.append("")
    for m in plan.interface_models:
        out.append(f"### model `{m.label}` (table `{m.table}`)")
        out.append("")
        out.append(f"- fields read: {', '.join(f'`{x}`' for x in m.fields_read) or '(none seen)'}")
        out.append(f"- lookups: {', '.join(f'`{x}`' for x in m.lookups) or '(none)'}")
        for ev in m.call_sites:
            out.append(f"- used at `{ev.path}:{ev.line}`")
        out.append("")
    out += ["## The API", "", "| method | path | kind | target |", "|---|---|---|---|"]
    for e in endpoints(plan):
        out.append(f"| `{e.method}` | `{e.path}` | {e.kind} | `{e.target}` |")
    out += ["", "## What the moving code needs from the code that stays", ""]
    if not plan.dependencies:
        out.append("Nothing.")
    for d in plan.dependencies:
        what = f"{d.module}.{d.symbol}" if d.symbol else d.module
        where = ", ".join(f"`{e.path}:{e.line}`" for e in d.evidence[:5])
        out.append(f"- `{what}` — **{d.classification}**: {d.reason} ({where})")
    if plan.kernel_apps:
        out += ["", "Kernel apps vendored whole (and installed) in the service: "
                + ", ".join(f"`{a}`" for a in plan.kernel_apps) + "."]
    if plan.shared_kernel:
        out += ["", "Shared-kernel modules copied into the service: " + ", ".join(f"`{m}`" for m in plan.shared_kernel) + "."]
    out += ["", "## Tests", ""]
    if plan.staying_tests:
        out.append("Tests of the moved apps that need the monolith stay with it (they are not copied):")
        out.append("")
        for key in sorted(plan.staying_tests):
            out.append(f"- `{key}` — {plan.staying_tests[key]}")
    else:
        out.append("Every test of the moved apps moves with them.")
    moved_tests = [f for f in plan.moved_files if "/tests/" in f"/{f}" and f.endswith(".py") and not f.endswith("__init__.py")]
    out += ["", f"Test modules that move: {', '.join(f'`{t}`' for t in moved_tests) or '(none)'}."]
    out += ["", "## Data", "", "### Foreign keys across the boundary", ""]
    if not plan.fk_cuts:
        out.append("None.")
    for c in plan.fk_cuts:
        arrow = "staying → moved" if c.direction == "to_moved" else "moved → staying"
        out.append(
            f"- `{c.model}.{c.field}` → `{c.target}` ({arrow}, {c.field_type}, column `{c.column}`"
            f"{', nullable' if c.nullable else ''}) at `{c.evidence.path}:{c.evidence.line}`: becomes a plain id"
        )
    out += ["", "### Tables each side touches", ""]
    for side in sorted(plan.tables):
        out.append(f"- {side}: {', '.join(f'`{t}`' for t in plan.tables[side]) or '(none)'}")
    out += ["", "### Signals whose sender and receivers are split", ""]
    if not plan.signal_bridges:
        out.append("None.")
    for b in plan.signal_bridges:
        out.append(
            f"- `{b.signal}` sent by the {b.sender_side}, received by {', '.join(f'`{r}`' for r in b.receivers)}"
            f" (arguments: {', '.join(b.arguments) or '-'}): bridged as an event"
        )
    out += ["", "## What cannot be automated", ""]
    if not plan.manual_steps:
        out.append("Nothing found.")
    for s in plan.manual_steps:
        out.append(f"- `{s.path}:{s.line}` — **{s.pattern}**: {s.message}")
    return "\n".join(out) + "\n"
