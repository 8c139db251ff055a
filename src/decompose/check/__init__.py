"""``decompose check``: boundary contracts over the dependency graph, as a CI gate.

Contracts come from ``[tool.decompose.check]`` in pyproject.toml or decompose.toml's ``[check]``
(:mod:`decompose.check.contracts`); the engine (:mod:`decompose.check.engine`) finds every piece of
evidence that breaks one, Django-aware: foreign keys, ORM queries, signals, URL includes and string
references count as much as imports. A baseline (:mod:`decompose.check.baseline`) tolerates the
violations that existed when it was written. :mod:`decompose.check.propose` writes contracts from a
graph, a proposal or an extraction; :mod:`decompose.check.export` writes the import-only part for
import-linter or tach.

Example::

    >>> from decompose.check import parse_section, check_graph
    >>> config = parse_section({"contracts": [{"type": "acyclic"}]}, "[check]")
    >>> result = check_graph(graph_dict, config)                     # doctest: +SKIP
    >>> result.violation_count                                        # doctest: +SKIP
    0
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from decompose.check import baseline as _baseline
from decompose.check.contracts import DEFAULT_KINDS, KINDS, TYPES, CheckConfig, Contract, Ignore, Layer, parse_section
from decompose.check.engine import CheckResult, ContractResult, GraphView, Violation, evaluate
from decompose.check.propose import extraction_contract, merge_contracts, propose_contracts

__all__ = [
    "DEFAULT_KINDS",
    "KINDS",
    "TYPES",
    "CheckConfig",
    "CheckResult",
    "Contract",
    "ContractResult",
    "GraphView",
    "Ignore",
    "Layer",
    "Violation",
    "baseline_counts",
    "check_graph",
    "extraction_contract",
    "merge_contracts",
    "parse_section",
    "propose_contracts",
]


def check_graph(
    graph: dict[str, Any] | GraphView,
    config: CheckConfig,
    *,
    baseline: Counter[_baseline.Key] | None = None,
    baseline_name: str | None = None,
) -> CheckResult:
    """Check ``config``'s contracts against a graph (its JSON dict, or a :class:`GraphView`).

    With ``baseline`` (from :func:`decompose.check.baseline.load`), violations it tolerates are
    counted, not reported, and its entries that no longer occur are reported as fixed.
    """
    view = graph if isinstance(graph, GraphView) else GraphView.from_dict(graph)
    results = []
    for contract, found, ignored, unused in evaluate(view, config):
        if baseline is None:
            results.append(ContractResult(contract, tuple(found), 0, ignored, unused))
            continue
        now: Counter[tuple[str, str, str, str, str]] = Counter(v.key for v in found)
        tolerated = {k[1:]: n for k, n in baseline.items() if k[0] == contract.name}
        over = tuple((k, now[k], tolerated.get(k, 0)) for k in sorted(now) if 0 < tolerated.get(k, 0) < now[k])
        new = tuple(v for v in found if now[v.key] > tolerated.get(v.key, 0))
        fixed = tuple((k, n - now.get(k, 0)) for k, n in sorted(tolerated.items()) if now.get(k, 0) < n)
        taken = sum(min(n, tolerated.get(k, 0)) for k, n in now.items())
        results.append(ContractResult(contract, new, taken, ignored, unused, fixed, over))
    names = {c.name for c in config.contracts}
    stale = tuple(sorted({k[0] for k in baseline} - names)) if baseline is not None else ()
    return CheckResult(view.root, config.source, tuple(results), baseline_name, stale)


def baseline_counts(graph: dict[str, Any] | GraphView, config: CheckConfig) -> Counter[_baseline.Key]:
    """Every current violation, counted as the baseline file keeps them."""
    result = check_graph(graph, config)
    counts: Counter[_baseline.Key] = Counter()
    for r in result.results:
        for v in r.violations:
            counts[(r.contract.name, *v.key)] += 1
    return counts
