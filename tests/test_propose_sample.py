"""`propose` on sample_monolith, compared with the architect's decomposition.toml.

Measured when written: the default proposal (auto → louvain, 4 services + the
storefront as an omnipresent client) reaches MoJoFM 36.36% against the
architect's 10 services; asked for 10 services it reaches 81.82% (90.91% before
issue 15, when missing services were peeled off one app at a time). The
architect cut along business capabilities *against* the code's coupling (22
cross-service foreign keys, modularity −0.09 for their partition), so a
coupling-driven proposal cannot come close without being told the count.
The thresholds below sit under those figures with room for small changes to
the sample, not at them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from decompose.cluster.pipeline import ProposeSettings, compare, evaluate, propose
from decompose.cluster.proposal import load_proposal

SAMPLE = Path(__file__).resolve().parent.parent / "sample_monolith"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def graph():
    from decompose.analysis import load_graph_or_analyze

    return load_graph_or_analyze(SAMPLE)


@pytest.fixture(scope="module")
def reference():
    return load_proposal(SAMPLE / "decomposition.toml")


def test_default_proposal_against_the_architect(graph, reference) -> None:
    p = propose(graph)
    assert p.shared_kernel == reference.shared_kernel == ("core",)
    assert p.service_of("web") is not None and p.services[p.service_of("web")] == ("web",)  # the storefront stands alone
    assert compare(p, reference).mojofm >= 30


def test_with_the_architects_count(graph, reference) -> None:
    p = propose(graph, ProposeSettings(services=len(reference.services)))
    assert len(p.services) == len(reference.services)
    assert compare(p, reference).mojofm >= 80


def test_the_architects_partition_is_scored_honestly(graph, reference) -> None:
    scored = evaluate(graph, reference)
    proposed = propose(graph)
    # the reference cuts many foreign keys; the proposal is better on coupling...
    assert scored.metrics["cross_service_fks"] > proposed.metrics["cross_service_fks"]
    assert scored.metrics["icp"] > proposed.metrics["icp"]
    # ...and the reference is better balanced
    assert scored.metrics["largest_share"] < proposed.metrics["largest_share"]
