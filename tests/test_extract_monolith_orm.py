"""The service reads and writes the staying models its moved code uses through the monolith (issue 14).

In the service a staying model is a reference class (``<pkg>.monolith.Customer``); its ``objects`` was a lazy
query that raised ``RemoteQueryUnsupported`` when evaluated or written (pretalx's ``freeze_schedule`` logs
through ``ActivityLog.objects.create``: 322 failing tests of the monolith's suite in remote mode). Now the plan
lists the staying models the moved code queries or writes (``monolith_models``), the rewired monolith serves
exactly those at ``POST /api/v1/query|command/<app_label>/<Model>`` to the service's own token (the same core,
query_core.py, the service serves the monolith's queries with), and the reference class's ``objects`` is the
monolith's own remote ORM rendered into the service: one request per evaluation, one command per write.

Here the monolith and the service each run as their own process (runserver); the staying code calls the moved
code through the client, the moved code creates and reads a staying row in the monolith's database.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from projects import extract_applied, monolith_and_service, write_project

TOKEN = "monolith-orm-token-0123456789abcdef"
IDENTITY_KEY = "monolith-orm-identity-0123456789-abcdefghij"

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
        import os
        from pathlib import Path

        BASE_DIR = Path(__file__).resolve().parent.parent
        SECRET_KEY = "monolith-orm-secret"
        DEBUG = False
        ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
        INSTALLED_APPS = [
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "core",
            "billing",
        ]
        ROOT_URLCONF = "proj.urls"
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["MONOLITH_DB"]}}
        DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
        USE_TZ = True
    """,
    "proj/urls.py": """
        urlpatterns = []
    """,
    "core/__init__.py": "",
    "core/models.py": """
        from django.contrib.contenttypes.fields import GenericForeignKey
        from django.contrib.contenttypes.models import ContentType
        from django.db import models


        class Customer(models.Model):
            name = models.CharField(max_length=40)
            vip = models.BooleanField(default=False)


        class Secret(models.Model):
            code = models.CharField(max_length=40)


        class Log(models.Model):
            content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
            object_id = models.PositiveIntegerField()
            content_object = GenericForeignKey("content_type", "object_id")
            customer = models.ForeignKey(Customer, null=True, on_delete=models.CASCADE, related_name="logs")
            action = models.CharField(max_length=40)
    """,
    "core/migrations/__init__.py": "",
    "core/migrations/0001_initial.py": """
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = [("contenttypes", "0002_remove_content_type_name")]
            operations = [
                migrations.CreateModel(
                    name="Customer",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=40)),
                        ("vip", models.BooleanField(default=False)),
                    ],
                ),
                migrations.CreateModel(
                    name="Secret",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("code", models.CharField(max_length=40)),
                    ],
                ),
                migrations.CreateModel(
                    name="Log",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("object_id", models.PositiveIntegerField()),
                        ("action", models.CharField(max_length=40)),
                        ("content_type", models.ForeignKey(on_delete=models.CASCADE, to="contenttypes.contenttype")),
                        (
                            "customer",
                            models.ForeignKey(
                                null=True, on_delete=models.CASCADE, related_name="logs", to="core.customer"
                            ),
                        ),
                    ],
                ),
            ]
    """,
    "core/accounts.py": """
        from billing.services import customer_names, invoice_customer, open_account


        def run():
            first, second = open_account("alice"), open_account("bob")
            return first, second, customer_names("a"), invoice_customer(first)
    """,
    "billing/__init__.py": "",
    "billing/models.py": """
        from django.db import models

        from core.models import Customer


        class Invoice(models.Model):
            number = models.CharField(max_length=20)
            customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    """,
    "billing/migrations/__init__.py": "",
    "billing/migrations/0001_initial.py": """
        import django.db.models.deletion
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = [("core", "0001_initial")]
            operations = [
                migrations.CreateModel(
                    name="Invoice",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("number", models.CharField(max_length=20)),
                        (
                            "customer",
                            models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="core.customer"),
                        ),
                    ],
                ),
            ]
    """,
    "billing/services.py": """
        from django.db.models import Max, Q

        from billing.models import Invoice
        from core.models import Customer, Log


        def open_account(name: str) -> int:
            customer = Customer.objects.create(name=name, vip=False)
            Customer.objects.filter(pk=customer.pk).update(vip=True)
            return customer.pk


        def customer_names(prefix: str) -> list:
            return list(Customer.objects.filter(name__startswith=prefix, vip=True).values_list("name", flat=True))


        def invoice_customer(customer_id: int) -> list:
            customer = Customer.objects.get(pk=customer_id)
            invoice = Invoice.objects.create(number="A-1", customer_id=customer.pk)
            Log.objects.create(content_object=invoice, customer=customer, action="invoiced")
            # a reference's accessor (invoice.customer) and a row's (customer, read from the monolith)
            return [log.action for log in invoice.customer.logs.all()] + [log.action for log in customer.logs.all()]


        def invoiced_customers(prefix: str) -> list:
            dora = Customer.objects.create(name="dora", vip=True)
            Invoice.objects.create(number=f"{prefix}9", customer_id=dora.pk)
            # through the reverse relation back into this service's invoices: its query for the ids, then one
            # query of the monolith; the aggregate over them is computed here per row
            rows = Customer.objects.filter(invoice__number__startswith=prefix).annotate(
                top=Max("invoice__number", filter=Q(invoice__number__startswith=prefix))
            )
            invoice = Invoice.objects.get(number=f"{prefix}9")
            Log.objects.create(content_object=invoice, customer=dora, action="zed")
            # two levels: the staying Log, its customer, that customer's invoices in this service
            logs = Log.objects.filter(customer__invoice__number__startswith=prefix, action="zed")
            return [(c.name, c.top) for c in rows], [log.action for log in logs]


        def regex_names():
            return list(Customer.objects.filter(name__regex="^a"))  # REFUSED
    """,
}




@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    pytest.importorskip("rest_framework")
    pytest.importorskip("httpx")
    tmp = tmp_path_factory.mktemp("monolith-orm")
    mono = write_project(tmp / "mono", PROJECT)
    service = extract_applied(mono, "billing")
    with monolith_and_service(mono, service, "billing", tmp, token=TOKEN, identity_key=IDENTITY_KEY,
                              secret="monolith-orm-secret-key-0123456789") as run:
        yield {"mono": mono, "service": service, **{k: run[k] for k in ("mono_env", "mono_url", "mono_log", "db", "svc_env")}}


def _requests(log: Path, kind: str, model: str = "Customer") -> int:
    return sum(
        1 for line in log.read_text(errors="replace").splitlines() if f'"POST /api/v1/{kind}/core/{model} ' in line
    )


def test_the_plan_lists_the_staying_models_the_moved_code_uses(deployed: dict[str, object]) -> None:
    service = deployed["service"]
    assert isinstance(service, Path)
    plan = json.loads((service / "extraction-plan.json").read_text())
    assert [(m["label"], m.get("writes", False)) for m in plan["monolith_models"]] == [
        ("core.Customer", True),
        ("core.Log", True),
    ]
    assert plan["monolith_models"][0]["lookups"] == [
        "invoice__number__startswith", "name__regex", "name__startswith", "pk", "vip"
    ]
    assert "## The monolith's models the moved code queries or writes" in (service / "EXTRACTION.md").read_text()
    requirements = (service / "requirements.txt").read_text()  # monolith_client/: the client runtime's packages
    assert "httpx==" in requirements and "pybreaker==" in requirements and "stamina==" in requirements
    client = (deployed["mono"] / "proj/services/billing.py").read_text()  # type: ignore[operator]
    assert "MONOLITH_MODELS: tuple[str, ...] = (\n    'core.Customer',\n    'core.Log',\n)" in client


def test_the_moved_code_creates_and_reads_a_staying_row_in_the_monolith(deployed: dict[str, object]) -> None:
    log = deployed["mono_log"]
    assert isinstance(log, Path)
    before = (_requests(log, "query"), _requests(log, "command"))
    run = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "from core.accounts import run; print(run())"],
        cwd=deployed["mono"], env=deployed["mono_env"], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    first, second, names, actions = eval(run.stdout.strip().splitlines()[-1])  # a tuple this test printed
    assert names == ["alice"]
    assert actions == ["invoiced", "invoiced"]  # <customer>.logs: the monolith's rows, read through it
    with sqlite3.connect(str(deployed["db"])) as db:
        rows = db.execute("SELECT id, name, vip FROM core_customer ORDER BY id").fetchall()
        logs = db.execute(
            "SELECT t.app_label, t.model, l.object_id, l.customer_id, l.action FROM core_log l "
            "JOIN django_content_type t ON t.id = l.content_type_id"
        ).fetchall()
    assert rows == [(first, "alice", 1), (second, "bob", 1)]
    # the generic relation's object travels as its content type's natural key (the service's ids are its own)
    assert logs == [("billing", "invoice", 1, first, "invoiced")]
    time.sleep(0.5)  # runserver writes its access log line after the answer
    # customers: two creates and two updates (a command each), one read of names and one get (a query per
    # evaluation); logs: one create, two reads of the customer's logs
    assert (_requests(log, "query") - before[0], _requests(log, "command") - before[1]) == (2, 4)
    assert _requests(log, "command", "Log") == 1 and _requests(log, "query", "Log") == 2


def test_a_staying_query_through_a_relation_back_into_the_service_is_split(deployed: dict[str, object]) -> None:
    """``Customer.objects.filter(invoice__number__startswith=...)`` in the service: the monolith cannot join the
    service's invoices (it refused: 'invoice__number__startswith' is not a lookup served here). The service reads
    the matching customer ids from its own invoices and the monolith gets ``id__in``; ``Max("invoice__number",
    filter=...)`` is computed in the service for each row read."""
    log = deployed["mono_log"]
    assert isinstance(log, Path)
    before = _requests(log, "query")
    run = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from billing.services import invoiced_customers; print(invoiced_customers('Z-'))"],
        cwd=deployed["service"], env=deployed["svc_env"], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert eval(run.stdout.strip().splitlines()[-1]) == ([("dora", "Z-9")], ["zed"])
    time.sleep(0.5)
    assert _requests(log, "query") - before == 1  # one evaluation, one request


def _post(deployed: dict[str, object], path: str, body: object, token: str | None = TOKEN) -> tuple[int, dict]:
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    answer = httpx.post(f"{deployed['mono_url']}/api/v1/{path}", json=body, headers=headers, timeout=10)
    return answer.status_code, answer.json()


def test_the_monolith_serves_only_what_the_plan_lists_and_only_to_the_services_token(
    deployed: dict[str, object],
) -> None:
    ok = {"chain": [{"filter": {"lookup": "name__startswith", "value": "a"}}], "op": "count"}
    assert _post(deployed, "query/core/Customer", ok)[0] == 200
    assert _post(deployed, "query/core/Customer", ok, token=None)[0] == 401
    assert _post(deployed, "query/core/Customer", ok, token="not-the-token-0123456789")[0] == 401
    status, answer = _post(deployed, "query/core/Secret", {"op": "count"})
    assert status == 404 and "core.Secret is not a model this monolith serves" in answer["error"]
    status, answer = _post(deployed, "query/core/Customer", {"chain": [{"filter": {"lookup": "email", "value": "x"}}]})
    assert status == 400 and "core.Customer has no field 'email'" in answer["error"]
    bad = {"chain": [{"filter": {"lookup": "name__regex", "value": "^a"}}]}
    status, answer = _post(deployed, "query/core/Customer", bad)
    assert status == 400 and "'regex' is not a lookup served here" in answer["error"]
    status, answer = _post(deployed, "command/core/Secret", {"command": "create", "values": {"code": "x"}})
    assert status == 404
    with sqlite3.connect(str(deployed["db"])) as db:
        assert db.execute("SELECT COUNT(*) FROM core_secret").fetchone() == (0,)


def test_a_write_retried_with_its_idempotency_key_runs_once(deployed: dict[str, object]) -> None:
    import httpx

    url = f"{deployed['mono_url']}/api/v1/command/core/Customer"
    headers = {"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": "retry-0123456789"}
    body = {"command": "create", "values": {"name": "carol"}}
    first = httpx.post(url, json=body, headers=headers, timeout=10)
    again = httpx.post(url, json=body, headers=headers, timeout=10)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and again.headers.get("Idempotent-Replayed") == "true"
    with sqlite3.connect(str(deployed["db"])) as db:
        assert db.execute("SELECT COUNT(*) FROM core_customer WHERE name = 'carol'").fetchone() == (1,)


def test_a_query_the_monolith_refuses_names_the_moved_line(deployed: dict[str, object]) -> None:
    """What cannot be pushed down stays an error naming the call site: the moved code's line, in the service."""
    service = deployed["service"]
    assert isinstance(service, Path)
    line = next(i for i, text in enumerate((service / "billing/services.py").read_text().splitlines(), 1)
                if "# REFUSED" in text)  # fmt: skip
    probe = (
        "import django; django.setup()\n"
        "from billing.services import regex_names\n"
        "try:\n    regex_names()\nexcept Exception as exc:\n    print(type(exc).__name__, exc)"
    )
    env = {**deployed["svc_env"], "DJANGO_SETTINGS_MODULE": "billing_service.settings"}  # type: ignore[dict-item]
    run = subprocess.run([sys.executable, "-c", probe], cwd=service, env=env, capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith(f"RemoteQueryRefused billing/services.py:{line}: "), run.stdout
    assert "'regex' is not a lookup served here" in run.stdout
