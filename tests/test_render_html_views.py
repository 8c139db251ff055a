"""The HTML page's views at scale, in headless Chromium: boxes per app or service (collapse and
expand), the cycle view, the "why does A depend on B" path view, the weight threshold, exports
(PNG, CSV), on the sample monolith's module graph and on a 40-app synthetic graph.

Screenshots go to a temporary folder; with ``DECOMPOSE_DOCS_SCREENSHOTS=1`` they are written to
``docs/`` (``docs/html-*.png``), which is how the README's pictures are regenerated.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from decompose.cluster.synthetic import synthetic_graph
from decompose.render import ViewOptions, build_view, to_html
from decompose.render.html import _colors

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def need_graphviz() -> None:
    """Skip without Graphviz, except in CI (scripts/test.sh installs it), where it is a failure."""
    if shutil.which("dot") is None:
        if os.environ.get("CI"):
            pytest.fail("Graphviz's dot is missing; scripts/test.sh installs it")
        pytest.skip("Graphviz not installed")


def _chromium_or_skip() -> str:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; scripts/test.sh installs it")
        pytest.skip(f"{CHROMIUM} not installed")
    return CHROMIUM


REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_monolith"
CY = "window.decompose.cy"
MODULE = ViewOptions(level="module")


# the summed weight of the page's edges with one end in box B and the other outside it
CROSSING = """(b) => { const D = window.decompose.data, box = {};
  D.nodes.forEach(n => { box[n.id] = n.box; });
  return D.edges.filter(e => (box[e.s] === b) !== (box[e.t] === b)).reduce((a, e) => a + e.w, 0); }"""
# what is drawn: [node ids, box ids collapsed, drawn edges' total weight (meta edges included)]
DRAWN = f"""() => [{CY}.nodes('[!box]').map(n => n.id()).sort(),
  {CY}.nodes('[?box]').filter(b => window.decompose.collapsed[b.id()]).map(b => b.id()).sort(),
  {CY}.edges().filter(e => e.style('display') !== 'none').reduce((a, e) => a + e.data('weight'), 0)]"""
# the weight every drawn edge should add up to: each pair once, less those inside a collapsed box
EXPECTED_WEIGHT = """() => { const d = window.decompose, D = d.data, box = {};
  D.nodes.forEach(n => { box[n.id] = n.box; });
  return D.edges.filter(e => !(box[e.s] && box[e.s] === box[e.t] && d.collapsed['box:' + box[e.s]]))
    .reduce((a, e) => a + e.w, 0); }"""
# pairs of shown boxes or frames that overlap
OVERLAPS = f"""() => {{ const r = {CY}.nodes('[?box]').map(n => [n.id(), n.boundingBox({{includeLabels: false}})]), out = [];
  r.forEach(([a, p], i) => r.slice(i + 1).forEach(([b, q]) => {{
    if (p.x1 < q.x2 && q.x1 < p.x2 && p.y1 < q.y2 && q.y1 < p.y2) out.push([a, b]); }}));
  return out; }}"""


def shots(tmp_path: Path) -> Path:
    return REPO / "docs" if os.environ.get("DECOMPOSE_DOCS_SCREENSHOTS") == "1" else tmp_path


@pytest.fixture(scope="module")
def sample():
    from decompose.analysis import load_graph_or_analyze

    return load_graph_or_analyze(str(SAMPLE))


@pytest.fixture(scope="module")
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
    page = browser.new_page(viewport={"width": 1500, "height": 900}, accept_downloads=True)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.goto(path.as_uri())
    page.wait_for_function("window.decompose && window.decompose.ready === true", timeout=120_000)
    return page, problems


def _page(tmp_path: Path, graph, options=MODULE, proposal=None, name="page.html") -> Path:
    out = tmp_path / name
    out.write_text(to_html(graph, build_view(graph, options, proposal), options, proposal), encoding="utf-8")
    return out


def test_palette_never_repeats_a_colour():
    names = [f"app{i:02d}" for i in range(60)]
    colors = _colors(names)
    assert len(set(colors.values())) == 60
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colors.values())


@pytest.mark.browser
def test_sample_module_page_boxes_collapse_and_search(browser, sample, tmp_path):
    need_graphviz()
    page, problems = _open(browser, _page(tmp_path, sample))
    boxes = page.evaluate(f"{CY}.nodes('[?box]').map(n => n.data('name'))")
    assert {"orders", "payments", "catalog"} <= set(boxes)
    # the boxes do not overlap: the layout keeps each app together
    rects = page.evaluate(f"{CY}.nodes('[?box]').map(n => n.boundingBox())")
    overlaps = sum(
        1
        for i, a in enumerate(rects)
        for b in rects[i + 1 :]
        if a["x1"] < b["x2"] and b["x1"] < a["x2"] and a["y1"] < b["y2"] and b["y1"] < a["y2"]
    )
    assert overlaps == 0, rects
    # searching an app's name selects its box (not its empty __init__) and lists its modules
    page.fill("#search", "orders")
    page.press("#search", "Enter")
    assert page.inner_text("#panel h2") == "orders"
    assert "orders.services" in page.inner_text("#members")
    page.wait_for_timeout(300)  # the zoom animation
    page.screenshot(path=str(shots(tmp_path) / "html-sample-modules.png"))
    # collapse orders: its modules leave the graph, their edges to the rest summed onto its box
    before = page.evaluate(f"{CY}.getElementById('orders.services').position()")
    page.evaluate("window.decompose.toggleBox('box:orders')")
    assert page.evaluate(f"{CY}.getElementById('orders.services').length") == 0
    meta = page.evaluate(f"{CY}.edges('.meta').map(e => [e.source().id(), e.target().id(), e.data('weight')])")
    assert meta and all("box:orders" in (s, t) for s, t, _w in meta)
    assert any(s == "box:orders" for s, _t, _w in meta) and any(t == "box:orders" for _s, t, _w in meta)
    assert sum(w for *_st, w in meta) == page.evaluate(CROSSING, "orders")
    page.evaluate("window.decompose.toggleBox('box:orders')")
    assert page.evaluate(f"{CY}.edges('.meta').length") == 0
    assert page.evaluate(f"{CY}.getElementById('orders.services').position()") == before
    assert problems == []


@pytest.mark.browser
def test_cycle_view_lists_the_cut_analyze_reports(browser, sample, tmp_path):
    need_graphviz()
    from decompose.summary import summarize

    page, problems = _open(browser, _page(tmp_path, sample))
    page.click("#show-cycles")
    reported = summarize(sample).cycles
    hops = page.locator("#cut-hops li.cut-hop").evaluate_all("rows => rows.map(r => r.dataset.hop)")
    assert hops == [f"{a}>{b}" for a, b in reported.cut_pairs]
    assert len(page.locator("#cycle-list > li").all()) == len(reported.cycles)
    assert "inventory/models.py:71" in page.inner_text("#cut-hops")  # the evidence of a cut hop
    # clicking a cut hop highlights its edges and fades the rest
    page.click("#cut-hops li.cut-hop >> nth=0")
    a, b = reported.cut_pairs[0]
    lit = page.evaluate(f"{CY}.edges('.hl').map(e => [e.source().data('app'), e.target().data('app')])")
    assert lit and all((s, t) == (a, b) for s, t in lit)
    page.screenshot(path=str(shots(tmp_path) / "html-sample-cycles.png"))
    assert problems == []


@pytest.mark.browser
def test_path_view_explains_a_dependency_with_evidence(browser, sample, tmp_path):
    need_graphviz()
    page, problems = _open(browser, _page(tmp_path, sample))
    page.fill("#path-from", "web.views")
    page.fill("#path-to", "payments.models")
    page.click("#path-go")
    steps = page.locator("#path-steps > li").all_inner_texts()
    assert steps and steps[0].startswith("web.views → ") and " → payments.models" in steps[-1]
    assert re.search(r"\.py:\d+", page.inner_text("#path-steps"))  # every step with its evidence
    path = page.evaluate("window.decompose.showPath('web.views', 'payments.models')")
    assert path[0] == "web.views" and path[-1] == "payments.models"
    assert page.evaluate(f"{CY}.edges('.path').length") == len(path) - 1
    page.wait_for_timeout(300)  # the zoom animation
    page.screenshot(path=str(shots(tmp_path) / "html-sample-path.png"))
    # no path: said, nothing highlighted
    assert page.evaluate("window.decompose.showPath('payments.models', 'web.views')") is None
    assert "No dependency path" in page.inner_text("#path-none")
    assert problems == []


@pytest.mark.browser
def test_weight_threshold_and_exports(browser, sample, tmp_path):
    need_graphviz()
    page, problems = _open(browser, _page(tmp_path, sample))
    shown = f"{CY}.edges().not('.meta').filter(e => e.style('display') !== 'none')"
    before = page.evaluate(f"{shown}.length")
    slide = "(v) => {const s = document.querySelector('#min-weight'); s.value = v; s.dispatchEvent(new Event('input'))}"
    page.evaluate(slide, "3")
    weights = page.evaluate(f"{shown}.map(e => e.data('weight'))")
    assert weights and min(weights) >= 3 and len(weights) < before
    # CSV: one row per evidence entry of the shown edges
    with page.expect_download() as dl:
        page.click("#export-csv")
    rows = list(csv.reader(io.StringIO(Path(dl.value.path()).read_text())))
    assert rows[0] == ["source", "target", "kind", "weight", "path", "line", "symbol"]
    assert len(rows) > 1 and all(int(r[3]) >= 1 and r[5].isdigit() for r in rows[1:])
    assert {(r[0], r[1]) for r in rows[1:]} <= set(
        map(tuple, page.evaluate(f"{shown}.map(e => [e.source().id(), e.target().id()])"))
    )
    with page.expect_download() as dl:
        page.click("#export-png")
    assert Path(dl.value.path()).read_bytes()[:4] == b"\x89PNG"
    assert problems == []


@pytest.mark.browser
def test_forty_app_module_page(browser, tmp_path):
    need_graphviz()
    graph, _planted = synthetic_graph(n_modules=200, modules_per_app=5, seed=3)
    html = _page(tmp_path, graph, name="forty.html")
    data = json.loads(re.search(r'id="decompose-data">(.*?)</script>', html.read_text(), re.S).group(1))
    apps = {n["app"] for n in data["nodes"]}
    assert len(apps) >= 41 and len(set(data["groupColors"]["app"].values())) == len(data["groupColors"]["app"])
    page, problems = _open(browser, html)
    assert page.evaluate(f"{CY}.nodes('[?box]').length") == len(apps)
    page.click("#show-cycles")
    assert page.locator("#cut-hops li.cut-hop").count() == len(data["cycles"]["cut"]) > 0
    page.screenshot(path=str(shots(tmp_path) / "html-forty-apps.png"))
    assert problems == []


@pytest.mark.browser
def test_proposal_diff_shows_who_moves_where(browser, sample, tmp_path):
    from decompose.cluster.proposal import load_proposal
    from decompose.render.view import proposal_diff

    architect = load_proposal(SAMPLE / "decomposition.toml")
    proposed_file = tmp_path / "proposal.json"
    from click.testing import CliRunner

    from decompose.cli import cli

    made = CliRunner().invoke(cli, ["propose", str(SAMPLE), "-o", str(proposed_file)])
    assert made.exit_code == 0, made.output
    proposed = load_proposal(proposed_file)
    view = build_view(sample, ViewOptions(), architect)
    diff = proposal_diff(view, sample, architect, proposed)
    assert diff.moves and diff.same + len(diff.moves) == len([n for n in view.nodes if n.type != "external"])
    html = tmp_path / "diff.html"
    run = CliRunner().invoke(
        cli,
        ["graph", str(SAMPLE), "--proposal", str(SAMPLE / "decomposition.toml"), "--compare", str(proposed_file),
         "-o", str(html)],
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    page, problems = _open(browser, html)
    assert page.is_visible("#show-diff")
    page.click("#show-diff")
    moves = page.locator("#diff-moves li").evaluate_all("rows => rows.map(r => r.dataset.node)")
    assert moves == [m[0] for m in diff.moves]
    flows = page.locator("#diff-flows li").evaluate_all("rows => rows.map(r => r.dataset.flow)")
    assert flows == [f"{a}>{b}" for a, b, _k in diff.flows]
    assert sorted(page.evaluate(f"{CY}.nodes('.moved').map(n => n.id())")) == sorted(m[0] for m in diff.moves)
    page.screenshot(path=str(shots(tmp_path) / "html-sample-diff.png"))
    assert problems == []


def test_compare_needs_a_proposal_and_a_page(tmp_path):
    from click.testing import CliRunner

    from decompose.cli import cli

    ref = str(SAMPLE / "decomposition.toml")
    for args in (["--compare", ref, "-o", str(tmp_path / "a.html")], ["--proposal", ref, "--compare", ref, "-o", "-"]):
        run = CliRunner().invoke(cli, ["graph", str(SAMPLE), *args])
        assert run.exit_code == 2 and "--compare goes with --proposal" in run.output, run.output


def test_module_dsm_puts_dependencies_first(sample):
    from decompose.render.html import module_dsm

    view = build_view(sample, MODULE)
    m = module_dsm(view)
    assert m is not None and len(m["modules"]) == len([n for n in view.nodes if n.type != "external"])
    above = [c for c in m["cells"] if c[1] > c[0]]
    assert all(c[3] for c in above)  # only a dependency inside a cycle points forward
    assert len(above) < len(m["cells"]) / 10


@pytest.mark.browser
def test_module_dsm_in_the_page(browser, sample, tmp_path):
    need_graphviz()
    page, problems = _open(browser, _page(tmp_path, sample))
    data = page.evaluate("window.decompose.data.mdsm")
    page.click("#view-dsm")
    page.click("#dsm-module")
    assert page.locator("table.mdsm th.row").count() == len(data["modules"])
    assert page.locator("table.mdsm td.cell").count() == len(data["cells"])
    assert page.locator("table.mdsm td.above").count() == sum(1 for c in data["cells"] if c[1] > c[0])
    page.screenshot(path=str(shots(tmp_path) / "html-sample-module-dsm.png"))
    page.locator("table.mdsm td.cell").first.click()  # a cell explains itself: the path view of that edge
    assert page.is_visible("#cy") and page.locator("#path-steps > li").count() == 1
    assert problems == []


@pytest.mark.browser
def test_app_level_start_expands_an_app_into_its_modules_and_back(browser, sample, tmp_path):
    need_graphviz()
    html = tmp_path / "collapsed.html"
    html.write_text(to_html(sample, build_view(sample, MODULE), MODULE, collapse=True), encoding="utf-8")
    page, problems = _open(browser, html)
    nodes0, boxes0, weight0 = start = page.evaluate(DRAWN)
    assert nodes0 == [] and len(boxes0) == page.evaluate(f"{CY}.nodes('[?box]').length") > 10  # one node per app
    assert weight0 == page.evaluate(EXPECTED_WEIGHT) > 0  # every edge between apps, summed app to app
    assert page.evaluate(f"{CY}.edges().not('.meta').length") == 0
    assert page.evaluate(OVERLAPS) == []
    # expand orders from its panel: its modules appear, their edges to the other apps summed module to app
    page.fill("#search", "orders")
    page.press("#search", "Enter")
    assert page.inner_text("#box-toggle") == "Expand"
    deps = page.locator("#box-deps > li").evaluate_all("rows => rows.map(r => r.dataset.peer)")
    assert "box:payments" in deps and re.search(r"orders/\w+\.py:\d+", page.inner_text("#box-deps"))
    page.click("#box-toggle")
    orders = sorted(n.id for n in build_view(sample, MODULE).nodes if n.app == "orders")
    nodes1, boxes1, weight1 = page.evaluate(DRAWN)
    assert nodes1 == orders and "box:orders" not in boxes1
    assert weight1 == page.evaluate(EXPECTED_WEIGHT) > weight0  # orders' inner edges are drawn now
    meta = page.evaluate(f"{CY}.edges('.meta').map(e => [e.source().id(), e.target().id()])")
    assert any(s == "orders.services" and t == "box:payments" for s, t in meta)
    assert page.evaluate(OVERLAPS) == []  # the other boxes made room
    assert page.inner_text("#box-toggle") == "Collapse"
    page.evaluate(f"void {CY}.fit(undefined, 20)")  # (void: the chained core is no JSON)
    page.screenshot(path=str(shots(tmp_path) / "html-sample-expand.png"))
    page.click("#box-toggle")
    assert page.evaluate(DRAWN) == start
    # expand all: the module graph, boxes packed; collapse all: back to one node per app
    page.click("#expand-all")
    nodes2, boxes2, weight2 = page.evaluate(DRAWN)
    assert boxes2 == [] and len(nodes2) == len(build_view(sample, MODULE).nodes)
    assert page.evaluate(f"{CY}.edges('.meta').length") == 0 and page.evaluate(OVERLAPS) == []
    assert weight2 == page.evaluate(EXPECTED_WEIGHT)
    page.click("#collapse-all")
    assert page.evaluate(DRAWN) == start
    # search and Why? find modules inside collapsed boxes and open those boxes
    page.fill("#search", "payments.gateway")
    page.press("#search", "Enter")
    assert page.inner_text("#panel h2") == "payments.gateway" and "#" not in page.inner_text("#deps")
    assert "payments.gateway" in page.evaluate(DRAWN)[0]
    path = page.evaluate("window.decompose.showPath('web.views', 'payments.models')")
    assert path[0] == "web.views" and path[-1] == "payments.models"
    assert set(path) <= set(page.evaluate(DRAWN)[0])
    assert page.evaluate(f"{CY}.edges('.path').length") == len(path) - 1
    assert page.evaluate(OVERLAPS) == []
    assert problems == []


@pytest.mark.browser
def test_svg_export_draws_the_current_view(browser, sample, tmp_path):
    import xml.etree.ElementTree as ET

    need_graphviz()
    page, problems = _open(browser, _page(tmp_path, sample))
    page.evaluate("window.decompose.toggleBox('box:payments')")
    page.fill("#search", "orders.services")
    page.press("#search", "Enter")
    with page.expect_download() as dl:
        page.click("#export-svg")
    assert dl.value.suggested_filename == "decompose-graph.svg"
    root = ET.parse(dl.value.path()).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"

    def drawn(cls: str) -> list[str]:
        return sorted(e.get("data-id") for e in root.iter() if e.get("class") == cls)

    shown = "filter(x => x.style('display') !== 'none')"
    assert drawn("node") == sorted(page.evaluate(f"{CY}.nodes('[!box]').{shown}.map(n => n.id())"))
    assert drawn("edge") == sorted(page.evaluate(f"{CY}.edges().{shown}.map(e => e.id())"))
    assert drawn("box collapsed") == ["box:payments"]
    assert "box:orders" in drawn("box")  # an expanded box: its frame
    texts = {t.text for t in root.iter(f"{ns}text")}
    assert {"orders.services", "orders"} <= texts and "payments" in " ".join(texts)
    # the selection shows: faded elements are drawn faint, the selected node opaque with its thick border
    selected = next(e for e in root.iter() if e.get("data-id") == "orders.services")
    assert float(selected.get("opacity")) == 1 and float(selected.get("stroke-width")) >= 4
    assert any(float(e.get("opacity")) < 0.5 for e in root.iter() if e.get("class") == "node")
    assert problems == []


@pytest.mark.browser
def test_wagtail_sized_synthetic_graph_renders_collapsed_and_stays_responsive(browser, tmp_path):
    """About 2,500 modules in 42 apps (wagtail's module graph without tests has 744 nodes in 23 boxes):
    the page starts with one node per app and expands one app, then collapses it, in a few seconds."""
    graph, _planted = synthetic_graph(n_modules=2500, modules_per_app=60, seed=7)
    html = _page(tmp_path, graph, name="synthetic.html")
    data = json.loads(re.search(r'id="decompose-data">(.*?)</script>', html.read_text(), re.S).group(1))
    assert len(data["nodes"]) >= 2500 and len({n["box"] for n in data["nodes"]}) >= 42 and data["collapsed"]
    page, problems = _open(browser, html)
    first_render = page.evaluate("window.decompose.timings.firstRenderFromNavigation")
    start = page.evaluate(DRAWN)
    assert start[0] == [] and len(start[1]) >= 42 and start[2] == page.evaluate(EXPECTED_WEIGHT)
    toggle = """async (id) => { const t = performance.now(); window.decompose.toggleBox(id);
      await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))); return performance.now() - t; }"""
    expand = page.evaluate(toggle, "box:app0007")
    nodes, boxes, weight = page.evaluate(DRAWN)
    assert len(nodes) == 60 and all(n.startswith("app0007.") for n in nodes) and "box:app0007" not in boxes
    assert weight == page.evaluate(EXPECTED_WEIGHT) and page.evaluate(OVERLAPS) == []
    page.evaluate(f"void {CY}.fit(undefined, 20)")  # (void: the chained core is no JSON)
    page.screenshot(path=str(shots(tmp_path) / "html-synthetic-2500.png"))
    collapse = page.evaluate(toggle, "box:app0007")
    assert page.evaluate(DRAWN) == start
    # generous bounds for a shared 2-core machine: drawing all 2,500 modules at once takes far longer
    assert first_render < 8000 and expand < 4000 and collapse < 4000, (first_render, expand, collapse)
    assert problems == []


@pytest.mark.parametrize("graphviz", [True, False])
def test_large_grouped_view_is_laid_out_group_by_group_and_starts_collapsed(graphviz):
    from decompose.render.html import SFDP_ABOVE, collapsed_layout, grouped_layout, page_data

    if graphviz:
        need_graphviz()
    graph, _planted = synthetic_graph(n_modules=480, modules_per_app=12, seed=5)
    view = build_view(graph, MODULE)
    assert len(view.nodes) > SFDP_ABOVE
    pos = grouped_layout(view, graphviz=graphviz)
    assert set(pos) == {n.id for n in view.nodes} and grouped_layout(view, graphviz=graphviz) == pos
    # each group's area (its nodes, labels under them) is apart from every other group's
    spans: dict[str, list[float]] = {}
    for n in view.nodes:
        (x, y), half = pos[n.id], len(n.label) * 2.7
        s = spans.setdefault(n.group, [x - half, x + half, y, y + 20])
        s[:] = [min(s[0], x - half), max(s[1], x + half), min(s[2], y), max(s[3], y + 20)]
    groups = sorted(spans)
    for i, a in enumerate(groups):
        for b in groups[i + 1 :]:
            (ax0, ax1, ay0, ay1), (bx0, bx1, by0, by1) = spans[a], spans[b]
            assert ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0, (a, b)
    boxes = collapsed_layout(view, graphviz=graphviz)
    assert set(boxes) == set(groups) and len(set(boxes.values())) == len(groups)
    data = page_data(graph, view, MODULE, layout="auto" if graphviz else "browser", collapse=True)
    assert data["collapsed"] and data["layout"] == "preset" and set(data["boxPos"]) == set(groups)
    assert all(n["box"] == n["group"] for n in data["nodes"])
    assert not page_data(graph, view, MODULE, layout="browser", collapse=False)["collapsed"]
