"""Helpers the tests share: write a small hand-written project, find a free loopback port.

Tests import them by module name (``from projects import write_project``): pytest puts ``tests/`` first
on ``sys.path`` (rootdir-relative test modules without ``__init__.py``).
"""

from __future__ import annotations

import socket
import textwrap
from collections.abc import Mapping
from pathlib import Path

#: ``manage.py`` of a hand-written project whose settings module is ``proj.settings``
MANAGE_PY = """
    import os
    import sys

    if __name__ == "__main__":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
"""


def write_project(root: Path, files: Mapping[str, str | bytes], *, dedent: bool = True) -> Path:
    """Write ``files`` (path relative to ``root`` → text or bytes) under ``root`` and return it. Text is
    dedented and loses its leading newline (``dedent=False`` writes it as given) and is written as UTF-8;
    bytes are written as they are."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n") if dedent else content, encoding="utf-8")
    return root


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the OS's pick; a server started right after gets it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
