"""Time `decompose graph --format html` on a real project: build the page, then load it in headless Chromium.

Usage (from the repository root)::

    pip download --no-deps --only-binary=:all: wagtail==8.0.1 -d /tmp/wagtail
    unzip -q /tmp/wagtail/wagtail-8.0.1-py3-none-any.whl -d /tmp/wagtail/src
    .venv/bin/python benchmarks/render_html.py /tmp/wagtail/src --level module --runs 3

PATH is a project folder (analysed with decompose.analysis) or a graph.json.
Prints one JSON object: graph size, time to analyse, to lay out and write the
page, page size, and for each browser run the time from navigation to the
page's first render (wall clock, measured by Playwright) and the page's own
timings (script start → Cytoscape ready → first painted frame). The page and a
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


def load_graph(path: str):  # -> DependencyGraph
    if path.endswith(".json"):
        from decompose.graph import load

        return load(path)
    from decompose.analysis import load_graph_or_analyze

    return load_graph_or_analyze(path)


def browser_runs(html: Path, runs: int, shot: Path) -> list[dict[str, float]]:
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for i in range(runs):
                page = browser.new_page(viewport={"width": 1400, "height": 850})
                errors: list[str] = []
                # each handler keeps this round's list
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
                t0 = time.perf_counter()
                page.goto(html.as_uri(), wait_until="commit")
                page.wait_for_function(
                    "window.decompose && window.decompose.ready === true", timeout=600_000, polling=10
                )
                wall = time.perf_counter() - t0
                timings = page.evaluate("window.decompose.timings")
                nav = page.evaluate("performance.getEntriesByType('navigation')[0].toJSON()")
                if i == 0:
                    page.screenshot(path=str(shot))
                results.append(
                    {
                        "wall_s": round(wall, 3),
                        "html_parsed_ms": round(nav["domInteractive"], 1),
                        "script_to_cytoscape_ready_ms": round(timings["init"], 1),
                        "script_to_first_render_ms": round(timings["firstRender"], 1),
                        "errors": len(errors),
                    }
                )
                page.close()
        finally:
            browser.close()
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    ap.add_argument("--level", choices=["app", "module"], default="module")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--layout", choices=["auto", "graphviz", "browser"], default="auto")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)

    from decompose.render import ViewOptions, build_view
    from decompose.render.html import to_html

    out = Path(args.out or tempfile.mkdtemp(prefix="decompose-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    graph = load_graph(args.path)
    t_load = time.perf_counter() - t
    options = ViewOptions(level=args.level)
    t = time.perf_counter()
    view = build_view(graph, options)
    html_text = to_html(graph, view, options, layout=args.layout)
    t_html = time.perf_counter() - t
    html = out / f"graph-{args.level}.html"
    html.write_text(html_text, encoding="utf-8")
    runs = browser_runs(html, args.runs, out / f"graph-{args.level}.png")
    report = {
        "project": args.path,
        "level": args.level,
        "modules": len(graph.modules()),
        "nodes": len(view.nodes),
        "edges_drawn": len(view.links) if view.edge_mode == "merged" else len(view.edges),
        "edges_per_kind": len(view.edges),
        "app_cycles": len(view.cycles),
        "analyse_or_load_s": round(t_load, 2),
        "layout_and_html_s": round(t_html, 2),
        "layout": args.layout,
        "html_bytes": html.stat().st_size,
        "browser_runs": runs,
        "median_wall_s": statistics.median(r["wall_s"] for r in runs),
        "median_first_render_ms": statistics.median(r["script_to_first_render_ms"] for r in runs),
        "output": str(out),
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
