"""The whole analysis: discover -> scan (cached, parallel) -> build.

This is the Python API of ``decompose analyze``. Other stages accept either a
project folder or a saved graph through :func:`load_graph_or_analyze`.

Example::

    >>> graph = analyze("sample_monolith")                       # doctest: +SKIP
    >>> sorted(graph.app_labels())[:2]                             # doctest: +SKIP
    ['accounts', 'cart']
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from decompose.errors import DecomposeError, InputError
from decompose.graph import DependencyGraph, Skipped, load
from decompose.project import Project, SourceFile, discover
from decompose.scan.cache import (
    BUILT_HEAD,
    FactsCache,
    Result,
    blake2b,
    facts_blob,
    read_marshal,
    write_bytes,
    write_marshal,
)
from decompose.scan.facts import ANALYSER_VERSION, ModuleFacts
from decompose.scan.parallel import scan_files

if TYPE_CHECKING:  # pragma: no cover
    from decompose.builder import PlainGraph

CACHE_DIRNAME = ".decompose-cache"
#: the last built graph, keyed by the fingerprint of its inputs: a run where nothing changed reuses it
#: (and its JSON text and rendered summary) without loading any facts or building anything
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Stats:
    """How the run went (not part of the graph, so the graph stays byte-identical across runs)."""

    files: int
    scanned: int  # parsed this run
    cached: int  # taken from the cache
    skipped: int
    seconds: float


class _Built:
    """The outputs of one build in the cache folder: a small head plus the graph's JSON text.

    Head (``built-v<V>.marshal``): ``{"fingerprint", "skipped", "rendered": {key: text}}``; the JSON
    file (written once someone asked for the JSON) is named after the fingerprint, so a head never
    points at another run's graph.
    """

    def __init__(self, directory: Path, fingerprint: str, head: dict[str, Any]) -> None:
        self.directory = directory
        self.fingerprint = fingerprint
        self.head = head

    @property
    def stem(self) -> str:
        return f"graph-v{ANALYSER_VERSION}-{self.fingerprint[:20]}"

    @classmethod
    def load(cls, directory: Path | None, fingerprint: str) -> _Built | None:
        if directory is None:
            return None
        head = read_marshal(directory / BUILT_HEAD)
        if (
            not isinstance(head, dict)
            or head.get("fingerprint") != fingerprint
            or not isinstance(head.get("rendered"), dict)
        ):
            return None
        return cls(directory, fingerprint, head)

    @classmethod
    def store(cls, directory: Path | None, fingerprint: str, graph: PlainGraph) -> _Built | None:
        if directory is None:
            return None
        built = cls(directory, fingerprint, {"fingerprint": fingerprint, "skipped": len(graph.skipped), "rendered": {}})
        for old in directory.glob(f"graph-v{ANALYSER_VERSION}-*"):
            if not old.name.startswith(built.stem):
                try:
                    old.unlink()
                except OSError:
                    pass
        built.save_head()
        return built

    def save_head(self) -> None:
        write_marshal(self.directory / BUILT_HEAD, self.head)

    def graph(self) -> DependencyGraph | None:
        import json

        text = self.json_text()
        if text is None:
            return None
        try:
            return DependencyGraph.from_dict(json.loads(text))
        except (ValueError, DecomposeError):
            return None

    def json_text(self) -> str | None:
        """The graph's JSON text kept by the last run, or None when missing or not intact.

        The file starts with a line holding the BLAKE2 digest of the text after it: a file cut short
        or changed since (a full disk, a stray edit) is never handed out as the graph.
        """
        try:
            data = (self.directory / f"{self.stem}.json").read_bytes()
        except OSError:
            return None
        digest, _, body = data.partition(b"\n")
        if digest != blake2b(body, digest_size=20).hexdigest().encode():
            return None
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def store_json(self, text: str) -> None:
        body = text.encode("utf-8")
        write_bytes(
            self.directory / f"{self.stem}.json", blake2b(body, digest_size=20).hexdigest().encode() + b"\n" + body
        )


class Analysis:
    """The result of :func:`run_analysis`: the project, how the run went, and the graph.

    When nothing changed since the last run, the graph is not rebuilt: it is read from the cache on
    first access of :attr:`graph`, and :meth:`to_json` / :meth:`rendering` hand back what the
    last run computed, without loading the graph at all.
    """

    __slots__ = (
        "project",
        "stats",
        "_graph",
        "_plain",
        "_built",
        "_json",
        "_rebuild",
        "_facts",
        "_load_facts",
        "_rebuild_plain",
    )

    def __init__(
        self,
        project: Project,
        stats: Stats,
        graph: DependencyGraph | None = None,
        built: _Built | None = None,
        rebuild: Callable[[], DependencyGraph] | None = None,
        plain: PlainGraph | None = None,
        facts: dict[str, ModuleFacts] | None = None,
        load_facts: Callable[[], dict[str, ModuleFacts]] | None = None,
        rebuild_plain: Callable[[], PlainGraph] | None = None,
    ) -> None:
        self.project = project
        self._rebuild_plain = rebuild_plain
        self._facts = facts
        self._load_facts = load_facts
        self.stats = stats
        self._graph = graph
        self._plain = plain
        self._built = built
        self._json: str | None = None
        self._rebuild = rebuild

    @property
    def graph(self) -> DependencyGraph:
        if self._graph is None:
            if self._plain is not None:
                self._graph = self._plain.to_graph()
                return self._graph
            g = self._built.graph() if self._built is not None else None
            if g is None and self._rebuild is not None:  # the cached graph vanished (another run replaced it)
                g = self._rebuild()
            assert g is not None
            self._graph = g
        return self._graph

    def plain_graph(self) -> PlainGraph:
        """The graph in plain dicts (no networkx): the one this run built, else built from the cached facts."""
        if self._plain is not None:
            return self._plain
        assert self._rebuild_plain is not None
        return self._rebuild_plain()

    def facts(self) -> dict[str, ModuleFacts]:
        """The facts of every module scanned (what extraction plans from), read from the cache when this run
        did not scan them."""
        if self._facts is None:
            assert self._load_facts is not None
            self._facts = self._load_facts()
        return self._facts

    def to_json(self) -> str:
        """The graph as JSON text (see :meth:`DependencyGraph.to_json`)."""
        if self._json is None:
            fresh = self._graph is not None or self._plain is not None
            text = self._built.json_text() if self._built is not None and not fresh else None
            if text is None:
                text = self._plain.to_json() if self._plain is not None else self.graph.to_json()
                if self._built is not None:
                    self._built.store_json(text)
            self._json = text
        return self._json

    def summary_source(self) -> Any:
        """What :func:`decompose.summary.summarize` reads: the plain graph just built (no networkx), else the graph."""
        return self._plain if self._plain is not None else self.graph

    def rendering(self, key: str) -> Any:
        """What :meth:`remember_rendering` stored under ``key`` for this very graph, or None."""
        return self._built.head["rendered"].get(key) if self._built is not None else None

    def remember_rendering(self, key: str, value: Any) -> None:
        """Keep a rendering of this graph (e.g. the summary for one terminal) for the next unchanged run."""
        if self._built is not None:
            self._built.head["rendered"][key] = value
            self._built.save_head()


def scan_project(
    project: Project,
    *,
    use_cache: bool = True,
    cache_dir: str | Path | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
    read_only: bool = False,
) -> tuple[dict[str, ModuleFacts], tuple[Skipped, ...], int, int]:
    """Facts of every file of ``project``: (facts by module, skipped, scanned count, cached count)."""
    cache = FactsCache(_cache_dir(project, use_cache, cache_dir))
    if read_only:
        cache.writable = False
    known, todo = _by_stat(project, cache)
    facts, skipped, scanned, cached, _keys = _scan(project, cache, known, todo, jobs=jobs, progress=progress)
    return facts, skipped, scanned, cached


def _cache_dir(project: Project, use_cache: bool, cache_dir: str | Path | None) -> Path | None:
    if not use_cache:
        return None
    return Path(cache_dir) if cache_dir is not None else project.root / CACHE_DIRNAME


def _by_stat(project: Project, cache: FactsCache) -> tuple[dict[str, str], list[SourceFile]]:
    """Content keys of the files unchanged since the last run (by stat), and the files to read."""
    known: dict[str, str] = {}
    todo = []
    by_stat = cache.by_stat
    for f in project.files:
        key = by_stat(f.path, f.mtime_ns, f.size)
        if key is None:
            todo.append(f)
        else:
            known[f.path] = key
    return known, todo


def _scan(
    project: Project,
    cache: FactsCache,
    known: dict[str, str],
    todo: list[SourceFile],
    *,
    jobs: int | None,
    progress: Progress | None,
) -> tuple[dict[str, ModuleFacts], tuple[Skipped, ...], int, int, dict[str, str]]:
    stats: dict[str, tuple[int, int, str]] = {}
    results: dict[str, Result] = {}
    facts: dict[str, ModuleFacts] = {}
    skipped: list[Skipped] = []
    previous = cache.results() if known else {}

    def take(f: SourceFile, key: str, result: Result) -> None:
        if key:
            stats[f.path] = (f.mtime_ns, f.size, key)
            results[key] = result
        if isinstance(result, str):
            skipped.append(Skipped(f.path, result))
        else:
            facts[f.module] = result

    scan = list(todo)
    for f in project.files:
        key = known.get(f.path)
        if key is not None:
            result = previous.get(key)
            if result is None:
                scan.append(f)  # the facts index lost it (another run wrote it): read the file again
            else:
                take(f, key, result)
    cached = len(project.files) - len(scan)
    index = cache.rewrites_index(len(scan), len(project.files))
    blobs: list[bytes] = []
    if scan:
        # objects/ serves the files a run does not put in the index (and other runs sharing the cache)
        directory = cache.directory if cache.writable and not index else None
        done = scan_files(
            [(f.module, f.abspath, f.is_package, f.migration) for f in scan],
            sizes=[f.size for f in scan],
            cache_dir=directory,
            workers=jobs,
            progress=progress,
            known=previous,
            meanwhile=_preload,
            blobs=blobs if index and cache.writable else None,
        )
        for f, (_module, key, result) in zip(scan, done, strict=True):
            take(f, key, result)
    if index and cache.writable:
        # the pool's blobs hold what it scanned, as the workers encoded it; the rest gets one blob of its own
        in_blobs = {key for _f, (_m, key, _r) in zip(scan, done, strict=True)} if blobs else set()
        rest = {k: v for k, v in results.items() if k not in in_blobs}
        if rest or not blobs:
            blobs.append(facts_blob(rest))
    cache.save(stats, blobs if index else None)
    keys = {p: e[2] for p, e in stats.items()}
    return facts, tuple(sorted(skipped)), len(scan), cached, keys


def _preload() -> None:
    """Imports the build needs, done while the pool scans (this process is idle then)."""
    import decompose.builder  # noqa: F401


def _fingerprint(project: Project, keys: dict[str, str], hide_external: bool) -> str:
    """Everything the built graph depends on: the content keys of all files plus what discovery found."""
    h = blake2b(digest_size=20)
    parts = (
        ANALYSER_VERSION,
        hide_external,
        project.root.name,
        sorted(keys.items()),
        sorted((f.path, f.module, f.is_package, f.migration, f.test) for f in project.files),
        sorted(project.apps),
        project.settings_module,
        project.settings_reason,
        project.settings_modules,
        sorted((k, repr(v)) for k, v in project.settings.items()),
        sorted(project.skipped),
        project.warnings,
        project.config.source,
    )
    h.update(repr(parts).encode())
    return h.hexdigest()


def run_analysis(
    path: str | Path = ".",
    *,
    settings: str | None = None,
    use_cache: bool = True,
    cache_dir: str | Path | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
    hide_external: bool = False,
    read_only: bool = False,
) -> Analysis:
    """Analyse the project at ``path``; the graph plus how the run went.

    ``read_only``: use what the cache holds but write nothing into it (``extract --plan`` writes nothing).
    """
    return _run(path, settings, use_cache, cache_dir, jobs, progress, hide_external, reuse=True, read_only=read_only)


def _run(
    path: str | Path,
    settings: str | None,
    use_cache: bool,
    cache_dir: str | Path | None,
    jobs: int | None,
    progress: Progress | None,
    hide_external: bool,
    *,
    reuse: bool,
    read_only: bool = False,
) -> Analysis:
    start = time.perf_counter()
    project = discover(path, settings)
    directory = _cache_dir(project, use_cache, cache_dir)
    cache = FactsCache(directory)
    if read_only:
        cache.writable = False
    known, todo = _by_stat(project, cache)
    n = len(project.files)

    loaded: list[tuple[dict[str, ModuleFacts], tuple[Skipped, ...]]] = []

    def load_facts() -> dict[str, ModuleFacts]:
        if not loaded:
            found, skipped_files, _s, _c = scan_project(
                project, use_cache=use_cache, cache_dir=cache_dir, jobs=jobs, read_only=read_only
            )
            loaded.append((found, skipped_files))
        return loaded[0][0]

    def rebuild_plain() -> PlainGraph:
        """The graph from the facts (cached) when the last build's JSON was not kept: no second discovery."""
        from decompose.builder import build_plain

        load_facts()
        plain = build_plain(project, loaded[0][0], skipped=loaded[0][1])
        return plain.without_externals() if hide_external else plain

    def rebuild() -> DependencyGraph:
        return rebuild_plain().to_graph()

    if reuse and not todo and directory is not None:  # nothing changed by stat: is the last build still valid?
        built = _Built.load(directory, _fingerprint(project, known, hide_external))
        if built is not None:
            stats = Stats(
                files=n, scanned=0, cached=n, skipped=built.head["skipped"], seconds=time.perf_counter() - start
            )
            return Analysis(
                project, stats, built=built, rebuild=rebuild, load_facts=load_facts, rebuild_plain=rebuild_plain
            )
    facts, skipped, scanned, cached, keys = _scan(project, cache, known, todo, jobs=jobs, progress=progress)
    loaded.append((facts, skipped))
    if not facts:
        raise InputError(
            f"{path}: none of its Python files could be analysed", hint="see the skipped files with --format json"
        )
    fingerprint = _fingerprint(project, keys, hide_external)
    built = _Built.load(directory, fingerprint) if reuse else None
    if built is not None:  # touched files, same content: the last build still holds
        stats = Stats(
            files=n, scanned=scanned, cached=cached, skipped=built.head["skipped"], seconds=time.perf_counter() - start
        )
        return Analysis(project, stats, built=built, rebuild=rebuild, facts=facts, rebuild_plain=rebuild_plain)
    from decompose.builder import build_plain

    plain = build_plain(project, facts, skipped=skipped)
    if hide_external:
        plain = plain.without_externals()
    built = _Built.store(None if read_only else directory, fingerprint, plain)
    stats = Stats(
        files=n, scanned=scanned, cached=cached, skipped=len(plain.skipped), seconds=time.perf_counter() - start
    )
    return Analysis(project, stats, built=built, rebuild=rebuild, plain=plain, facts=facts)


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
        path,
        settings=settings,
        use_cache=use_cache,
        cache_dir=cache_dir,
        jobs=jobs,
        progress=progress,
        hide_external=hide_external,
    ).graph


def load_graph_or_analyze(path_or_json: str | Path, **kwargs: object) -> DependencyGraph:
    """A graph from a ``graph.json`` file, or by analysing a project folder."""
    p = Path(path_or_json)
    if p.is_dir():
        return analyze(p, **kwargs)  # type: ignore[arg-type]
    if p.is_file():
        return load(p)
    raise InputError(f"{path_or_json}: no such project folder or graph file")


def overlay_graph(project: Project, facts: dict[str, ModuleFacts], changes: dict[str, str]) -> DependencyGraph:
    """The graph of ``project`` with the files in ``changes`` (``{relative path: new text}``) as they would be.

    Only the changed files are scanned; every other module keeps its facts. New files get module names
    the way discovery names them (from the import root). Nothing is written: this is how extraction
    measures the coupling after a rewiring without copying the project.
    """
    import dataclasses

    from decompose.builder import build_plain
    from decompose.scan.python import ScanError, scan_source

    by_path = {f.path: f for f in project.files}
    files = dict(by_path)
    new_facts = dict(facts)
    base = project.import_root.relative_to(project.root).as_posix() if project.import_root != project.root else ""
    for rel, text in sorted(changes.items()):
        if not rel.endswith(".py"):
            continue
        f = by_path.get(rel)
        if f is None:
            inner = rel[len(base) + 1 :] if base and rel.startswith(base + "/") else rel
            parts = inner[:-3].split("/")
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            if not parts or not all(p.isidentifier() for p in parts):
                continue
            f = SourceFile(
                module=".".join(parts),
                path=rel,
                abspath=str(project.root / rel),
                is_package=is_package,
                migration="migrations" in parts[:-1],
                test=False,
                size=len(text),
                mtime_ns=0,
            )
            files[rel] = f
        try:
            new_facts[f.module] = scan_source(
                f.module, text.encode("utf-8"), is_package=f.is_package, migration=f.migration
            )
        except ScanError:
            new_facts.pop(f.module, None)
    overlay = dataclasses.replace(project, files=tuple(files[k] for k in sorted(files)))
    return build_plain(overlay, new_facts).to_graph()
