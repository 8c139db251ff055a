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
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from decompose.scan.cache import Result, content_key, from_plain, load_object, store_object, to_plain
from decompose.scan.python import ScanError, scan_source

#: Below this much source, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 600_000
PARALLEL_MIN_FILES = 24

#: the skip reason of a file whose scan killed the worker process scanning it
CRASHED = "the analyser's worker process crashed on this file (too deeply nested?)"

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
    results: list[Done | None] = [None] * total
    done = 0

    def take(chunk: list[int], data: bytes) -> None:
        nonlocal done
        if blobs is not None:
            blobs.append(data)
        # a short blob (a worker that died) leaves the rest of its chunk None: it is re-run
        for i, (module, key, plain) in zip(chunk, marshal.loads(data), strict=False):
            results[i] = (module, key, from_plain(plain))
        done += len(chunk)
        if progress is not None:
            progress(done, total)

    chunk_jobs = [[jobs[i] for i in chunk] for chunk in chunks]
    if sys.platform.startswith("linux"):
        lost = _fork_pool(chunk_jobs, cache_dir, workers, lambda c, data: take(chunks[c], data), meanwhile)
        # a worker died mid-chunk: never here (what killed it would kill the analysis); each file it
        # took gets a worker of its own (those it finished come from the cache), and a file that
        # kills that one too is skipped with the reason
        singles = [i for c in lost for i in chunks[c]]
        if singles:
            again = _fork_pool(
                [[jobs[i]] for i in singles], cache_dir, workers, lambda s, data: take([singles[s]], data), None
            )
            for s in again:
                results[singles[s]] = (jobs[singles[s]][0], "", CRASHED)
                done += 1
    else:  # pragma: no cover - spawn platforms: the standard pool
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(_scan_chunk, cj, cache_dir): c for c, cj in enumerate(chunk_jobs)}
            if meanwhile is not None:
                meanwhile()
            for fut in as_completed(futures):
                take(chunks[futures[fut]], fut.result())
    return [r for r in results if r is not None]


def _fork_pool(
    chunk_jobs: list[list[Job]],
    cache_dir: Path | None,
    workers: int,
    on_result: Callable[[int, bytes], None],
    meanwhile: Callable[[], None] | None,
) -> list[int]:
    """Scan ``chunk_jobs`` in ``workers`` forked processes; ``on_result(chunk, data)`` as each ends.

    A plain fork pool (no ``multiprocessing``: its import and machinery cost more than the scan of a
    small project saves): the children inherit the jobs, take chunk numbers from one pipe (4-byte
    reads, atomic), and send each result back on a pipe of their own (number, length, marshal'd
    results), read here as they come. Returns the chunks that no result came back for (a worker
    that died), for the caller to scan itself.
    """
    import selectors

    task_r, task_w = os.pipe()
    children: dict[int, int] = {}  # result fd -> pid
    finished = False  # every worker's pipe reached its end: the workers exit (or have) on their own
    try:
        for _ in range(workers):
            res_r, res_w = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker: never returns
                code = 1
                try:
                    os.close(task_w)
                    os.close(res_r)
                    for fd in children:
                        os.close(fd)
                    while True:
                        msg = os.read(task_r, 4)
                        if len(msg) < 4:
                            break
                        c = int.from_bytes(msg, "little")
                        data = _scan_chunk(chunk_jobs[c], cache_dir)
                        _write_all(res_w, c.to_bytes(4, "little") + len(data).to_bytes(8, "little") + data)
                    code = 0
                finally:
                    os._exit(code)
            os.close(res_w)
            children[res_r] = pid
        os.close(task_r)
        task_r = -1
        # every chunk number in one write: the workers take them in order, biggest chunks first
        _write_all(task_w, b"".join(c.to_bytes(4, "little") for c in range(len(chunk_jobs))))
        os.close(task_w)
        task_w = -1
        if meanwhile is not None:
            meanwhile()
        received: set[int] = set()
        buffers = {fd: bytearray() for fd in children}
        with selectors.DefaultSelector() as sel:
            for fd in children:
                sel.register(fd, selectors.EVENT_READ)
            while sel.get_map():
                for key, _ in sel.select():
                    fd = key.fd
                    block = os.read(fd, 1 << 20)
                    if not block:
                        sel.unregister(fd)
                        continue
                    buf = buffers[fd]
                    buf += block
                    while len(buf) >= 12:
                        size = int.from_bytes(buf[4:12], "little")
                        if len(buf) < 12 + size:
                            break
                        c = int.from_bytes(buf[:4], "little")
                        data = bytes(buf[12 : 12 + size])
                        del buf[: 12 + size]
                        received.add(c)
                        on_result(c, data)
        finished = True
        return [c for c in range(len(chunk_jobs)) if c not in received]
    finally:
        for fd in (task_r, task_w, *children):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        for pid in children.values():
            try:
                if not finished:  # leaving on an error (or ^C): the workers' results are not wanted
                    os.kill(pid, 9)
                os.waitpid(pid, 0)
            except (ChildProcessError, ProcessLookupError):
                pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
