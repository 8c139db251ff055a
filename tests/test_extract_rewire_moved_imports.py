"""Staying code's imports of moved models go through the client, whatever their form (issues 13/14).

pretalx's ``pretalx/common/log.py`` imports ``from pretalx.mail.models import MailTemplate, QueuedMail``:
the names are defined in ``pretalx/mail/models/queued_mail.py`` and re-exported by the package's
``__init__``. The rewire matched only the defining module, so the import stayed, and remote mode (the
mail app not installed) did not start: ``QueuedMail doesn't declare an explicit app_label``. Each form
is re-pointed at the client (which gives the remote stand-in in remote mode), or the rewiring stops
naming the file, line and form.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest
from libcst.codemod import CodemodContext

from decompose.errors import InputError
from decompose.extract.client.exports import MovedName
from decompose.extract.codemods.call_sites import MovedModules, RetargetImports

CLIENT = "proj.services.shop"
#: defining module → {name → client}, as the rewire builds it from the plan
MAPPING = {
    "proj.shop.models.order": {"Order": CLIENT},
    "proj.shop.tasks": {"send_receipt": CLIENT},
}
SOURCES = {
    "proj.shop": ("", True),
    "proj.shop.models": ("from .order import Order\nfrom .line import *\n\n__all__ = ['Order']\n", True),
    "proj.shop.models.order": ("class Order:\n    pass\n", False),
    "proj.shop.models.line": ("class Line:\n    pass\n", False),
    "proj.shop.tasks": ("from proj.shop.models import Order as O\n\ndef send_receipt(): ...\n", False),
    "proj.shop.enums": ("STATES = ()\n", False),
    # loads the models through another moved module, under `try` (not under TYPE_CHECKING)
    "proj.shop.forms": (
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from proj.shop.enums import STATES\n"
        "try:\n    from proj.shop.tasks import send_receipt\nexcept ImportError:\n    pass\n\n"
        "class OrderForm:\n    pass\n\ndef clean_number(n):\n    return n\n",
        False,
    ),
    # a package that only star-imports the models module re-exports what it exports
    "proj.shop.api": ("from proj.shop.models import *\n", True),
}
MOVED = MovedModules.read(SOURCES, SOURCES.get)


def run(source: str, module: str = "proj.common.log", *, filename: str = "proj/common/log.py") -> str:
    return rewired(source, module, filename=filename)[0]


def rewired(
    source: str, module: str = "proj.common.log", *, filename: str = "proj/common/log.py"
) -> tuple[str, dict[str, MovedName]]:
    """The rewritten source and the moved-only names the client must export for it (a second run is a no-op)."""

    def once(text: str) -> tuple[str, dict[str, MovedName]]:
        cmd = RetargetImports(CodemodContext(filename=filename), MAPPING, MOVED, module)
        return cmd.transform_module(cst.parse_module(text)).code, cmd.moved_only

    out, moved_only = once(textwrap.dedent(source))
    assert once(out)[0] == out, "a second run must change nothing"
    return out, moved_only


def test_a_name_re_exported_by_the_models_package_goes_through_the_client() -> None:
    out, moved_only = rewired("""
        from proj.shop.models import Order, Line
        from proj.shop.enums import STATES
    """)
    # Line has no remote form, but its module loads the moved models: through the client too, as a name that
    # remote mode refuses to be used (exports.MovedOnly); enums loads none: its import stays
    assert out == "\nfrom proj.services.shop import Order, Line\nfrom proj.shop.enums import STATES\n"
    assert moved_only == {"Line": MovedName("Line", "proj.shop.models", "Line")}  # star re-export: as imported


def test_a_module_that_loads_the_models_through_its_imports_gives_moved_only_names() -> None:
    out, moved_only = rewired("""
        from proj.shop.forms import OrderForm as Form
        from proj.shop.enums import STATES


        def view():
            from proj.shop.forms import clean_number
            return Form, clean_number, STATES
    """)
    assert "from proj.services.shop import OrderForm as Form\n" in out
    assert "    from proj.services.shop import clean_number\n" in out
    assert moved_only == {
        "OrderForm": MovedName("OrderForm", "proj.shop.forms", "OrderForm"),
        "clean_number": MovedName("clean_number", "proj.shop.forms", "clean_number"),
    }


def test_aliases_relative_imports_and_function_local_imports() -> None:
    out = run("""
        from ..shop.models import Order as ShopOrder
        from proj.shop.tasks import send_receipt as receipt


        def ready():
            from proj.shop.api import Order  # the names of the API package, loaded at ready()
            return Order, ShopOrder, receipt
    """)
    assert "from proj.services.shop import Order as ShopOrder\n" in out
    assert "from proj.services.shop import send_receipt as receipt\n" in out
    assert "    from proj.services.shop import Order  # the names of the API package, loaded at ready()\n" in out


def test_a_models_module_bound_as_a_module_binds_the_client_module() -> None:
    out = run("""
        from proj.shop import models as shop_models
        import proj.shop.models as m
        import proj.shop.models


        def count():
            return shop_models.Order.objects.count() + m.Order.objects.count()


        def first():
            return proj.shop.models.Order.objects.first()
    """)
    assert "from proj.services import shop as shop_models\n" in out
    assert "import proj.services.shop as m\n" in out
    assert "\nimport proj.services.shop\n" in out
    assert "return proj.services.shop.Order.objects.first()" in out
    assert "shop_models.Order.objects.count() + m.Order.objects.count()" in out


@pytest.mark.parametrize(
    ("source", "form"),
    [
        (
            "from proj.shop import models as sm\n\nX = sm.line.Line\n",
            "proj/common/log.py:1: `from proj.shop import models as sm`",
        ),
        (
            "import os\nimport proj.shop.models\n\nM = proj.shop.models\n",
            "proj/common/log.py:2: `import proj.shop.models`",
        ),
        ("from proj.shop.models import *\n", "proj/common/log.py:1: `from proj.shop.models import *`"),
        ("def f():\n    from proj.shop.api import *\n", "proj/common/log.py:2: `from proj.shop.api import *`"),
    ],
)
def test_a_form_the_client_cannot_serve_stops_the_rewiring_naming_file_line_and_form(source: str, form: str) -> None:
    with pytest.raises(InputError) as err:
        run(source)
    assert str(err.value).startswith(f"cannot rewire: {form}")


def test_an_attribute_or_keyword_spelled_like_the_bound_module_is_not_a_use_of_it() -> None:
    out = run("""
        from proj.shop import models


        def count(registry):
            return models.Order.objects.count(), registry.models, dict(models=1)
    """)
    assert "from proj.services import shop as models\n" in out
    assert "registry.models, dict(models=1)" in out


def test_a_module_that_exports_nothing_is_left_alone() -> None:
    src = "import proj.shop.enums\nfrom proj.shop import enums\n\nX = proj.shop.enums.STATES, enums.STATES\n"
    assert run(src) == src


def test_the_rewire_re_points_the_import_pretalx_s_log_module_has(tmp_path: Path) -> None:
    """Through ``decompose extract --apply``: the staying module importing the re-exported models package
    named none of the defining modules, so the rewire did not even look at it."""
    from click.testing import CliRunner

    from decompose.cli import cli

    files = {
        "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n",
        "proj/__init__.py": "",
        "proj/settings.py": textwrap.dedent("""
            INSTALLED_APPS = ["django.contrib.contenttypes", "proj.common", "proj.shop"]
            ROOT_URLCONF = "proj.urls"
        """),
        "proj/urls.py": "urlpatterns = []\n",
        "proj/common/__init__.py": "",
        "proj/common/models.py": textwrap.dedent("""
            from django.db import models


            class Note(models.Model):
                text = models.TextField()
        """),
        "proj/common/log.py": textwrap.dedent("""
            from proj.shop.models import Order


            def describe(pk):
                return Order.objects.filter(pk=pk).count()
        """),
        # a staying view imports a form of the moved app: its module loads the moved models
        "proj/common/views.py": "from proj.shop.forms import OrderForm\n\nFORM = OrderForm\n",
        "proj/shop/forms.py": "from proj.shop.models import Order\n\n\nclass OrderForm:\n    model = Order\n",
        "proj/shop/__init__.py": "",
        "proj/shop/models/__init__.py": "from .order import Order\n\n__all__ = ['Order']\n",
        "proj/shop/models/order.py": textwrap.dedent("""
            from django.db import models


            class Order(models.Model):
                number = models.CharField(max_length=20)

                class Meta:
                    app_label = "shop"
        """),
    }
    root = tmp_path / "mono"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    result = CliRunner().invoke(
        cli,
        [
            "extract",
            str(root),
            "--service",
            "shop",
            "--apps",
            "shop",
            "--out",
            str(tmp_path / "out"),
            "--apply",
            "--force",
        ],
    )
    assert result.exit_code == 0, result.output
    log = (root / "proj/common/log.py").read_text()
    assert "from proj.shop" not in log, log
    assert "import Order\n" in log and log.count("import Order") == 1
    views = (root / "proj/common/views.py").read_text()
    assert "from proj.shop" not in views and "import OrderForm\n" in views, views
    client = next(p for p in root.rglob("shop.py") if "services" in p.parts).read_text()
    assert "    'OrderForm': ('proj.shop.forms', 'OrderForm'),\n" in client
    # the form is pure code over the moved model: remote mode gets its copy (after the stand-in it uses)
    assert "    'OrderForm': lambda: exports.copied('proj.services.shop_kept', 'OrderForm'),\n" in client
    kept = next(p for p in root.rglob("shop_kept.py") if "services" in p.parts).read_text()
    assert "from proj.services.shop_models import (\n    Order,\n)\n" in kept
    assert "class OrderForm:\n    model = Order\n" in kept


def test_the_remote_stand_in_of_a_moved_only_name_refuses_every_use(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Remote mode starts (importing it is fine); calling, reading or subclassing it says what and where."""
    import importlib
    from importlib import resources
    from string import Template

    template = resources.files("decompose.extract.client").joinpath("templates", "exports.py.tmpl").read_text()
    pkg = tmp_path / "standin_proj" / "services"
    pkg.mkdir(parents=True)
    (tmp_path / "standin_proj" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "runtime.py").write_text("")  # what exports.py imports; not used by the stand-in
    (pkg / "exports.py").write_text(
        Template(template).substitute(project="standin_proj", package="standin_proj.services")
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    exports = importlib.import_module("standin_proj.services.exports")
    form = exports.MovedOnly("shop", "proj.shop.forms.OrderForm")
    assert repr(form) == "<proj.shop.forms.OrderForm of the remote shop service>"
    expected = "proj.shop.forms.OrderForm is code of the shop service, which is remote: the monolith cannot use it"
    with pytest.raises(RuntimeError, match=expected):
        form()
    with pytest.raises(RuntimeError, match=expected):
        form.base_fields  # noqa: B018
    with pytest.raises(RuntimeError, match=expected):

        class Mine(form):  # type: ignore[misc]
            pass

    for use in (str, bool, len, list, lambda f: f"{f}", lambda f: f["x"], lambda f: "x" in f):
        with pytest.raises(RuntimeError, match=expected):
            use(form)
    assert not hasattr(form, "__wrapped__")  # introspection of dunders is an ordinary AttributeError
