"""Output paths, checked before any work: a run that cannot write its result fails in its first second.

``-o``/``--output`` name a file: it may exist (a regular file, replaced; or ``/dev/null``,
``/dev/stdout``), or not yet, in a folder this process can create files in. ``--out`` names a
folder: it may exist, or not yet, under such a folder. "Can create files" is tried, not guessed
from the mode bits: a probe file is created and removed, so a read-only file system, a folder
where even root may not write (``/proc``, ``/sys``) and a full quota are all caught.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from decompose.errors import InputError
from decompose.project import printable

__all__ = ["check_output_file", "check_output_folder"]

#: device files a result may be written to (kept, discarded or shown)
_DEVICES = frozenset({os.devnull, "/dev/stdout", "/dev/stderr"})


def check_output_file(path: str, option: str = "--output") -> None:
    """:class:`InputError` unless a file can be written at ``path`` (``-`` means stdout: always fine)."""
    if path == "-":
        return
    shown = f"{option} {printable(path)}"
    if path in _DEVICES:
        return
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InputError(f"{shown}: cannot write there ({exc.strerror or exc})") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{shown}: is a folder", hint="name a file to write")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{shown}: not a regular file")
    folder = Path(path).absolute().parent
    _probe(folder, shown)


def check_output_folder(path: str, option: str = "--out") -> None:
    """:class:`InputError` unless ``path`` is a folder files can be created in, or can be made one."""
    shown = f"{option} {printable(path)}"
    o = Path(path)
    if path in _DEVICES or (o.exists() and not o.is_dir()):
        raise InputError(f"{shown}: not a folder")
    existing = o if o.exists() else next((q for q in o.absolute().parents if q.exists()), None)
    if existing is None or not existing.is_dir():
        raise InputError(f"{shown}: cannot write there (no folder to create it in)")
    _probe(existing, shown)


def _probe(folder: Path, shown: str) -> None:
    probe = folder / f".decompose-write-test-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    except FileExistsError:
        return  # ours from a run killed before it removed it: the folder takes files
    except OSError as exc:
        reason = "read-only file system" if exc.errno == 30 else (exc.strerror or str(exc))
        raise InputError(f"{shown}: cannot write there ({printable(folder)}: {reason})") from None
    os.close(fd)
    try:
        os.unlink(probe)
    except OSError:
        pass
