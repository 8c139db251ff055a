"""The offline HTML page (decompose.render.html), checked as text and in headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from decompose.graph import DependencyGraph, load
from decompose.render import ViewOptions, build_view, to_html
from decompose.render.html import CYTOSCAPE_VERSION, page_data

FIXTURE = Path(__file__).parent / "fixtures" / "render" / "minishop.graph.json"


def need_graphviz() -> None:
    """Skip without Graphviz, except in CI (scripts/test.sh installs it), where it is a failure."""
    if shutil.which("dot") is None:
        if os.environ.get("CI"):
            pytest.fail("Graphviz's dot is missing; scripts/test.sh installs it")
        pytest.skip("Graphviz not installed")


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def minishop() -> DependencyGraph:
    return load(FIXTURE)


def embedded_data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="decompose-data">(.*?)</script>', html, re.S)
    assert m, "no embedded graph data"
    return json.loads(m.group(1))


def test_page_is_one_self_contained_file(minishop):
    html = to_html(minishop, build_view(minishop))
    assert "<script src" not in html and "<link" not in html and "@import" not in html
    # nothing fetched from a network: the only URLs are in licence comments and our own credits
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", html)
    assert f"Cytoscape.js {CYTOSCAPE_VERSION}" in html
    assert "cytoscape" in html and "window.decompose" in html
    assert "/*@" not in html  # every placeholder filled
    data = embedded_data(html)
    assert {n["id"] for n in data["nodes"]} >= {"orders", "payments", "cart"}
    assert data["dsm"]["apps"] == ["(project)", "accounts", "cart", "catalog", "orders", "payments"]


def test_page_is_deterministic(minishop):
    options = ViewOptions(level="module")
    a = to_html(minishop, build_view(minishop, options), options)
    b = to_html(load(FIXTURE), build_view(load(FIXTURE), options), options)
    assert a == b


def test_names_cannot_break_out_of_the_script(minishop):
    minishop.add_module("evil</script><script>alert(1)</script>", app="orders", path="x.py")
    html = to_html(minishop, build_view(minishop, ViewOptions(level="module")), ViewOptions(level="module"))
    assert html.count("</script>") == 3  # data, library, page script
    assert "evil</script><script>alert(1)</script>" in {n["id"] for n in embedded_data(html)["nodes"]}


def test_edges_carry_kind_weight_evidence_and_dsm_orders_by_service(minishop):
    from decompose.cluster.proposal import Proposal

    proposal = Proposal(
        level="app",
        services={"commerce": ("cart", "orders", "payments"), "catalog": ("catalog",)},
        shared_kernel=("accounts",),
    )
    view = build_view(minishop, ViewOptions(), proposal)
    data = page_data(minishop, view, ViewOptions(), proposal, layout="browser")
    orm = [e for e in data["edges"] if (e["s"], e["t"], e["k"]) == ("cart", "catalog", "orm")]
    assert orm and orm[0]["w"] == 3
    assert orm[0]["ev"] == [
        ["cart/services.py", 14, "Product.objects.get"],
        ["cart/services.py", 20, "Product.objects.filter"],
        ["cart/services.py", 33, "Product.objects.filter"],
    ]
    dsm = data["dsm"]
    assert dsm["apps"] == ["catalog", "cart", "orders", "payments", "accounts", "(project)"]
    assert dsm["services"] == ["catalog", "commerce", "commerce", "commerce", "(shared kernel)", "(unassigned)"]
    assert set(data["groupColors"]["service"]) == {"(unassigned)", "(shared kernel)", "catalog", "commerce"}
    # no Graphviz asked for, but a box per service: each service's apps in a grid, the grids packed
    assert data["layout"] == "preset" and data["boxes"]
    assert {n["id"]: n["box"] for n in data["nodes"]} == {
        "cart": "commerce", "orders": "commerce", "payments": "commerce", "catalog": "catalog",
        "accounts": "(shared kernel)", "(project)": "(unassigned)",
    }  # fmt: skip
    boxes: dict[str, list[tuple[float, float]]] = {}
    for n in data["nodes"]:
        boxes.setdefault(n["box"], []).append((n["x"], n["y"]))
    spans = {
        b: (min(x for x, _ in p), max(x for x, _ in p), min(y for _, y in p), max(y for _, y in p))
        for b, p in boxes.items()
    }
    for a in spans:  # the groups' areas do not overlap
        for b in spans:
            if a < b:
                (ax0, ax1, ay0, ay1), (bx0, bx1, by0, by1) = spans[a], spans[b]
                assert ax1 < bx0 or bx1 < ax0 or ay1 < by0 or by1 < ay0, (a, b)


@pytest.mark.graphviz
def test_positions_come_from_graphviz_when_installed(minishop):
    need_graphviz()
    data = page_data(minishop, build_view(minishop, ViewOptions(level="module")), ViewOptions(level="module"))
    assert data["layout"] == "preset"
    assert all(isinstance(n["x"], float) and isinstance(n["y"], float) for n in data["nodes"])
    assert len({(n["x"], n["y"]) for n in data["nodes"]}) == len(data["nodes"])


# --------------------------------------------------------------------------- browser


def _chromium_or_skip() -> str:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; scripts/test.sh installs it")
        pytest.skip(f"{CHROMIUM} not installed")
    return CHROMIUM


@pytest.fixture
def browser():
    exe = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _open(browser, path: Path):
    page = browser.new_page(viewport={"width": 1400, "height": 850})
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(f"console.{m.type}: {m.text}") if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on(
        "request",
        lambda r: problems.append(f"network: {r.url}") if not r.url.startswith(("file:", "data:", "about:")) else None,
    )
    page.goto(path.as_uri())
    page.wait_for_function("window.decompose && window.decompose.ready === true", timeout=60_000)
    return page, problems


def _click_node(page, node_id: str) -> None:
    pos = page.evaluate(
        "(id) => { const n = window.decompose.cy.getElementById(id); const p = n.renderedPosition(); return [p.x, p.y]; }",
        node_id,
    )
    box = page.locator("#cy").bounding_box()
    page.mouse.click(box["x"] + pos[0], box["y"] + pos[1])


@pytest.mark.browser
@pytest.mark.parametrize("level", ["app", "module"])
def test_page_in_headless_chromium(browser, minishop, tmp_path, level):
    options = ViewOptions(level=level)
    html_path = tmp_path / f"minishop-{level}.html"
    html_path.write_text(to_html(minishop, build_view(minishop, options), options), encoding="utf-8")
    page, problems = _open(browser, html_path)
    cy = "window.decompose.cy"

    # nodes render
    n_nodes = page.evaluate(f"{cy}.nodes('[!box]').length")
    assert n_nodes == len(build_view(minishop, options).nodes)
    assert page.evaluate(f"{cy}.nodes('[!box]').filter(n => n.visible() && n.renderedWidth() > 0).length") == n_nodes
    if level == "module":  # a box per app around its modules
        boxes = page.evaluate(f"{cy}.nodes('[?box]').map(n => n.data('name'))")
        nodes = build_view(minishop, options).nodes
        assert sorted(boxes) == sorted({n.app for n in nodes if n.type != "external"} | {"(external)"})
        assert page.evaluate(f"{cy}.getElementById('payments.gateway').data('inBox')") == "payments"
        # each box's frame encloses its nodes
        inside = f"""{cy}.nodes('[!box]').every(n => {{
            const f = {cy}.getElementById('box:' + n.data('inBox')).boundingBox(), p = n.position();
            return f.x1 <= p.x && p.x <= f.x2 && f.y1 <= p.y && p.y <= f.y2; }})"""
        assert page.evaluate(inside)
    assert page.evaluate(f"{cy}.edges().filter(e => e.style('display') !== 'none').length") > 0

    # search finds a node
    target = "payments" if level == "app" else "payments.gateway"
    page.fill("#search", "gatew" if level == "module" else "paym")
    assert page.evaluate(f"{cy}.nodes('.match').map(n => n.id())") == [target]
    assert page.inner_text("#search-count") == "1 found"
    page.fill("#search", "")

    # click highlights its neighbours and lists evidence
    _click_node(page, target)
    assert page.evaluate(f"{cy}.getElementById('{target}').hasClass('focus')")
    deps = set(page.evaluate(f"{cy}.nodes('.dep').map(n => n.id())"))
    rdeps = set(page.evaluate(f"{cy}.nodes('.rdep').map(n => n.id())"))
    if level == "app":
        # externals are folded into the app that uses them at app level (the default since merged edges)
        assert deps == {"orders"} and rdeps == {"orders"}
        assert page.inner_text("#uses") == "uses requests"
        assert "payments/gateway.py:22 Order.objects.filter" in page.inner_text("#deps")
        assert "orders/services.py:30 charge" in page.inner_text("#rdeps")
        # one drawn edge per pair; the panel still lists each kind's evidence
        assert (
            page.evaluate(
                f"{cy}.edges().filter(e => e.source().id() === 'payments' && e.target().id() === 'orders').length"
            )
            == 1
        )
        kinds = page.locator("#deps .kind-row").evaluate_all("rows => rows.map(r => r.dataset.kind)")
        assert kinds == ["fk", "orm", "signal"]  # strongest first
        assert "payments/models.py" in page.inner_text("#deps")  # the fk's evidence
        assert "cut to break an app cycle" in page.inner_text("#rdeps")  # orders -> payments is the cut
        assert page.evaluate(f"{cy}.edges('.feedback').map(e => e.source().id() + '>' + e.target().id()).sort()") == [
            "accounts>orders",
            "orders>payments",
        ]
    else:
        assert deps == {"orders.models", "requests"} and rdeps == {"orders.services"}
        assert "payments/gateway.py:1 requests" in page.inner_text("#deps")
    assert page.evaluate(f"{cy}.nodes('.faded').length") > 0

    # an edge-kind toggle hides edges (read style('display'): Cytoscape's visible() is cached until the next frame)
    orm_edges = page.evaluate(f"{cy}.edges('[kind = \"orm\"]').length")
    assert orm_edges > 0
    page.uncheck("#kind-orm")
    assert page.evaluate(f"{cy}.edges('[kind = \"orm\"]').filter(e => e.style('display') !== 'none').length") == 0
    assert page.evaluate(f"{cy}.edges('[kind = \"fk\"]').filter(e => e.style('display') !== 'none').length") > 0
    assert "Order.objects.filter" not in page.inner_text("#panel")  # panel follows the toggle
    page.check("#kind-orm")
    assert (
        page.evaluate(f"{cy}.edges('[kind = \"orm\"]').filter(e => e.style('display') !== 'none').length") == orm_edges
    )

    page.screenshot(path=str(tmp_path / f"minishop-{level}.png"))

    # the matrix view: apps in rows and columns, cycles outlined
    page.click("#view-dsm")
    assert page.locator("table.dsm th.row").count() == 6
    assert page.locator("table.dsm td.cycle").count() >= 2
    page.screenshot(path=str(tmp_path / f"minishop-{level}-dsm.png"))
    assert (tmp_path / f"minishop-{level}.png").stat().st_size > 10_000
    assert problems == []


@pytest.mark.browser
def test_colour_by_proposed_service_and_legend(browser, minishop, tmp_path):
    from decompose.cluster.proposal import Proposal

    proposal = Proposal(level="app", services={"commerce": ("cart", "orders", "payments"), "catalog": ("catalog",)})
    view = build_view(minishop, ViewOptions(), proposal)
    html_path = tmp_path / "proposal.html"
    html_path.write_text(to_html(minishop, view, ViewOptions(), proposal), encoding="utf-8")
    page, problems = _open(browser, html_path)
    colour = "(id) => window.decompose.cy.getElementById(id).data('color')"
    assert page.evaluate(colour, "cart") == page.evaluate(colour, "orders")
    assert page.evaluate(colour, "cart") != page.evaluate(colour, "catalog")
    legend = page.locator("#legend .legend-item").all_inner_texts()
    assert [x.strip() for x in legend] == ["(unassigned)", "catalog", "commerce"]
    page.select_option("#color-by", "app")
    assert page.evaluate(colour, "cart") != page.evaluate(colour, "orders")
    assert "orders" in [x.strip() for x in page.locator("#legend .legend-item").all_inner_texts()]
    page.screenshot(path=str(tmp_path / "proposal.png"))
    assert problems == []


def test_empty_graph_gives_a_page_and_dot():
    from decompose.render import to_dot

    g = DependencyGraph.empty(root="empty")
    for level in ("app", "module"):
        options = ViewOptions(level=level)
        view = build_view(g, options)
        assert view.nodes == () and view.edges == ()
        assert embedded_data(to_html(g, view, options))["nodes"] == []
        assert to_dot(view).startswith("digraph")


@pytest.mark.browser
def test_per_kind_page_draws_one_edge_per_kind(browser, minishop, tmp_path):
    options = ViewOptions(edges="per-kind", external="nodes")
    view = build_view(minishop, options)
    html_path = tmp_path / "per-kind.html"
    html_path.write_text(to_html(minishop, view, options), encoding="utf-8")
    page, problems = _open(browser, html_path)
    cy = "window.decompose.cy"
    assert page.evaluate(f"{cy}.edges().length") == len(view.edges) > len(view.links)
    pair = f"{cy}.edges().filter(e => e.source().id() === 'payments' && e.target().id() === 'orders')"
    assert sorted(page.evaluate(f"{pair}.map(e => e.data('kind'))")) == ["fk", "orm", "signal"]
    assert page.evaluate(f"{cy}.nodes().map(n => n.id())").count("requests") == 1
    page.uncheck("#kind-fk")
    assert page.evaluate(f"{pair}.filter(e => e.style('display') !== 'none').length") == 2
    assert problems == []


def test_merged_page_data_keeps_every_kind_for_the_toggles(minishop):
    view = build_view(minishop)
    data = page_data(minishop, view, layout="browser")
    assert data["merged"] is True and data["strength"][0] == "fk"
    pairs = {(e["s"], e["t"]) for e in data["edges"]}
    assert len(pairs) == len(view.links) < len(data["edges"])  # drawn merged, kept per kind
    assert sorted(tuple(p) for p in data["feedback"]) == [("accounts", "orders"), ("orders", "payments")]
    assert {(e["s"], e["t"]) for e in data["edges"] if e["f"]} == {("accounts", "orders"), ("orders", "payments")}
    assert [n["externals"] for n in data["nodes"] if n["id"] == "payments"] == [["requests"]]
