"""The LibCST codemods applied to moved code, one concern at a time, on small hand-written sources."""

from __future__ import annotations

import ast
import textwrap

import libcst as cst

from decompose.extract.codemods.moved_imports import (
    DropDefinitions,
    DropStayingSender,
    ForeignKeyToId,
    MigrationCuts,
    RenameCutLookups,
    RetargetImports,
)


def run(transformer: cst.CSTTransformer, source: str) -> str:
    out = cst.parse_module(textwrap.dedent(source)).visit(transformer).code
    ast.parse(out)  # always valid Python
    return out


def test_retarget_imports_splits_and_flags() -> None:
    src = """\
    from orders.signals import order_placed, order_cancelled
    from orders.services import mark_paid  # keep this comment
    from payments.models import Payment
    from .local import thing
    """
    out = run(
        RetargetImports(
            {"orders.signals.order_placed": "svc.signals", "orders.services.mark_paid": "svc.monolith"},
            {"orders.services.mark_paid": "called back over HTTP"},
        ),
        src,
    )
    assert out == textwrap.dedent(
        """\
        from svc.signals import order_placed
        from orders.signals import order_cancelled
        # TODO(decompose): called back over HTTP
        from svc.monolith import mark_paid  # keep this comment
        from payments.models import Payment
        from .local import thing
        """
    )


def test_retarget_imports_can_drop_names() -> None:
    out = run(RetargetImports({"orders.models.Order": None}), "from orders.models import Order\nx = 1\n")
    assert out == "x = 1\n"


def test_foreign_key_becomes_id_with_property_and_meta_renames() -> None:
    src = """\
    from django.db import models


    class Payment(models.Model):
        order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments")
        parent = models.ForeignKey("self", null=True, on_delete=models.CASCADE)
        amount = models.DecimalField(max_digits=10, decimal_places=2)

        class Meta:
            ordering = ["-order", "amount"]
            indexes = [models.Index(fields=["order", "amount"])]
    """
    out = run(ForeignKeyToId({("Payment", "order"): ("orders.Order", "order_id", False, False)}, "svc.monolith"), src)
    assert "order_id = models.BigIntegerField(db_index=True)" in out
    assert 'parent = models.ForeignKey("self"' in out  # untouched: not a cut
    assert 'ordering = ["-order_id", "amount"]' in out
    assert 'models.Index(fields=["order_id", "amount"])' in out
    assert "from svc import monolith" in out
    assert 'return monolith.ref("orders.Order", self.order_id)' in out
    assert "self.order_id = monolith.ref_id(value)" in out


def test_nullable_one_to_one_with_custom_column() -> None:
    src = 'class A(models.Model):\n    user = models.OneToOneField("accounts.User", null=True, db_column="uid", on_delete=models.CASCADE)\n'
    out = run(ForeignKeyToId({("A", "user"): ("accounts.User", "uid", True, True)}), src)
    assert "user_id = models.BigIntegerField(unique=True, null=True, blank=True, db_column='uid')" in out


def test_lookups_and_select_related_follow_the_cut() -> None:
    src = """\
    def f(o):
        a = Payment.objects.select_related("order").filter(order=o, status="x")
        b = Payment.objects.get(order__pk=1)
        c = Payment.objects.filter(order__in=[1, 2], order__reference="R")
        d = Payment.objects.create(order=o)
        e = Refund.objects.filter(order=o)
        return a, b, c, d, e
    """
    out = run(RenameCutLookups({"Payment": {"order": "order_id"}}), src)
    assert 'a = Payment.objects.filter(order_id=o, status="x")' in out
    assert "b = Payment.objects.get(order_id=1)" in out
    assert 'c = Payment.objects.filter(order_id__in=[1, 2], order__reference="R")' in out  # a join stays visible
    assert "d = Payment.objects.create(order=o)" in out  # the property setter takes it
    assert "e = Refund.objects.filter(order=o)" in out


def test_bridged_receivers_lose_their_sender() -> None:
    src = """\
    @receiver(order_placed, sender=Order, dispatch_uid="x")
    def a(sender, **kw): ...

    @receiver(post_save, sender=Order)
    def b(sender, **kw): ...
    """
    out = run(DropStayingSender({"order_placed"}), src)
    assert '@receiver(order_placed, dispatch_uid="x")' in out
    assert "@receiver(post_save, sender=Order)" in out


def test_migrations_keep_the_column_and_drop_staying_dependencies() -> None:
    src = """\
    from django.db import migrations, models


    class Migration(migrations.Migration):
        dependencies = [("orders", "0001_initial"), ("payments", "0001_initial")]
        operations = [
            migrations.CreateModel(
                name="Payment",
                fields=[
                    ("id", models.BigAutoField(primary_key=True)),
                    ("order", models.ForeignKey(on_delete=models.PROTECT, to="orders.order")),
                ],
                options={"ordering": ["order"]},
            ),
            migrations.AddField(model_name="refund", name="order", field=models.ForeignKey(to="orders.order", on_delete=models.CASCADE)),
            migrations.AddIndex(model_name="payment", index=models.Index(fields=["order"], name="pay_order_idx")),
        ]
    """
    out = run(
        MigrationCuts({("payment", "order"): ("order_id", False, False), ("refund", "order"): ("order_id", True, False)}, ["orders"]),
        src,
    )
    assert 'dependencies = [("payments", "0001_initial")]' in out
    assert '("order_id", models.BigIntegerField(db_index=True))' in out
    assert 'options={"ordering": ["order_id"]}' in out
    assert 'name="order_id", field=models.BigIntegerField(db_index=True, null=True, blank=True)' in out
    assert 'models.Index(fields=["order_id"], name="pay_order_idx")' in out


def test_drop_definitions() -> None:
    out = run(DropDefinitions({"test_b", "Helper"}), "def test_a(): ...\ndef test_b(): ...\nclass Helper: ...\n")
    assert out == "def test_a(): ...\n"


def test_staying_module_imported_as_a_module_is_replaced_by_the_monolith_module() -> None:
    src = "from payments import services as payment_services\nimport payments.services as ps\nfrom payments import models\n"
    out = run(RetargetImports({}, {}, {"payments.services": "svc.monolith"}), src)
    assert out == (
        "# TODO(decompose): payments.services stays in the monolith: its functions are called back over HTTP (svc.monolith)\n"
        "from svc import monolith as payment_services\n"
        "# TODO(decompose): payments.services stays in the monolith: its functions are called back over HTTP (svc.monolith)\n"
        "from svc import monolith as ps\n"
        "from payments import models\n"
    )
