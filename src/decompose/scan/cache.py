"""The facts cache: scanning is pure, so its result is stored by content hash.

Layout of the cache folder (default ``.decompose-cache/`` in the analysed folder)::

    objects/<k[:2]>/<key>.pickle   one scan result, key = blake2b(version, module, flags, bytes)
    index.pickle                   {path: (mtime_ns, size, key, result)} of the last run

A warm run loads ``index.pickle`` once and, for each file whose ``stat``
(mtime + size) is unchanged, takes the result from it without reading the
file. A changed file is read and hashed; an equal hash (a touched file, another
checkout, another run) hits ``objects/``. Every write goes to a temporary file
then ``os.replace``, so two runs sharing a cache never see a half-written file;
the last index written wins, and both are complete. A cache that cannot be
written is not an error: the analysis runs without it.

A result is :class:`~decompose.scan.facts.ModuleFacts`, or a ``str``: the
reason the file was skipped (cached too, so a broken file is not re-parsed on
every run).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

from decompose.scan.facts import ANALYSER_VERSION, ModuleFacts

Result = ModuleFacts | str
_INDEX = f"index-v{ANALYSER_VERSION}.pickle"


def content_key(module: str, is_package: bool, migration: bool, source: bytes) -> str:
    h = hashlib.blake2b(digest_size=20)
    h.update(f"{ANALYSER_VERSION}\0{module}\0{int(is_package)}{int(migration)}\0".encode())
    h.update(source)
    return h.hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
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
        self.index: dict[str, tuple[int, int, str, Result]] = {}
        self.writable = self.directory is not None
        if self.directory is not None:
            try:
                with open(self.directory / _INDEX, "rb") as fh:
                    loaded = pickle.load(fh)
                if isinstance(loaded, dict):
                    self.index = loaded
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
                self.index = {}

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def by_stat(self, path: str, mtime_ns: int, size: int) -> tuple[str, Result] | None:
        """(key, result) when ``path`` has the same mtime and size as in the last run."""
        hit = self.index.get(path)
        if hit is not None and hit[0] == mtime_ns and hit[1] == size:
            return hit[2], hit[3]
        return None

    def object_path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / "objects" / key[:2] / f"{key}.pickle"

    def save_index(self, entries: dict[str, tuple[int, int, str, Result]]) -> None:
        if self.directory is None or not self.writable or entries == self.index:
            return
        try:
            self._ensure_dir()
            _atomic_write(self.directory / _INDEX, pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            self.writable = False

    def _ensure_dir(self) -> None:
        assert self.directory is not None
        if not self.directory.is_dir():
            self.directory.mkdir(parents=True, exist_ok=True)
            (self.directory / ".gitignore").write_text("# created by decompose\n*\n", encoding="utf-8")


def load_object(directory: Path | None, key: str) -> Result | None:
    if directory is None:
        return None
    try:
        with open(directory / "objects" / key[:2] / f"{key}.pickle", "rb") as fh:
            value: Any = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
        return None
    return value if isinstance(value, (ModuleFacts, str)) else None


def store_object(directory: Path | None, key: str, result: Result) -> None:
    if directory is None:
        return
    try:
        if not directory.is_dir():
            directory.mkdir(parents=True, exist_ok=True)
            (directory / ".gitignore").write_text("# created by decompose\n*\n", encoding="utf-8")
        _atomic_write(directory / "objects" / key[:2] / f"{key}.pickle", pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass
