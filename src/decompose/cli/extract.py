"""`decompose extract`: plan an extraction and build the standalone service."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from decompose.errors import InputError


def load_project(path: str) -> tuple[object, Path]:
    """(graph, project root) for a project folder or a graph JSON file."""
    from decompose.graph import AppInfo, DependencyGraph

    p = Path(path)
    try:
        from decompose.analysis import load_graph_or_analyze  # type: ignore[import-not-found]
    except ImportError:
        load_graph_or_analyze = None
    if load_graph_or_analyze is not None:
        # no analysis cache: extraction (even --plan / --dry-run) writes nothing into the project
        graph = load_graph_or_analyze(path, use_cache=False) if p.is_dir() else load_graph_or_analyze(path)
        if p.is_dir():
            return graph, p
        root = Path(graph.root)
        for cand in (root, Path.cwd() / root, p.parent / root):
            if cand.is_dir():
                return graph, cand
        raise InputError(
            f"{path}: the project folder {graph.root!r} named in the graph file does not exist here",
            hint="run from the folder `decompose analyze` ran in, or pass the project folder instead",
        )
    if not p.is_dir():
        raise InputError(f"{path}: not a project folder")
    from decompose.extract.facts import discover

    settings_module, apps = discover(p)
    graph = DependencyGraph.empty(
        root=p.as_posix(), apps=tuple(AppInfo(lbl, name, folder) for lbl, name, folder in apps), settings_module=settings_module
    )
    return graph, p


def _read_proposal(path: str) -> object:
    """A proposal as ``{"services": {name: [members]}}``: `decompose propose` JSON, an architect's
    decomposition TOML (both through decompose.cluster.proposal), or a bare ``{"services": ...}`` JSON."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the proposal ({exc})") from None
    if p.suffix.lower() == ".toml" or '"schema"' in text[:200]:
        from decompose.cluster.proposal import load_proposal

        loaded = load_proposal(p)
        return {"services": {name: list(members) for name, members in loaded.services.items()}}
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not a JSON proposal ({exc})") from None


@click.command("extract")
@click.argument("path", default=".", type=click.Path())
@click.option("--service", required=True, help="Name of the new service (lowercase letters, digits, '-', '_').")
@click.option("--apps", "apps", default=None, help="Comma-separated app labels that move into the service.")
@click.option("--proposal", type=click.Path(), default=None, help="A `decompose propose` JSON file or an architect TOML; takes the apps of --service.")
@click.option("--plan", "plan_only", is_flag=True, help="Print the plan and write nothing.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Plan output format for --plan.")
@click.option("--out", default="extracted", show_default=True, type=click.Path(), help="Folder that receives services.")
@click.option("--dry-run", is_flag=True, help="List every file it would write, with diffs; write nothing.")
@click.option("--force", is_flag=True, help="Replace an existing service folder; with --apply, rewire a dirty git tree.")
@click.option("--apply", "apply_", is_flag=True, help="Rewire the monolith in place (atomic). Without it, print its diff.")
@click.option("--no-rewire", is_flag=True, help="Build the service only; leave the monolith alone.")
def command(
    path: str, service: str, apps: str | None, proposal: str | None, plan_only: bool, fmt: str, out: str,
    dry_run: bool, force: bool, apply_: bool = False, no_rewire: bool = False,
) -> None:
    """Extract Django apps of the project at PATH into a standalone service with a REST API."""
    from rich.console import Console

    from decompose.extract.changeset import Changeset, write_tree
    from decompose.extract.plan import apps_from_proposal, build_plan, plan_markdown
    from decompose.extract.service.generator import service_files

    err = Console(stderr=True)
    if (apps is None) == (proposal is None):
        raise InputError("give exactly one of --apps a,b or --proposal FILE")
    graph, root = load_project(path)
    if proposal is not None:
        selected = list(apps_from_proposal(_read_proposal(proposal), service, graph))  # type: ignore[arg-type]
    else:
        selected = [a for a in (apps or "").split(",")]
    plan = build_plan(graph, root, service, selected)  # type: ignore[arg-type]
    if plan_only:
        sys.stdout.write(plan.to_json() if fmt == "json" else plan_markdown(plan))
        return
    app_paths = {a.label: a.path.rstrip("/") for a in graph.apps}  # type: ignore[attr-defined]
    files = service_files(plan, root, app_paths)
    rewiring = None
    if not no_rewire:
        from decompose.extract.report import rewire_with_report

        rewiring, files["MIGRATION.md"] = rewire_with_report(plan, root, graph)  # type: ignore[arg-type]
    target = Path(out) / service
    changes = Changeset(target, files)
    if dry_run:
        for rel in changes.paths():
            click.echo(f"would write {target / rel}")
        sys.stdout.write(changes.diff())
        if rewiring is not None:
            sys.stdout.write(rewiring.diff())
        return
    if rewiring is not None and apply_ and not force:
        from decompose.extract.rewire import ensure_clean

        ensure_clean(root)  # before anything is written
    write_tree(target, files, force=force)
    if rewiring is not None:
        from decompose.extract.rewire import apply_changes, write_text_atomic

        monolith_diff = rewiring.diff()
        write_text_atomic(Path(out) / f"{service}.monolith.diff", monolith_diff)
        if apply_:
            written = apply_changes(root, rewiring.changes, force=force)
            err.print(f"[green]rewired[/] the monolith: {len(written)} files changed, {len(rewiring.todos)} TODOs (see MIGRATION.md)")
        else:
            sys.stdout.write(monolith_diff)
            err.print(f"monolith diff printed ({len(rewiring.effective())} files); nothing written to the monolith: use --apply")
    err.print(
        f"[green]extracted[/] service [bold]{service}[/] ({', '.join(plan.apps)}) into {target}: "
        f"{len(files)} files, {len(plan.interface_functions)} functions, {len(plan.interface_models)} models, "
        f"{len(plan.signal_bridges)} signal bridges, {len(plan.manual_steps)} manual steps (see EXTRACTION.md)"
    )
