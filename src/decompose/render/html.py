"""One self-contained, offline HTML page to explore a :class:`View`.

The page inlines its CSS, its script and the vendored Cytoscape.js library
(``static/cytoscape.min.js``, MIT, version in :data:`CYTOSCAPE_VERSION`), and the
graph as JSON, so it works from ``file://`` with no network. Features: pan and
zoom, search by name, click a node to highlight what it depends on and what
depends on it with each edge's kind, weight and evidence in a side panel,
edge-kind toggles, colour by app or by proposed service with a legend, and an
adjacency matrix (DSM) of apps ordered by service; exports of the current view as
PNG or SVG and of the shown edges' evidence as CSV.

Node positions are computed here and passed to the page (Cytoscape's ``preset``
layout): a browser force layout of 1,000+ nodes takes long. Grouped views (module
level, or grouped by proposed service) draw a box per app or service around its
nodes: up to :data:`SFDP_ABOVE` nodes one clustered ``dot`` run places them,
above it each group is laid out on its own and the groups packed
(:func:`grouped_layout`, grids without Graphviz). Above :data:`COLLAPSE_ABOVE`
nodes the page starts with every box collapsed into one node, placed by
:func:`collapsed_layout`; a box expands in place on demand, the others making
room. Ungrouped views use ``dot`` or ``sfdp`` when Graphviz is installed, else
the page lays itself out (``cose`` for small graphs, ``concentric`` for large ones).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from collections import Counter
from importlib import resources
from typing import Any, Literal

from decompose import __version__
from decompose.errors import ToolMissingError
from decompose.graph import OUTSIDE_APPS, DependencyGraph, app_graph
from decompose.render.dot import KIND_ABBREV, KIND_STYLE, PALETTE, find_dot
from decompose.render.view import (
    EXTERNAL,
    KIND_STRENGTH,
    SHARED_KERNEL,
    UNASSIGNED,
    ProposalLike,
    View,
    ViewEdge,
    ViewNode,
    ViewOptions,
    filtered_graph,
    proposal_diff,
    service_of_app,
)

CYTOSCAPE_VERSION = "3.34.4"
#: Above this many nodes the server-side layout uses ``sfdp`` instead of ``dot``.
SFDP_ABOVE = 300
#: Above this many nodes the page switches to cheaper drawing (straight edges, labels hidden when zoomed out).
LARGE_ABOVE = 400
#: Above this many nodes a page with boxes starts with every box collapsed (one node per app or service).
COLLAPSE_ABOVE = LARGE_ABOVE
#: Evidence entries kept per edge in the page (the weight still counts all).
MAX_EVIDENCE = 30
LAYOUT_TIMEOUT = 300

LayoutChoice = Literal["auto", "graphviz", "browser"]


def _static(name: str) -> str:
    return resources.files("decompose.render").joinpath("static", name).read_text(encoding="utf-8")


def _colors(names: list[str]) -> dict[str, str]:
    """A colour per name: the palette first, then distinct generated hues (never a repeated colour)."""
    import colorsys

    out = {}
    for i, g in enumerate(sorted(set(names))):
        if i < len(PALETTE):
            out[g] = PALETTE[i]
            continue
        k = i - len(PALETTE)
        hue = (k * 0.381966) % 1.0  # golden-angle steps: neighbours far apart on the wheel
        light = (0.78, 0.68, 0.86)[k % 3]
        r, gr, b = colorsys.hls_to_rgb(hue, light, 0.55)
        out[g] = f"#{round(r * 255):02x}{round(gr * 255):02x}{round(b * 255):02x}"
    return out


def graphviz_layout(view: View, *, engine: str | None = None, clusters: bool = False) -> dict[str, tuple[float, float]]:
    """Node id → (x, y) in screen orientation, laid out by Graphviz (``dot`` or ``sfdp``).

    ``clusters``: each group (app or service) laid out on its own and the groups packed in an
    array (``dot`` only), so the page can draw a box per group around its nodes, the boxes apart
    and the whole roughly as wide as tall. Empty if Graphviz fails or takes too long.
    """
    engine = engine or ("dot" if len(view.nodes) <= SFDP_ABOVE else "sfdp")
    clusters = clusters and engine == "dot"
    exe = find_dot(engine)
    index = {n.id: i for i, n in enumerate(view.nodes)}
    lines = [
        "digraph L {",
        "graph [rankdir=LR, overlap=prism, splines=false, outputorder=nodesfirst, start=1, nodesep=0.25, ranksep=0.6];",
        "node [shape=box, fixedsize=true, fontsize=9];",
    ]
    for n in view.nodes:
        if view.level == "app":  # the page's node size (page.js), in inches
            longest = max(len(n.id), len(f"{n.modules} modules"))
            height = max(34.0, min(90.0, 26 + 6 * math.sqrt(n.modules or 1)))  # as page.js draws it
            lines.append(f"n{index[n.id]} [width={max(60, 7.2 * longest + 18) / 72:.2f}, height={height / 72:.2f}];")
        else:
            # with boxes, room for the label under the node (page.js: 9 px text), so the boxes do not overlap
            width = max(0.4, len(n.id) * 5.6 / 72 / 1.4) if clusters else 0.4
            lines.append(f"n{index[n.id]} [width={width:.2f}, height={0.45 if clusters else 0.3}];")
    group_of: dict[int, str] = {}
    if clusters:
        # each group (app or service; the external packages together) laid out on its own, in a box,
        # and the boxes packed in an array: a page that reads like a map, not a column of 100 nodes.
        # Edges between groups do not place nodes here (the page draws them all).
        groups: dict[str, list[int]] = {}
        for n in view.nodes:
            groups.setdefault(n.group if n.type != "external" else EXTERNAL, []).append(index[n.id])
        lines[1] = 'graph [rankdir=LR, pack=20, packmode="array_u", nodesep=0.25, ranksep=0.5, outputorder=nodesfirst];'
        for i, group in enumerate(sorted(groups)):
            members = groups[group]
            group_of.update(dict.fromkeys(members, group))
            # a hidden hub holds the group together (one component) even where its members share no edge
            lines.append(f'h{i} [style=invis, width=0.01, height=0.01, label=""];')
            lines.append(
                f"subgraph cluster_{i} {{ label={json.dumps(group)}; margin=18; h{i}; "
                + " ".join(f"n{k};" for k in members)
                + " }"
            )
            lines.extend(f"h{i} -> n{k} [style=invis, weight=0];" for k in members)
    pairs = sorted(
        (index[e.source], index[e.target], e.feedback and not clusters)
        for e in {(e.source, e.target): e for e in view.edges}.values()
        if e.source != e.target and (not clusters or group_of[index[e.source]] == group_of[index[e.target]])
    )
    # the edges to cut to break a cycle do not rank their ends: the rest flows one way
    lines.extend(f"n{a} -> n{b}{' [constraint=false]' if fb else ''};" for a, b, fb in pairs)
    lines.append("}")
    try:
        proc = subprocess.run(
            [exe, "-Tjson0"],
            input="\n".join(lines).encode(),
            capture_output=True,
            check=False,
            timeout=LAYOUT_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return {}
    if proc.returncode != 0:
        return {}
    data = json.loads(proc.stdout)
    ids = [n.id for n in view.nodes]
    out: dict[str, tuple[float, float]] = {}
    for obj in data.get("objects", [])[int(data.get("_subgraph_cnt", 0)) :]:
        name = obj.get("name", "")
        if not name.startswith("n") or "pos" not in obj:
            continue
        x, y = (float(v) for v in obj["pos"].split(","))
        scale = 1.0 if view.level == "app" else 1.4
        out[ids[int(name[1:])]] = (round(x * scale, 1), round(-y * scale, 1))
    return out


#: Room around each group's box in :func:`grouped_layout` (px): the box's padding and its label above.
GROUP_GAP = 60.0


def _group_local_dot(view: View, groups: dict[str, list[int]]) -> dict[str, dict[int, tuple[float, float]]]:
    """Each group laid out on its own by one ``dot`` process (one graph per group in its input).

    Returns group → node index → (x, y) in screen orientation, the group's top-left corner at (0, 0);
    empty if Graphviz fails or takes too long.
    """
    exe = find_dot("dot")
    names = sorted(groups)
    gid = {g: i for i, g in enumerate(names)}
    group_of = {k: g for g, members in groups.items() for k in members}
    inner: dict[str, set[tuple[int, int]]] = {g: set() for g in names}
    index = {n.id: i for i, n in enumerate(view.nodes)}
    for e in view.edges:
        a, b = index[e.source], index[e.target]
        if a != b and group_of[a] == group_of[b]:
            inner[group_of[a]].add((a, b))
    text = []
    for g in names:
        text.append(f"digraph g{gid[g]} {{")
        text.append('graph [rankdir=LR, nodesep=0.12, ranksep=0.35, splines=false, pack=8, packmode="array_u"];')
        text.append("node [shape=box, fixedsize=true, height=0.4];")
        # room for the label drawn under the node (page.js: 9 px text, about 5.3 px a character)
        text.extend(f"n{k} [width={max(0.4, len(view.nodes[k].label) * 5.3 / 72):.2f}];" for k in groups[g])
        text.extend(f"n{a} -> n{b};" for a, b in sorted(inner[g]))
        text.append("}")
    try:
        proc = subprocess.run(
            [exe, "-Tjson0"], input="\n".join(text).encode(), capture_output=True, check=False, timeout=LAYOUT_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        return {}
    if proc.returncode != 0:
        return {}
    out: dict[str, dict[int, tuple[float, float]]] = {}
    decoder = json.JSONDecoder()
    raw, at = proc.stdout.decode(), 0
    while True:
        while at < len(raw) and raw[at].isspace():
            at += 1
        if at >= len(raw):
            break
        data, at = decoder.raw_decode(raw, at)
        g = names[int(data["name"][1:])]
        x0, y0, x1, y1 = (float(v) for v in data["bb"].split(","))
        pos: dict[int, tuple[float, float]] = {}
        for obj in data.get("objects", []):
            if "pos" in obj and obj.get("name", "").startswith("n"):
                x, y = (float(v) for v in obj["pos"].split(","))
                pos[int(obj["name"][1:])] = (x - x0, y1 - y)
        out[g] = pos
    return out if set(out) == set(names) else {}


def _group_local_grid(view: View, groups: dict[str, list[int]]) -> dict[str, dict[int, tuple[float, float]]]:
    """Each group's nodes in a grid by name (no Graphviz): about twice as wide as tall."""
    out: dict[str, dict[int, tuple[float, float]]] = {}
    for g, members in groups.items():
        ordered = sorted(members, key=lambda k: view.nodes[k].id)
        cell = max(40.0, max(len(view.nodes[k].label) for k in ordered) * 5.3 + 12)
        cols = max(1, math.ceil(math.sqrt(len(ordered) * 2 * 34 / cell)))
        out[g] = {k: (cell / 2 + (i % cols) * cell, 12 + (i // cols) * 34.0) for i, k in enumerate(ordered)}
    return out


def grouped_layout(view: View, *, graphviz: bool = True) -> dict[str, tuple[float, float]]:
    """Node id → (x, y): each group (app, service; external packages together) laid out on its own and
    the groups packed in rows, largest first, the whole about 1.6 times as wide as tall.

    The groups do not overlap, with room for the box the page draws around each, so the page can
    show any mix of collapsed and expanded groups without a new layout. Inside a group: ``dot``
    (one process for every group) when ``graphviz``, else a grid; edges between groups do not place
    nodes (the page draws them all). Linear in the graph's size, unlike one clustered ``dot`` run.
    """
    if not view.nodes:
        return {}
    groups: dict[str, list[int]] = {}
    for i, n in enumerate(view.nodes):
        groups.setdefault(n.group if n.type != "external" else EXTERNAL, []).append(i)
    local: dict[str, dict[int, tuple[float, float]]] = {}
    if graphviz:
        local = _group_local_dot(view, groups)
    if not local:
        local = _group_local_grid(view, groups)
    sizes: dict[str, tuple[float, float]] = {}
    for g, pos in local.items():
        half = {k: len(view.nodes[k].label) * 5.3 / 2 + 9 for k in pos}  # the label is wider than the node
        x1 = max(x + half[k] for k, (x, _y) in pos.items())
        x0 = min(x - half[k] for k, (x, _y) in pos.items())
        y1 = max(y for _x, y in pos.values()) + 30  # the label under the node
        y0 = min(y for _x, y in pos.values()) - 12
        local[g] = {k: (x - x0, y - y0) for k, (x, y) in pos.items()}
        sizes[g] = (x1 - x0 + GROUP_GAP, y1 - y0 + GROUP_GAP)
    order = sorted(sizes, key=lambda g: (-sizes[g][1], -sizes[g][0], g))
    area = sum(w * h for w, h in sizes.values())
    row_width = max(max(w for w, _h in sizes.values()), math.sqrt(area * 1.6))
    out: dict[str, tuple[float, float]] = {}
    x = y = row_height = 0.0
    for g in order:
        w, h = sizes[g]
        if x > 0 and x + w > row_width:
            x, y, row_height = 0.0, y + row_height, 0.0
        for k, (lx, ly) in local[g].items():
            out[view.nodes[k].id] = (round(x + GROUP_GAP / 2 + lx, 1), round(y + GROUP_GAP / 2 + ly, 1))
        x += w
        row_height = max(row_height, h)
    return out


def collapsed_layout(view: View, *, graphviz: bool = True) -> dict[str, tuple[float, float]]:
    """Group → (x, y): where each group's collapsed node goes when every group is collapsed.

    The groups and the pairs between them laid out as an app-level graph (``dot``, as the app-level
    page), or a grid by name without Graphviz. Names as in :func:`grouped_layout`.
    """
    group_of = {n.id: (n.group if n.type != "external" else EXTERNAL) for n in view.nodes}
    count = Counter(group_of.values())
    names = sorted(count)
    if graphviz:
        pairs = sorted({(group_of[e.source], group_of[e.target]) for e in view.edges} - {(g, g) for g in names})
        nodes = tuple(ViewNode(g, g, "app", g, g, None, modules=count[g]) for g in names)
        edges = tuple(ViewEdge(a, b, "import", 1, (), False) for a, b in pairs)
        try:
            placed = graphviz_layout(View("app", nodes, edges, "app", ()), engine="dot")
        except ToolMissingError:
            placed = {}
        if len(placed) == len(names):
            return placed
    cols = max(1, math.ceil(math.sqrt(len(names) * 1.6)))
    return {g: ((i % cols) * 220.0, (i // cols) * 120.0) for i, g in enumerate(names)}


def _dsm(graph: DependencyGraph, view: View, options: ViewOptions, proposal: ProposalLike | None) -> dict[str, Any]:
    ag = app_graph(filtered_graph(graph, options), kinds=options.kinds)
    apps = [a for a in ag.nodes if ag.nodes[a].get("type") == "app"]
    if view.level == "app" and options.focus is not None:
        shown = {n.id for n in view.nodes}
        apps = [a for a in apps if a in shown]
    services: list[str] | None = None
    if proposal is not None:
        svc = {a: service_of_app(proposal, graph, a) or "" for a in apps}
        # real services first, then the shared kernel, then what the proposal leaves out
        rank = {SHARED_KERNEL: 1, UNASSIGNED: 2}
        apps.sort(key=lambda a: (rank.get(svc[a], 0), svc[a], a))
        services = [svc[a] for a in apps]
    else:
        apps.sort()
    pos = {a: i for i, a in enumerate(apps)}
    cells: dict[tuple[int, int], dict[str, Any]] = {}
    for u, v, _k, d in sorted(ag.edges(keys=True, data=True), key=lambda t: (t[0], t[1], t[2])):
        if u not in pos or v not in pos or d["weight"] < options.min_weight:
            continue
        c = cells.setdefault((pos[u], pos[v]), {"r": pos[u], "c": pos[v], "k": {}, "ev": {}})
        c["k"][d["kind"]] = int(d["weight"])
        c["ev"][d["kind"]] = [[e.path, e.line, e.symbol] for e in d["evidence"][:10]]
    return {"apps": apps, "services": services, "cells": [cells[k] for k in sorted(cells)]}


#: The module-level matrix is drawn up to this many modules (a table cell each pair).
MODULE_DSM_UP_TO = 400


def module_dsm(view: View) -> dict[str, Any] | None:
    """The shown modules as a dependency structure matrix, ordered by dependency.

    Row depends on column. Modules come after what they depend on (a topological order of the
    strongly connected components, ties by group then name), so every mark above the diagonal is
    a dependency inside a cycle. None above :data:`MODULE_DSM_UP_TO` modules.
    """
    import networkx as nx

    mods = [n for n in view.nodes if n.type != "external"]
    if len(mods) > MODULE_DSM_UP_TO:
        return None
    group = {n.id: n.group for n in mods}
    g: nx.DiGraph[str] = nx.DiGraph()
    g.add_nodes_from(sorted(group))
    weights: dict[tuple[str, str], int] = {}
    for e in view.edges:
        if e.source in group and e.target in group and e.source != e.target:
            weights[(e.source, e.target)] = weights.get((e.source, e.target), 0) + e.weight
            g.add_edge(e.source, e.target)
    cond = nx.condensation(g)
    members = cond.graph["mapping"]
    key = {c: min((group[m], m) for m in cond.nodes[c]["members"]) for c in cond.nodes}
    # dependencies first: the reverse of a topological order of "depends on"
    order_c = list(reversed(list(nx.lexicographical_topological_sort(cond, key=lambda c: key[c]))))
    order = [m for c in order_c for m in sorted(cond.nodes[c]["members"], key=lambda m: (group[m], m))]
    pos = {m: i for i, m in enumerate(order)}
    cells = sorted([pos[u], pos[v], w, members[u] == members[v]] for (u, v), w in weights.items())
    return {"modules": order, "groups": [group[m] for m in order], "cells": cells}


def page_data(
    graph: DependencyGraph,
    view: View,
    options: ViewOptions = ViewOptions(),
    proposal: ProposalLike | None = None,
    *,
    layout: LayoutChoice = "auto",
    collapse: bool | None = None,
) -> dict[str, Any]:
    """The JSON the page reads: nodes (with positions when laid out here), edges, colours, DSM.

    ``collapse``: start with every box (app or service) folded into one node; by default when the
    view has more than :data:`COLLAPSE_ABOVE` nodes. Large grouped views are laid out group by group
    (:func:`grouped_layout`, without Graphviz too), so a box expands in place.
    """
    positions: dict[str, tuple[float, float]] = {}
    box_positions: dict[str, tuple[float, float]] = {}
    grouped = view.level == "module" or view.grouped_by == "service"
    large = len(view.nodes) > LARGE_ABOVE
    big_groups = grouped and len(view.nodes) > SFDP_ABOVE
    graphviz = layout != "browser"
    if graphviz:
        try:
            find_dot("dot")
        except ToolMissingError:
            if layout == "graphviz":
                raise
            graphviz = False
    if grouped:
        # always laid out here, so every box (drawn around its nodes by the page) is in one piece: small
        # views by one clustered dot run, large ones group by group; without Graphviz, grids
        if graphviz and not big_groups:
            positions = graphviz_layout(view, clusters=True)
        if not positions:
            positions = grouped_layout(view, graphviz=graphviz)
        box_positions = collapsed_layout(view, graphviz=graphviz)
    elif graphviz:
        try:
            positions = graphviz_layout(view)
        except ToolMissingError:  # sfdp for large graphs is a separate program
            if layout == "graphviz":
                raise
    preset = bool(positions) and len(positions) == len(view.nodes)
    boxes = grouped
    if collapse is None:
        collapse = len(view.nodes) > COLLAPSE_ABOVE
    collapse = collapse and boxes
    nodes = []
    for n in view.nodes:
        label = n.label
        if n.type == "app":
            label = f"{n.id}\n{n.modules} module{'s' if n.modules != 1 else ''}"
        d: dict[str, Any] = {
            "id": n.id,
            "label": label,
            "type": n.type,
            "app": n.app,
            "service": n.service,
            "group": n.group,
            "modules": n.modules,
            "lines": n.lines,
            "path": n.path,
        }
        if n.externals:
            d["externals"] = list(n.externals)
        if n.cycle is not None:
            d["cycle"] = n.cycle
        if n.id in positions:
            d["x"], d["y"] = positions[n.id]
        if boxes:  # the box it is drawn in: its app or service; external packages in one box of their own
            d["box"] = n.group if n.type != "external" else EXTERNAL
        nodes.append(d)
    edges = [
        {
            "s": e.source,
            "t": e.target,
            "k": e.kind,
            "w": e.weight,
            "c": e.cycle,
            "f": e.feedback,
            "ev": [[x.path, x.line, x.symbol] for x in e.evidence[:MAX_EVIDENCE]],
            "more": max(0, e.weight - min(len(e.evidence), MAX_EVIDENCE)),
        }
        for e in view.edges
    ]
    internal = [n for n in view.nodes if n.type != "external"]
    group_colors = {
        "app": _colors([n.app or OUTSIDE_APPS for n in internal]),
        "service": _colors([n.service for n in internal if n.service]) if proposal is not None else {},
    }
    if any(n.type == "external" for n in view.nodes):
        group_colors["app"][EXTERNAL] = "#f0f0f0"
    title = f"{graph.root or 'project'}: {view.level} graph"
    if options.focus:
        title += f" around {options.focus} (depth {options.depth})"
    return {
        "title": title,
        "level": view.level,
        "hasProposal": proposal is not None,
        "large": large,
        "layout": "preset" if preset else ("cose" if not large else "concentric"),
        # a box per app or service around its nodes: where the layout keeps each group together
        "boxes": boxes,
        "collapsed": collapse,
        # where each box goes when every box is collapsed (large pages): an app-level picture
        "boxPos": {g: list(p) for g, p in sorted(box_positions.items())} if boxes else {},
        "kinds": [{"kind": k, "color": c, "style": s} for k, (c, s, _a) in KIND_STYLE.items()],
        "strength": list(KIND_STRENGTH),
        "abbrev": dict(KIND_ABBREV),
        "merged": view.edge_mode == "merged",
        "feedback": [list(p) for p in view.feedback],
        "cycles": view.app_cycles.to_dict(),  # decompose.cycles: what `analyze` and `graph` report
        "groupColors": group_colors,
        "nodes": nodes,
        "edges": edges,
        "dsm": _dsm(graph, view, options, proposal),
        "mdsm": module_dsm(view) if view.level == "module" else None,
    }


def _script_json(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), sort_keys=True)
    # Safe inside <script>: no "</script>", no "<!--".
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def to_html(
    graph: DependencyGraph,
    view: View,
    options: ViewOptions = ViewOptions(),
    proposal: ProposalLike | None = None,
    *,
    layout: LayoutChoice = "auto",
    compare: ProposalLike | None = None,
    collapse: bool | None = None,
) -> str:
    """The whole page as one string (deterministic for the same input).

    ``compare``: a second proposal; the page's Diff view shows who moves where from ``proposal`` to it.
    ``collapse``: see :func:`page_data`.
    """
    data = page_data(graph, view, options, proposal, layout=layout, collapse=collapse)
    if proposal is not None and compare is not None:
        data["diff"] = proposal_diff(view, graph, proposal, compare).to_dict()
    parts = {
        "VERSION": __version__,
        "TITLE": _escape(data["title"]),
        "CSS": _static("page.css"),
        "DATA": _script_json(data),
        "CYTOSCAPE": f"/* Cytoscape.js {CYTOSCAPE_VERSION}, MIT licence, https://js.cytoscape.org */\n"
        + _static("cytoscape.min.js"),
        "APP": _static("page.js"),
    }
    return re.sub(r"/\*@(\w+)@\*/", lambda m: parts[m.group(1)], _static("page.html"))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
