"""A staying model's accessor of a moved model's relation, read by the moved code in the service (issue 14).

pretalx mail: the monolith's ``initialise_event`` (every ``EventFactory()`` of its suite) calls the moved
``mail_template_by_role(event, role)``, which reads ``event.mail_templates.get_or_create(role=...)``. The plan took
``mail_templates`` for a field of Event the caller sends with the id, so the client sent a queryset as text; the
service's request serializer required every field any call reads (``queued_mails`` too), so the call was refused
("invalid input") and almost every test of the remote suite failed in its setup.

Now the moved models' relations to a staying model are not fields a caller sends: in the service, a reference of the
staying model answers the accessor with the moved model's rows of the service's own database (a related manager:
queries, and ``create``/``get_or_create``/``update_or_create`` setting the relation); and a reference's fields in a
request are each optional (a call sends those its function reads).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from decompose.cli import cli

PROJECT = {
    "manage.py": """
        import os
        import sys

        if __name__ == "__main__":
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
            from django.core.management import execute_from_command_line

            execute_from_command_line(sys.argv)
    """,
    "proj/__init__.py": "",
    "proj/settings.py": """
        INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "core", "billing"]
        DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
    """,
    "core/__init__.py": "",
    "core/models.py": """
        from django.db import models


        class Customer(models.Model):
            name = models.CharField(max_length=40)
    """,
    "core/views.py": """
        from billing.services import invoice_for

        from core.models import Customer


        def bill(pk):
            return invoice_for(Customer.objects.get(pk=pk), "A-1")
    """,
    "billing/__init__.py": "",
    "billing/models.py": """
        from django.db import models

        from core.models import Customer


        class Invoice(models.Model):
            number = models.CharField(max_length=20)
            label = models.CharField(max_length=40, default="")
            customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="invoices")
    """,
    "billing/services.py": """
        from core.models import Customer


        def invoice_for(customer: Customer, number: str):
            invoice, created = customer.invoices.get_or_create(number=number, defaults={"label": customer.name})
            return invoice.pk, created, customer.invoices.count()
    """,
}

PROBE = """
import django

django.setup()
from django.core.management import call_command

call_command("migrate", run_syncdb=True, verbosity=0)  # the project has no migrations
from billing.services import invoice_for
from billing_service.monolith import ref

customer = ref("core.Customer", 5, {"name": "Ada"})
print(invoice_for(customer, "A-1"), invoice_for(customer, "A-1"), invoice_for(ref("core.Customer", 6, {"name": "B"}), "A-1"))
print(list(customer.invoices.values_list("number", "label", "customer_id")), customer.invoices.filter(number="X").exists())
made = customer.invoices.create(number="A-2")
print(made.customer_id, customer.invoices.all().count(), repr(customer.invoices))
"""


def _project(root: Path) -> Path:
    for rel, text in PROJECT.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def test_a_moved_models_relation_read_on_a_reference_is_the_services_rows(tmp_path: Path) -> None:
    pytest.importorskip("django")
    pytest.importorskip("rest_framework")
    out = tmp_path / "out"
    args = ["extract", str(_project(tmp_path / "mono")), "--service", "billing", "--apps", "billing", "--out", str(out)]
    result = CliRunner().invoke(cli, [*args, "--no-rewire"])
    assert result.exit_code == 0, result.output
    folder = out / "billing"
    plan = json.loads((folder / "extraction-plan.json").read_text())
    (function,) = [f for f in plan["interface_functions"] if f["name"] == "invoice_for"]
    (customer,) = [p for p in function["params"] if p["name"] == "customer"]
    assert customer["fields"] == ["name"]  # before: ["invoices", "name"]: the caller sent a queryset as text
    api = next(p for p in (folder / "billing_service").glob("api*.py") if "CustomerRef" in p.read_text()).read_text()
    assert "    name = serializers.CharField(allow_blank=True, max_length=40, required=False)\n" in api
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="billing_service.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PYTHONDONTWRITEBYTECODE="1",
        DJANGO_DEBUG="1",
    )
    run = subprocess.run([sys.executable, "-c", PROBE], cwd=folder, env=env, capture_output=True, text=True,
                         timeout=300, check=False)  # fmt: skip
    # before: RemoteFieldMissing "core.Customer 5: field 'invoices' stays in the monolith"
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines() == [
        "(1, True, 1) (1, False, 1) (2, True, 1)",
        "[('A-1', 'Ada', 5)] False",
        "5 2 <RelatedRows billing.Invoice with customer_id=5>",
    ]
