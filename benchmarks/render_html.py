"""Time `decompose graph --format html` on a real project: build the page, then load it in headless Chromium.

Usage (from the repository root; benchmarks/real_projects.py fetches wagtail into the cache)::

    .venv/bin/python benchmarks/render_html.py ~/.cache/decompose-bench/src/wagtail-8.0.1 --level module --runs 5

PATH is a project folder (analysed with decompose.analysis) or a graph.json.
Prints one JSON object: graph size, time to analyse, to lay out and write the
page, page size and, round by round in one browser, the page's **first
render**: milliseconds from navigation start to the first frame drawn after the
graph is ready (the page's own mark, ``performance.now()`` two animation frames
after Cytoscape's ``ready``). The peer, measured the same way in the same
rounds: the same view drawn by Graphviz as one SVG (``sfdp``, no cluster boxes:
the clustered ``dot`` drawing `decompose graph --level module -o x.svg` makes
ran for more than 6 minutes on wagtail), first frame after the SVG's ``load``.
Also, on a page that starts collapsed, the time to expand its largest box and
to collapse it again (measured in the page). The page, the SVG and a
screenshot go to --out (default: a temporary folder).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# after the page's graph is ready: its own first-render mark (older pages: the first frame that saw it ready)
FIRST_RENDER = """() => (window.decompose.timings.firstRenderFromNavigation
  || new Promise(r => requestAnimationFrame(() => r(performance.now()))))"""
AFTER_LOAD = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))))"
# expand the largest collapsed box, then collapse it: milliseconds each, until the next frame is drawn
EXPAND_COLLAPSE = """async () => {
  const d = window.decompose, cy = d.cy;
  const boxes = cy.nodes('[?box]').filter(b => d.collapsed[b.id()]);
  if (boxes.empty()) return null;
  const box = boxes.max(b => b.data('modules')).ele;
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const modules = () => cy.nodes('[!box]').length, before = modules();
  let t = performance.now();
  d.toggleBox(box.id());
  await frame();
  const expand = performance.now() - t, shown = modules() - before;
  t = performance.now();
  d.toggleBox(box.id());
  await frame();
  return {box: box.data('name'), modules: shown, expand_ms: expand, collapse_ms: performance.now() - t};
}"""


def load_graph(path: str):  # -> DependencyGraph
    if path.endswith(".json"):
        from decompose.graph import load

        return load(path)
    from decompose.analysis import load_graph_or_analyze

    return load_graph_or_analyze(path)


def browser_rounds(html: Path, svg: Path | None, runs: int, shot: Path) -> list[dict[str, object]]:
    from playwright.sync_api import sync_playwright

    results: list[dict[str, object]] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for i in range(runs):
                row: dict[str, object] = {}
                page = browser.new_page(viewport={"width": 1400, "height": 850})
                errors: list[str] = []
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
                t0 = time.perf_counter()
                page.goto(html.as_uri(), wait_until="commit")
                page.wait_for_function(
                    "window.decompose && window.decompose.ready === true", timeout=600_000, polling=10
                )
                row["page_wall_s"] = round(time.perf_counter() - t0, 3)
                row["page_first_render_ms"] = round(page.evaluate(FIRST_RENDER), 1)
                if i == 0:
                    page.screenshot(path=str(shot))
                toggled = page.evaluate(EXPAND_COLLAPSE)
                if toggled:
                    row["expand_ms"] = round(toggled["expand_ms"], 1)
                    row["collapse_ms"] = round(toggled["collapse_ms"], 1)
                    row["expanded"] = f"{toggled['box']} ({toggled['modules']} modules)"
                row["errors"] = len(errors)
                page.close()
                if svg is not None:
                    page = browser.new_page(viewport={"width": 1400, "height": 850})
                    page.goto(svg.as_uri(), wait_until="load", timeout=600_000)
                    row["svg_first_render_ms"] = round(page.evaluate(AFTER_LOAD), 1)
                    row["ratio"] = round(row["page_first_render_ms"] / row["svg_first_render_ms"], 3)  # type: ignore[operator]
                    page.close()
                results.append(row)
        finally:
            browser.close()
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    ap.add_argument("--level", choices=["app", "module"], default="module")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--layout", choices=["auto", "graphviz", "browser"], default="auto")
    ap.add_argument("--collapse", choices=["auto", "yes", "no"], default="auto", help="start with the boxes collapsed")
    ap.add_argument("--no-peer", action="store_true", help="skip the Graphviz SVG peer")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)

    from decompose.render import ViewOptions, build_view
    from decompose.render.dot import render_image, to_dot
    from decompose.render.html import to_html

    out = Path(args.out or tempfile.mkdtemp(prefix="decompose-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    graph = load_graph(args.path)
    t_load = time.perf_counter() - t
    options = ViewOptions(level=args.level)
    collapse = {"auto": None, "yes": True, "no": False}[args.collapse]
    t = time.perf_counter()
    view = build_view(graph, options)
    # (a page from before collapsing existed, with PYTHONPATH on an older src/: measured as it is)
    extra = {} if collapse is None else {"collapse": collapse}
    html_text = to_html(graph, view, options, layout=args.layout, **extra)
    t_html = time.perf_counter() - t
    html = out / f"graph-{args.level}.html"
    html.write_text(html_text, encoding="utf-8")
    svg = None
    t_svg = None
    if not args.no_peer:
        t = time.perf_counter()
        engine = "sfdp" if len(view.nodes) > 300 else "dot"
        svg_bytes = render_image(to_dot(view, clusters=False), "svg", program=engine)
        t_svg = time.perf_counter() - t
        svg = out / f"graph-{args.level}.svg"
        svg.write_bytes(svg_bytes)
    load_before = os.getloadavg()[0]
    rounds = browser_rounds(html, svg, args.runs, out / f"graph-{args.level}.png")

    def median(key: str) -> float | None:
        values = [float(r[key]) for r in rounds if key in r]  # type: ignore[arg-type]
        return round(statistics.median(values), 3) if values else None

    report = {
        "project": args.path,
        "level": args.level,
        "modules": len(graph.modules()),
        "nodes": len(view.nodes),
        "edges_drawn": len(view.links) if view.edge_mode == "merged" else len(view.edges),
        "edges_per_kind": len(view.edges),
        "analyse_or_load_s": round(t_load, 2),
        "layout_and_html_s": round(t_html, 2),
        "graphviz_svg_s": None if t_svg is None else round(t_svg, 2),
        "layout": args.layout,
        "collapse": args.collapse,
        "html_bytes": html.stat().st_size,
        "svg_bytes": None if svg is None else svg.stat().st_size,
        "rounds": rounds,
        "median_page_first_render_ms": median("page_first_render_ms"),
        "median_svg_first_render_ms": median("svg_first_render_ms"),
        "median_ratio_page_over_svg": median("ratio"),
        "median_expand_ms": median("expand_ms"),
        "median_collapse_ms": median("collapse_ms"),
        "output": str(out),
        "cpus": os.cpu_count(),
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
