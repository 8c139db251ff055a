"""Each staying-code codemod on small hand-written sources: exact output, and a second run is a no-op."""

from __future__ import annotations

import os

import libcst as cst
import pytest
from django.core.exceptions import ImproperlyConfigured
from libcst.codemod import CodemodContext

from decompose.extract.codemods.call_sites import RetargetGetModel, RetargetImports
from decompose.extract.codemods.chain import ChainCommand
from decompose.extract.codemods.fk_to_id import ForeignKeyToIdField
from decompose.extract.codemods.installed_apps import ServiceSwitchSettings
from decompose.extract.codemods.todo_comments import AddTodoComments
from decompose.extract.codemods.urlconf import ServiceSwitchUrls


def run(codemod_factory, source: str) -> str:  # type: ignore[no-untyped-def]
    once = codemod_factory().transform_module(cst.parse_module(source)).code
    twice = codemod_factory().transform_module(cst.parse_module(once)).code
    assert twice == once, "a second run must change nothing"
    return once


def test_imports_split_between_client_and_original_module_keep_local_position() -> None:
    src = "def f():\n    from pay.services import charge, helper as h  # local import\n    return charge(1), h()\n"
    out = run(lambda: RetargetImports(CodemodContext(), {"pay.services": {"charge": "shop.services.pay"}}), src)
    assert out == (
        "def f():\n"
        "    from pay.services import helper as h  # local import\n"
        "    from shop.services.pay import charge\n"
        "    return charge(1), h()\n"
    )


def test_get_model_of_a_moved_app_resolves_through_the_client() -> None:
    src = 'from django.apps import apps\nP = apps.get_model("pay", "Payment")\nU = apps.get_model("accounts.User")\n'
    out = run(lambda: RetargetGetModel(CodemodContext(), {"pay": "payments"}, "shop.services.runtime"), src)
    assert 'P = service_model("payments", "pay.Payment")' in out
    assert 'U = apps.get_model("accounts.User")' in out
    assert "from shop.services.runtime import service_model" in out


def test_settings_switch_for_two_services_then_nothing_more() -> None:
    src = 'import os\nINSTALLED_APPS = [\n    "core",\n    "pay",\n    "notes.apps.NotesConfig",\n]\nX = 1\n'
    one = run(lambda: ServiceSwitchSettings(CodemodContext(), "pay", ("pay",), "shop.services"), src)
    two = run(lambda: ServiceSwitchSettings(CodemodContext(), "notes", ("notes",), "shop.services"), one)
    assert two.count("DECOMPOSE_SERVICES = {") == 1 and two.count('] + ["shop.services"]') == 1
    assert '"apps": ["pay"]' in two and '"apps": ["notes.apps.NotesConfig"]' in two
    scope: dict[str, object] = {}
    exec(compile(two, "settings.py", "exec"), scope)
    assert scope["INSTALLED_APPS"] == ["core", "pay", "notes.apps.NotesConfig", "shop.services"]

    os.environ["DECOMPOSE_PAY_MODE"] = "remote"
    try:
        exec(compile(two, "settings.py", "exec"), scope)
    finally:
        del os.environ["DECOMPOSE_PAY_MODE"]
    assert scope["INSTALLED_APPS"] == ["core", "notes.apps.NotesConfig", "shop.services"]


@pytest.mark.parametrize("first", [True, False], ids=["alone", "after-another-service"])
def test_settings_switch_of_a_service_moving_the_user_model_refuses_remote_mode(first: bool) -> None:
    """The app that defines AUTH_USER_MODEL moves: remote mode stops at settings with the reason, before Django's
    "AUTH_USER_MODEL refers to model ... that has not been installed"; local mode is unchanged."""
    src = 'import os\nINSTALLED_APPS = ["core", "pay", "accounts"]\nAUTH_USER_MODEL = "accounts.User"\n'
    if not first:
        src = run(lambda: ServiceSwitchSettings(CodemodContext(), "pay", ("pay",), "shop.services"), src)
    out = run(
        lambda: ServiceSwitchSettings(
            CodemodContext(), "accounts", ("accounts",), "shop.services", user_model="accounts.User"
        ),
        src,
    )
    assert out.count("raise ImproperlyConfigured(") == 1
    assert "from django.core.exceptions import ImproperlyConfigured" in out
    scope: dict[str, object] = {}
    exec(compile(out, "settings.py", "exec"), scope)
    assert scope["INSTALLED_APPS"] == ["core", "pay", "accounts", "shop.services"]
    os.environ["DECOMPOSE_PAY_MODE"] = "remote"  # another service's remote mode is not refused
    try:
        exec(compile(out, "settings.py", "exec"), scope)
        os.environ["DECOMPOSE_ACCOUNTS_MODE"] = "remote"
        with pytest.raises(ImproperlyConfigured, match="moves accounts.User, the AUTH_USER_MODEL"):
            exec(compile(out, "settings.py", "exec"), {})
    finally:
        os.environ.pop("DECOMPOSE_PAY_MODE")
        os.environ.pop("DECOMPOSE_ACCOUNTS_MODE", None)


def test_urlconf_switch_keeps_order_and_mounts_the_inbound_endpoints_once() -> None:
    src = (
        "from django.urls import include, path\n"
        'urlpatterns = [\n    path("a/", include("a.urls")),\n    path("pay/", include(("pay.urls", "pay"))),\n]\n'
    )
    out = run(lambda: ServiceSwitchUrls(CodemodContext(), "payments", ("pay",), "shop.services"), src)
    lines = [ln.strip() for ln in out.splitlines()]
    i = lines.index('path("api/v1/", include("shop.services.urls")),')
    assert lines[i + 1] == 'path("a/", include("a.urls")),'
    assert lines[i + 2] == '*([path("pay/", include(("pay.urls", "pay")))] if service_is_local("payments") else []),'


def _fk(cuts: dict[tuple[str, str], str], ctx: CodemodContext | None = None) -> ForeignKeyToIdField:
    return ForeignKeyToIdField(ctx or CodemodContext(), cuts, service="payments", fields_module="shop.services.fields")


def test_fk_becomes_a_relation_to_the_service_on_the_same_column() -> None:
    src = (
        "from django.db import models\n"
        "from pay.models import Payment\n\n"
        "class Order(models.Model):\n"
        '    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, db_column="pay_ref")\n'
        '    tags = models.ManyToManyField("pay.Tag")\n'
        '    notes = models.ManyToManyField("pay.Note", through="Annotation")\n'
    )
    fk = _fk({("Order", "payment"): "pay.Payment", ("Order", "tags"): "pay.Tag", ("Order", "notes"): "pay.Note"})
    out = run(lambda: fk, src)
    assert (
        'payment = ServiceOneToOneField("pay.Payment", on_delete=models.PROTECT, db_column="pay_ref", '
        'service="payments")' in out
    )
    assert "from shop.services.fields import ServiceManyToManyField, ServiceOneToOneField" in out
    # the join table stays in the monolith (remote: the moved side's ids); its own through model is cut instead
    assert 'tags = ServiceManyToManyField("pay.Tag", service="payments")' in out
    assert 'notes = models.ManyToManyField("pay.Note", through="Annotation")' in out
    assert fk.details[("Order", "tags")] == (
        "ManyToManyField",
        'shop.services.fields.ServiceManyToManyField(to="pay.tag", service="payments")',
    )
    assert "from pay.models import Payment" not in out
    kind, migration = fk.details[("Order", "payment")]
    assert kind == "OneToOneField"
    assert migration == (
        'shop.services.fields.ServiceOneToOneField(to="pay.payment", on_delete=models.PROTECT, db_column="pay_ref", '
        'service="payments")'
    )


def test_todo_goes_above_the_innermost_statement_once() -> None:
    src = "def f():\n    with atomic():\n        a = Order.objects.select_related(\n            'payment'\n        )\n"
    out = run(lambda: AddTodoComments(CodemodContext(), {4: ["API composition: join across"]}), src)
    assert out.splitlines()[2] == "        # TODO(decompose): API composition: join across"


def test_a_chain_of_staying_codemods_is_one_codemod_with_one_context() -> None:
    src = (
        "from django.apps import apps\n"
        "from django.db import models\n"
        "from pay.models import Payment\n"
        "from pay.services import charge\n\n"
        "class Order(models.Model):\n"
        "    payment = models.ForeignKey(Payment, on_delete=models.PROTECT)\n\n"
        "def f():\n"
        '    return charge(apps.get_model("pay", "Payment"))\n'
    )

    def chain(source: str) -> str:
        ctx = CodemodContext(filename="shop/models.py")
        todo = "API composition: a call across"
        marked = f"# TODO(decompose): {todo}" in source  # as rewire() does: a second run adds no TODO
        return (
            ChainCommand(
                ctx,
                [
                    *([] if marked else [AddTodoComments(ctx, {10: [todo]})]),
                    RetargetImports(ctx, {"pay.services": {"charge": "shop.services.pay"}}),
                    RetargetGetModel(ctx, {"pay": "payments"}, "shop.services.runtime"),
                    _fk({("Order", "payment"): "pay.Payment"}, ctx),
                ],
            )
            .transform_module(cst.parse_module(source))
            .code
        )

    out = chain(src)
    assert chain(out) == out, "a second run must change nothing"
    assert out == (
        "from django.apps import apps\n"
        "from django.db import models\n"
        "from shop.services.pay import charge\n"
        "from shop.services.runtime import service_model\n"
        "from shop.services.fields import ServiceForeignKey\n\n"
        "class Order(models.Model):\n"
        '    payment = ServiceForeignKey("pay.Payment", on_delete=models.PROTECT, service="payments")\n\n'
        "def f():\n"
        "    # TODO(decompose): API composition: a call across\n"
        '    return charge(service_model("payments", "pay.Payment"))\n'
    )


def test_fk_is_found_by_qualified_name_whatever_the_import() -> None:
    src = (
        "from django.db.models import ForeignKey as FK, Model\n"
        "from pay import models as pm\n\n"
        "class Order(Model):\n"
        "    payment = FK(pm.Payment, on_delete=None)\n\n"
        "class Refund(Model):\n"
        "    payment = FK(pm.Payment, on_delete=None)\n"
    )
    out = run(lambda: _fk({("Order", "payment"): "pay.Payment"}), src)
    assert (
        'class Order(Model):\n    payment = ServiceForeignKey("pay.Payment", on_delete=None, service="payments")\n'
        in out
    )
    assert out.startswith("from django.db.models import ForeignKey as FK, Model\n")
    assert "class Refund(Model):\n    payment = FK(pm.Payment, on_delete=None)\n" in out  # another class: not cut
    assert "from pay import models as pm\n" in out  # still used by Refund


def test_a_field_class_that_is_not_django_is_left_alone() -> None:
    src = "from mylib import ForeignKey\n\nclass Order:\n    payment = ForeignKey('pay.Payment')\n"
    assert run(lambda: _fk({("Order", "payment"): "pay.Payment"}), src) == src
