"""Proposals on real-project shapes: markers, package ties, model layers, the service-count model, hubs.

Every graph here is built by hand through the public ``DependencyGraph`` API
and clustered through ``propose``; the MoJo hand cases check the benchmark's
yardstick (MoJoFM, Wen & Tzerpos 2004) on partitions worked out on paper.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

from decompose.cluster.algorithms import ALGORITHMS
from decompose.cluster.evaluate import max_mno, mno, mojofm
from decompose.cluster.pipeline import ProposeSettings, propose
from decompose.cluster.structure import package_ties, split_kernel
from decompose.cluster.synthetic import synthetic_graph
from decompose.graph import AppInfo, DependencyGraph, Evidence

# -- MoJo hand cases ---------------------------------------------------------------


def _groups(b: list[set[int]]) -> int:
    """g(B) as Wen & Tzerpos define it, by hand: B's sizes ascending, count sizes above the running count."""
    g = 0
    for size in sorted(len(c) for c in b):
        if size > g:
            g += 1
    return g


@pytest.mark.parametrize(
    ("a", "b", "moves_and_joins", "fm"),
    [
        # identical: nothing to do
        ([{1, 2, 3}, {4, 5, 6}], [{1, 2, 3}, {4, 5, 6}], 0, 100.0),
        # one object in the wrong cluster: one move; max = 6 − g(B) = 6 − 2 = 4
        ([{1, 2, 3}, {4, 5, 6}], [{1, 2}, {3, 4, 5, 6}], 1, 75.0),
        # all singletons against two triples: no move, 6 A clusters joined into g = 2 groups: 4 = the maximum
        ([{1}, {2}, {3}, {4}, {5}, {6}], [{1, 2, 3}, {4, 5, 6}], 4, 0.0),
        # one cluster against three pairs: keep one pair, move 4; g(B) = 2 (sizes 2, 2, 2), max = 6 − 2 = 4
        ([{1, 2, 3, 4, 5, 6}], [{1, 2}, {3, 4}, {5, 6}], 4, 0.0),
        # two of three pairs right, the third split over them: 2 moves of 6 − 2 = 4 possible
        ([{1, 2, 5}, {3, 4, 6}], [{1, 2}, {3, 4}, {5, 6}], 2, 50.0),
    ],
)
def test_mojo_hand_cases(a: list[set[int]], b: list[set[int]], moves_and_joins: int, fm: float) -> None:
    assert mno(a, b) == moves_and_joins
    n = sum(len(c) for c in b)
    assert max_mno(b) == n - _groups(b)
    assert mojofm(a, b) == pytest.approx(fm, abs=0.01)


def test_mojofm_maximum_is_reached_and_never_exceeded() -> None:
    # every partition A of 5 objects against B = {1,2,3},{4},{5}: the farthest, by brute force, is n − g(B) = 5 − 2
    objects = [1, 2, 3, 4, 5]
    b = [{1, 2, 3}, {4}, {5}]

    def partitions(xs: list[int]) -> list[list[set[int]]]:
        if not xs:
            return [[]]
        out = []
        for rest in partitions(xs[1:]):
            out.append([{xs[0]}, *rest])
            for i in range(len(rest)):
                out.append([*rest[:i], rest[i] | {xs[0]}, *rest[i + 1 :]])
        return out

    worst = max(mno(a, b) for a in partitions(objects))
    assert worst == len(objects) - _groups(b) == max_mno(b)


def test_the_benchmark_scores_a_hand_graph() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import boundaries

    g = DependencyGraph.empty(root="p", apps=(AppInfo("a", "a", "a"), AppInfo("b", "b", "b")))
    for m in ("a.x", "a.y", "a.z", "b.x", "b.y", "b.z"):
        g.add_module(m, app=m[0], path=m.replace(".", "/") + ".py")
    for u, v in (
        ("a.x", "a.y"),
        ("a.y", "a.z"),
        ("a.z", "a.x"),
        ("b.x", "b.y"),
        ("b.y", "b.z"),
        ("b.z", "b.x"),
        ("a.x", "b.x"),
    ):
        g.add_evidence(u, v, "import", Evidence(u.replace(".", "/") + ".py", 1, v))
    members = sorted(g.modules())
    base = boundaries.baseline(g, members)
    assert base == [("a.x", "a.y", "a.z"), ("b.x", "b.y", "b.z")]
    assert mojofm(base, {m: g.app_of(m) for m in members}) == 100.0


# -- a Django-shaped project --------------------------------------------------------

APPS = ("shop", "billing", "accounts", "blog")


def project() -> DependencyGraph:
    """Four apps, each a package with markers (empty __init__, apps.py, a management package, an admin stub)."""
    g = DependencyGraph.empty(root="p", apps=tuple(AppInfo(a, a, a) for a in APPS))
    n = iter(range(1, 10**6))

    def link(u: str, v: str, kind: str = "import", times: int = 1) -> None:
        for _ in range(times):
            g.add_evidence(u, v, kind, Evidence(u.replace(".", "/") + ".py", next(n), v))

    for a in APPS:
        g.add_module(a, app=a, path=f"{a}/__init__.py", package=True, lines=0)
        g.add_module(f"{a}.apps", app=a, path=f"{a}/apps.py", lines=5)
        g.add_module(f"{a}.admin", app=a, path=f"{a}/admin.py", lines=4)
        g.add_module(f"{a}.management", app=a, path=f"{a}/management/__init__.py", package=True, lines=0)
        g.add_module(f"{a}.urls", app=a, path=f"{a}/urls.py", lines=10)
        g.add_module(f"{a}.views", app=a, path=f"{a}/views.py", lines=200)
        g.add_module(f"{a}.services", app=a, path=f"{a}/services.py", lines=200)
        g.add_module(f"{a}.models", app=a, path=f"{a}/models/__init__.py", package=True, lines=3)
        for k in ("core", "extra"):
            table = f"{a}_{k}"
            g.add_module(
                f"{a}.models.{k}",
                app=a,
                path=f"{a}/models/{k}.py",
                lines=100,
                models=[{"name": k.title(), "line": 1, "table": table, "abstract": False}],
            )
        link(f"{a}.models.extra", f"{a}.models.core", "fk", 2)
        link(f"{a}.views", f"{a}.services", "call", 3)
        link(f"{a}.services", f"{a}.models.core", "orm", 2)
        link(f"{a}.admin", f"{a}.models.core")
        link(f"{a}.urls", f"{a}.views", "import")
    # a pull across apps: billing's extra model is used heavily by shop's services (but FK-joined at home)
    link("shop.services", "billing.models.extra", "orm", 3)
    link("shop.models.core", "billing.models.core", "fk", 1)
    link("accounts.services", "blog.services", "call", 1)
    return g


def module_proposal(**kw: object):  # type: ignore[no-untyped-def]
    return propose(project(), ProposeSettings(level="module", **kw))  # type: ignore[arg-type]


def test_markers_follow_their_package_and_never_stand_alone() -> None:
    p = module_proposal()
    markers = {f"{a}{s}" for a in APPS for s in ("", ".apps", ".admin", ".management")}
    for name, members in p.services.items():
        assert not set(members) <= markers, f"{name} holds only marker modules: {members}"
    for m in sorted(markers):
        service = p.service_of(m)
        app = m.split(".")[0]
        # a marker sits with a module of its own app
        assert any(x.split(".")[0] == app and x not in markers for x in p.services[service]), m
        e = p.explanation(m)
        assert e is not None and e.reason.startswith("marker (") and not e.weak
    assert any("marker modules follow their package" in note for note in p.notes)


def test_a_model_layer_joined_by_foreign_keys_stays_together() -> None:
    p = module_proposal()
    for a in APPS:
        assert p.service_of(f"{a}.models.core") == p.service_of(f"{a}.models.extra"), a
    # never more cross-service foreign keys than the app layout has (1: shop → billing)
    assert p.metrics["cross_service_fks"] <= 1
    assert any("model modules in" in note for note in p.notes)


def test_the_default_count_fits_the_apps_and_is_explained() -> None:
    p = module_proposal()
    assert 2 <= len(p.services) <= 8  # 0.5–2× the 4 apps
    assert p.notes[0].startswith(f"{len(p.services)} services: the service-count model keeps 2–8 (0.5–2× the 4 apps")


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
@pytest.mark.parametrize("k", [2, 4, 6])
def test_asked_count_is_exact_with_real_services(algorithm: str, k: int) -> None:
    p = module_proposal(services=k, algorithm=algorithm)
    assert len(p.services) == k
    sizes = sorted(len(ms) for ms in p.services.values())
    assert sizes[-1] / sum(sizes) <= max(0.5, 1.5 / k)
    markers = {f"{a}{s}" for a in APPS for s in ("", ".apps", ".admin", ".management")}
    assert all(not set(ms) <= markers for ms in p.services.values())


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_no_service_above_half_on_a_hub_shaped_graph(algorithm: str) -> None:
    g, planted = synthetic_graph(300, seed=3)
    p = propose(g, ProposeSettings(level="module", algorithm=algorithm, services=len(planted)))
    total = sum(len(ms) for ms in p.services.values())
    assert len(p.services) == len(planted)
    assert max(len(ms) for ms in p.services.values()) <= 0.5 * total


def test_package_ties_stay_within_a_package_and_an_app() -> None:
    ties = package_ties(
        ["a", "a.x", "a.y", "a.sub", "a.sub.z", "b.q"],
        1.0,
        package={"a": True, "a.sub": True},
        app={"a": "a", "a.x": "a", "a.y": "a", "a.sub": "a", "a.sub.z": "a", "b.q": "b"},
    )
    assert ("a.x", "a.y") in ties and ("a.sub", "a.sub.z") in ties and ("a", "a.x") in ties
    assert all("b.q" not in pair for pair in ties)
    assert ("a.sub.z", "a.x") not in ties  # not siblings: tied through a.sub only


# -- app level: kernel and hubs -----------------------------------------------------


def test_split_kernel_keeps_small_utilities_and_names_hubs() -> None:
    sizes = {"utils": 4, "core": 45, "shop": 30, "blog": 21}
    assert split_kernel(["utils", "core"], sizes, max_member=0.1, max_total=0.2) == (["utils"], ["core"])
    # the kernel's total is bounded too
    sizes = {"u1": 9, "u2": 9, "u3": 9, "rest": 73}
    kernel, hubs = split_kernel(["u1", "u2", "u3"], sizes, max_member=0.1, max_total=0.2)
    assert kernel == ["u1", "u2"] and hubs == ["u3"]


def test_a_large_central_app_is_a_hub_not_kernel() -> None:
    apps = ("core", "utils", "a1", "a2", "a3", "a4", "a5")
    g = DependencyGraph.empty(root="p", apps=tuple(AppInfo(a, a, a) for a in apps))
    for a in apps:
        count = 40 if a == "core" else 2 if a == "utils" else 8
        for i in range(count):
            g.add_module(f"{a}.m{i}", app=a, path=f"{a}/m{i}.py")
    line = itertools.count(1)
    for a in apps[2:]:
        for target in ("core.m0", "utils.m0"):
            g.add_evidence(f"{a}.m0", target, "import", Evidence(f"{a}/m0.py", next(line), target))
    for u, v in (("a1", "a2"), ("a3", "a4"), ("a4", "a5")):
        g.add_evidence(f"{u}.m1", f"{v}.m1", "call", Evidence(f"{u}/m1.py", next(line), "f"))
    p = propose(g)
    assert p.shared_kernel == ("utils",)
    assert p.hubs == ("core",) and p.service_of("core") is not None
    assert any(note.startswith("hubs (") and "core" in note for note in p.notes)
    again = type(p).from_dict(p.to_dict())
    assert again.hubs == p.hubs and again.notes == p.notes


# -- bins ------------------------------------------------------------------------------


def test_a_lone_module_tied_elsewhere_is_dissolved_into_its_neighbour() -> None:
    import networkx as nx

    from decompose.cluster.algorithms import dissolve_bins

    judge = nx.Graph()
    judge.add_weighted_edges_from([("a", "b", 3.0), ("c", "d", 2.0), ("x", "c", 1.0)])
    judge.add_node("lonely")
    size = dict.fromkeys(["a", "b", "c", "d", "x", "lonely"], 1)
    out = dissolve_bins(judge, [["a", "b"], ["c", "d"], ["x"], ["lonely"]], size, set())
    assert out == [["a", "b"], ["c", "d", "x"], ["lonely"]]  # x joins c; a module tied to nothing stays
    # never next to a cannot-link partner
    out = dissolve_bins(judge, [["a", "b"], ["c", "d"], ["x"]], size, {frozenset(("x", "d"))})
    assert ["x"] in out


def test_loose_share_counts_members_of_services_without_coupling() -> None:
    from decompose.cluster.coupling import build_coupling
    from decompose.cluster.metrics import all_metrics, loose_share

    g = DependencyGraph.empty(root="p", apps=(AppInfo("a", "a", "a"),))
    for m in ("a.x", "a.y", "a.p", "a.q"):
        g.add_module(m, app="a", path=m.replace(".", "/") + ".py")
    g.add_evidence("a.x", "a.y", "import", Evidence("a/x.py", 1, "a.y.f"))
    g.add_evidence("a.p", "a.x", "import", Evidence("a/p.py", 1, "a.x.f"))
    cg = build_coupling(g, "module")
    assert loose_share(cg, [("a.x", "a.y"), ("a.p", "a.q")]) == 0.5  # p and q share nothing
    assert loose_share(cg, [("a.x", "a.y", "a.p"), ("a.q",)]) == 0.0  # a singleton is not a bin
    bin_score = all_metrics(cg, [("a.x", "a.y"), ("a.p", "a.q")])["score"]
    assert bin_score < all_metrics(cg, [("a.x", "a.y", "a.p"), ("a.q",)])["score"]


# -- constraints and determinism with the layout facts ----------------------------------


def test_constraints_win_over_the_layout_facts() -> None:
    from decompose.cluster.algorithms import Constraints

    apart = Constraints(apart=(("shop.models.core", "shop.models.extra"),), pin={"shop.apps": "config"})
    p = propose(project(), ProposeSettings(level="module", constraints=apart))
    assert p.service_of("shop.models.core") != p.service_of("shop.models.extra")  # a model layer, but kept apart
    assert p.service_of("shop.apps") == "config"  # a marker, but pinned
    assert p.explanation("shop.apps").reason.startswith("marker") is False


def test_same_module_level_output_whatever_the_hash_seed() -> None:
    import os
    import subprocess

    script = (
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
        "from test_cluster_structure import project\n"
        "from decompose.cluster.pipeline import propose, ProposeSettings\n"
        "print(propose(project(), ProposeSettings(level='module')).to_json())\n"
        "print(propose(project(), ProposeSettings(level='module', services=3)).to_json())\n"
    )
    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outs.append(
            subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout
        )
    assert outs[0] == outs[1] and outs[0].startswith("{")


def test_the_benchmark_measures_a_hand_project_end_to_end() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import boundaries

    r = boundaries.measure(project())
    assert (r["modules"], r["apps"], r["app_partition_fks"]) == (len(APPS) * 10, len(APPS), 1)
    labels = [row["partition"] for row in r["module_rows"]]
    assert labels == ["baseline (Louvain, imports)", "default", f"--services {len(APPS)}"]
    k_row = r["module_rows"][2]
    assert k_row["services"] == len(APPS) and k_row["cross_fks"] <= r["app_partition_fks"]
    assert r["app"]["q_ceiling"]["q"] >= r["app"]["modularity"] - 1e-9 or r["app"]["kernel"]
    table = boundaries.markdown({"hand": r})
    assert table.count("| hand |") == 2 and "--services 4" in table


def test_a_service_forced_above_half_is_explained() -> None:
    from decompose.cluster.algorithms import Constraints

    big = tuple(sorted(m for m in project().modules() if m.startswith(("shop.", "billing.", "accounts."))))
    p = propose(project(), ProposeSettings(level="module", services=3, constraints=Constraints(together=(big,))))
    name = p.service_of(big[0])
    share = len(p.services[name]) / sum(len(ms) for ms in p.services.values())
    assert share >= 0.7 and len(p.services) == 3
    assert any(n.startswith(f"the largest service, {name}, holds") and "kept together" in n for n in p.notes)


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_too_few_services_are_grown_within_the_communities(algorithm: str) -> None:
    import networkx as nx

    g = nx.Graph()
    for side in ("a", "b"):
        nodes = [f"{side}{i}" for i in range(6)]
        for i, u in enumerate(nodes):
            for v in nodes[i + 1 :]:
                g.add_edge(u, v, weight=3.0 if (int(u[1]) < 3) == (int(v[1]) < 3) else 1.0)
    g.add_edge("a0", "b0", weight=0.5)
    part = ALGORITHMS[algorithm](g, seed=0, between=(4, 6))
    assert 4 <= len(part) <= 6
    assert all(len({m[0] for m in cluster}) == 1 for cluster in part)  # never across the two sides


def test_asking_for_more_services_than_can_be_cut_says_why() -> None:
    p = module_proposal(services=39)  # 40 modules, but markers and model layers are kept together
    assert len(p.services) < 39
    assert p.notes[0].startswith(f"{len(p.services)} services where 39 were asked: members kept together")
