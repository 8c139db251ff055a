"""DOT, SVG and PNG views of the dependency graph (decompose.render)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pydot
import pytest

from decompose.errors import InputError, ToolMissingError, UnknownNameError
from decompose.graph import AppInfo, DependencyGraph, Evidence, load
from decompose.render import ViewOptions, build_view, parse_kinds, render_image, to_dot
from decompose.render.dot import CYCLE_COLOR, KIND_STYLE

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pydot's parser on pyparsing 3.2

FIXTURE = Path(__file__).parent / "fixtures" / "render" / "minishop.graph.json"


def need_graphviz() -> None:
    """Skip without Graphviz, except in CI (scripts/test.sh installs it), where it is a failure."""
    if shutil.which("dot") is None:
        if os.environ.get("CI"):
            pytest.fail("Graphviz's dot is missing; scripts/test.sh installs it")
        pytest.skip("Graphviz not installed")


@dataclass(frozen=True)
class StandInProposal:
    """Same interface as decompose.cluster.proposal.Proposal, for these tests only."""

    level: str
    services: dict[str, tuple[str, ...]]
    shared_kernel: tuple[str, ...] = field(default=())

    def service_of(self, member: str) -> str | None:
        for name, members in self.services.items():
            if member in members:
                return name
        return None


@pytest.fixture
def minishop() -> DependencyGraph:
    return load(FIXTURE)


def parse(dot_text: str) -> pydot.Dot:
    graphs = pydot.graph_from_dot_data(dot_text)
    assert graphs and len(graphs) == 1
    return graphs[0]


def unquote(s: str) -> str:
    return s[1:-1] if len(s) >= 2 and s[0] == s[-1] == '"' else s


def edges_of(d: pydot.Dot) -> list[tuple[str, str, dict[str, str]]]:
    out = []
    for e in d.get_edges():
        attrs = {k: unquote(str(v)) for k, v in e.get_attributes().items()}
        out.append((unquote(e.get_source()), unquote(e.get_destination()), attrs))
    return out


def node_names(d: pydot.Dot) -> set[str]:
    names = {unquote(n.get_name()) for n in d.get_nodes()}
    for sg in d.get_subgraphs():
        names |= {unquote(n.get_name()) for n in sg.get_nodes()}
    return names - {"node", "edge", "graph"}


def test_app_level_nodes_are_apps_with_size_and_edges_carry_kind_and_weight(minishop):
    # (externals as nodes and one edge per kind are options since merged edges and folded externals became the default)
    d = parse(to_dot(build_view(minishop, ViewOptions(edges="per-kind", external="nodes"))))
    assert node_names(d) == {"accounts", "cart", "catalog", "orders", "payments", "(project)", "requests", "json"}
    labels = {unquote(n.get_name()): unquote(n.get("label")) for n in d.get_nodes() if n.get("label")}
    assert labels["orders"] == "orders\\n3 modules, 195 lines"
    edges = {(s, t, a["kind"]): a for s, t, a in edges_of(d)}
    # cart -> catalog: 3 orm evidence lines aggregate to one orm edge of weight 3
    assert edges[("cart", "catalog", "orm")]["label"] == "3"
    assert edges[("cart", "catalog", "import")]["label"] == "1"
    assert edges[("orders", "payments", "call")]["label"] == "2"
    for (_s, _t, kind), attrs in edges.items():
        color, style, _arrow = KIND_STYLE[kind]
        if attrs.get("feedback") != "true":
            assert attrs["color"] == color
            assert attrs["style"] == style
    # edges inside an app are not drawn at app level
    assert not any(s == t for s, t, _ in edges)


def test_app_cycles_are_red_and_bold_and_only_those(minishop):
    # Since red marks only the dependencies to cut (a minimal-weight feedback arc set), not every edge in a cycle.
    view = build_view(minishop, ViewOptions(edges="per-kind"))
    # orders <-> payments, and orders -call-> cart -fk-> accounts -string_ref-> orders
    assert view.cycles == (("accounts", "cart", "orders", "payments"),)
    # cheapest cut: one pair of each cycle; orders->payments (call 2, import 1) weighs 3 like payments->orders
    # (fk, orm, signal), so the weaker kind of coupling is cut; in the triangle every pair weighs 1: the string_ref goes
    assert view.feedback == (("accounts", "orders"), ("orders", "payments"))
    d = parse(to_dot(view))
    red = []
    for s, t, attrs in edges_of(d):
        in_cycle = {s, t} <= {"accounts", "cart", "orders", "payments"}
        assert (attrs.get("cycle") == "true") is in_cycle, (s, t, attrs)
        is_cut = (s, t) in view.feedback
        assert (attrs.get("feedback") == "true") is is_cut
        assert (attrs["color"] == CYCLE_COLOR) is is_cut
        if is_cut:
            red.append((s, t, attrs["kind"]))
            assert "bold" in attrs["style"] and attrs["constraint"] == "false"
    assert sorted(red) == [("accounts", "orders", "string_ref"), ("orders", "payments", "call"), ("orders", "payments", "import")]
    # apps of the cycle get a (quieter) border, the others none
    borders = {unquote(n.get_name()): n.get("color") for n in d.get_nodes() if n.get("label")}
    assert {k for k, v in borders.items() if v} == {"accounts", "cart", "orders", "payments"}
    assert CYCLE_COLOR not in {unquote(v) for v in borders.values() if v}
    # without string references, only orders <-> payments remains a cycle
    assert build_view(minishop, ViewOptions(kinds=("call", "fk", "import", "orm"))).cycles == (("orders", "payments"),)


def test_module_level_has_one_cluster_per_app(minishop):
    d = parse(to_dot(build_view(minishop, ViewOptions(level="module"))))
    clusters = {unquote(sg.get("label")): {unquote(n.get_name()) for n in sg.get_nodes()} for sg in d.get_subgraphs()}
    assert clusters["orders"] == {"orders.models", "orders.services", "orders.views"}
    assert clusters["payments"] == {"payments.models", "payments.gateway"}
    assert clusters["(project)"] == {"minishop.settings", "minishop.urls"}
    assert set(clusters) == {"accounts", "cart", "catalog", "orders", "payments", "(project)"}
    assert all(sg.get_name().startswith("cluster") for sg in d.get_subgraphs())
    # externals stand outside any cluster
    assert {unquote(n.get_name()) for n in d.get_nodes()} >= {"requests", "json"}
    kinds = {(s, t): a["kind"] for s, t, a in edges_of(d) if (s, t) == ("payments.gateway", "orders.models")}
    assert kinds == {("payments.gateway", "orders.models"): "orm"}


def test_module_level_clusters_by_proposed_service(minishop):
    proposal = StandInProposal(
        level="app",
        services={"commerce": ("orders", "payments", "cart"), "catalog-svc": ("catalog",)},
        shared_kernel=("accounts",),
    )
    view = build_view(minishop, ViewOptions(level="module"), proposal)
    d = parse(to_dot(view))
    clusters = {unquote(sg.get("label")): {unquote(n.get_name()) for n in sg.get_nodes()} for sg in d.get_subgraphs()}
    assert set(clusters) == {"commerce", "catalog-svc", "(shared kernel)", "(unassigned)"}
    assert clusters["commerce"] >= {"orders.models", "payments.gateway", "cart.services"}
    assert clusters["(shared kernel)"] == {"accounts.models", "accounts.views"}
    assert clusters["(unassigned)"] == {"minishop.settings", "minishop.urls"}


def test_module_level_proposal_maps_apps_to_their_modules_majority(minishop):
    proposal = StandInProposal(
        level="module",
        services={"a": ("orders.models", "orders.services"), "b": ("orders.views", "payments.models")},
    )
    view = build_view(minishop, ViewOptions(level="app"), proposal)
    assert view.node("orders").service == "a"  # two of its three modules
    assert view.node("payments").service == "(unassigned)"  # one of two in b, one unassigned: tie -> sorted
    d = parse(to_dot(view))
    assert {unquote(sg.get("label")) for sg in d.get_subgraphs()} == {"a", "(unassigned)"}


def test_dot_is_deterministic_whatever_the_insertion_order():
    def build(order: int) -> DependencyGraph:
        g = DependencyGraph.empty(root="x", apps=(AppInfo("b", "b", "b"), AppInfo("a", "a", "a")))
        mods = [("a.m", "a"), ("b.m", "b"), ("b.n", "b")]
        edges = [
            ("a.m", "b.m", "import", Evidence("a/m.py", 3)),
            ("b.n", "a.m", "fk", Evidence("b/n.py", 9, "a.M")),
            ("a.m", "b.n", "call", Evidence("a/m.py", 7, "f")),
            ("a.m", "b.m", "import", Evidence("a/m.py", 1)),
        ]
        if order:
            mods.reverse()
            edges.reverse()
        for m, a in mods:
            g.add_module(m, app=a, path=m.replace(".", "/") + ".py", lines=5)
        for s, t, k, e in edges:
            g.add_evidence(s, t, k, e)
        g.finalize()
        return g

    for level in ("app", "module"):
        texts = {to_dot(build_view(build(order), ViewOptions(level=level))) for order in (0, 1)}
        assert len(texts) == 1, level


def test_filters_kinds_min_weight_hide_external(minishop):
    view = build_view(minishop, ViewOptions(kinds=("fk",)))
    assert {e.kind for e in view.edges} == {"fk"}
    assert {(e.source, e.target) for e in view.edges} == {
        ("orders", "catalog"),
        ("orders", "accounts"),
        ("payments", "orders"),
        ("cart", "accounts"),
    }
    heavy = build_view(minishop, ViewOptions(min_weight=2))
    assert {(e.source, e.target, e.kind) for e in heavy.edges} == {("cart", "catalog", "orm"), ("orders", "payments", "call")}
    assert "requests" in {n.id for n in build_view(minishop, ViewOptions(external="nodes")).nodes}
    no_ext = build_view(minishop, ViewOptions(hide_external=True, level="module"))
    assert not [n for n in no_ext.nodes if n.type == "external"]
    assert not [e for e in no_ext.edges if e.target in ("requests", "json")]


def test_focus_and_depth(minishop):
    one = build_view(minishop, ViewOptions(focus="cart", depth=1, hide_external=True))
    assert {n.id for n in one.nodes} == {"cart", "catalog", "accounts", "orders"}
    zero = build_view(minishop, ViewOptions(focus="cart", depth=0))
    assert [n.id for n in zero.nodes] == ["cart"] and zero.edges == ()
    mod = build_view(minishop, ViewOptions(level="module", focus="payments.gateway", depth=1))
    assert {n.id for n in mod.nodes} == {"payments.gateway", "orders.models", "orders.services", "requests"}
    app_seeds = build_view(minishop, ViewOptions(level="module", focus="payments", depth=0))
    assert {n.id for n in app_seeds.nodes} == {"payments.gateway", "payments.models"}


def test_user_mistakes_are_clear_errors(minishop):
    with pytest.raises(UnknownNameError, match="nope"):
        build_view(minishop, ViewOptions(focus="nope"))
    with pytest.raises(InputError, match="unknown edge kind"):
        parse_kinds("import,bogus")
    assert parse_kinds("fk, import") == ("fk", "import")
    assert parse_kinds(None) is None


@pytest.mark.graphviz
def test_svg_and_png_render(minishop, tmp_path):
    need_graphviz()
    dot_text = to_dot(build_view(minishop))
    svg = render_image(dot_text, "svg", tmp_path / "g.svg")
    assert (tmp_path / "g.svg").read_bytes() == svg
    text = svg.decode()
    assert "<svg" in text and "<title>orders&#45;&gt;payments</title>" in text
    png = render_image(to_dot(build_view(minishop, ViewOptions(level="module"))), "png", tmp_path / "m.png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000


def test_missing_graphviz_is_a_tool_missing_error(monkeypatch):
    monkeypatch.setenv("PATH", "")
    with pytest.raises(ToolMissingError, match="apt-get install graphviz"):
        render_image("digraph {}", "svg")


def test_hide_tests_and_migrations(minishop):
    minishop.add_module("reviews_tests", app=None, path="tests/test_all.py", test=True)
    minishop.add_evidence("reviews_tests", "catalog.models", "import", Evidence("tests/test_all.py", 1))
    minishop.add_module("catalog.migrations.0001_initial", app="catalog", path="catalog/migrations/0001_initial.py", migration=True)
    minishop.add_evidence("catalog.migrations.0001_initial", "accounts.models", "fk", Evidence("catalog/migrations/0001_initial.py", 9))
    # tests and migrations are hidden by default since they are not the architecture; shown on request
    shown = ViewOptions(hide_tests=False, hide_migrations=False)
    pairs = {(e.source, e.target, e.kind) for e in build_view(minishop, shown).edges}
    assert {("(project)", "catalog", "import"), ("catalog", "accounts", "fk")} <= pairs
    view = build_view(minishop, ViewOptions(hide_tests=True, hide_migrations=True))
    pairs = {(e.source, e.target, e.kind) for e in view.edges}
    assert ("(project)", "catalog", "import") not in pairs and ("catalog", "accounts", "fk") not in pairs
    assert view.node("catalog").modules == 2
    only_tests = build_view(minishop, ViewOptions(level="module", hide_tests=True, hide_migrations=False))
    ids = {n.id for n in only_tests.nodes}
    assert "reviews_tests" not in ids and "catalog.migrations.0001_initial" in ids
