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
    # a package that only star-imports the models module re-exports what it exports
    "proj.shop.api": ("from proj.shop.models import *\n", True),
}
MOVED = MovedModules.read(SOURCES, SOURCES.get)


def run(source: str, module: str = "proj.common.log", *, filename: str = "proj/common/log.py") -> str:
    def once(text: str) -> str:
        ctx = CodemodContext(filename=filename)
        return RetargetImports(ctx, MAPPING, MOVED, module).transform_module(cst.parse_module(text)).code

    out = once(textwrap.dedent(source))
    assert once(out) == out, "a second run must change nothing"
    return out


def test_a_name_re_exported_by_the_models_package_goes_through_the_client() -> None:
    out = run("""
        from proj.shop.models import Order, Line
        from proj.shop.enums import STATES
    """)
    # Line is not exported (no staying code reads it through the API): it keeps its import, said elsewhere
    assert out == (
        "\nfrom proj.shop.models import Line\nfrom proj.services.shop import Order\nfrom proj.shop.enums import STATES\n"
    )


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
            "from proj.shop import models as sm\n\nX = sm.Line\n",
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
