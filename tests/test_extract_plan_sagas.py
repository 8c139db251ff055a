"""The plan lists saga steps (issue 17, part D): an external side effect of the moved code followed by a
step that can fail, with ``path:line`` and what compensates it (a function found by name) or a TODO.

On the sample (payments: the gateway's capture, then the call back to orders.services.mark_paid inside a
transaction.atomic() block) and on a small hand-written project for the other kinds of effect (an HTTP
call, an e-mail, a queued task) and for what is no saga step (an effect nothing can fail after, reads)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from decompose.extract.plan import build_plan
from decompose.extract.plan.index import index_project
from decompose.extract.report import plan_markdown

ROOT = Path(__file__).resolve().parents[1]


def _line(path: Path, marker: str) -> int:
    return next(i for i, text in enumerate(path.read_text().splitlines(), 1) if marker in text)


def _sagas(plan):
    return {(s.path, s.line): s.message for s in plan.manual_steps if s.pattern == "saga step"}


def test_the_sample_capture_is_a_saga_step_compensated_by_refund_or_void_and_mark_paid_a_todo() -> None:
    plan = build_plan(ROOT / "sample_monolith", "payments", ["payments"])
    services = ROOT / "sample_monolith" / "payments" / "services.py"
    capture = _line(services, "get_gateway().capture(")
    mark_paid = _line(services, "payment.order = mark_paid(")
    sagas = _sagas(plan)
    message = sagas[("payments/services.py", capture)]
    assert message.startswith("capture_payment: outside system get_gateway().capture")
    assert f"the call back to the monolith orders.services.mark_paid at line {mark_paid} can fail" in message
    assert message.endswith("compensate with payments.services.refund_payment, payments.services.void_payment")
    message = sagas[("payments/services.py", mark_paid)]
    assert "the transaction.atomic() block" in message and "roll it back" in message
    assert "TODO: write its compensation" in message and "in orders.services" in message
    authorize = _line(services, "get_gateway().authorize(")
    assert sagas[("payments/services.py", authorize)].endswith("compensate with payments.services.void_payment")
    # void_payment's gateway call is followed by nothing that can roll back: no step
    assert ("payments/services.py", _line(services, "get_gateway().void(")) not in sagas
    report = plan_markdown(plan)
    assert f"`payments/services.py:{capture}` — **saga step**: capture_payment:" in report


FILES = {
    "proj/__init__.py": "",
    "proj/settings.py": 'INSTALLED_APPS = ["shop", "billing"]\n',
    "shop/__init__.py": "",
    "shop/models.py": "from django.db import models\n\n\nclass Order(models.Model):\n    total = models.IntegerField()\n",
    "shop/services.py": """
        from shop.models import Order


        def close_order(order_id: int) -> None:
            Order.objects.filter(pk=order_id).update(total=0)


        def reopen_order(order_id: int) -> None:
            Order.objects.filter(pk=order_id).update(total=1)
    """,
    "billing/__init__.py": "",
    "billing/models.py": """
        from django.db import models


        class Invoice(models.Model):
            order = models.ForeignKey("shop.Order", on_delete=models.PROTECT)
    """,
    "billing/tasks.py": "def archive(pk):\n    return pk\n",
    "billing/services.py": """
        import requests
        from django.core.mail import send_mail
        from django.db import transaction

        from billing import tasks
        from billing.models import Invoice
        from shop import services as shop


        def issue(order_id: int) -> Invoice:
            requests.post("https://tax.example.com/declare", json={"order": order_id})  # MARK http
            with transaction.atomic():
                invoice = Invoice.objects.create(order_id=order_id)
            return invoice


        @transaction.atomic
        def settle(order_id: int) -> None:
            shop.close_order(order_id)  # MARK callback
            send_mail("settled", "body", "a@example.com", ["b@example.com"])  # MARK mail
            tasks.archive.delay(order_id)  # MARK task


        def last_effect(order_id: int) -> None:
            Invoice.objects.filter(order_id=order_id).delete()
            requests.post("https://tax.example.com/cancel", json={"order": order_id})  # MARK alone
            requests.get("https://tax.example.com/status")


        def lookups(client, order_id: int) -> None:
            client.get_status(order_id)  # MARK read
            with transaction.atomic():
                Invoice.objects.create(order_id=order_id)
    """,
}


def test_each_kind_of_effect_and_what_is_no_saga_step(tmp_path: Path) -> None:
    for rel, text in FILES.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"))
    plan = build_plan(index_project(tmp_path, use_cache=False), "billing", ["billing"])
    services = tmp_path / "billing" / "services.py"
    line = {m: _line(services, f"# MARK {m}") for m in ("http", "callback", "mail", "task", "alone", "read")}
    sagas = {ln: msg for (path, ln), msg in _sagas(plan).items() if path == "billing/services.py"}
    assert sorted(sagas) == sorted(line[m] for m in ("http", "callback", "mail"))
    assert sagas[line["http"]].startswith("issue: HTTP call requests.post")
    assert "transaction.atomic() block at line" in sagas[line["http"]]
    assert sagas[line["callback"]].startswith("settle: call back to the monolith shop.services.close_order")
    assert sagas[line["callback"]].endswith("compensate with shop.services.reopen_order")
    assert f"the e-mail django.core.mail.send_mail at line {line['mail']} can fail" in sagas[line["callback"]]
    assert f"the queued task tasks.archive.delay at line {line['task']} can fail" in sagas[line["mail"]]
    assert sagas[line["mail"]].endswith(
        "an e-mail cannot be taken back: send it once the work is committed (transaction.on_commit, an outbox)"
    )
    # the same input gives the same steps
    again = build_plan(index_project(tmp_path, use_cache=False), "billing", ["billing"])
    assert again.manual_steps == plan.manual_steps
