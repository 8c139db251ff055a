"""DOT text through pydot, and SVG/PNG through Graphviz's ``dot``.

Nodes and edges are added in sorted order and every attribute is derived
from the :class:`~decompose.render.view.View`, so the same graph gives
byte-identical DOT. Edge colour and style tell the kind, the label the weight;
edges between apps of one dependency cycle are drawn red and bold. At module
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

import shutil
import subprocess
from pathlib import Path

import pydot

from decompose.errors import InputError, ToolMissingError
from decompose.render.view import EXTERNAL, View, ViewEdge, ViewNode, build_view

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
        size = f"{n.modules} module{'s' if n.modules != 1 else ''}, {n.lines} lines"
        if view.grouped_by == "service" and n.service:
            return f"{n.id}\n{size}\n[{n.service}]"
        return f"{n.id}\n{size}"
    return n.label


def _edge_attrs(e: ViewEdge) -> dict[str, str]:
    color, style, arrow = KIND_STYLE[e.kind]
    attrs = {
        "kind": e.kind,
        "label": str(e.weight),
        "color": CYCLE_COLOR if e.cycle else color,
        "fontcolor": CYCLE_COLOR if e.cycle else color,
        "style": style if not e.cycle else ("bold" if style == "solid" else f"{style},bold"),
        "arrowhead": arrow,
        "penwidth": "2.5" if e.cycle else "1",
        "tooltip": f"{e.kind} x{e.weight}: " + ", ".join(str(x) for x in e.evidence[:5])
        + (" ..." if len(e.evidence) > 5 else ""),
    }
    if e.cycle:
        attrs["cycle"] = "true"
    return attrs


def to_dot(view: View, *, name: str = "decompose") -> str:
    """The view as DOT text (deterministic)."""
    g = pydot.Dot(name, graph_type="digraph")
    g.set_graph_defaults(rankdir="LR", fontname="Helvetica", fontsize="11", compound="true", newrank="true")
    g.set_node_defaults(fontname="Helvetica", fontsize="10", shape="box", style="rounded,filled")
    g.set_edge_defaults(fontname="Helvetica", fontsize="9")
    colors = group_colors(view)

    def make_node(n: ViewNode) -> pydot.Node:
        attrs = {
            "label": _node_label(n, view),
            "fillcolor": colors[n.group],
            "group_name": n.group,
            "tooltip": n.path or n.id,
        }
        if n.type == "external":
            attrs["style"] = "rounded,dashed,filled"
            attrs["fontcolor"] = "#666666"
        if n.type == "app" and any(n.id in c for c in view.cycles):
            attrs["color"] = CYCLE_COLOR
            attrs["penwidth"] = "2"
        return pydot.Node(n.id, **attrs)

    clustered = view.level == "module" or view.grouped_by == "service"
    if clustered:
        by_group: dict[str, list[ViewNode]] = {}
        loose: list[ViewNode] = []
        for n in view.nodes:
            if n.type == "external":
                loose.append(n)
            else:
                by_group.setdefault(n.group, []).append(n)
        for i, group in enumerate(sorted(by_group)):
            c = pydot.Cluster(
                f"g{i}",
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
    for e in view.edges:
        g.add_edge(pydot.Edge(e.source, e.target, **_edge_attrs(e)))
    legend = _legend(view)
    if legend:
        g.set("label", legend)
        g.set("labelloc", "b")
        g.set("labeljust", "l")
    return g.to_string()


def _legend(view: View) -> str:
    """An HTML-like graph label naming the edge kinds shown, in their colours."""
    kinds = [k for k in KIND_STYLE if any(e.kind == k for e in view.edges)]
    if not kinds:
        return ""
    parts = [f'<FONT COLOR="{KIND_STYLE[k][0]}">{k}</FONT> ({KIND_STYLE[k][1]})' for k in kinds]
    if any(e.cycle for e in view.edges):
        parts.append(f'<FONT COLOR="{CYCLE_COLOR}"><B>app cycle</B></FONT> (bold)')
    return "<<FONT POINT-SIZE=\"10\">edges, labelled with their weight: " + " · ".join(parts) + "</FONT>>"


def find_dot(program: str = "dot") -> str:
    """Path of a Graphviz program, or :class:`ToolMissingError` with how to install it."""
    found = shutil.which(program)
    if found is None:
        raise ToolMissingError(f"Graphviz's `{program}` was not found on PATH", hint=INSTALL_HINT)
    return found


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
