"""The facts cache: scanning is pure, so its result is stored by content hash.

Layout of the cache folder (default ``.decompose-cache/`` in the analysed folder)::

    objects/<k[:2]>/<key>.marshal  one scan result, key = blake2b(version, module, flags, bytes)
    stat-v<V>.marshal              {path: (mtime_ns, size, key)} of the last run (small)
    facts-v<V>.1.marshal           the last run's results as plain tuples, in blobs of
                                   (module, key, result) lists (marshal writes and reads them several
                                   times faster than pickle; see :func:`read_facts`)

A warm run loads the small stat index and, for each file whose ``stat``
(mtime + size) is unchanged, knows its content key without reading the file;
the facts themselves are loaded only when the graph must be rebuilt (see
:mod:`decompose.analysis`, which keeps the last built graph by the keys of its
inputs). A changed file is read and hashed; an equal hash (a touched file, another
checkout, another run) hits ``objects/``. Every write goes to a temporary file
then ``os.replace``, so two runs sharing a cache never see a half-written file;
the last index written wins, and both are complete. A cache that cannot be
written is not an error: the analysis runs without it. A run that rewrites the
index also prunes (:meth:`FactsCache.prune`): other versions' files, objects the
index holds, objects not written for 30 days, so the folder does not grow without end.

A result is :class:`~decompose.scan.facts.ModuleFacts`, or a ``str``: the
reason the file was skipped (cached too, so a broken file is not re-parsed on
every run).
"""

from __future__ import annotations

import itertools
import marshal
import os
from pathlib import Path
from typing import Any

from decompose.scan.facts import ANALYSER_VERSION, AtomicFact, ClassFact, FieldFact, Import, ModuleFacts, Use

Result = ModuleFacts | str
_STAT = f"stat-v{ANALYSER_VERSION}.marshal"
_FACTS = f"facts-v{ANALYSER_VERSION}.1.marshal"  # .1: the index is a list of blobs
#: the built-graph head (:mod:`decompose.analysis` writes it; named here so that pruning keeps it)
BUILT_HEAD = f"built-v{ANALYSER_VERSION}.marshal"
#: objects (facts of files the index does not hold) not written for this long are removed
OBJECT_DAYS = 30
_LOAD_ERRORS = (OSError, EOFError, AttributeError, ValueError, TypeError, IndexError, KeyError)

try:  # the BLAKE2 module itself: hashlib would first load OpenSSL's bindings (a few ms at every start)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import blake2b


def to_plain(r: Result) -> Any:
    """A scan result as nested plain tuples (what ``marshal`` writes)."""
    if isinstance(r, str):
        return r
    return (
        r.module, r.is_package, r.lines, tuple(map(tuple, r.imports)), tuple(map(tuple, r.uses)),
        tuple(map(_plain_class, r.classes)), tuple(map(tuple, r.atomic_blocks)), r.exports, r.defs, r.signals,
        r.all_names, r.constants, r.dotted_strings, r.parser, r.settings_reads,
    )  # fmt: skip


def _plain_class(c: ClassFact) -> tuple[Any, ...]:
    if not c.model_fields:
        return tuple(c)
    return (*c[:-1], tuple(map(tuple, c.model_fields)))


def _class(t: Any) -> ClassFact:
    c = ClassFact._make(t)
    if c.model_fields:
        return c._replace(model_fields=tuple(map(FieldFact._make, c.model_fields)))
    return c


def from_plain(t: Any) -> Result:
    """The scan result :func:`to_plain` flattened."""
    if isinstance(t, str):
        return t
    return ModuleFacts(
        t[0], t[1], t[2], tuple(map(_IMPORT, t[3])), tuple(map(_USE, t[4])),
        tuple(map(_class, t[5])), tuple(map(_ATOMIC, t[6])),
        t[7], t[8], t[9], t[10], t[11], t[12], t[13], t[14],
    )  # fmt: skip


_IMPORT, _USE, _ATOMIC = Import._make, Use._make, AtomicFact._make


def read_facts(path: Path) -> dict[str, Result] | None:
    """The facts index at ``path`` ({key: result}), or None when it is missing or unreadable.

    The file is a marshal'd list of blobs, each a marshal'd list of ``(module, key, plain result)``:
    the very bytes the scan workers send back, so a cold run writes the index without re-encoding it.
    """
    try:
        with open(path, "rb") as fh:
            blobs = marshal.loads(fh.read())  # marshal.load(fh) reads a file object piece by piece: 5x slower
        out: dict[str, Result] = {}
        for blob in blobs:
            for _module, key, plain in marshal.loads(blob):
                if key:
                    out[key] = from_plain(plain)
        return out
    except _LOAD_ERRORS:
        return None


def facts_blob(results: dict[str, Result]) -> bytes:
    """``results`` as one blob of the facts index (see :func:`read_facts`)."""
    return marshal.dumps([("", k, to_plain(v)) for k, v in results.items()])


def write_facts(path: Path, blobs: list[bytes]) -> bool:
    """Atomically write the facts index made of ``blobs`` (see :func:`read_facts`)."""
    try:
        ensure_dir(path.parent)
        _atomic_write(path, marshal.dumps(blobs))
        return True
    except OSError:
        return False


def read_marshal(path: Path) -> Any:
    """The marshal'd value in ``path``, or None when it is missing or unreadable."""
    try:
        with open(path, "rb") as fh:
            return marshal.loads(fh.read())
    except _LOAD_ERRORS:
        return None


def write_bytes(path: Path, data: bytes) -> bool:
    """Atomically write ``data`` to ``path``; False (never an exception) when it cannot be written."""
    try:
        ensure_dir(path.parent)
        _atomic_write(path, data)
        return True
    except OSError:
        return False


def write_marshal(path: Path, value: Any) -> bool:
    """Atomically write ``value`` (plain data: dicts, tuples, str, int...) to ``path``; False when it cannot."""
    try:
        return write_bytes(path, marshal.dumps(value))
    except ValueError:  # not plain data
        return False


def ensure_dir(directory: Path) -> None:
    """Create a cache folder (with a ``.gitignore`` so it is never committed)."""
    if not directory.is_dir():
        directory.mkdir(parents=True, exist_ok=True)
        (directory / ".gitignore").write_text("# created by decompose\n*\n", encoding="utf-8")


def content_key(module: str, is_package: bool, migration: bool, source: bytes) -> str:
    h = blake2b(digest_size=20)
    h.update(f"{ANALYSER_VERSION}\0{module}\0{int(is_package)}{int(migration)}\0".encode())
    h.update(source)
    return h.hexdigest()


_TMP_SEQ = itertools.count()


def _atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file of this process in the same folder, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = path.parent / f".tmp-{os.getpid()}-{next(_TMP_SEQ)}{path.suffix}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            break
        except FileExistsError:  # left by a crashed process that had the same pid: take the next name
            continue
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class FactsCache:
    """Content-addressed scan results in ``directory``; ``FactsCache(None)`` caches nothing."""

    def __init__(self, directory: str | Path | None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.stats: dict[str, tuple[int, int, str]] = {}
        self._results: dict[str, Result] | None = None
        self.writable = self.directory is not None
        if self.directory is not None:
            loaded = read_marshal(self.directory / _STAT)
            if isinstance(loaded, dict):
                self.stats = loaded

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def by_stat(self, path: str, mtime_ns: int, size: int) -> str | None:
        """The content key of ``path`` when it has the same mtime and size as in the last run."""
        hit = self.stats.get(path)
        if hit is not None and hit[0] == mtime_ns and hit[1] == size:
            return hit[2]
        return None

    def results(self) -> dict[str, Result]:
        """Scan results of the last run's files by content key (loaded on first use)."""
        if self._results is None:
            loaded = read_facts(self.directory / _FACTS) if self.directory is not None else None
            self._results = loaded if loaded is not None else {}
        return self._results

    def object_path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / "objects" / key[:2] / f"{key}.marshal"

    def rewrites_index(self, changed: int, total: int) -> bool:
        """Whether a run that scans ``changed`` of ``total`` files rewrites the facts index.

        If not, the few changed files go to ``objects/`` instead (rewriting the whole index for them
        costs more than reading them from there next time; an unchanged run needs no facts at all).
        """
        return not self.stats or changed > max(20, total // 50)

    def save(self, stats: dict[str, tuple[int, int, str]], blobs: list[bytes] | None) -> None:
        """Remember this run's files: their stat keys, and (``blobs`` not None) the facts index."""
        if self.directory is None or not self.writable:
            return
        if blobs is not None and not write_facts(self.directory / _FACTS, blobs):
            self.writable = False
            return
        if stats != self.stats and not write_marshal(self.directory / _STAT, stats):
            self.writable = False
        if blobs is not None:
            self.prune({e[2] for e in stats.values()})

    def prune(self, indexed: set[str]) -> None:
        """Keep the cache from growing without end; called when the facts index was rewritten.

        Removed: files of other analyser versions or formats at the top (``stat-v3.*``, ``*.pickle``...),
        temporary files a killed run left over a day ago, objects whose facts the new index holds, and
        objects no run has written for :data:`OBJECT_DAYS` days (file versions long gone: old edits,
        old branches).
        Nothing here is needed for correctness; a file another run still wanted is scanned again.
        """
        if self.directory is None:
            return
        import time

        current = {_STAT, _FACTS, BUILT_HEAD, ".gitignore", "objects"}
        try:
            for entry in os.scandir(self.directory):
                name = entry.name
                if name in current or name.startswith(f"graph-v{ANALYSER_VERSION}-"):
                    continue
                if name.startswith(".tmp-"):  # left by a run that was killed while writing
                    if entry.stat().st_mtime < time.time() - 86400:
                        _unlink(entry.path)
                    continue
                if name.startswith(("stat-v", "facts-v", "built-v", "graph-v")) or name.endswith(".pickle"):
                    _unlink(entry.path)
            old = time.time() - OBJECT_DAYS * 86400
            objects = self.directory / "objects"
            for sub in os.scandir(objects) if objects.is_dir() else ():
                for entry in os.scandir(sub.path):
                    key, _, ext = entry.name.partition(".")
                    if ext != "marshal" or key in indexed or entry.stat().st_mtime < old:
                        _unlink(entry.path)
        except OSError:
            pass


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def load_object(directory: Path | None, key: str) -> Result | None:
    if directory is None:
        return None
    try:
        with open(directory / "objects" / key[:2] / f"{key}.marshal", "rb") as fh:
            return from_plain(marshal.loads(fh.read()))
    except _LOAD_ERRORS:
        return None


def store_object(directory: Path | None, key: str, result: Result) -> None:
    if directory is None:
        return
    try:
        ensure_dir(directory)
        _atomic_write(directory / "objects" / key[:2] / f"{key}.marshal", marshal.dumps(to_plain(result)))
    except OSError:
        pass
