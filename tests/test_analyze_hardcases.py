"""`decompose analyze` on a small hand-written project holding every edge kind and the hard cases.

Expected evidence lines are found by searching the fixture's text, so the
fixture can be edited without renumbering the tests.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from decompose.analysis import analyze, load_graph_or_analyze
from decompose.cli import cli
from decompose.graph import DependencyGraph, dump, load
from decompose.summary import summarize

FIXTURE = Path(__file__).parent / "fixtures" / "analyze" / "hardcases"


def line_of(rel: str, text: str) -> int:
    for i, line in enumerate((FIXTURE / rel).read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            return i
    raise AssertionError(f"{text!r} not in {rel}")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("hc") / "hardcases"
    shutil.copytree(FIXTURE, dest)
    return dest


@pytest.fixture(scope="module")
def graph(project: Path) -> DependencyGraph:
    return analyze(project, use_cache=False)


def evidence(g: DependencyGraph, u: str, v: str, kind: str) -> set[tuple[str, int, str, tuple[str, ...]]]:
    if not g.graph.has_edge(u, v, key=kind):
        return set()
    return {(e.path, e.line, e.symbol, e.flags) for e in g.graph.edges[u, v, kind]["evidence"]}


EDGES = [
    # kind, source, target, file, text on the line, symbol, flags
    ("import", "billing.services", "shop_orders.models", "billing/services.py", "import shop_orders.models", "", ()),
    ("import", "billing.services", "catalog.pricing.rules", "billing/services.py", "import catalog.pricing.rules", "", ()),
    ("call", "billing.services", "catalog.pricing.rules", "billing/services.py", "# call-dotted", "apply", ()),
    ("orm", "billing.services", "shop_orders.models", "billing/services.py", "# orm-dotted", "Order", ()),
    # re-export through __init__: the import is written against the package, the use reaches the definer
    ("import", "billing.services", "catalog", "billing/services.py", "from catalog import Product", "Product", ()),
    ("orm", "billing.services", "catalog.models", "billing/services.py", "# orm-reexport", "Product", ()),
    ("import", "catalog", "catalog.models", "catalog/__init__.py", "from .models import", "Product", ()),
    # alias
    ("orm", "billing.services", "catalog.models", "billing/services.py", "# orm-alias", "Category", ()),
    # relative imports: from .. import module, from ..module import name, from . import submodule
    ("import", "billing.gateways.stripe", "billing.models", "billing/gateways/stripe.py", "from .. import models", "", ()),
    ("import", "billing.gateways.stripe", "billing.services", "billing/gateways/stripe.py", "# relative-parent", "capture_payment", ()),
    ("call", "billing.gateways.stripe", "billing.services", "billing/gateways/stripe.py", "return capture_payment", "capture_payment", ()),
    ("orm", "billing.gateways.stripe", "billing.models", "billing/gateways/stripe.py", "# orm-relative-module", "Payment", ()),
    ("import", "billing.urls", "billing.views", "billing/urls.py", "# relative-submodule", "", ()),
    # star import
    ("import", "reports.queries", "catalog.models", "reports/queries.py", "# star-import", "*", ()),
    ("orm", "reports.queries", "catalog.models", "reports/queries.py", "# orm-star", "Category", ()),
    # TYPE_CHECKING and function-local imports are kept, marked
    ("import", "billing.services", "notify.receivers", "billing/services.py", "# type-checking-import", "on_order", ("type_checking",)),
    ("import", "billing.services", "reports.queries", "billing/services.py", "# local-import", "totals", ("local",)),
    ("call", "billing.services", "reports.queries", "billing/services.py", "    totals()", "totals", ("local",)),
    # models: abstract base, FKs by object, by setting, by "app.Model" with a relabelled app, m2m
    ("inherit", "shop_orders.models", "common.models", "shop_orders/models.py", "# inherit-abstract", "TimeStamped", ()),
    ("fk", "shop_orders.models", "people.models", "shop_orders/models.py", "# fk-setting", "Person", ()),
    ("fk", "shop_orders.models", "catalog.models", "shop_orders/models.py", "# fk-object", "Category", ()),
    ("fk", "shop_orders.models", "catalog.models", "shop_orders/models.py", "# fk-label", "Product", ()),
    ("fk", "shop_orders.models", "catalog.models", "shop_orders/models.py", "# fk-m2m", "Category", ()),
    ("fk", "billing.models", "shop_orders.models", "billing/models.py", "# fk-relabel", "Order", ()),
    # signals: builtin with sender=, custom, lazy "app.Model" sender, send()
    ("signal", "notify.receivers", "shop_orders.models", "notify/receivers.py", "# signal-sender", "Order", ()),
    ("signal", "notify.receivers", "shop_orders.signals", "notify/receivers.py", "# signal-custom", "order_placed", ()),
    ("signal", "notify.receivers", "shop_orders.models", "notify/receivers.py", "# signal-lazy", "OrderLine", ()),
    ("signal", "billing.services", "shop_orders.signals", "billing/services.py", "# signal-send", "order_placed", ()),
    ("call", "shop_orders.services", "billing.services", "shop_orders/services.py", "# call-capture", "capture_payment", ()),
    # urls
    ("url", "proj.urls", "shop_orders.urls", "proj/urls.py", "# include-string", "", ()),
    ("url", "proj.urls", "billing.urls", "proj/urls.py", "# include-module", "", ()),
    # string references
    ("string_ref", "billing.services", "shop_orders.models", "billing/services.py", "# get-model", "Order", ("local",)),
    ("string_ref", "billing.services", "billing.gateways.stripe", "billing/services.py", "# import-string", "Client", ("local",)),
    ("string_ref", "proj.settings", "billing.gateways.stripe", "proj/settings.py", "# settings-dotted-path", "Client", ()),
    ("string_ref", "proj.settings", "people.models", "proj/settings.py", "AUTH_USER_MODEL =", "Person", ()),
    ("string_ref", "proj.settings", "shop_orders.apps", "proj/settings.py", "shop_orders.apps.OrdersConfig", "OrdersConfig", ()),
    # migrations: dependencies only, flagged
    ("string_ref", "shop_orders.migrations.0001_initial", "catalog.migrations.0001_initial",
     "shop_orders/migrations/0001_initial.py", "# migration-dep", "catalog.0001_initial", ("migration",)),
    ("string_ref", "shop_orders.migrations.0001_initial", "people.models",
     "shop_orders/migrations/0001_initial.py", "# migration-swappable", "people.Person", ("migration",)),
]  # fmt: skip


@pytest.mark.parametrize("kind,source,target,path,text,symbol,flags", EDGES, ids=[f"{e[0]}:{e[4]}" for e in EDGES])
def test_edge_found_with_evidence(graph, kind, source, target, path, text, symbol, flags):
    assert (path, line_of(path, text), symbol, flags) in evidence(graph, source, target, kind)


def test_apps_labels_settings_and_app_membership(graph):
    assert {(a.label, a.name, a.path) for a in graph.apps} == {
        ("billing", "billing", "billing"),
        ("catalog", "catalog", "catalog"),
        ("common", "common", "common"),
        ("notify", "notify", "notify"),
        ("orders", "shop_orders", "shop_orders"),  # AppConfig.label differs from the folder
        ("people", "people", "people"),
        ("reports", "reports", "reports"),
    }
    assert graph.settings_module == "proj.settings"
    assert graph.app_of("shop_orders.models") == "orders"
    assert graph.app_of("proj.urls") is None
    n = graph.graph.nodes
    assert n["shop_orders.migrations.0001_initial"]["migration"] is True
    assert n["billing"]["package"] is True and n["billing.services"]["package"] is False
    assert n["billing.services"]["lines"] == len((FIXTURE / "billing/services.py").read_text().splitlines())


def test_self_references_and_same_module_strings_make_no_edges(graph):
    # "self" and "Order" inside shop_orders/models.py point at the module itself
    assert not any(u == v for u, v, _ in graph.edges())
    fk_targets = {v for u, v, _ in graph.edges(["fk"]) if u == "shop_orders.models"}
    assert fk_targets == {"people.models", "catalog.models"}


def test_migrations_have_their_dependencies_and_imports_read_flagged_migration(graph):
    out = {(v, d["kind"]): d for u, v, d in graph.edges() if u == "shop_orders.migrations.0001_initial"}
    # a helper a migration imports must be there wherever the migration runs (an extracted service)
    imp = out[("billing.services", "import")]
    assert [(e.line, e.flags) for e in imp["evidence"]] == [
        (line_of("shop_orders/migrations/0001_initial.py", "import billing.services"), ("migration",))
    ]
    assert {k for _, k in out} == {"string_ref", "import"}


def test_models_tables_and_atomic_blocks(graph):
    n = graph.graph.nodes
    assert n["shop_orders.models"]["models"] == [
        {"name": "Order", "line": line_of("shop_orders/models.py", "class Order("), "table": "orders_order", "abstract": False},
        {"name": "OrderLine", "line": line_of("shop_orders/models.py", "class OrderLine("), "table": "custom_lines", "abstract": False},
    ]
    common = n["common.models"]["models"]
    assert [(m["name"], m["table"], m["abstract"]) for m in common] == [("TimeStamped", None, True)]
    tables = {m["name"]: m["table"] for m in n["catalog.models"]["models"]}
    assert tables == {"Category": "catalog_category", "Product": "catalog_product", "FeaturedProduct": "catalog_product"}
    assert [m["name"] for m in n["people.models"]["models"]] == ["Person"]  # subclass of django's AbstractUser
    assert n["billing.services"]["atomic_blocks"] == [
        {"line": line_of("billing/services.py", "# atomic-block"), "modules": ["billing.models", "shop_orders.models"]}
    ]


def test_external_packages_are_counted_not_followed(graph, project):
    n = graph.graph.nodes
    assert n["django"] == {"type": "external", "stdlib": False}
    assert n["typing"]["stdlib"] is True and n["pathlib"]["stdlib"] is True
    assert not any(m.startswith("django.") for m in graph.graph.nodes)
    hidden = analyze(project, use_cache=False, hide_external=True)
    assert hidden.externals() == [] and hidden.modules() == graph.modules()


def test_folder_without_init_is_a_namespace_package_with_a_warning(graph):
    assert "scripts.oneoff" in graph.modules()
    assert any(w.startswith("scripts/") and "__init__" in w for w in graph.meta["warnings"])
    assert ("scripts/oneoff.py", 1, "", ()) in evidence(graph, "scripts.oneoff", "shop_orders.services", "import")


def test_nothing_of_the_project_is_imported_or_run(project, graph):
    # boom.py and proj/settings.py write a file and raise when imported
    assert "boom" in graph.modules() and "proj.settings" in graph.modules()
    result = CliRunner().invoke(cli, ["analyze", str(project), "--no-cache", "-q"])
    assert result.exit_code == 0, result.output
    assert list(project.rglob("EXECUTED-*")) == []


def test_json_round_trip_and_cli_outputs(project, graph, tmp_path):
    assert DependencyGraph.from_dict(json.loads(graph.to_json())) == graph
    out = tmp_path / "graph.json"
    result = CliRunner().invoke(cli, ["analyze", str(project), "--no-cache", "--output", str(out), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == out.read_text(encoding="utf-8")
    assert load(out) == graph
    dumped = tmp_path / "again.json"
    dump(load(out), dumped)
    assert dumped.read_bytes() == out.read_bytes()
    assert load_graph_or_analyze(out) == graph
    assert load_graph_or_analyze(project, use_cache=False) == graph
    data = json.loads(result.stdout)
    assert data["schema"] == "decompose.graph" and data["version"] == 1


def test_text_summary_on_stderr(project):
    result = CliRunner().invoke(cli, ["analyze", str(project), "--no-cache"])
    assert result.exit_code == 0
    assert result.stdout == ""
    err = result.stderr
    for word in ("Apps", "instability", "orders", "Strongest cross-app couplings", "1 warning"):
        assert word in err, word


def test_settings_option_and_errors(project, tmp_path):
    assert analyze(project, settings="proj.settings", use_cache=False).settings_module == "proj.settings"
    r = CliRunner().invoke(cli, ["analyze", str(project), "--settings", "nope.settings", "--no-cache"])
    assert r.exit_code == 2 and "nope.settings" in r.stderr and "Traceback" not in r.output
    r = CliRunner().invoke(cli, ["analyze", str(tmp_path / "missing")])
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    empty = tmp_path / "empty"
    (empty / "docs").mkdir(parents=True)
    (empty / "docs" / "notes.txt").write_text("no python here")
    r = CliRunner().invoke(cli, ["analyze", str(empty)])
    assert r.exit_code == 2 and "no Python files" in r.stderr


def test_piped_summary_is_plain_text_with_every_cell_whole(project, monkeypatch):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    monkeypatch.setenv("COLUMNS", "40")  # a narrow terminal would cut cells; a pipe has no width
    err = CliRunner().invoke(cli, ["analyze", str(project), "--no-cache"]).stderr
    assert not set("│┃━─┏┗…") & set(err)  # no box drawing, nothing shortened
    graph = analyze(project, use_cache=False)
    summary = summarize(graph)
    for cp in summary.couplings:  # each coupling's whole example (path:line symbol) is on its row
        assert any(cp.source in line and cp.target in line and line.endswith(cp.example) for line in err.splitlines()), cp
    header = next(line for line in err.splitlines() if line.startswith("app "))
    assert header.split() == ["app", "modules", "lines", "fan-in", "fan-out", "instability"]


def test_a_terminal_gets_rich_tables(project, monkeypatch):
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich's own switch: render as for a terminal
    err = CliRunner().invoke(cli, ["analyze", str(project), "--no-cache"]).stderr
    assert "┃" in err and "Strongest cross-app couplings" in err
