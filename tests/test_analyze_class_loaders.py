"""Classes loaded by an app-relative module label (django-oscar's ``get_class`` / ``get_classes``)."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from decompose.analysis import analyze
from decompose.graph import app_graph


def _w(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dedent(text).lstrip(), encoding="utf-8")


def _oscar_like(root: Path) -> None:
    """An oscar-shaped project: apps under oscar/apps/, a forked ``basket`` app in myshop/."""
    _w(root / "manage.py", "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'settings')\n")
    _w(
        root / "settings.py",
        'INSTALLED_APPS = ["oscar.apps.catalogue", "oscar.apps.offer", "myshop.basket.apps.BasketConfig", "oscar.apps.dashboard"]\n',
    )
    _w(root / "oscar/__init__.py", "")
    _w(root / "oscar/core/__init__.py", "")
    _w(root / "oscar/core/loading.py", """
        def get_class(module_label, classname, module_prefix="oscar.apps"):
            return get_classes(module_label, [classname], module_prefix)[0]

        def get_classes(module_label, classnames, module_prefix="oscar.apps"):
            return []
        """)
    _w(root / "oscar/apps/__init__.py", "")
    for app in ("catalogue", "offer", "basket", "dashboard"):
        _w(root / f"oscar/apps/{app}/__init__.py", "")
    _w(root / "oscar/apps/dashboard/catalogue/__init__.py", "")
    _w(root / "oscar/apps/dashboard/catalogue/forms.py", "class ProductForm:\n    pass\n")
    _w(root / "oscar/apps/offer/applicator.py", "from oscar.apps.offer.base import Applicator\n")  # a re-export
    _w(root / "oscar/apps/offer/base.py", "class Applicator:\n    pass\n")
    _w(root / "oscar/apps/offer/utils.py", "def range_anchor():\n    pass\n\ndef unit_price():\n    pass\n")
    _w(root / "oscar/apps/basket/forms.py", "class AddToBasketForm:\n    pass\n")
    _w(root / "myshop/__init__.py", "")
    _w(root / "myshop/basket/__init__.py", "")
    _w(root / "myshop/basket/apps.py", """
        from django.apps import AppConfig

        class BasketConfig(AppConfig):
            name = "myshop.basket"
            label = "basket"
        """)
    _w(root / "myshop/basket/forms.py", "class AddToBasketForm:\n    pass\n")  # the forked app's own module
    _w(root / "oscar/apps/catalogue/views.py", """
        from oscar.core.loading import get_class, get_classes

        Applicator = get_class("offer.applicator", "Applicator")
        AddToBasketForm = get_class("basket.forms", classname="AddToBasketForm")
        range_anchor, unit_price = get_classes("offer.utils", ("range_anchor", "unit_price"))
        ProductForm = get_class("dashboard.catalogue.forms", "ProductForm")
        Missing = get_class("offer.nowhere", "Missing")
        Other = get_class("catalogue.views", "Thing", module_prefix="elsewhere.apps")


        def view(obj):
            return get_class(obj)  # not a module label: nothing to follow
        """)


def _evidence(g, u, v):
    data = g.graph.get_edge_data(u, v) or {}
    return data.get("string_ref", {}).get("evidence", [])


def test_get_class_is_a_string_ref_to_the_module_that_defines_the_class(tmp_path):
    root = tmp_path / "proj"
    _oscar_like(root)
    g = analyze(root, use_cache=False)
    views = "oscar.apps.catalogue.views"
    # through the re-export in offer/applicator.py to the defining module, with the class as symbol
    assert [(e.line, e.symbol) for e in _evidence(g, views, "oscar.apps.offer.base")] == [(3, "Applicator")]
    assert not _evidence(g, views, "oscar.apps.offer.applicator")
    # get_classes: one evidence per class name
    assert [(e.line, e.symbol) for e in _evidence(g, views, "oscar.apps.offer.utils")] == [(5, "range_anchor"), (5, "unit_price")]
    # the app label "dashboard" names oscar.apps.dashboard; the rest of the label is the module path below it
    assert [e.symbol for e in _evidence(g, views, "oscar.apps.dashboard.catalogue.forms")] == ["ProductForm"]
    # the basket app is forked (label "basket" is myshop.basket): its module wins, as the loader prefers it
    assert [e.symbol for e in _evidence(g, views, "myshop.basket.forms")] == ["AddToBasketForm"]
    assert not _evidence(g, views, "oscar.apps.basket.forms")
    # nothing invented for a module that does not exist, a prefix outside the project, or a non-label call
    targets = {v for _u, v, k in g.graph.out_edges(views, keys=True) if k == "string_ref"}
    assert targets == {"oscar.apps.offer.base", "oscar.apps.offer.utils", "oscar.apps.dashboard.catalogue.forms", "myshop.basket.forms"}
    # the loader itself is still called
    assert g.graph.has_edge(views, "oscar.core.loading", key="call")


def test_class_loading_couples_the_apps(tmp_path):
    root = tmp_path / "proj"
    _oscar_like(root)
    g = analyze(root, use_cache=False)
    apps = app_graph(g, kinds=["string_ref"])
    assert apps.has_edge("catalogue", "basket") and apps.has_edge("catalogue", "offer")
