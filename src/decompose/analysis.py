"""The whole analysis: discover -> scan (cached, parallel) -> build.

This is the Python API of ``decompose analyze``. Other stages accept either a
project folder or a saved graph through :func:`load_graph_or_analyze`.

Example::

    >>> graph = analyze("sample_monolith")                       # doctest: +SKIP
    >>> sorted(graph.app_labels())[:2]                             # doctest: +SKIP
    ['accounts', 'cart']
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from decompose.errors import InputError
from decompose.graph import DependencyGraph, Skipped, build, load, without_externals
from decompose.project import Project, discover
from decompose.scan.cache import FactsCache, Result
from decompose.scan.facts import ANALYSER_VERSION, ModuleFacts
from decompose.scan.parallel import scan_files

CACHE_DIRNAME = ".decompose-cache"
#: the last built graph with the fingerprint of its inputs: a warm run with nothing changed skips the build
_GRAPH = f"graph-v{ANALYSER_VERSION}.pickle"
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Stats:
    """How the run went (not part of the graph, so the graph stays byte-identical across runs)."""

    files: int
    scanned: int  # parsed this run
    cached: int  # taken from the cache
    skipped: int
    seconds: float


@dataclass(frozen=True, slots=True)
class Analysis:
    project: Project
    graph: DependencyGraph
    stats: Stats


def scan_project(
    project: Project,
    *,
    use_cache: bool = True,
    cache_dir: str | Path | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> tuple[dict[str, ModuleFacts], tuple[Skipped, ...], int, int]:
    """Facts of every file of ``project``: (facts by module, skipped, scanned count, cached count)."""
    facts, skipped, scanned, cached, _keys = _scan(project, use_cache=use_cache, cache_dir=cache_dir, jobs=jobs, progress=progress)
    return facts, skipped, scanned, cached


def _cache_dir(project: Project, use_cache: bool, cache_dir: str | Path | None) -> Path | None:
    if not use_cache:
        return None
    return Path(cache_dir) if cache_dir is not None else project.root / CACHE_DIRNAME


def _scan(
    project: Project,
    *,
    use_cache: bool,
    cache_dir: str | Path | None,
    jobs: int | None,
    progress: Progress | None,
) -> tuple[dict[str, ModuleFacts], tuple[Skipped, ...], int, int, dict[str, str]]:
    directory = _cache_dir(project, use_cache, cache_dir)
    cache = FactsCache(directory)
    entries: dict[str, tuple[int, int, str, Result]] = {}
    facts: dict[str, ModuleFacts] = {}
    skipped: list[Skipped] = []
    todo = []
    for f in project.files:
        hit = cache.by_stat(f.path, f.mtime_ns, f.size)
        if hit is not None:
            entries[f.path] = (f.mtime_ns, f.size, hit[0], hit[1])
            if isinstance(hit[1], str):
                skipped.append(Skipped(f.path, hit[1]))
            else:
                facts[f.module] = hit[1]
        else:
            todo.append(f)
    cached = len(project.files) - len(todo)
    if todo:
        obj_dir = directory if cache.writable else None
        done = scan_files(
            [(f.module, f.abspath, f.is_package, f.migration) for f in todo],
            sizes=[f.size for f in todo],
            cache_dir=obj_dir,
            workers=jobs,
            progress=progress,
        )
        for f, (_module, key, result) in zip(todo, done):
            if key:
                entries[f.path] = (f.mtime_ns, f.size, key, result)
            if isinstance(result, str):
                skipped.append(Skipped(f.path, result))
            else:
                facts[f.module] = result
    cache.save_index(entries)
    return facts, tuple(sorted(skipped)), len(todo), cached, {p: e[2] for p, e in entries.items()}


def _fingerprint(project: Project, keys: dict[str, str], hide_external: bool) -> str:
    """Everything the built graph depends on: the content keys of all files plus what discovery found."""
    h = hashlib.blake2b(digest_size=20)
    parts = (
        ANALYSER_VERSION,
        hide_external,
        project.root.name,
        sorted(keys.items()),
        sorted((f.path, f.module, f.is_package, f.migration, f.test) for f in project.files),
        sorted(project.apps),
        project.settings_module,
        project.settings_modules,
        sorted((k, repr(v)) for k, v in project.settings.items()),
        sorted(project.skipped),
        project.warnings,
        project.config.source,
    )
    h.update(repr(parts).encode())
    return h.hexdigest()


def _load_built(directory: Path | None, fingerprint: str) -> DependencyGraph | None:
    if directory is None:
        return None
    try:
        with open(directory / _GRAPH, "rb") as fh:
            fp, graph = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
        return None
    return graph if fp == fingerprint and isinstance(graph, DependencyGraph) else None


def _store_built(directory: Path | None, fingerprint: str, graph: DependencyGraph) -> None:
    if directory is None:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".pickle")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump((fingerprint, graph), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, directory / _GRAPH)
    except OSError:
        pass


def run_analysis(
    path: str | Path = ".",
    *,
    settings: str | None = None,
    use_cache: bool = True,
    cache_dir: str | Path | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
    hide_external: bool = False,
) -> Analysis:
    """Analyse the project at ``path``; the graph plus how the run went."""
    start = time.perf_counter()
    project = discover(path, settings)
    facts, skipped, scanned, cached, keys = _scan(project, use_cache=use_cache, cache_dir=cache_dir, jobs=jobs, progress=progress)
    if not facts:
        raise InputError(f"{path}: none of its Python files could be analysed", hint="see the skipped files with --format json")
    directory = _cache_dir(project, use_cache, cache_dir)
    fingerprint = _fingerprint(project, keys, hide_external)
    graph = _load_built(directory, fingerprint)
    if graph is None:
        graph = build(project, facts, skipped=skipped)
        if hide_external:
            graph = without_externals(graph)
        _store_built(directory, fingerprint, graph)
    stats = Stats(
        files=len(project.files),
        scanned=scanned,
        cached=cached,
        skipped=len(graph.skipped),
        seconds=time.perf_counter() - start,
    )
    return Analysis(project, graph, stats)


def analyze(
    path: str | Path = ".",
    *,
    settings: str | None = None,
    use_cache: bool = True,
    cache_dir: str | Path | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
    hide_external: bool = False,
) -> DependencyGraph:
    """The dependency graph of the Django project at ``path`` (nothing of it is imported or run)."""
    return run_analysis(
        path, settings=settings, use_cache=use_cache, cache_dir=cache_dir, jobs=jobs, progress=progress, hide_external=hide_external
    ).graph


def load_graph_or_analyze(path_or_json: str | Path, **kwargs: object) -> DependencyGraph:
    """A graph from a ``graph.json`` file, or by analysing a project folder."""
    p = Path(path_or_json)
    if p.is_dir():
        return analyze(p, **kwargs)  # type: ignore[arg-type]
    if p.is_file():
        return load(p)
    raise InputError(f"{path_or_json}: no such project folder or graph file")
