"""The readable default picture: merged edges, tests/migrations/externals out of the way, cycles cut in red."""

from __future__ import annotations

import itertools
import os
import random
import shutil
from pathlib import Path

import networkx as nx
import pydot
import pytest
from click.testing import CliRunner

from decompose.cli import cli
from decompose.graph import AppInfo, DependencyGraph, Evidence, load
from decompose.render import ViewOptions, build_view, to_dot
from decompose.render.dot import CYCLE_COLOR, KIND_STYLE
from decompose.render.view import EXACT_FAS_UP_TO, feedback_arcs

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pydot's parser on pyparsing 3.2

FIXTURE = Path(__file__).parent / "fixtures" / "render" / "minishop.graph.json"
SAMPLE = Path(__file__).resolve().parent.parent / "sample_monolith"


def unquote(s: str) -> str:
    return s[1:-1] if len(s) >= 2 and s[0] == s[-1] == '"' else s


def dot_edges(text: str) -> list[tuple[str, str, dict[str, str]]]:
    d = pydot.graph_from_dot_data(text)[0]
    return [
        (unquote(e.get_source()), unquote(e.get_destination()), {k: unquote(str(v)) for k, v in e.get_attributes().items()})
        for e in d.get_edges()
    ]


def shop() -> DependencyGraph:
    """Three apps: a -> b with three kinds, b -> a (an fk), b -> c; plus a test module, a migration, externals."""
    g = DependencyGraph.empty(root="shop", apps=tuple(AppInfo(x, x, x) for x in "abc"))
    for m, app in [("a.models", "a"), ("a.views", "a"), ("b.models", "b"), ("c.models", "c")]:
        g.add_module(m, app=app, path=m.replace(".", "/") + ".py", lines=10)
    g.add_module("a.tests", app="a", path="a/tests.py", lines=10, test=True)
    g.add_module("c.migrations.0001_initial", app="c", path="c/migrations/0001_initial.py", migration=True)
    for line in (1, 2, 3):
        g.add_evidence("a.views", "b.models", "import", Evidence("a/views.py", line))
    for line in (7, 8):
        g.add_evidence("a.views", "b.models", "call", Evidence("a/views.py", line, "f"))
    g.add_evidence("a.models", "b.models", "fk", Evidence("a/models.py", 4, "b.B"))
    g.add_evidence("b.models", "a.models", "import", Evidence("b/models.py", 1))
    g.add_evidence("b.models", "c.models", "import", Evidence("b/models.py", 2))
    g.add_evidence("a.tests", "c.models", "import", Evidence("a/tests.py", 1))
    g.add_evidence("c.migrations.0001_initial", "a.models", "fk", Evidence("c/migrations/0001_initial.py", 5, "a.A", ("migration",)))
    g.add_external("requests", stdlib=False)
    g.add_external("json", stdlib=True)
    g.add_external("django", stdlib=False)
    g.add_external("pytest", stdlib=False)
    g.add_evidence("b.models", "requests", "import", Evidence("b/models.py", 3))
    g.add_evidence("b.models", "json", "import", Evidence("b/models.py", 4))
    g.add_evidence("b.models", "django", "import", Evidence("b/models.py", 5))
    g.add_evidence("a.tests", "pytest", "import", Evidence("a/tests.py", 2))
    g.finalize()
    return g


# --------------------------------------------------------------------------- merged edges


def test_app_level_draws_one_edge_per_pair_with_kinds_merged():
    view = build_view(shop())
    assert [(link.source, link.target) for link in view.links] == [("a", "b"), ("b", "a"), ("b", "c")]
    ab = view.links[0]
    assert ab.kinds == ("fk", "call", "import") and ab.weight == 6 and ab.kind == "fk"
    assert ab.label() == "fk 1 · call 2 · import 3"
    edges = {(s, t): a for s, t, a in dot_edges(to_dot(view))}
    assert len(edges) == 3  # not one per kind
    assert edges[("a", "b")]["label"] == "fk1 call2 imp3"
    assert edges[("a", "b")]["kinds"] == "fk,call,import" and edges[("a", "b")]["weight"] == "6"
    # drawn as the strongest kind, wider the heavier
    assert edges[("a", "b")]["arrowhead"] == KIND_STYLE["fk"][2]
    assert edges[("b", "c")]["color"] == KIND_STYLE["import"][0]
    assert float(edges[("a", "b")]["penwidth"]) > float(edges[("b", "c")]["penwidth"])
    # every kind's evidence is still there (tooltip)
    assert "a/models.py:4" in edges[("a", "b")]["tooltip"] and "a/views.py:7" in edges[("a", "b")]["tooltip"]


def test_per_kind_edges_on_request():
    view = build_view(shop(), ViewOptions(edges="per-kind"))
    edges = [(s, t, a["kind"], a["label"]) for s, t, a in dot_edges(to_dot(view))]
    assert sorted(edges) == [
        ("a", "b", "call", "2"),
        ("a", "b", "fk", "1"),
        ("a", "b", "import", "3"),
        ("b", "a", "import", "1"),
        ("b", "c", "import", "1"),
    ]


def test_module_level_merges_too_and_labels_the_total():
    view = build_view(shop(), ViewOptions(level="module"))
    edges = {(s, t): a for s, t, a in dot_edges(to_dot(view))}
    assert edges[("a.views", "b.models")]["label"] == "5" and edges[("a.views", "b.models")]["kind"] == "call"
    assert edges[("a.views", "b.models")]["kinds"] == "call,import"


def test_wiring_only_pairs_are_faint_and_unlabelled():
    g = load(FIXTURE)
    edges = {(s, t): a for s, t, a in dot_edges(to_dot(build_view(g)))}
    url = edges[("(project)", "catalog")]  # an include() in the URLconf: wiring, not coupling
    assert url["wiring"] == "true" and url["label"] == "" and url["color"] not in {c for c, _s, _a in KIND_STYLE.values()}
    assert "wiring" not in edges[("cart", "catalog")]


# --------------------------------------------------------------------------- what is left out


def test_tests_migrations_and_externals_are_out_of_the_picture_by_default():
    view = build_view(shop())
    assert {n.id for n in view.nodes} == {"a", "b", "c"}
    assert ("a", "c") not in {(link.source, link.target) for link in view.links}  # only a test imports c
    assert ("c", "a") not in {(link.source, link.target) for link in view.links}  # only a migration's fk
    assert view.node("a").modules == 2
    # third-party packages are folded into the app that uses them; not the stdlib, not Django, not the tests' pytest
    assert view.node("b").externals == ("requests",)
    assert "uses requests" in to_dot(view)
    shown = build_view(shop(), ViewOptions(hide_tests=False, hide_migrations=False, external="nodes"))
    assert {(link.source, link.target) for link in shown.links} >= {("a", "c"), ("c", "a"), ("b", "requests"), ("a", "pytest")}
    assert shown.node("a").modules == 3
    assert build_view(shop(), ViewOptions(hide_external=True)).node("b").externals == ()
    # module level keeps externals as nodes (hide them with --hide-external), tests and migrations hidden
    mod = build_view(shop(), ViewOptions(level="module"))
    assert {n.id for n in mod.nodes} == {"a.models", "a.views", "b.models", "c.models", "requests", "json", "django"}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["graph", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_cli_flags_for_tests_migrations_edges_and_externals(tmp_path):
    src = tmp_path / "shop.json"
    src.write_text(shop().to_json())

    def pairs(*args: str) -> set[tuple[str, str, str]]:
        code, out, err = run(str(src), "-o", "-", *args)
        assert code == 0, err
        return {(s, t, a["kind"]) for s, t, a in dot_edges(out)}

    assert pairs() == {("a", "b", "fk"), ("b", "a", "import"), ("b", "c", "import")}
    assert ("a", "c", "import") in pairs("--tests")
    assert ("c", "a", "fk") in pairs("--migrations")
    assert ("a", "c", "import") not in pairs("--tests", "--hide-tests")  # the old flag still hides
    assert pairs("--hide-tests", "--hide-migrations") == pairs()
    assert len(pairs("--edges", "per-kind")) == 5
    assert ("b", "requests", "import") in pairs("--external", "nodes")
    code, out, _ = run(str(src), "-o", "-", "--hide-external")
    assert code == 0 and "uses requests" not in out


# --------------------------------------------------------------------------- feedback arcs


def _brute_force_min(g: nx.DiGraph) -> float:
    best = float("inf")
    for order in itertools.permutations(sorted(g.nodes)):
        pos = {n: i for i, n in enumerate(order)}
        best = min(best, sum(d["weight"] for u, v, d in g.edges(data=True) if pos[u] > pos[v]))
    return best


def _check_fas(g: nx.DiGraph, fas: set[tuple[str, str]]) -> None:
    rest = g.copy()
    rest.remove_edges_from(fas)
    assert nx.is_directed_acyclic_graph(rest)
    for a in fas:  # minimal: giving back any one arc closes a cycle
        assert nx.has_path(rest, a[1], a[0]), a


def _random_digraph(rng: random.Random, n: int, p: float) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(f"n{i:02d}" for i in range(n))
    for u, v in itertools.permutations(sorted(g.nodes), 2):
        if rng.random() < p:
            g.add_edge(u, v, weight=rng.randint(1, 9))
    return g


def test_feedback_arcs_are_a_minimum_weight_set_on_small_graphs():
    rng = random.Random(7)
    for _ in range(60):
        g = _random_digraph(rng, rng.randint(2, 7), 0.45)
        fas = feedback_arcs(g)
        _check_fas(g, fas)
        assert sum(g.edges[a]["weight"] for a in fas) == _brute_force_min(g)
        assert feedback_arcs(g) == fas  # deterministic


def test_feedback_arcs_on_large_components_use_the_greedy_order_and_stay_minimal():
    rng = random.Random(11)
    g = _random_digraph(rng, EXACT_FAS_UP_TO + 6, 0.25)
    assert max(len(c) for c in nx.strongly_connected_components(g)) > EXACT_FAS_UP_TO
    fas = feedback_arcs(g)
    _check_fas(g, fas)
    assert 0 < len(fas) < g.number_of_edges() // 2


def test_only_the_cut_is_red_and_the_cycle_is_marked_on_nodes():
    view = build_view(shop())
    assert view.cycles == (("a", "b"),)
    assert view.feedback == (("b", "a"),)  # weight 1 against a -> b's 6
    for s, t, a in dot_edges(to_dot(view)):
        assert (a["color"] == CYCLE_COLOR) is ((s, t) == ("b", "a"))
    text = to_dot(view)
    assert "red bold edge" in text and "a dependency to cut" in text  # the legend says what red means
    assert view.node("a").cycle == 0 and view.node("c").cycle is None


# --------------------------------------------------------------------------- the sample monolith


@pytest.fixture(scope="module")
def sample() -> DependencyGraph:
    from decompose.analysis import load_graph_or_analyze

    return load_graph_or_analyze(str(SAMPLE))


@pytest.mark.e2e
def test_sample_monolith_default_app_graph_is_readable(sample):
    from decompose.summary import summarize

    view = build_view(sample)
    apps = set(sample.app_labels()) | {"(project)"}
    assert {n.id for n in view.nodes} == apps  # no external package nodes
    assert len(view.links) < 80 and len(view.links) == len({(e.source, e.target) for e in view.edges})
    for e in view.edges:  # no test module or migration behind any edge
        assert not any("/tests" in x.path or "test_" in x.path or "/migrations/" in x.path for x in e.evidence), e
    # red: the minimal cut of the app cycles, a handful of pairs, not every pair inside the cycle
    inside = [link for link in view.links if link.cycle]
    assert view.cycles and 0 < len(view.feedback) < len(inside) / 2
    pair_graph = nx.DiGraph((link.source, link.target) for link in view.links if link.source in apps and link.target in apps)
    _check_fas(pair_graph, set(view.feedback))
    # one definition of app cycles: `decompose analyze` reports the groups, cycles and cut the picture draws
    reported = summarize(sample).cycles
    assert reported == view.app_cycles and reported.cut_pairs == view.feedback and reported.groups == view.cycles
    for cycle in reported.cycles:  # every cycle listed is broken by the cut
        assert set(zip(cycle, cycle[1:] + cycle[:1], strict=True)) & set(view.feedback), cycle
    drawn = {(s, t): a for s, t, a in dot_edges(to_dot(view))}
    red = [pair for pair, a in drawn.items() if a["color"] == CYCLE_COLOR]
    assert sorted(red) == list(view.feedback)
    # the project package's URLconf and settings wire apps in: faint; an app's own dotted reference is a coupling
    assert all(a.get("wiring") == "true" for (s, _t), a in drawn.items() if s == "(project)")
    # (reporting loads Review with apps.get_model and queries it: string_ref plus the orm use that follows)
    assert "string_ref" in drawn[("reports", "reviews")]["kinds"].split(",")
    assert "wiring" not in drawn[("reports", "reviews")]


@pytest.mark.e2e
def test_sample_monolith_default_dot_is_deterministic(sample, tmp_path):
    a = to_dot(build_view(sample))
    b = to_dot(build_view(load_copy(sample, tmp_path)))
    assert a == b


def load_copy(graph: DependencyGraph, tmp_path: Path) -> DependencyGraph:
    path = tmp_path / "g.json"
    path.write_text(graph.to_json())
    return load(path)


@pytest.mark.e2e
@pytest.mark.graphviz
def test_sample_monolith_png_is_a_sensible_size(sample, tmp_path):
    if shutil.which("dot") is None:
        if os.environ.get("CI"):
            pytest.fail("Graphviz's dot is missing; scripts/test.sh installs it")
        pytest.skip("Graphviz not installed")
    from decompose.render import render_image

    png = render_image(to_dot(build_view(sample)), "png")
    width = int.from_bytes(png[16:20], "big")
    height = int.from_bytes(png[20:24], "big")
    # the per-kind picture with tests, migrations and externals was 2145 x 6517 px
    assert width * height < 5_000_000, (width, height)
