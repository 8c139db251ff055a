"""Related managers, forward relations and lookups that cross apps; signal senders; shadowed imports.

The fixture ``fixtures/analyze/related`` has models in three apps
(customers <- orders -> catalog) and a ``reports`` app that reaches them
through instances whose model is knowable statically: annotated parameters,
``Model.objects.get(...)``, ``get_object_or_404``, loop variables over
querysets and related managers, ``self`` in a model's methods.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from decompose.analysis import analyze
from decompose.graph import DependencyGraph
from decompose.scan.python import scan_source

FIXTURE = Path(__file__).parent / "fixtures" / "analyze" / "related"


def line_of(rel: str, text: str) -> int:
    for i, line in enumerate((FIXTURE / rel).read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            return i
    raise AssertionError(f"{text!r} not in {rel}")


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> DependencyGraph:
    dest = tmp_path_factory.mktemp("rel") / "related"
    shutil.copytree(FIXTURE, dest)
    return analyze(dest, use_cache=False)


def at_line(g: DependencyGraph, source: str, path: str, line: int) -> set[tuple[str, str, str]]:
    """(target, kind, symbol) of every edge out of ``source`` with evidence on ``line``."""
    out = set()
    for u, v, d in g.edges():
        if u != source:
            continue
        for e in d["evidence"]:
            if e.path == path and e.line == line:
                out.add((v, d["kind"], e.symbol))
    return out


S = "reports/services.py"
FOUND = [
    # source, file, marker, expected (target, kind, symbol) on that line
    ("customers.models", "customers/models.py", "# rel-self-reverse", {("orders.models", "orm", "Order")}),
    ("reports.services", S, "# rel-annotated", {("orders.models", "orm", "Order")}),
    ("reports.services", S, "# rel-get", {("customers.models", "orm", "Customer")}),
    ("reports.services", S, "# rel-404", {("orders.models", "orm", "Order")}),
    ("reports.services", S, "# rel-loop-product", {("catalog.models", "orm", "Product")}),
    ("reports.services", S, "# rel-loop", {("orders.models", "orm", "OrderLine")}),
    ("reports.services", S, "# rel-default-set", {("orders.models", "orm", "OrderLine")}),
    ("reports.services", S, "# rel-one-to-one", {("orders.models", "orm", "Shipment")}),
    (
        "reports.services",
        S,
        "# lookup-filter",
        {("orders.models", "orm", "OrderLine"), ("orders.models", "orm", "Order"), ("customers.models", "orm", "Customer")},
    ),
    (
        "reports.services",
        S,
        "# lookup-select",
        {("orders.models", "orm", "OrderLine"), ("catalog.models", "orm", "Product"), ("catalog.models", "orm", "Category")},
    ),
    (
        "reports.services",
        S,
        "# lookup-reverse",
        {
            ("customers.models", "orm", "Customer"),
            ("orders.models", "orm", "Order"),
            ("orders.models", "orm", "OrderLine"),
            ("catalog.models", "orm", "Product"),
        },
    ),
    ("reports.services", S, "# signal-send-sender", {("orders.models", "signal", "Order"), ("orders.signals", "signal", "order_paid")}),
    # models loaded by name: `X = apps.get_model("app", "Model")`, then X.objects...
    ("reports.services", S, "# alias-module", {("orders.models", "orm", "Shipment")}),
    ("reports.services", S, "# alias-local", {("catalog.models", "orm", "Category"), ("catalog.models", "orm", "Product")}),
]


@pytest.mark.parametrize("source, path, marker, expected", FOUND, ids=[f[2].lstrip("# ") for f in FOUND])
def test_cross_app_relation_is_an_edge(graph, source, path, marker, expected):
    assert at_line(graph, source, path, line_of(path, marker)) == expected


@pytest.mark.parametrize(
    "path, marker, expected",
    [
        ("customers/models.py", "# not-a-relation", set()),  # a plain field is no coupling
        (S, "# lookup-no-join", {("orders.models", "orm", "Order")}),  # customer=obj compares ids: no join into customers
        (S, "# shadow-param", set()),  # the parameter, not the imported model
        (S, "# shadow-local", set()),  # a local variable, not the imported model
    ],
    ids=["plain-field", "fk-compare", "shadow-param", "shadow-local"],
)
def test_no_edge_where_nothing_crosses(graph, path, marker, expected):
    source = path[:-3].replace("/", ".")
    assert at_line(graph, source, path, line_of(path, marker)) == expected


def test_no_self_edges_and_relation_weights_count_lines(graph):
    assert not any(u == v for u, v, _ in graph.edges())
    d = graph.graph.edges["reports.services", "catalog.models", "orm"]
    assert d["weight"] == len(d["evidence"]) == len(set(d["evidence"]))


@pytest.mark.parametrize(
    "source, used",
    [
        # parameter shadows the import: no use of orders.models at all
        (b"from orders import models\ndef f(models):\n    return models.Order.objects.all()\n", False),
        # a lambda parameter and a comprehension variable shadow too
        (b"from orders import models\nf = lambda models: models.Order.objects.all()\n", False),
        (b"from orders import models\nx = [models.Order.objects.all() for models in range(3)]\n", False),
        # `global` makes the name the module's again
        (b"from orders import models\ndef f():\n    global models\n    models = models.Order.objects.all()\n", True),
        # a local import rebinds the name to the import inside the function
        (b"def f(models):\n    from orders import models\n    return models.Order.objects.all()\n", True),
        # outside the shadowing function the import is used
        (b"from orders import models\ndef f(models):\n    pass\nmodels.Order.objects.all()\n", True),
    ],
    ids=["param", "lambda", "comprehension", "global", "local-import", "outside"],
)
def test_shadowing_follows_python_scopes(source, used):
    facts = scan_source("shop.views", source)
    assert any(u.kind == "orm" and u.target.startswith("orders.models.Order") for u in facts.uses) is used


def test_models_loaded_by_name_are_the_models_they_name():
    src = (
        b"from django.contrib.auth import get_user_model\n"
        b"from oscar.core.loading import get_model\n"
        b"User = get_user_model()\n"
        b"Product = get_model('catalogue', 'Product')\n"
        b"def f(pk):\n"
        b"    User.objects.get(pk=pk)\n"
        b"    return Product.objects.filter(stockrecords__partner__name='x')\n"
    )
    uses = {(u.kind, u.ref, u.target, u.line) for u in scan_source("shop.views", src).uses}
    assert ("orm", "model", "@@AUTH_USER_MODEL", 6) in uses
    assert ("orm", "model", "@catalogue.Product", 7) in uses
    assert ("orm", "related", "@catalogue.Product|stockrecords__partner", 7) in uses
