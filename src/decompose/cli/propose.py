"""`decompose propose`: cluster the graph into candidate services, score and explain them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from decompose.cli.output import Table, print_tables, say

ALGORITHM_CHOICES = ("auto", "louvain", "leiden", "label_propagation", "agglomerative", "hill_climbing")

# (metric, label, better) for the terminal table
_SHOWN = (
    ("score", "combined score", "higher"),
    ("services", "services", ""),
    ("modularity", "modularity Q", "higher"),
    ("mq", "MQ", "higher"),
    ("turbomq", "TurboMQ", "higher"),
    ("sm", "SM", "higher"),
    ("icp", "ICP (cross-service weight share)", "lower"),
    ("ifn", "IFN (symbols used across a boundary)", "lower"),
    ("ned", "NED (members in non-extreme services)", "higher"),
    ("cross_service_fks", "cross-service foreign keys", "lower"),
    ("shared_tables", "tables used by >1 service", "lower"),
    ("spanning_atomic_blocks", "atomic() blocks spanning services", "lower"),
    ("largest_share", "largest service share", "lower"),
    ("gini", "size Gini", "lower"),
    ("loose_share", "members in services sharing no coupling", "lower"),
)


def _config_root(source: str) -> Path | None:
    p = Path(source)
    if p.is_dir():
        return p
    return None


@click.command("propose")
@click.argument("source", required=False, default=".", metavar="[PATH | graph.json]")
@click.option("--level", type=click.Choice(["app", "module"]), default=None, help="Cluster apps (default) or modules.")
@click.option(
    "--services",
    "services",
    default=None,
    metavar="N|auto",
    help="Exactly N services (default: auto, 3–12 at app level, 0.5–2x the apps at module level).",
)
@click.option(
    "--algorithm", type=click.Choice(ALGORITHM_CHOICES), default=None, help="Default: auto (best combined score)."
)
@click.option("--seed", type=int, default=None, help="Random seed (default 0).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write the proposal JSON here.")
@click.option(
    "--evaluate",
    "evaluate_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Score this partition (proposal JSON or decomposition TOML) instead of clustering.",
)
@click.option(
    "--reference", type=click.Path(dir_okay=False), default=None, help="Compare with a reference (MoJo, MoJoFM)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "table"]),
    default="text",
    show_default=True,
    help="text: tables for people on stderr (table: its old name); json: the proposal (and comparison) on stdout.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Read [propose] from this decompose.toml / pyproject.toml"
    " (default: the project folder's; needed with a graph.json).",
)
def command(
    source: str,
    level: str | None,
    services: str | None,
    algorithm: str | None,
    seed: int | None,
    output: str | None,
    evaluate_file: str | None,
    reference: str | None,
    fmt: str,
    config_file: str | None,
) -> None:
    """Propose service boundaries for a project (or a graph.json) with metrics and explanations."""
    from dataclasses import replace

    from decompose.cluster.pipeline import ProposeSettings, compare, evaluate, parse_services, propose
    from decompose.cluster.proposal import dump_proposal, load_proposal
    from decompose.config import load_config, load_config_file

    if output:
        from decompose.cli.paths import check_output_file

        check_output_file(output, "--output")  # before any work
    root = _config_root(source)
    section: dict[str, Any] = {}
    where = "[propose]"
    config = load_config_file(config_file) if config_file else load_config(root) if root is not None else None
    if config is not None:
        section = config.section("propose")
        where = f"{config.source} [propose]" if config.source else where
    settings = ProposeSettings.from_config(section, where)
    overrides: dict[str, Any] = {}
    if level is not None:
        overrides["level"] = level
    if services is not None:
        overrides["services"] = parse_services(services)
    if algorithm is not None:
        overrides["algorithm"] = algorithm
    if seed is not None:
        overrides["seed"] = seed
    settings = replace(settings, **overrides)
    given = load_proposal(evaluate_file) if evaluate_file else None
    ref = load_proposal(reference) if reference else None
    graph = _load_graph(source)
    configured = graph.meta.get("config")
    if config is None and configured:
        click.echo(
            f"note: the analysed project is configured by {configured}; its [propose] section is not read from a "
            f"graph file: pass --config PATH to apply it",
            err=True,
        )
    result = evaluate(graph, given, settings) if given is not None else propose(graph, settings)
    comparison = compare(result, ref) if ref is not None else None
    if output:
        dump_proposal(result, output)
    if fmt == "json":
        data = result.to_dict()
        if comparison is not None:
            data["comparison"] = comparison.to_dict()
        sys.stdout.write(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    else:
        print_tables(_tables(result, comparison, evaluated=given is not None))
    if output:
        say(f"proposal written to {output}")


def _load_graph(source: str) -> Any:
    if source.endswith(".json") and Path(source).is_file():
        from decompose.graph import load

        return load(source)
    from decompose.analysis import load_graph_or_analyze

    return load_graph_or_analyze(source)


def _fmt(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.3f}"


def _tables(p: Any, comparison: Any, *, evaluated: bool) -> list[Table | str]:
    """The proposal for people: services, metrics, algorithms, placements, notes, the comparison."""
    out: list[Table | str] = []
    weak = {e.member for e in p.explanations if e.weak}
    rows = []
    for name, members in sorted(p.services.items()):
        shown = ", ".join(members) if len(members) <= 12 else ", ".join(members[:12]) + f", … (+{len(members) - 12})"
        rows.append((name, shown, str(len(members)), str(sum(1 for m in members if m in weak))))
    if p.shared_kernel:
        rows.append(("(shared kernel)", ", ".join(p.shared_kernel), str(len(p.shared_kernel)), ""))
    if p.unassigned:
        rows.append(("(not clustered)", ", ".join(p.unassigned), str(len(p.unassigned)), ""))
    title = "Evaluated partition" if evaluated else f"Proposed services ({p.algorithm}, seed {p.seed})"
    out.append((title, ("service", "members", "size", "weak"), rows, frozenset({2, 3})))
    if p.hubs:
        out.append("hubs (used by most others, kept in services): " + ", ".join(p.hubs))
    metrics = [(label, _fmt(p.metrics[key]), better) for key, label, better in _SHOWN if key in p.metrics]
    out.append(("Metrics", ("metric", "value", "better"), metrics, frozenset({1})))
    if p.candidates:
        out.append(
            (
                "Algorithms (best first)",
                ("algorithm", "score", "services", "Q", "ICP", "largest share"),
                [
                    (
                        cand.algorithm,
                        f"{cand.score:.3f}",
                        str(cand.services),
                        f"{cand.metrics.get('modularity', 0):.3f}",
                        f"{cand.metrics.get('icp', 0):.3f}",
                        f"{cand.metrics.get('largest_share', 0):.2f}",
                    )
                    for cand in p.candidates
                ],
                frozenset({1, 2, 3, 4, 5}),
            )
        )
    weak_rows = [e for e in p.explanations if e.weak]
    shown_rows = list(p.explanations) if len(p.explanations) <= 40 else weak_rows
    if shown_rows:
        title = (
            "Placements"
            if shown_rows is not weak_rows
            else f"Weak placements ({len(weak_rows)} of {len(p.explanations)})"
        )
        placements = [
            (e.member, e.service, "yes" if e.weak else "", e.reason + (f" [{e.constraint}]" if e.constraint else ""))
            for e in shown_rows[:60]
        ]
        out.append((title, ("member", "service", "weak", "why"), placements, frozenset()))
    if p.notes:
        out.append("How this proposal was made:")
        out.extend(("  " if not note.startswith("  ") else "    ") + note.strip() for note in p.notes)
    if comparison is not None:
        out.append(
            f"Against the reference: MoJoFM {comparison.mojofm:.2f}%  MoJo {comparison.mojo}"
            f"  (moves+joins to the reference {comparison.mno}, back {comparison.mno_reverse};"
            f" {comparison.objects} members compared)"
        )
    return out
