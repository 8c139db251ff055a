"""`decompose check`: boundary contracts as a CI gate (exit 0 kept, 1 violations, 2 usage/config)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

#: part of the key of a kept check result: bump when the same graph and contracts would give other output
RESULT_VERSION = 1


def _code_stamp() -> tuple[tuple[str, int, int], ...]:
    """The check code's files by (name, mtime, size): an edited checkout never reuses an old result."""
    here = Path(__file__).resolve().parent
    files = [here / "check.py", *sorted((here.parent / "check").glob("*.py"))]
    out = []
    for f in files:
        try:
            st = f.stat()
        except OSError:
            continue
        out.append((f.name, st.st_mtime_ns, st.st_size))
    return tuple(out)


class _Input:
    """The graph (read on first use), the configuration, where relative paths start, the analysis."""

    def __init__(self, load: Any, config: Any, base: Path, folder: Path | None, analysis: Any = None) -> None:
        self._load = load
        self._data: dict[str, Any] | None = None
        self.config = config
        self.base = base
        self.folder = folder
        self.analysis = analysis

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = self._load()
        return self._data


def _input(
    source: str,
    config_file: str | None,
    settings: str | None,
    no_cache: bool,
    cache_dir: str | None,
    jobs: int | None,
    init: bool = False,
) -> _Input:
    from decompose.config import load_config_file
    from decompose.errors import GraphFormatError, InputError

    p = Path(source)
    # --init may name a configuration file it is about to create
    wanted = bool(config_file) and (Path(str(config_file)).exists() or not init)
    if p.is_file():
        from decompose.graph import loads_json

        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise GraphFormatError(f"{source}: not a JSON graph file ({exc})") from None
        data = loads_json(text, source)  # depth-limited: a deeply nested file is one line, not a traceback
        config = load_config_file(str(config_file)) if wanted else None
        return _Input(lambda: data, config, Path(config_file).parent if config_file else Path("."), None)
    if not p.is_dir():
        raise InputError(f"{source}: no such project folder or graph file")
    from decompose.analysis import run_analysis

    analysis = run_analysis(p, settings=settings, use_cache=not no_cache, cache_dir=cache_dir, jobs=jobs)
    config = (load_config_file(str(config_file)) if wanted else None) if config_file else analysis.project.config
    # relative paths in a configuration file (the baseline) start from its folder
    base = Path(str(config_file)).parent if config_file else p
    return _Input(lambda: json.loads(analysis.to_json()), config, base, p, analysis)


def _section(config: Any) -> tuple[dict[str, Any], str]:
    if config is None:
        return {}, "[check]"
    src = config.source or "[check]"
    if src.endswith("[tool.decompose]"):
        src = src[: -len("[tool.decompose]")] + "[tool.decompose.check]"
    elif config.source:
        src = f"{config.source} [check]"
    return config.section("check"), src


def _prefix(folder: Path | None) -> str:
    if folder is None:
        return ""
    rel = os.path.relpath(folder)
    return "" if rel == "." else rel.replace(os.sep, "/") + "/"


@click.command("check")
@click.argument("source", required=False, default=".", metavar="[PATH | graph.json]")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text: for people (stderr); json: docs/check-schema.md (stdout); github: workflow annotations (stdout).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Read [check] from this decompose.toml / pyproject.toml"
    " (default: the project folder's; needed with a graph.json).",
)
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="The baseline file (default: `baseline` in [check], else PATH/decompose-baseline.json).",
)
@click.option("--no-baseline", is_flag=True, help="Report every violation, tolerating none.")
@click.option(
    "--update-baseline",
    is_flag=True,
    help="Write today's violations to the baseline file; later runs report only new ones.",
)
@click.option(
    "--init", "init", is_flag=True, help="Write contracts the code keeps today into the project's configuration."
)
@click.option(
    "--proposal",
    type=click.Path(dir_okay=False),
    default=None,
    help="With --init: contracts for these services (proposal JSON or decomposition TOML).",
)
@click.option("--print", "print_only", is_flag=True, help="With --init: print the contracts instead of writing them.")
@click.option("--force", is_flag=True, help="With --init: replace the contracts already configured.")
@click.option(
    "--export",
    "export",
    type=click.Choice(["import-linter", "tach"]),
    default=None,
    help="Write the import-only equivalent of the contracts for import-linter or tach.",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), default=None, help="With --export: write here (default: stdout)."
)
@click.option(
    "--settings", default=None, metavar="MODULE", help="Dotted name of the Django settings module (default: found)."
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the analysis cache.")
@click.option(
    "--cache-dir", default=None, type=click.Path(file_okay=False), help="Cache folder (default: PATH/.decompose-cache)."
)
@click.option("--jobs", "-j", default=None, type=click.IntRange(min=1), help="Worker processes (default: the cores).")
def command(
    source: str,
    fmt: str,
    config_file: str | None,
    baseline_file: str | None,
    no_baseline: bool,
    update_baseline: bool,
    init: bool,
    proposal: str | None,
    print_only: bool,
    force: bool,
    export: str | None,
    output: str | None,
    settings: str | None,
    no_cache: bool,
    cache_dir: str | None,
    jobs: int | None,
) -> None:
    """Check the boundary contracts of [tool.decompose.check] against the project at PATH.

    Every import, call, foreign key, ORM query, signal, URL include and string reference that
    breaks a contract is reported with its path:line. Exit 0: all kept; 1: violations; 2: a
    usage or configuration error (an unknown app or module name is one).
    """
    from decompose.errors import InputError

    modes = [
        name for name, on in (("--init", init), ("--export", export), ("--update-baseline", update_baseline)) if on
    ]
    if len(modes) > 1:
        raise InputError(f"{' and '.join(modes)} cannot be combined")
    for flag, on in (("--proposal", proposal), ("--print", print_only), ("--force", force)):
        if on and not init:
            raise InputError(f"{flag} goes with --init")
    if output and not export:
        raise InputError("--output goes with --export")
    given = _input(source, config_file, settings, no_cache, cache_dir, jobs, init)
    config, base, folder = given.config, given.base, given.folder
    if init:
        _init(given.data, config, folder, proposal, print_only, force, config_file)
        return
    from decompose.check.contracts import parse_section
    from decompose.errors import ConfigError

    section, where = _section(config)
    check_config = parse_section(section, where)
    if not check_config.contracts:
        raise ConfigError(
            f"{where}: no contracts to check"
            if config is not None and config.source
            else "no [tool.decompose.check] contracts found",
            hint="write some (docs/check.md), or let `decompose check --init` propose them",
        )
    if export:
        _export(given.data, check_config, export, output)
        return
    baseline_path = Path(baseline_file) if baseline_file else base / check_config.baseline
    if update_baseline:
        from decompose.check import baseline_counts
        from decompose.check.baseline import write

        written = baseline_counts(given.data, check_config)
        write(baseline_path, written)
        click.echo(
            f"wrote {baseline_path}: {sum(written.values())} violation(s) tolerated from now on"
            f" ({len(written)} entries)",
            err=True,
        )
        return
    counts = None
    baseline_bytes = None
    if not no_baseline:
        from decompose.check.baseline import load

        counts = load(baseline_path)
        if counts is None and baseline_file:
            raise InputError(f"{baseline_file}: no such baseline file")
        if counts is not None:
            baseline_bytes = baseline_path.read_bytes()
    prefix = _prefix(folder)
    # the same graph, contracts, baseline and output form give the same output: kept with the analysis
    key = None
    if given.analysis is not None:
        from hashlib import blake2b

        from decompose import __version__

        facts = (
            RESULT_VERSION,
            __version__,
            _code_stamp(),
            json.dumps(section, sort_keys=True, default=str),
            where,
            baseline_bytes,
            str(baseline_path),
            fmt,
            prefix,
        )
        key = "check:" + blake2b(repr(facts).encode(), digest_size=16).hexdigest()
        kept = given.analysis.rendering(key)
        if kept is not None:
            _emit(*kept)
            return
    from decompose.check import check_graph, report

    result = check_graph(
        given.data, check_config, baseline=counts, baseline_name=str(baseline_path) if counts is not None else None
    )
    if fmt == "json":
        text, stream = report.to_json(result), "stdout"
    elif fmt == "github":
        text, stream = report.to_github(result, prefix), "stdout"
    else:
        text, stream = report.to_text(result, prefix), "stderr"
    if key is not None:
        given.analysis.remember_rendering(key, (text, stream, result.violation_count))
    _emit(text, stream, result.violation_count)


def _emit(text: str, stream: str, violations: int) -> None:
    """Write the report; violations end the run with exit code 1."""
    (sys.stdout if stream == "stdout" else sys.stderr).write(text)
    sys.stdout.flush()
    sys.stderr.flush()
    if violations:
        from decompose.errors import FindingsError

        raise FindingsError(f"{violations} violation{'s' if violations != 1 else ''} of the boundary contracts")


def _init(
    data: dict[str, Any],
    config: Any,
    folder: Path | None,
    proposal: str | None,
    print_only: bool,
    force: bool,
    config_file: str | None,
) -> None:
    from decompose.check import check_graph, merge_contracts, propose_contracts
    from decompose.check.contracts import parse_section
    from decompose.check.engine import GraphView
    from decompose.errors import InputError, UnsafeOperationError

    view = GraphView.from_dict(data)
    services = shared = None
    if proposal:
        from decompose.cluster.proposal import load_proposal

        p = load_proposal(proposal)
        services, shared, level = dict(p.services), tuple(p.shared_kernel), p.level
    else:
        level = "app"
    contracts, groups = propose_contracts(view, services=services, shared_kernel=shared or (), level=level)
    # the file: the one configuring the project, else a new decompose.toml in it
    if config_file:
        target = Path(config_file)
    elif config is not None and config.source:
        target = Path(config.source.split(" [", 1)[0])
    elif folder is not None:
        target = folder / "decompose.toml"
    else:
        raise InputError("--init on a graph file needs --config FILE (where to write the contracts)")
    pyproject = target.name == "pyproject.toml"
    old = target.read_text(encoding="utf-8") if target.is_file() else ""
    dicts = [c.to_dict() for c in contracts]
    if print_only:
        sys.stdout.write(merge_contracts("", dicts, pyproject=pyproject, groups=groups))
        return
    section = config.section("check") if config is not None and (not config_file or target.exists()) else {}
    if section.get("contracts") and not force:
        raise UnsafeOperationError(
            f"{target}: contracts are already configured", hint="--force replaces them, --print shows the proposed ones"
        )
    text = merge_contracts(old, dicts, pyproject=pyproject, replace_all=True, groups=groups)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{target}: cannot write the contracts ({exc.strerror or exc})") from None
    from decompose.config import load_config_file

    written = load_config_file(target)
    check_config = parse_section(written.section("check"), str(target))
    result = check_graph(view, check_config)
    ignores = sum(len(c.ignore) for c in contracts)
    note = f"; {ignores} hop(s) closing today's cycles are ignore entries to cut" if ignores else ""
    click.echo(
        f"wrote {len(contracts)} contract(s) to {target}{note}; "
        f"{'they hold today' if not result.violation_count else f'{result.violation_count} violation(s) today'}",
        err=True,
    )


def _export(data: dict[str, Any], check_config: Any, tool: str, output: str | None) -> None:
    from decompose.check.engine import GraphView
    from decompose.check.export import export

    text, notes = export(GraphView.from_dict(data), check_config, tool)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    for note in notes:
        click.echo(f"not expressed in {tool}: {note}", err=True)
    if output:
        click.echo(f"wrote {output}", err=True)
