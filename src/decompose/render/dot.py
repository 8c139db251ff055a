"""DOT text through pydot, and SVG/PNG through Graphviz's ``dot``.

Nodes and edges are added in sorted order and every attribute is derived
from the :class:`~decompose.render.view.View`, so the same graph gives
byte-identical DOT. By default one edge is drawn per (source, target) pair,
its kinds merged: labelled ``fk 3 · call 5 · import 7`` (strongest kind
first; at module level just the total weight), coloured and styled as its
strongest kind, and wider the heavier it is. ``--edges per-kind`` draws one
edge per kind, labelled with its weight. Apps in a dependency cycle get a red
border; the edges to cut to break the cycles (a minimal-weight feedback arc
set, see :func:`decompose.render.view.feedback_arcs`) are drawn red and bold,
and, outside clusters, do not constrain the layout, so they point against the flow. At module
level, modules sit in one ``cluster`` subgraph per app (or per proposed
service); at app level with a proposal, apps sit in one cluster per service.

Example::

    >>> from decompose.graph import DependencyGraph, Evidence
    >>> g = DependencyGraph.empty()
    >>> g.add_module("a.m", app="a", path="a/m.py")
    >>> g.add_module("b.m", app="b", path="b/m.py")
    >>> g.add_evidence("a.m", "b.m", "fk", Evidence("a/m.py", 3))
    >>> "kind=fk" in to_dot(build_view(g))
    True
"""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path
from typing import TypeVar

import pydot

from decompose.errors import InputError, ToolMissingError
from decompose.graph import OUTSIDE_APPS
from decompose.render.view import EXTERNAL, View, ViewEdge, ViewLink, ViewNode, build_view

__all__ = ["KIND_STYLE", "CYCLE_COLOR", "to_dot", "render_image", "find_dot", "build_view", "group_colors"]

#: kind → (colour, line style, arrowhead). Red is kept for cycles.
KIND_STYLE: dict[str, tuple[str, str, str]] = {
    "import": ("#555555", "solid", "normal"),
    "call": ("#1f77b4", "dashed", "normal"),
    "fk": ("#ff7f0e", "solid", "diamond"),
    "inherit": ("#9467bd", "solid", "empty"),
    "orm": ("#2ca02c", "dashed", "normal"),
    "signal": ("#e377c2", "dotted", "vee"),
    "url": ("#8c564b", "dotted", "normal"),
    "string_ref": ("#17becf", "dashed", "odot"),
}
CYCLE_COLOR = "#e41a1c"
#: Short kind names for merged edge labels.
KIND_ABBREV: dict[str, str] = {
    "import": "imp", "call": "call", "fk": "fk", "inherit": "inh",
    "orm": "orm", "signal": "sig", "url": "url", "string_ref": "str",
}  # fmt: skip
#: Kinds that wire the project together rather than couple code: URLconf includes anywhere, and
#: dotted paths in the project's own package (settings: INSTALLED_APPS, AUTH_USER_MODEL...). At app
#: level, a merged edge of only these kinds is drawn faint and without a label.
WIRING_KINDS: frozenset[str] = frozenset({"url", "string_ref"})
WIRING_COLOR = "#bbbbbb"
#: Border of an app (or module of an app) in a dependency cycle: quieter than the edges to cut.
CYCLE_BORDER = "#d6604d"

#: Fill colours for apps / services, assigned in sorted order of group names.
PALETTE: tuple[str, ...] = (
    "#8dd3c7", "#ffffb3", "#bebada", "#80b1d3", "#fdb462", "#b3de69", "#fccde5",
    "#bc80bd", "#ccebc5", "#ffed6f", "#a6cee3", "#b2df8a", "#fb9a99", "#fdbf6f",
    "#cab2d6", "#d9d9d9", "#66c2a5", "#fc8d62", "#8da0cb", "#e78ac3",
)  # fmt: skip
EXTERNAL_COLOR = "#f0f0f0"

INSTALL_HINT = "install Graphviz: apt-get install graphviz (macOS: brew install graphviz)"


def group_colors(view: View) -> dict[str, str]:
    """Group name → fill colour, stable for a given set of groups."""
    groups = sorted({n.group for n in view.nodes if n.group != EXTERNAL})
    colors = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}
    colors[EXTERNAL] = EXTERNAL_COLOR
    return colors


def _node_label(n: ViewNode, view: View) -> str:
    if n.type == "app":
        lines = [n.id, f"{n.modules} module{'s' if n.modules != 1 else ''}, {n.lines} lines"]
        if n.externals:
            lines.append(_short_list("uses " + ", ".join(n.externals)))
        if view.grouped_by == "service" and n.service:
            lines.append(f"[{n.service}]")
        return "\n".join(lines)
    return n.label


def _short_list(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(", ", 1)[0] + ", …"


def _tooltip(edges: tuple[ViewEdge, ...]) -> str:
    parts = []
    for e in edges:
        more = " ..." if len(e.evidence) > 5 else ""
        parts.append(f"{e.kind} x{e.weight}: " + ", ".join(str(x) for x in e.evidence[:5]) + more)
    return "; ".join(parts)


_Element = TypeVar("_Element", pydot.Node, pydot.Edge)


def _with(element: _Element, attrs: dict[str, str]) -> _Element:
    """``element`` with ``attrs`` set in order (as ``pydot.Node(name, **attrs)`` would)."""
    for key, value in attrs.items():
        element.set(key, value)
    return element


def _penwidth(weight: int) -> float:
    return round(min(6.0, 1.0 + 0.8 * math.log2(max(1, weight))), 1)


def _styled(attrs: dict[str, str], kind: str, weight: int, cycle: bool, feedback: bool) -> dict[str, str]:
    color, style, arrow = KIND_STYLE[kind]
    attrs["color"] = CYCLE_COLOR if feedback else color
    attrs["fontcolor"] = CYCLE_COLOR if feedback else color
    attrs["style"] = "bold" if feedback else style  # solid whatever the kind: a dotted red line would not stand out
    attrs["arrowhead"] = arrow
    attrs["penwidth"] = str(max(3.0, _penwidth(weight)) if feedback else _penwidth(weight))
    if cycle:
        attrs["cycle"] = "true"
    if feedback:
        attrs["feedback"] = "true"
        attrs["constraint"] = "false"  # drawn against the flow: it is the dependency that closes the cycle
    return attrs


def _edge_attrs(e: ViewEdge) -> dict[str, str]:
    attrs = {"kind": e.kind, "weight": str(e.weight), "label": str(e.weight), "tooltip": _tooltip((e,))}
    return _styled(attrs, e.kind, e.weight, e.cycle, e.feedback)


def compact_label(link: ViewLink) -> str:
    """``"fk3 call5 imp7"``: each kind (abbreviated, strongest first) with its weight."""
    return " ".join(f"{KIND_ABBREV[e.kind]}{e.weight}" for e in link.edges)


def _link_attrs(link: ViewLink, level: str) -> dict[str, str]:
    attrs = {
        "kind": link.kind,
        "kinds": ",".join(link.kinds),
        "weight": str(link.weight),
        "label": compact_label(link) if level == "app" else str(link.weight),
        "tooltip": _tooltip(link.edges),
    }
    attrs = _styled(attrs, link.kind, link.weight, link.cycle, link.feedback)
    kinds = set(link.kinds)
    wiring = kinds <= {"url"} or (link.source == OUTSIDE_APPS and kinds <= WIRING_KINDS)
    if level == "app" and not link.feedback and wiring:
        attrs.update(label="", color=WIRING_COLOR, fontcolor=WIRING_COLOR, penwidth="1", wiring="true")
    return attrs


def to_dot(view: View, *, name: str = "decompose", clusters: bool = True) -> str:
    """The view as DOT text (deterministic).

    ``clusters=False`` draws no cluster boxes (groups are still coloured): the fallback for Graphviz
    versions whose ranking fails on a clustered layout (see :func:`render_view`).
    """
    g = pydot.Dot(name, graph_type="digraph")
    app_level = view.level == "app"
    graph_attrs = {"fontname": "Helvetica", "fontsize": "11", "compound": "true", "newrank": "true"}
    if app_level:
        # Top to bottom (dependents above what they depend on), tight ranks, polyline edges: the most
        # compact readable picture of a dozen apps with dozens of pairs (tried LR, concentrate, curved).
        graph_attrs.update(rankdir="TB", nodesep="0.3", ranksep="0.6", splines="polyline", outputorder="edgesfirst")
    else:
        graph_attrs.update(rankdir="LR")
    g.set_graph_defaults(**graph_attrs)
    g.set_node_defaults(fontname="Helvetica", fontsize="12" if app_level else "10", shape="box", style="rounded,filled")
    g.set_edge_defaults(fontname="Helvetica", fontsize="9", arrowsize="0.8")
    colors = group_colors(view)

    def make_node(n: ViewNode) -> pydot.Node:
        attrs = {
            "label": _node_label(n, view),
            "fillcolor": colors[n.group],
            "group_name": n.group,
            "tooltip": (n.path or n.id) + (f" (uses {', '.join(n.externals)})" if n.externals else ""),
        }
        if n.type == "external":
            attrs["style"] = "rounded,dashed,filled"
            attrs["fontcolor"] = "#666666"
        if n.cycle is not None:
            attrs["color"] = CYCLE_BORDER
            attrs["penwidth"] = "2"
            attrs["tooltip"] += f" (in app cycle {n.cycle + 1})"
        return _with(pydot.Node(n.id), attrs)

    clustered = clusters and (view.level == "module" or view.grouped_by == "service")
    if clustered:
        by_group: dict[str, list[ViewNode]] = {}
        loose: list[ViewNode] = []
        for n in view.nodes:
            if n.type == "external":
                loose.append(n)
            else:
                by_group.setdefault(n.group, []).append(n)
        for i, group in enumerate(sorted(by_group)):
            # a subgraph named cluster_* is drawn as a cluster (what pydot.Cluster writes)
            c = pydot.Subgraph(
                f"cluster_g{i}",
                label=group,
                style="rounded,filled",
                fillcolor=colors[group] + "40",
                color="#999999",
            )
            for n in by_group[group]:
                c.add_node(make_node(n))
            g.add_subgraph(c)
        for n in loose:
            g.add_node(make_node(n))
    else:
        for n in view.nodes:
            g.add_node(make_node(n))
    def edge(source: str, target: str, attrs: dict[str, str]) -> pydot.Edge:
        if clustered:
            # an edge that does not constrain ranking across clusters makes Graphviz 2.43 fail
            # ("trouble in init_rank", with or without newrank): in clusters the cut edges rank normally
            attrs.pop("constraint", None)
        return _with(pydot.Edge(source, target), attrs)

    if view.edge_mode == "per-kind":
        for e in view.edges:
            g.add_edge(edge(e.source, e.target, _edge_attrs(e)))
    else:
        for link in view.links:
            g.add_edge(edge(link.source, link.target, _link_attrs(link, view.level)))
    legend = _legend(view)
    if legend:
        g.set("label", legend)
        g.set("labelloc", "b")
        g.set("labeljust", "l")
    return g.to_string()


def _legend(view: View) -> str:
    """An HTML-like graph label: the edge kinds shown in their colours, and what red means."""
    kinds = [k for k in KIND_STYLE if any(e.kind == k for e in view.edges)]
    if not kinds:
        return ""
    parts = [f'<FONT COLOR="{KIND_STYLE[k][0]}">{k}</FONT> ({KIND_STYLE[k][1]})' for k in kinds]
    if view.edge_mode == "per-kind":
        head = "edges (one per kind), labelled with their weight: "
    elif view.level == "app":
        head = "one edge per app pair, labelled kind weight (strongest first), drawn as its strongest kind: "
    else:
        head = "one edge per module pair, labelled with its weight, drawn as its strongest kind: "
    rows = [head + " · ".join(parts)]
    if view.cycles:
        what = "apps" if view.level == "app" else "modules of apps"
        rows.append(
            f'<FONT COLOR="{CYCLE_COLOR}"><B>red bold edge</B></FONT>: a dependency to cut to break the app cycles'
            f" (minimal-weight set); <FONT COLOR=\"{CYCLE_BORDER}\">red border</FONT>: {what} in a cycle"
        )
    return '<<FONT POINT-SIZE="12">' + "<BR ALIGN=\"LEFT\"/>".join(rows) + '<BR ALIGN="LEFT"/></FONT>>'


def find_dot(program: str = "dot") -> str:
    """Path of a Graphviz program, or :class:`ToolMissingError` with how to install it."""
    found = shutil.which(program)
    if found is None:
        raise ToolMissingError(f"Graphviz's `{program}` was not found on PATH", hint=INSTALL_HINT)
    return found


#: what Graphviz says when its ranking fails on a clustered layout (2.43's bug, and others like it)
_RANK_FAILURES = ("trouble in init_rank", "trouble in rank", "flat edge between adjacent nodes")


def render_view(view: View, fmt: str, output: str | Path | None = None, *, program: str = "dot") -> tuple[bytes, str]:
    """Draw ``view`` as ``fmt`` with Graphviz: (the bytes, a warning or "").

    Clustered first (a box per app or service); if Graphviz's ranking fails on the clusters, the
    same view again without the boxes (groups keep their colours), and the warning says so.
    """
    try:
        return render_image(to_dot(view), fmt, output, program=program), ""
    except InputError as exc:
        clustered = view.level == "module" or view.grouped_by == "service"
        if not clustered or not any(s in str(exc) for s in _RANK_FAILURES):
            raise
        reason = str(exc).split(": ", 1)[-1]
    data = render_image(to_dot(view, clusters=False), fmt, output, program=program)
    return data, f"Graphviz could not lay out the group boxes ({reason}); drawn without them, groups by colour"


def render_image(dot_text: str, fmt: str, output: str | Path | None = None, *, program: str = "dot") -> bytes:
    """Lay out and draw ``dot_text`` as ``fmt`` (svg, png, json, plain...) with Graphviz.

    Returns the bytes and, if ``output`` is given, writes them there.
    """
    exe = find_dot(program)
    proc = subprocess.run([exe, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True, check=False)
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"Graphviz `{program} -T{fmt}` failed: {msg[0] if msg else 'exit ' + str(proc.returncode)}")
    if output is not None:
        try:
            Path(output).write_bytes(proc.stdout)
        except OSError as exc:
            raise InputError(f"cannot write {output}: {exc.strerror}") from None
    return proc.stdout
