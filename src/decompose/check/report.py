"""A check result as text (people), JSON (machines; docs/check-schema.md) or GitHub annotations.

Paths in text and GitHub output are shown from the current folder (``prefix`` is the project
folder as given on the command line), so an editor or a GitHub workflow finds them; JSON keeps
them relative to the project root and gives the root.
"""

from __future__ import annotations

import json
from typing import Any

from decompose.check.engine import CheckResult, Violation

SCHEMA = "decompose.check"
VERSION = 1


def _where(prefix: str, path: str, line: int) -> str:
    return f"{prefix}{path}:{line}"


def _arrow(v: Violation) -> str:
    return " -> ".join(v.chain) if v.chain else f"{v.source} -> {v.target}"


def to_text(result: CheckResult, prefix: str = "") -> str:
    """Every violation grouped by contract, then what the baseline and ignore entries took."""
    out: list[str] = []
    checked = len(result.results)
    for r in result.results:
        c = r.contract
        if not r.violations:
            continue
        n = len(r.violations)
        out.append(f"{c.type} contract {c.name!r}: {n} violation{'s' if n != 1 else ''}")
        for v in r.violations:
            sym = f" {v.symbol}" if v.symbol else ""
            if v.chain and c.type != "acyclic":  # indirect: the chain, from the first hop written here
                out.append(f"  {_where(prefix, v.path, v.line)}  {v.kind}  {_arrow(v)} (first hop: {v.chain[1]}{sym})")
            else:
                out.append(f"  {_where(prefix, v.path, v.line)}  {v.kind}  {v.source} -> {v.target}{sym}")
            out.append(f"      {v.why}")
        for key, now, tolerated in r.over:
            kind, src, dst, path, sym = key
            out.append(
                f"  note: {prefix}{path} {kind} {src} -> {dst} {sym}: {now} now, the baseline tolerates {tolerated}"
            )
        out.append("")
    for r in result.results:
        for key, n in r.fixed:
            kind, src, dst, path, sym = key
            out.append(
                f"fixed since the baseline ({r.contract.name!r}): {n}x {kind} {src} -> {dst} {sym} in {prefix}{path}"
                " (run `decompose check --update-baseline` to record it)"
            )
        for i in r.unused_ignores:
            out.append(f"warning: contract {r.contract.name!r}: ignore entry {i.source} -> {i.target} matched nothing")
    for name in result.stale:
        out.append(
            f"warning: the baseline tolerates violations of contract {name!r}, which is no longer configured"
            " (run `decompose check --update-baseline`)"
        )
    total = result.violation_count
    broken = len(result.broken)
    tolerated = sum(r.baselined for r in result.results)
    ignored = sum(r.ignored for r in result.results)
    extra = []
    if tolerated:
        extra.append(f"{tolerated} tolerated by the baseline")
    if ignored:
        extra.append(f"{ignored} ignored by ignore entries")
    tail = f" ({', '.join(extra)})" if extra else ""
    if total:
        out.append(
            f"{total} violation{'s' if total != 1 else ''} of {broken} of {checked}"
            f" contract{'s' if checked != 1 else ''}{tail}"
        )
    else:
        out.append(f"{checked} contract{'s' if checked != 1 else ''} kept{tail}")
    return "\n".join(out) + "\n"


def to_dict(result: CheckResult) -> dict[str, Any]:
    contracts = []
    for r in result.results:
        c = r.contract
        contracts.append(
            {
                "name": c.name,
                "type": c.type,
                "kinds": list(c.kinds),
                "kept": not r.violations,
                "violations": [v.to_dict() for v in r.violations],
                "baselined": r.baselined,
                "ignored": r.ignored,
                "unused_ignores": [i.to_dict() for i in r.unused_ignores],
                "fixed": [
                    dict(zip(("kind", "source", "target", "path", "symbol"), key, strict=True)) | {"count": n}
                    for key, n in r.fixed
                ],
            }
        )
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "root": result.root,
        "config": result.config_source,
        "baseline": result.baseline,
        "stale_baseline_contracts": list(result.stale),
        "summary": {
            "contracts": len(result.results),
            "broken": len(result.broken),
            "violations": result.violation_count,
            "baselined": sum(r.baselined for r in result.results),
            "ignored": sum(r.ignored for r in result.results),
        },
        "contracts": contracts,
    }


def to_json(result: CheckResult) -> str:
    return json.dumps(to_dict(result), indent=1, ensure_ascii=False, sort_keys=False) + "\n"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(result: CheckResult, prefix: str = "") -> str:
    """GitHub Actions workflow commands: an ``::error`` per violation, a ``::warning`` per unused ignore."""
    out = []
    for r in result.results:
        for v in r.violations:
            sym = f" ({v.symbol})" if v.symbol else ""
            msg = f"{v.kind} {_arrow(v)}{sym}: {v.why}"
            title = f"decompose check: {r.contract.name}"
            out.append(f"::error file={_prop(prefix + v.path)},line={v.line},title={_prop(title)}::{_data(msg)}")
        for i in r.unused_ignores:
            out.append(
                f"::warning title={_prop('decompose check: ' + r.contract.name)}::"
                + _data(f"ignore entry {i.source} -> {i.target} matched nothing")
            )
        for key, n in r.fixed:
            kind, src, dst, path, sym = key
            out.append(
                f"::notice file={_prop(prefix + path)},title={_prop('decompose check: fixed since the baseline')}::"
                + _data(f"{n}x {kind} {src} -> {dst} {sym}: run `decompose check --update-baseline`")
            )
    total = result.violation_count
    out.append(
        f"decompose check: {total} violation{'s' if total != 1 else ''}"
        f" of {len(result.broken)} of {len(result.results)} contracts"
    )
    return "\n".join(out) + "\n"
