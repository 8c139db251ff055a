"""Scan many files: in-process for a few, in a process pool across the cores when it pays.

Each worker reads its files, hashes them, and either loads the cached result or
scans and stores it; only the compact results travel back. Work is sent in
chunks (a few per worker) so the pool's per-task overhead stays small, and
results are returned in input order whatever order the chunks finish in.
"""

from __future__ import annotations

import gc
import marshal
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from decompose.scan.cache import Result, content_key, from_plain, load_object, store_object, to_plain
from decompose.scan.python import ScanError, scan_source

#: Below this much source, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 600_000
PARALLEL_MIN_FILES = 24

#: (module, absolute path, is_package, migration)
Job = tuple[str, str, bool, bool]
#: (module, content key or "" if unreadable, facts or skip reason)
Done = tuple[str, str, Result]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _read_error(exc: OSError) -> str:
    import errno

    if exc.errno == errno.ELOOP:
        return "cannot read: symlink loop"
    if exc.errno == errno.EISDIR:
        return "cannot read: is a folder"
    return f"cannot read: {exc.strerror or exc}"


def scan_file(job: Job, cache_dir: Path | None, known: Mapping[str, Result] | None = None) -> Done:
    """Read, hash and scan one file (or take its result from ``known`` or the cache's objects)."""
    module, abspath, is_package, migration = job
    try:
        with open(abspath, "rb") as fh:
            source = fh.read()
    except OSError as exc:
        return module, "", _read_error(exc)
    key = content_key(module, is_package, migration, source)
    if known is not None and key in known:
        return module, key, known[key]
    cached = load_object(cache_dir, key)
    if cached is not None:
        return module, key, cached
    try:
        result: Result = scan_source(module, source, is_package=is_package, migration=migration)
    except ScanError as exc:
        result = exc.reason
    store_object(cache_dir, key, result)
    return module, key, result


def _scan_chunk(jobs: list[Job], cache_dir: Path | None) -> bytes:
    """Scan a chunk in a worker; the results travel back marshal'd as plain tuples (3x cheaper than pickle)."""
    # the cyclic GC would traverse every syntax tree being built, over and over; nothing scanned here
    # makes cycles worth collecting before the chunk ends
    enabled = gc.isenabled()
    gc.disable()
    try:
        done = [scan_file(j, cache_dir) for j in jobs]
        return marshal.dumps([(module, key, to_plain(result)) for module, key, result in done])
    finally:
        if enabled:
            gc.enable()


def _guided_chunks(costs: Sequence[int], workers: int) -> list[list[int]]:
    """Indexes of ``costs`` cut into chunks that shrink as the work runs out (guided scheduling).

    Biggest files first; each chunk takes about ``remaining / (2 * workers)`` of the cost left, down to
    a floor, so the pool hands out large chunks early (little per-chunk overhead) and small ones at
    the end, where they even out the workers' finishing times.
    """
    order = sorted(range(len(costs)), key=lambda i: -costs[i])
    remaining = sum(costs)
    floor = max(1, remaining // (workers * 24))
    chunks: list[list[int]] = []
    current: list[int] = []
    load = 0
    target = max(floor, remaining // (2 * workers))
    for i in order:
        current.append(i)
        load += costs[i]
        if load >= target:
            chunks.append(current)
            remaining -= load
            current, load = [], 0
            target = max(floor, remaining // (2 * workers))
    if current:
        chunks.append(current)
    return chunks


def scan_files(
    jobs: Sequence[Job],
    *,
    sizes: Sequence[int] | None = None,
    cache_dir: Path | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    known: Mapping[str, Result] | None = None,
    meanwhile: Callable[[], None] | None = None,
    blobs: list[bytes] | None = None,
) -> list[Done]:
    """Scan ``jobs``; results in the same order. ``progress(done, total)`` is called as files finish.

    ``cache_dir``: where scan results are looked up and stored by content key (None: nowhere);
    ``known``: results by content key to take first (in-process runs only);
    ``meanwhile``: work for this process while the pool scans (e.g. imports the next stage needs);
    ``blobs``: when given and the pool ran, each chunk's results as the worker encoded them (a list of
    ``(module, key, plain result)``, marshal'd) are appended to it, for the cache's index. It stays
    empty when the files were scanned in this process.
    """
    total = len(jobs)
    workers = default_jobs() if workers is None else max(1, workers)
    total_bytes = sum(sizes) if sizes is not None else PARALLEL_MIN_BYTES
    if workers == 1 or total < PARALLEL_MIN_FILES or total_bytes < PARALLEL_MIN_BYTES:
        out = []
        enabled = gc.isenabled()
        gc.disable()  # as in the workers: syntax trees are acyclic garbage, freed by reference counting
        try:
            for i, job in enumerate(jobs, 1):
                out.append(scan_file(job, cache_dir, known))
                if progress is not None and (i % 25 == 0 or i == total):
                    progress(i, total)
        finally:
            if enabled:
                gc.enable()
        return out
    chunks = _guided_chunks([(sizes[i] if sizes is not None else 1) + 2000 for i in range(total)], workers)
    from concurrent.futures import ProcessPoolExecutor, as_completed

    results: list[Done | None] = [None] * total
    done = 0
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_scan_chunk, [jobs[i] for i in chunk], cache_dir): chunk for chunk in chunks if chunk}
        if meanwhile is not None:
            meanwhile()
        for fut in as_completed(futures):
            chunk = futures[fut]
            data = fut.result()
            if blobs is not None:
                blobs.append(data)
            for i, (module, key, plain) in zip(chunk, marshal.loads(data)):
                results[i] = (module, key, from_plain(plain))
            done += len(chunk)
            if progress is not None:
                progress(done, total)
    return [r for r in results if r is not None]
