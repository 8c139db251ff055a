"""`decompose extract`: plan an extraction and build the standalone service."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from decompose.errors import InputError


def project_root(path: str) -> Path:
    """The project folder: PATH itself, or the folder a ``graph.json`` written by ``analyze`` names."""
    p = Path(path)
    if p.is_dir():
        return p
    if not p.exists():
        raise InputError(f"{path}: no such project folder or graph file")
    from decompose.graph import load

    root = Path(load(p).root)
    for cand in (root, Path.cwd() / root, p.parent / root):
        if cand.is_dir():
            return cand
    raise InputError(
        f"{path}: the project folder {str(root)!r} named in the graph file does not exist here",
        hint="run from the folder `decompose analyze` ran in, or pass the project folder instead",
    )


def check_out(out: str) -> None:
    """``--out`` must be a folder, or not exist yet under a folder files can be created in (checked before any work)."""
    from decompose.cli.paths import check_output_folder

    check_output_folder(out, "--out")


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
    from decompose.graph import loads_json

    return loads_json(text, str(path))


def _recover_interrupted(bases: list[Path], read_only: bool) -> None:
    """Finish or undo an apply interrupted in ``bases``: one line on stderr each (a warning when read-only)."""
    from decompose.extract.changeset import pending, recover

    for base in bases:
        if not pending(base):
            continue
        if read_only:
            click.echo(
                f"decompose: warning: {base}: an interrupted apply is pending and was not recovered "
                "(--plan/--dry-run write nothing); run without them to recover it",
                err=True,
            )
            continue
        done = recover(base)
        if done is not None:
            click.echo(f"decompose: {done.message()}", err=True)


@click.command("extract")
@click.argument("path", default=".", type=click.Path())
@click.option("--service", required=True, help="Name of the new service (lowercase letters, digits, '-', '_').")
@click.option("--apps", "apps", default=None, help="Comma-separated app labels that move into the service.")
@click.option(
    "--proposal",
    type=click.Path(),
    default=None,
    help="A `decompose propose` JSON file or an architect TOML; takes the apps of --service.",
)
@click.option("--plan", "plan_only", is_flag=True, help="Print the plan and write nothing.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Plan output format for --plan."
)
@click.option("--out", default="extracted", show_default=True, type=click.Path(), help="Folder that receives services.")
@click.option("--dry-run", is_flag=True, help="List every file it would write, with diffs; write nothing.")
@click.option(
    "--force", is_flag=True, help="Replace an existing service folder; with --apply, rewire a dirty git tree."
)
@click.option(
    "--apply", "apply_", is_flag=True, help="Rewire the monolith in place (atomic). Without it, print its diff."
)
@click.option("--no-rewire", is_flag=True, help="Build the service only; leave the monolith alone.")
@click.option(
    "--client-package",
    default=None,
    metavar="MODULE",
    help="Package of the monolith that receives the generated clients (default: [tool.decompose.extract] "
    "client_package, else `services` next to the settings module, where git does not ignore it).",
)
def command(
    path: str,
    service: str,
    apps: str | None,
    proposal: str | None,
    plan_only: bool,
    fmt: str,
    out: str,
    dry_run: bool,
    force: bool,
    apply_: bool = False,
    no_rewire: bool = False,
    client_package: str | None = None,
) -> None:
    """Extract Django apps of the project at PATH into a standalone service with a REST API."""
    from decompose.extract.plan import apps_from_proposal, build_plan, validate_service_name
    from decompose.extract.plan.index import index_project
    from decompose.extract.report import plan_markdown

    # usage errors come back before the analysis: the name, the selection's form, --out, the proposal
    if (apps is None) == (proposal is None):
        raise InputError("give exactly one of --apps a,b or --proposal FILE")
    validate_service_name(service)
    if client_package is not None and not all(p.isidentifier() for p in client_package.split(".")):
        raise InputError(f"--client-package {client_package!r}: not a dotted module name (e.g. shop.clients)")
    if apps is not None and not [a for a in apps.split(",") if a.strip()]:
        raise InputError("empty selection: name at least one app with --apps")
    proposal_data = _read_proposal(proposal) if proposal is not None else None
    if not plan_only:
        check_out(out)
    root = project_root(path)
    # an interrupted apply is recovered before anything is computed from the files it half wrote
    _recover_interrupted([root, Path(out)], plan_only or dry_run)
    index = index_project(root)
    if proposal_data is not None:
        selected = list(apps_from_proposal(proposal_data, service, index.graph))
    else:
        selected = list((apps or "").split(","))
    plan = build_plan(index, service, selected)
    if plan_only:
        sys.stdout.write(plan.to_json() if fmt == "json" else plan_markdown(plan))
        return
    # what only making files needs (LibCST, rich) is loaded after --plan has returned
    from rich.console import Console

    from decompose.extract.changeset import Changeset, apply_changes, ensure_clean, write_tree
    from decompose.extract.service.generator import service_files

    rewired_before = False
    if not no_rewire:  # a monolith rewired before: its stored plan makes the service too (a rerun changes nothing)
        from decompose.extract.rewire import load_stored_plan

        stored = load_stored_plan(root, plan, client_package)
        if stored is not plan and set(stored.apps) != set(plan.apps):
            raise InputError(
                f"the monolith was rewired for service {service!r} with apps {', '.join(stored.apps)}, "
                f"not {', '.join(plan.apps)}",
                hint="extract the same apps again, or restore the monolith from git to extract others",
            )
        rewired_before = stored is not plan
        plan = stored
    err = Console(stderr=True)
    files = service_files(plan, index)
    rewiring = None
    if not no_rewire:
        from decompose.extract.report import rewire_with_report

        rewiring, files["MIGRATION.md"] = rewire_with_report(plan, index, client_package)
        earlier = Path(out) / service / "MIGRATION.md"
        if rewired_before and not rewiring.effective() and earlier.is_file() and not earlier.is_symlink():
            # nothing left to rewire: the report of the rewiring already applied stays as it was
            files["MIGRATION.md"] = earlier.read_text(encoding="utf-8", errors="replace")
    target = Path(out) / service
    changes = Changeset(target, files)
    if dry_run:  # the diffs on stdout; for people, every file and what the real run would refuse
        from decompose.extract.preflight import dry_run as preview

        report = preview(target, files, root, rewiring.changes if rewiring else None, apply=apply_, force=force)
        click.echo("\n".join(report.lines()), err=True)
        sys.stdout.write(changes.diff())
        if rewiring is not None:
            sys.stdout.write(rewiring.diff())
        for blocker in report.blockers:
            click.echo(f"decompose: warning: the real run would fail: {blocker}", err=True)
        return
    monolith_diff = rewiring.diff() if rewiring is not None else ""
    if rewiring is not None and apply_ and not force and rewiring.effective():
        ensure_clean(root)  # before anything is written
    # the service folder and the monolith's diff: one transaction in --out
    write_tree(target, files, force=force, beside={f"{service}.monolith.diff": monolith_diff} if rewiring else None)
    if rewiring is not None:
        if apply_:  # the monolith: one transaction in its root (checked clean above, or --force)
            written = apply_changes(root, rewiring.changes, force=True)
            err.print(
                f"[green]rewired[/] the monolith: {len(written)} files changed, "
                f"{len(rewiring.todos)} TODOs (see MIGRATION.md)"
            )
        else:
            sys.stdout.write(monolith_diff)
            err.print(
                f"monolith diff printed ({len(rewiring.effective())} files); "
                "nothing written to the monolith: use --apply"
            )
    err.print(
        f"[green]extracted[/] service [bold]{service}[/] ({', '.join(plan.apps)}) into {target}: "
        f"{len(files)} files, {len(plan.interface_functions)} functions, {len(plan.interface_models)} models, "
        f"{len(plan.signal_bridges)} signal bridges, {len(plan.manual_steps)} manual steps (see EXTRACTION.md)"
    )
