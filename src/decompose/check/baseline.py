"""The ratchet: a file of tolerated violations, like packwerk's ``package_todo.yml``.

``check --update-baseline`` writes every current violation, counted per
``(contract, kind, source module, target module, path, symbol)`` -- no line numbers, so editing
code above a tolerated violation does not make it new. ``check`` then reports only violations
beyond those counts (all occurrences of a key whose count grew, since which one is new cannot be
told) and the entries that are gone or fewer (fixed: run ``--update-baseline`` to shrink the file).

File format (JSON, sorted, one entry per line; docs/check-schema.md)::

    {"schema": "decompose.check-baseline", "version": 1, "entries": [
      {"contract": "...", "kind": "orm", "source": "reporting.queries", "target": "orders.models",
       "path": "reporting/queries.py", "symbol": "Order", "count": 2}
    ]}
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from decompose.errors import InputError

SCHEMA = "decompose.check-baseline"
VERSION = 1

Key = tuple[str, str, str, str, str, str]  # contract, kind, source, target, path, symbol
_FIELDS = ("contract", "kind", "source", "target", "path", "symbol")


def load(path: Path) -> Counter[Key] | None:
    """The tolerated counts, or None when the file does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the baseline ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}: not a baseline file ({exc})", hint="delete it and run `decompose check --update-baseline`"
        ) from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or data.get("version") != VERSION:
        raise InputError(f"{path}: not a decompose baseline file (schema {SCHEMA}, version {VERSION})")
    out: Counter[Key] = Counter()
    try:
        for e in data["entries"]:
            key = tuple(str(e[f]) for f in _FIELDS)
            count = int(e["count"])
            if count < 1:
                raise ValueError(f"count {count}")
            out[key] += count  # type: ignore[index]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: malformed baseline entry ({exc!r})") from None
    return out


def dumps(counts: Counter[Key]) -> str:
    """The baseline file's text: the same violations always give the same bytes."""
    lines = []
    for key in sorted(counts):
        entry: dict[str, Any] = dict(zip(_FIELDS, key, strict=True))
        entry["count"] = counts[key]
        lines.append("  " + json.dumps(entry, ensure_ascii=False))
    body = ",\n".join(lines)
    return (
        f'{{"schema": "{SCHEMA}", "version": {VERSION}, "entries": [\n{body}\n]}}\n'
        if lines
        else f'{{"schema": "{SCHEMA}", "version": {VERSION}, "entries": []}}\n'
    )


def write(path: Path, counts: Counter[Key]) -> None:
    try:
        path.write_text(dumps(counts), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot write the baseline ({exc.strerror or exc})") from None
