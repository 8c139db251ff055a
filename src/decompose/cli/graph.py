"""`decompose graph`: draw the dependency graph as DOT, SVG, PNG or one offline HTML page."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from decompose.cli.output import say
from decompose.errors import InputError

if TYPE_CHECKING:
    from decompose.render.view import EdgeMode, ExternalMode, Level, View

FORMATS = ("dot", "svg", "png", "html", "json")
_SUFFIX = {
    ".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png", ".html": "html", ".htm": "html", ".json": "json",
}  # fmt: skip
#: formats that can be written to stdout (``-o -``)
_TEXT = ("dot", "json")


@click.command("graph")
@click.argument("source", required=False, default=".", metavar="[PATH | graph.json]")
@click.option("-o", "--output", required=True, help="File to write (`-`: stdout, DOT or --format json).")
@click.option("--level", type=click.Choice(["app", "module"]), default="app", show_default=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Default: from the output's suffix. json: the view for machines (nodes, edges with evidence, app cycles).",
)
@click.option("--proposal", type=click.Path(dir_okay=False), default=None, help="Group and color by proposed service.")
@click.option(
    "--compare",
    type=click.Path(dir_okay=False),
    default=None,
    help="With --proposal and HTML: a second proposal; the page's Diff view shows who moves where.",
)
@click.option("--kinds", default=None, help="Edge kinds to show, comma-separated (default: all).")
@click.option("--focus", default=None, help="Show only the neighbourhood of this app (or module).")
@click.option(
    "--depth", type=click.IntRange(min=0), default=1, show_default=True, help="Neighbourhood radius for --focus."
)
@click.option(
    "--edges",
    "edge_mode",
    type=click.Choice(["merged", "per-kind"]),
    default="merged",
    show_default=True,
    help="One edge per node pair with its kinds merged, or one edge per kind.",
)
@click.option(
    "--external",
    type=click.Choice(["auto", "nodes", "fold", "hide"]),
    default="auto",
    show_default=True,
    help="External packages: as nodes, folded into the app that uses them (third-party only), or hidden."
    " auto: fold at app level, nodes at module level.",
)
@click.option("--hide-external", is_flag=True, help="Same as --external hide.")
@click.option(
    "--min-weight",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Hide edge kinds lighter than N (per pair).",
)
@click.option(
    "--tests/--no-tests", "tests", default=False, show_default=True, help="Show test modules and their edges."
)
@click.option("--migrations/--no-migrations", default=False, show_default=True, help="Show migrations and their edges.")
@click.option("--hide-tests", is_flag=True, hidden=True, help="Same as --no-tests (the default).")
@click.option("--hide-migrations", is_flag=True, hidden=True, help="Same as --no-migrations (the default).")
def command(
    source: str,
    output: str,
    level: Level,
    fmt: str | None,
    proposal: str | None,
    compare: str | None,
    kinds: str | None,
    focus: str | None,
    depth: int,
    edge_mode: EdgeMode,
    external: ExternalMode,
    hide_external: bool,
    min_weight: int,
    tests: bool,
    migrations: bool,
    hide_tests: bool,
    hide_migrations: bool,
) -> None:
    """Draw the app (or module) dependency graph of a project or of a graph.json."""
    from decompose.analysis import load_graph_or_analyze
    from decompose.render import ViewOptions, build_view, parse_kinds, to_dot, to_html

    if fmt is None:
        if output == "-":
            fmt = "dot"
        else:
            fmt = _SUFFIX.get(Path(output).suffix.lower())
            if fmt is None:
                raise InputError(
                    f"cannot tell the format of {output!r} from its suffix", hint="pass --format dot|svg|png|html|json"
                )
    if output == "-" and fmt not in _TEXT:
        raise InputError("only DOT and JSON can be written to stdout", hint="pass -o FILE")
    from decompose.cli.paths import check_output_file

    check_output_file(output, "--output")  # before the analysis and the drawing
    options = ViewOptions(
        level=level,
        kinds=parse_kinds(kinds),
        focus=focus,
        depth=depth,
        hide_external=hide_external,
        min_weight=min_weight,
        hide_tests=hide_tests or not tests,
        hide_migrations=hide_migrations or not migrations,
        edges=edge_mode,
        external=external,
    )
    if compare is not None and (proposal is None or fmt != "html"):
        raise InputError(
            "--compare goes with --proposal and an HTML page", hint="pass --proposal A --compare B -o page.html"
        )
    prop = other = None
    if proposal is not None:
        from decompose.cluster.proposal import load_proposal

        prop = load_proposal(proposal)
        other = load_proposal(compare) if compare is not None else None
    if fmt in ("svg", "png"):
        from decompose.render.dot import find_dot

        find_dot()  # fail before a long analysis if Graphviz is missing
    graph = load_graph_or_analyze(source)
    view = build_view(graph, options, prop)
    if fmt == "html":
        text = to_html(graph, view, options, prop, compare=other)
        _write_text(output, text)
    elif fmt == "json":
        import json

        _write_text(output, json.dumps(view.to_dict(), indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    else:
        if fmt == "dot":
            _write_text(output, to_dot(view))
        else:
            from decompose.render.dot import render_view

            _data, warning = render_view(view, fmt, output)
            if warning:
                say(f"decompose: warning: {warning}")
    if options.edges == "per-kind":
        edges = f"{len(view.edges)} edges"
    else:
        edges = f"{len(view.links)} edges ({len(view.edges)} per kind)"
    where = "stdout" if output == "-" else output
    say(f"wrote {where} ({fmt}, {options.level} level: {len(view.nodes)} nodes, {edges}){cycle_line(view)}")


def cycle_line(view: View) -> str:
    """The app cycles in one clause, as `analyze` reports them (decompose.cycles)."""
    c = view.app_cycles
    if not c.groups:
        return "; no app cycles"
    apps = sum(len(g) for g in c.groups)
    cuts = ", ".join(f"{h.source}->{h.target}" for h in c.cut)
    return f"; app cycles: {len(c.groups)} group(s) of {apps} apps, cut {cuts} to break them all"


def _write_text(output: str, text: str) -> None:
    if output == "-":
        sys.stdout.write(text)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror}") from None
