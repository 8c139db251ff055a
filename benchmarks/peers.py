"""The peers the analyser is measured against, each run as its own child process.

    python benchmarks/peers.py ast FILELIST [--workers 2]
        Read and ``ast.parse`` every file listed (one path a line) in a pool of
        worker processes: the floor for any Python analyser built on ``ast``.
    python benchmarks/peers.py spin [--workers 2]
        Fixed pure-Python CPU work split over the workers: run with 1 and 2
        workers, it shows how much a 2-process pool gains on this machine.
    python benchmarks/peers.py grimp ROOT PACKAGE [PACKAGE...]
        grimp's ``build_graph`` over the packages found under ROOT, no cache.

Each prints one JSON line with what it saw, so the harness can check that the
peers and the analyser looked at the same code.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor


def _parse_chunk(paths: list[str]) -> tuple[int, int]:
    parsed = errors = 0
    for path in paths:
        with open(path, "rb") as fh:
            source = fh.read()
        try:
            ast.parse(source, path)
            parsed += 1
        except (SyntaxError, ValueError):
            errors += 1
    return parsed, errors


def ast_floor(paths: list[str], workers: int) -> dict[str, int]:
    """Parse ``paths`` in ``workers`` processes, size-balanced chunks (about 6 per worker)."""
    sizes = {p: os.path.getsize(p) for p in paths}
    n_chunks = max(1, min(len(paths), workers * 6))
    chunks: list[list[str]] = [[] for _ in range(n_chunks)]
    loads = [0] * n_chunks
    for p in sorted(paths, key=lambda p: -sizes[p]):
        c = loads.index(min(loads))
        chunks[c].append(p)
        loads[c] += sizes[p] + 2000
    parsed = errors = 0
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for ok, bad in pool.map(_parse_chunk, [c for c in chunks if c]):
            parsed += ok
            errors += bad
    return {"files": len(paths), "parsed": parsed, "syntax_errors": errors}


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def spin(workers: int, units: int = 8, unit: int = 2_500_000) -> dict[str, int]:
    """A fixed amount of pure-Python CPU work split over ``workers`` processes (calibrates parallelism)."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_spin, [unit] * units))
    return {"workers": workers, "units": units}


def grimp_graph(root: str, packages: list[str]) -> dict[str, int]:
    import grimp

    sys.path.insert(0, root)
    graph = grimp.build_graph(*packages, cache_dir=None)
    return {"modules": len(graph.modules), "imports": graph.count_imports()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="peers.py")
    sub = parser.add_subparsers(dest="peer", required=True)
    a = sub.add_parser("ast")
    a.add_argument("filelist")
    a.add_argument("--workers", type=int, default=2)
    sp = sub.add_parser("spin")
    sp.add_argument("--workers", type=int, default=2)
    g = sub.add_parser("grimp")
    g.add_argument("root")
    g.add_argument("packages", nargs="+")
    args = parser.parse_args(argv)
    if args.peer == "spin":
        result = spin(args.workers)
    elif args.peer == "ast":
        with open(args.filelist, encoding="utf-8") as fh:
            paths = [line.rstrip("\n") for line in fh if line.strip()]
        result = ast_floor(paths, args.workers)
    else:
        result = grimp_graph(args.root, args.packages)
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
