"""Check how ``decompose analyze`` handles the traps real Django projects bring.

    .venv/bin/python benchmarks/traps.py [--migrations 3000] [--keep DIR]

Generates two small projects in a temporary folder and analyses each (cold,
in a child process), then prints one line per check, ``ok`` or ``MISS`` with
what was seen instead:

``backend`` (the source root is not the archive root)::

    README.md
    backend/manage.py                 DJANGO_SETTINGS_MODULE "shop.settings"
    backend/shop/settings.py          INSTALLED_APPS = [catalog, orders.apps.OrdersConfig, geo]
    backend/catalog/                  AppConfig.label = "shop_catalog" (not the folder name)
    backend/orders/models.py          ForeignKey("shop_catalog.Product"), imports catalog.models
    backend/orders/migrations/        --migrations files, each depending on the previous one
    backend/catalog/pricing.py        Python 3.12+ syntax (type alias, PEP 695 generics) + an import
    backend/catalog/blocks/migrations/operations.py   a helper, not a Django migration (no Migration class)
    backend/geo/countries_data.py     a generated data module of several MB, imported by geo.models

``nested`` (manage.py below the import root, like wagtail's ``wagtail/test/manage.py``)::

    corelib/__init__.py, corelib/util.py
    corelib/testproject/manage.py     DJANGO_SETTINGS_MODULE "corelib.testproject.settings"
    corelib/testproject/settings.py   INSTALLED_APPS = ["corelib.testproject.testapp"]
    corelib/testproject/testapp/models.py   imports corelib.util

``repo`` (django-oscar's repository layout: the package under ``src/``, a demo
project in ``sandbox/`` whose settings are the top-level module ``settings``)::

    setup.py
    src/shop/{catalogue,orders}/      AppConfig names shop.catalogue, shop.orders
    sandbox/manage.py                 DJANGO_SETTINGS_MODULE "settings"
    sandbox/settings.py, urls.py      INSTALLED_APPS = [shop.catalogue..., shop.orders...];
                                      urls imports shop.orders.models

Also: the analysis of the migration-heavy project is timed against the
2-process ``ast`` floor over the same files.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Sample, run

HERE = Path(__file__).resolve().parent
PY = sys.executable


def _w(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def make_backend(root: Path, migrations: int, data_mb: float) -> None:
    b = root / "backend"
    _w(root / "README.md", "# shop\n")
    _w(
        b / "manage.py",
        """
        import os, sys
        if __name__ == "__main__":
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
            from django.core.management import execute_from_command_line
            execute_from_command_line(sys.argv)
        """,
    )
    _w(b / "shop/__init__.py", "")
    _w(
        b / "shop/settings.py",
        """
        INSTALLED_APPS = [
            "django.contrib.contenttypes",
            "catalog",
            "orders.apps.OrdersConfig",
            "geo",
        ]
        ROOT_URLCONF = "shop.urls"
        """,
    )
    _w(b / "catalog/__init__.py", "")
    _w(
        b / "catalog/apps.py",
        """
        from django.apps import AppConfig

        class CatalogConfig(AppConfig):
            name = "catalog"
            label = "shop_catalog"
        """,
    )
    _w(
        b / "catalog/models.py",
        """
        from django.db import models

        class Product(models.Model):
            name = models.CharField(max_length=100)
        """,
    )
    _w(
        b / "catalog/pricing.py",
        """
        from orders.models import Order

        type Money = int

        def first[T](items: list[T]) -> T:
            return items[0]

        class Box[T]:
            def __init__(self, item: T) -> None:
                self.item = item

        def total(order: Order) -> Money:
            return sum(line.price for line in order.lines.all())
        """,
    )
    _w(b / "orders/__init__.py", "")
    _w(
        b / "orders/apps.py",
        """
        from django.apps import AppConfig

        class OrdersConfig(AppConfig):
            name = "orders"
            label = "shop_orders"
        """,
    )
    _w(
        b / "orders/models.py",
        """
        from django.db import models

        from catalog.models import Product

        class Order(models.Model):
            product = models.ForeignKey("shop_catalog.Product", on_delete=models.CASCADE)
            backup = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
        """,
    )
    mig = b / "orders/migrations"
    _w(mig / "__init__.py", "")
    ops = "\n".join(
        f"        migrations.AddField(model_name='order', name='f{j}', field=models.IntegerField(default={j})),"
        for j in range(12)
    )
    for i in range(1, migrations + 1):
        deps = '[("shop_catalog", "0001_initial")]' if i == 1 else f'[("shop_orders", "{i - 1:04d}_auto")]'
        (mig / f"{i:04d}_auto.py").write_text(
            "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
            f"    dependencies = {deps}\n    operations = [\n{ops}\n    ]\n",
            encoding="utf-8",
        )
    _w(b / "catalog/migrations/__init__.py", "")
    _w(
        b / "catalog/migrations/0001_initial.py",
        """
        from django.db import migrations, models

        class Migration(migrations.Migration):
            initial = True
            dependencies = []
            operations = [migrations.CreateModel(name="Product", fields=[("name", models.CharField(max_length=100))])]
        """,
    )
    # a helper package named migrations that holds no Django migration (as wagtail/blocks/migrations/)
    _w(b / "catalog/blocks/__init__.py", "")
    _w(b / "catalog/blocks/migrations/__init__.py", "")
    _w(
        b / "catalog/blocks/migrations/operations.py",
        """
        from orders.models import Order

        def rename_block(order: Order, old: str, new: str) -> None:
            order.save()
        """,
    )
    _w(b / "geo/__init__.py", "")
    _w(
        b / "geo/models.py",
        """
        from django.db import models

        from geo.countries_data import COUNTRIES

        class Country(models.Model):
            code = models.CharField(max_length=2, choices=sorted(COUNTRIES.items()))
        """,
    )
    row = "    'C{0:06d}': ('Country number {0}', {0}, {0}.5, 'some more generated text to make it big'),\n"
    n = int(data_mb * 2**20 / len(row.format(0)))
    with open(b / "geo/countries_data.py", "w", encoding="utf-8") as fh:
        fh.write("# generated file, do not edit\nCOUNTRIES = {\n")
        for i in range(n):
            fh.write(row.format(i))
        fh.write("}\n")


def make_nested(root: Path) -> None:
    _w(root / "corelib/__init__.py", "")
    _w(root / "corelib/util.py", "def slug(s):\n    return s.lower()\n")
    t = root / "corelib/testproject"
    _w(t / "__init__.py", "")
    _w(
        t / "manage.py",
        """
        import os, sys
        if __name__ == "__main__":
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corelib.testproject.settings")
            from django.core.management import execute_from_command_line
            execute_from_command_line(sys.argv)
        """,
    )
    _w(t / "settings.py", 'INSTALLED_APPS = ["django.contrib.auth", "corelib.testproject.testapp"]\n')
    _w(t / "testapp/__init__.py", "")
    _w(
        t / "testapp/models.py",
        """
        from django.db import models

        from corelib.util import slug

        class Thing(models.Model):
            name = models.CharField(max_length=10, default=slug("X"))
        """,
    )


def make_repo(root: Path) -> None:
    """django-oscar's repository layout: the package under src/, a demo project in sandbox/."""
    _w(root / "setup.py", "from setuptools import setup\nsetup()\n")
    _w(root / "src/shop/__init__.py", "")
    _w(root / "src/shop/orders/__init__.py", "")
    _w(
        root / "src/shop/orders/apps.py",
        """
        from django.apps import AppConfig

        class OrdersConfig(AppConfig):
            name = "shop.orders"
            label = "order"
        """,
    )
    _w(
        root / "src/shop/orders/models.py",
        """
        from django.db import models

        from shop.catalogue.models import Product

        class Order(models.Model):
            product = models.ForeignKey("catalogue.Product", on_delete=models.CASCADE)
        """,
    )
    _w(root / "src/shop/catalogue/__init__.py", "")
    _w(
        root / "src/shop/catalogue/apps.py",
        """
        from django.apps import AppConfig

        class CatalogueConfig(AppConfig):
            name = "shop.catalogue"
            label = "catalogue"
        """,
    )
    _w(
        root / "src/shop/catalogue/models.py",
        """
        from django.db import models

        class Product(models.Model):
            name = models.CharField(max_length=10)
        """,
    )
    _w(
        root / "sandbox/manage.py",
        """
        import os, sys
        if __name__ == "__main__":
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
            from django.core.management import execute_from_command_line
            execute_from_command_line(sys.argv)
        """,
    )
    _w(
        root / "sandbox/settings.py",
        """
        INSTALLED_APPS = [
            "django.contrib.auth",
            "shop.catalogue.apps.CatalogueConfig",
            "shop.orders.apps.OrdersConfig",
        ]
        """,
    )
    _w(root / "sandbox/urls.py", "from shop.orders.models import Order\nurlpatterns = []\n")


def analyze(root: Path, cache: Path) -> tuple[dict[str, Any], Sample]:
    shutil.rmtree(cache, ignore_errors=True)
    s = run([PY, "-m", "decompose", "analyze", str(root), "--format", "json", "--cache-dir", str(cache)])
    return json.loads(s.stdout), s


def _edges(g: dict[str, Any], kind: str) -> set[tuple[str, str]]:
    return {(e["source"], e["target"]) for e in g.get("edges", []) if e.get("kind") == kind}


def checks(
    backend: dict[str, Any], nested: dict[str, Any], repo: dict[str, Any], migrations: int
) -> list[tuple[str, bool, str]]:
    out: list[tuple[str, bool, str]] = []
    nodes = {n["id"] for n in backend.get("nodes", [])}
    sample = sorted(n for n in nodes if "." in n)[:6]

    def check(name: str, ok: bool, seen: str) -> None:
        out.append((name, ok, seen))

    check(
        "backend/: modules named from the source root (orders.models, not backend.orders.models)",
        "orders.models" in nodes,
        f"modules like {sample}",
    )
    apps = {a["label"]: a["name"] for a in backend.get("apps", [])}
    check(
        "AppConfig.label read: apps shop_catalog, shop_orders",
        apps.get("shop_catalog") == "catalog" and apps.get("shop_orders") == "orders",
        f"apps {apps}",
    )
    imp = _edges(backend, "import")
    check(
        "import edge orders.models -> catalog.models",
        ("orders.models", "catalog.models") in imp,
        f"{len(imp)} import edges",
    )
    fk = _edges(backend, "fk")
    check(
        'fk edge from ForeignKey("shop_catalog.Product") (label, not folder)',
        ("orders.models", "catalog.models") in fk,
        f"fk edges {sorted(fk)}",
    )
    skipped = {s["path"]: s["reason"] for s in backend.get("skipped", [])}
    big = [p for p in skipped if p.endswith("countries_data.py")]
    check("multi-MB generated module skipped with a reason", bool(big), f"skipped {skipped}")
    check(
        "pricing.py (Python 3.12 syntax) analysed: import edge catalog.pricing -> orders.models",
        ("catalog.pricing", "orders.models") in imp,
        f"pricing skipped: {skipped.get('backend/catalog/pricing.py')}",
    )
    migs = sorted(n for n in nodes if n.startswith("orders.migrations."))
    check(
        f"{migrations} migrations are modules of the graph", len(migs) == migrations, f"{len(migs)} migration modules"
    )
    chain = sum(
        1
        for s, t in _edges(backend, "string_ref")
        if s.startswith("orders.migrations.") and t.startswith("orders.migrations.")
    )
    check(
        "migration dependencies read (one edge to the previous migration each)",
        chain >= migrations - 1,
        f"{chain} migration->migration edges",
    )
    check(
        "a helper module in a migrations/ folder without a Migration class keeps its imports",
        ("catalog.blocks.migrations.operations", "orders.models") in imp,
        f"edges from it: {sorted(e for e in imp if e[0].startswith('catalog.blocks'))}",
    )
    n_nodes = {n["id"] for n in nested.get("nodes", [])}
    n_imp = _edges(nested, "import")
    check(
        "nested manage.py: modules keep their full dotted names (corelib.testproject.testapp.models)",
        "corelib.testproject.testapp.models" in n_nodes,
        f"modules {sorted(n for n in n_nodes if not n.startswith(('django',)))[:8]}",
    )
    check(
        "nested manage.py: import edge testapp.models -> corelib.util",
        ("corelib.testproject.testapp.models", "corelib.util") in n_imp,
        f"import edges {sorted(n_imp)[:6]}",
    )
    n_apps = {a["label"]: a["name"] for a in nested.get("apps", [])}
    check(
        "nested manage.py: app testapp found from its settings",
        n_apps.get("testapp") == "corelib.testproject.testapp",
        f"apps {n_apps}",
    )
    r_nodes = {n["id"] for n in repo.get("nodes", []) if n.get("type") != "external"}
    r_imp = _edges(repo, "import")
    r_apps = {a["label"]: a["name"] for a in repo.get("apps", [])}
    check(
        "src/ + sandbox/manage.py (oscar's repository): the package is named shop.orders.models, not src.shop...",
        "shop.orders.models" in r_nodes,
        f"modules {sorted(r_nodes)[:6]}",
    )
    check(
        "src/ + sandbox/manage.py: apps from the sandbox settings (catalogue, order)",
        r_apps.get("order") == "shop.orders" and r_apps.get("catalogue") == "shop.catalogue",
        f"apps {r_apps}",
    )
    check(
        "src/ + sandbox/manage.py: import edges orders.models -> catalogue.models and sandbox urls -> orders.models",
        ("shop.orders.models", "shop.catalogue.models") in r_imp and ("urls", "shop.orders.models") in r_imp,
        f"import edges {sorted(r_imp)}",
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--migrations", type=int, default=3000)
    parser.add_argument("--data-mb", type=float, default=5.0, help="size of the generated data module")
    parser.add_argument("--keep", help="generate here (kept) instead of a temporary folder")
    args = parser.parse_args(argv)
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="decompose-traps-"))
    try:
        make_backend(base / "backend-project", args.migrations, args.data_mb)
        make_nested(base / "nested-project")
        make_repo(base / "repo-project")
        backend, t_backend = analyze(base / "backend-project", base / "cache-b")
        nested, _ = analyze(base / "nested-project", base / "cache-n")
        repo, _ = analyze(base / "repo-project", base / "cache-r")
        files = sorted(str(p) for p in (base / "backend-project").rglob("*.py") if p.stat().st_size < 2 * 2**20)
        (base / "files.txt").write_text("".join(f + "\n" for f in files))
        floor = run([PY, str(HERE / "peers.py"), "ast", str(base / "files.txt")])
        results = checks(backend, nested, repo, args.migrations)
        for name, ok, seen in results:
            print(f"[{'ok' if ok else 'MISS'}] {name}" + ("" if ok else f"\n       saw: {seen}"))
        print(
            f"backend project ({len(files)} files under 2 MB, {args.migrations} migrations): "
            f"analyze cold {t_backend.wall:.2f} s wall, {t_backend.cpu:.2f} s CPU; "
            f"ast floor (2 procs, parses the migrations whole) {floor.wall:.2f} s wall, {floor.cpu:.2f} s CPU; "
            f"ratio {t_backend.wall / floor.wall:.2f} wall, {t_backend.cpu / floor.cpu:.2f} CPU"
        )
        return 0 if all(ok for _, ok, _ in results) else 1
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
