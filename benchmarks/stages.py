"""Where `decompose analyze` spends its time: CPU seconds per stage, in one process.

    .venv/bin/python benchmarks/stages.py PATH [--cache-dir DIR]

Runs the stages of the analysis through the Python API, one after the other in
this process, with the scan in one process (``jobs=1``) so that its CPU time is
visible here, and prints CPU seconds (``time.process_time``) for each:

- cold: discover, the bare ``ast.parse`` of the same files (the floor), scan
  without a cache, scan filling an empty cache, the build in plain dicts (what
  ``decompose analyze`` does) and as a networkx graph (what ``decompose.builder.build_graph``
  returns; the first call imports networkx), ``to_json``, summary;
- warm: discover, scan from the cache, build, ``to_json``.

Use it on a fetched project, e.g. ``~/.cache/decompose-bench/src/wagtail-8.0.1``
after a run of ``real_projects.py``. CPU time is steadier than wall time on a
shared machine, but still moves by 10-30 % with the load.
"""

from __future__ import annotations

import argparse
import ast
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

T = time.process_time


def timed(label: str, fn: Callable[[], Any], rows: list[tuple[str, float]]) -> Any:
    t = T()
    out = fn()
    rows.append((label, T() - t))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path")
    parser.add_argument("--cache-dir", help="facts cache to fill (default: a temporary folder, removed after)")
    args = parser.parse_args(argv)
    t0 = T()
    from decompose.analysis import scan_project
    from decompose.builder import build_graph as build
    from decompose.builder import build_plain
    from decompose.project import discover
    from decompose.summary import summarize

    rows: list[tuple[str, float]] = [("imports (decompose.analysis, graph, summary)", T() - t0)]
    cache = Path(args.cache_dir) if args.cache_dir else Path(tempfile.mkdtemp(prefix="decompose-stages-"))
    shutil.rmtree(cache, ignore_errors=True)
    try:
        project = timed("cold: discover", lambda: discover(args.path), rows)

        def floor() -> None:
            for f in project.files:
                with open(f.abspath, "rb") as fh:
                    src = fh.read()
                try:
                    ast.parse(src)  # the tree is dropped at once, as a scanner would
                except (SyntaxError, ValueError):
                    pass

        timed("cold: ast.parse of every file (floor)", floor, rows)
        timed("cold: scan, no cache", lambda: scan_project(project, use_cache=False, jobs=1), rows)
        facts, skipped, _, _ = timed(
            "cold: scan, filling the cache", lambda: scan_project(project, cache_dir=cache, jobs=1), rows
        )
        timed("cold: build, plain dicts (as the CLI)", lambda: build_plain(project, facts, skipped=skipped), rows)
        graph = timed("cold: build, networkx graph (the API)", lambda: build(project, facts, skipped=skipped), rows)
        text = timed("cold: to_json", graph.to_json, rows)
        timed("cold: summary", lambda: summarize(graph), rows)
        project = timed("warm: discover", lambda: discover(args.path), rows)
        facts, skipped, scanned, _ = timed(
            "warm: scan from the cache", lambda: scan_project(project, cache_dir=cache, jobs=1), rows
        )
        graph = timed("warm: build, networkx graph (the API)", lambda: build(project, facts, skipped=skipped), rows)
        timed("warm: to_json", graph.to_json, rows)
    finally:
        if not args.cache_dir:
            shutil.rmtree(cache, ignore_errors=True)
    print(f"{args.path}: {len(project.files)} files, graph JSON {len(text) / 2**20:.1f} MB, rescanned warm: {scanned}")
    width = max(len(label) for label, _ in rows)
    for label, secs in rows:
        print(f"  {label:<{width}}  {secs:6.3f} s CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
