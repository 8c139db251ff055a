"""Repository layouts: where module names start."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from decompose.analysis import analyze


def _w(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dedent(text).lstrip(), encoding="utf-8")


def test_src_layout_next_to_a_demo_project(tmp_path):
    # django-oscar's repository: the package under src/, a demo project (settings as a top-level module) in sandbox/
    root = tmp_path / "repo"
    _w(root / "setup.py", "from setuptools import setup\nsetup()\n")
    _w(root / "src/shop/__init__.py", "")
    _w(root / "src/shop/orders/__init__.py", "")
    _w(root / "src/shop/orders/apps.py", """
        from django.apps import AppConfig

        class OrdersConfig(AppConfig):
            name = "shop.orders"
            label = "order"
        """)
    _w(root / "src/shop/orders/models.py", """
        from django.db import models
        from shop.catalogue.models import Product

        class Order(models.Model):
            product = models.ForeignKey("catalogue.Product", on_delete=models.CASCADE)
        """)
    _w(root / "src/shop/catalogue/__init__.py", "")
    _w(root / "src/shop/catalogue/models.py", """
        from django.db import models

        class Product(models.Model):
            name = models.CharField(max_length=10)
        """)
    _w(root / "sandbox/manage.py", """
        import os
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
        """)
    _w(root / "sandbox/settings.py", 'INSTALLED_APPS = ["shop.catalogue", "shop.orders.apps.OrdersConfig"]\n')
    _w(root / "sandbox/urls.py", "from shop.orders.models import Order\nurlpatterns = []\n")
    g = analyze(root, use_cache=False)
    assert {"shop.orders.models", "shop.catalogue.models", "settings", "urls", "setup"} <= set(g.modules())
    assert not any(m.startswith(("src.", "sandbox.")) for m in g.modules())
    assert g.settings_module == "settings"
    assert {(a.label, a.name, a.path) for a in g.apps} == {("catalogue", "shop.catalogue", "src/shop/catalogue"), ("order", "shop.orders", "src/shop/orders")}
    assert g.graph.has_edge("shop.orders.models", "shop.catalogue.models", key="import")
    assert g.graph.has_edge("shop.orders.models", "shop.catalogue.models", key="fk")
    assert g.graph.has_edge("urls", "shop.orders.models", key="import")


def test_a_src_package_is_not_a_source_root(tmp_path):
    root = tmp_path / "proj"
    _w(root / "manage.py", 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "src.settings")\n')
    _w(root / "src/__init__.py", "")
    _w(root / "src/settings.py", 'INSTALLED_APPS = ["src.app"]\n')
    _w(root / "src/app/__init__.py", "")
    _w(root / "src/app/models.py", "from src.settings import INSTALLED_APPS\n")
    g = analyze(root, use_cache=False)
    assert {"src.settings", "src.app.models"} <= set(g.modules())
    assert g.graph.has_edge("src.app.models", "src.settings", key="import")


def test_models_on_a_third_party_base_are_models(tmp_path):
    # django-oscar's Category(MP_Node): the base is not in the project, the Meta and fields say "model"
    root = tmp_path / "shop"
    _w(root / "manage.py", 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")\n')
    _w(root / "shop/__init__.py", "")
    _w(root / "shop/settings.py", 'INSTALLED_APPS = ["catalogue", "offers"]\n')
    _w(root / "catalogue/__init__.py", "")
    _w(root / "catalogue/models.py", """
        from treebeard.mp_tree import MP_Node
        from django.db import models

        class Category(MP_Node):
            name = models.CharField(max_length=10)

            class Meta:
                app_label = "catalogue"

        class Helper(MP_Node):
            pass
        """)
    _w(root / "offers/__init__.py", "")
    _w(root / "offers/models.py", """
        from django.db import models

        class Offer(models.Model):
            category = models.ForeignKey("catalogue.Category", related_name="offers", on_delete=models.CASCADE)
        """)
    _w(root / "offers/views.py", """
        from catalogue.models import Category

        def offers_of(category: Category):
            return category.offers.all()
        """)
    g = analyze(root, use_cache=False)
    assert [m["name"] for m in g.graph.nodes["catalogue.models"]["models"]] == ["Category"]
    ev = g.graph.edges["offers.views", "offers.models", "orm"]["evidence"]
    assert [(e.line, e.symbol) for e in ev] == [(4, "Offer")]


def test_gettext_locale_folders_are_not_walked_but_a_locale_package_is_code(tmp_path):
    root = tmp_path / "proj"
    _w(root / "manage.py", "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n")
    _w(root / "proj/__init__.py", "")
    _w(root / "proj/settings.py", 'INSTALLED_APPS = ["shop"]\n')
    _w(root / "shop/__init__.py", "")
    _w(root / "shop/models.py", "from shop.locale.formats import money\n")
    _w(root / "shop/locale/fr/LC_MESSAGES/django.po", 'msgid ""\nmsgstr ""\n')
    _w(root / "shop/locale/fr/LC_MESSAGES/stray.py", "import os\n")  # a gettext folder holds no code
    _w(root / "shop/locale/__init__.py.txt", "")
    g = analyze(root, use_cache=False)
    assert not any(".locale" in m for m in g.modules())
    # the same name as a real package (it has an __init__.py) is code like any other
    _w(root / "shop/locale/__init__.py", "")
    _w(root / "shop/locale/formats.py", "def money(x):\n    return x\n")
    g = analyze(root, use_cache=False)
    assert {"shop.locale", "shop.locale.formats", "shop.locale.fr.LC_MESSAGES.stray"} <= set(g.modules())
    assert g.graph.has_edge("shop.models", "shop.locale.formats", key="import")


def test_the_graph_does_not_depend_on_where_the_project_is_checked_out(tmp_path):
    # with a decompose.toml, the graph records which file configured it: by its name in the project,
    # so two checkouts of the same project give the same bytes
    texts = []
    for where in ("a/deep/checkout", "b"):
        root = tmp_path / where / "proj"
        _w(root / "manage.py", "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n")
        _w(root / "proj/__init__.py", "")
        _w(root / "proj/settings.py", 'INSTALLED_APPS = ["shop"]\n')
        _w(root / "shop/__init__.py", "")
        _w(root / "shop/models.py", "from proj import settings\n")
        _w(root / "decompose.toml", 'exclude = ["docs/**"]\n\n[propose]\nservices = 2\n')
        g = analyze(root, use_cache=False)
        assert g.meta["config"] == "decompose.toml"
        texts.append(g.to_json())
    assert texts[0] == texts[1]
