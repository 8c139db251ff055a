"""The moved code's querysets through a foreign key the extraction cut, in the service (issue 14).

A moved model's foreign key to a staying model is an id column in the service (``Invoice.customer_id``): there
is no ``customer`` table to join there. pretalx's ``freeze_schedule`` filters ``schedule.talks`` by
``Q(submission__state=...)`` and died in the service with ``FieldError: Cannot resolve keyword 'submission'``
(56 failing tests of three of the monolith's test files in remote mode). Now the service's query building turns a
lookup through the cut into ``customer_id__in=<ids>``, the ids answered by one query of the monolith's query
endpoint; ``select_related``/``prefetch_related`` through it are dropped (the reference loads itself), and what
cannot run there (``order_by`` through it) is a ``FieldError`` naming the moved line.

The monolith and the service each run as their own process (runserver); the moved code runs in the service.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from projects import MANAGE_PY, monolith_and_service, write_project

from decompose.cli import cli

TOKEN = "cut-relations-token-0123456789abcdef"
IDENTITY_KEY = "cut-relations-identity-0123456789-abcdefghij"

PROJECT = {
    "manage.py": MANAGE_PY,
    "proj/__init__.py": "",
    "proj/settings.py": """
        import os

        SECRET_KEY = "cut-relations-secret"
        DEBUG = False
        ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
        INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "core", "billing"]
        ROOT_URLCONF = "proj.urls"
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["MONOLITH_DB"]}}
        DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
        USE_TZ = True
    """,
    "proj/urls.py": "urlpatterns = []\n",
    "core/__init__.py": "",
    "core/models.py": """
        from django.db import models
        from django_scopes import ScopedManager


        class Customer(models.Model):
            name = models.CharField(max_length=40)
            vip = models.BooleanField(default=False)

            objects = ScopedManager(event="event")
    """,
    "core/migrations/__init__.py": "",
    "core/migrations/0001_initial.py": """
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = []
            operations = [
                migrations.CreateModel(
                    name="Customer",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=40)),
                        ("vip", models.BooleanField(default=False)),
                    ],
                ),
            ]
    """,
    "billing/__init__.py": "",
    "billing/models.py": """
        from django.db import models

        from core.models import Customer


        class Invoice(models.Model):
            number = models.CharField(max_length=20)
            customer = models.ForeignKey(Customer, null=True, on_delete=models.CASCADE)
            paid = models.BooleanField(default=False)


        class Line(models.Model):
            invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
            amount = models.IntegerField()
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
                        ("paid", models.BooleanField(default=False)),
                        (
                            "customer",
                            models.ForeignKey(
                                null=True, on_delete=django.db.models.deletion.CASCADE, to="core.customer"
                            ),
                        ),
                    ],
                ),
                migrations.CreateModel(
                    name="Line",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("amount", models.IntegerField()),
                        (
                            "invoice",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="lines",
                                to="billing.invoice",
                            ),
                        ),
                    ],
                ),
            ]
    """,
    "billing/services.py": """
        from django.db.models import Q

        from billing.models import Invoice, Line


        def numbers(qs):
            return sorted(qs.values_list("number", flat=True))


        def make(rows):
            for number, customer_id, amounts in rows:
                invoice = Invoice.objects.create(number=number, customer_id=customer_id)
                for amount in amounts:
                    invoice.lines.create(amount=amount)


        def vip_numbers():
            return numbers(Invoice.objects.filter(customer__vip=True))


        def named_or_number(prefix, number):
            return numbers(Invoice.objects.filter(Q(customer__name__startswith=prefix) | Q(number=number)))


        def not_vip_numbers():
            return numbers(Invoice.objects.exclude(customer__vip=True))


        def vip_amounts():
            # through a relation between moved models, then the cut one
            return sorted(Line.objects.filter(invoice__customer__vip=True).values_list("amount", flat=True))


        def pay_vips(number):
            invoice = Invoice.objects.get(number=number)
            # a related manager's queryset, updated: what pretalx's freeze_schedule does to schedule.talks
            Invoice.objects.filter(pk=invoice.pk).update(paid=False)
            invoice.lines.filter(invoice__customer__vip=True, amount__gt=0).update(amount=0)
            return sorted(invoice.lines.values_list("amount", flat=True))


        def with_customers():
            invoices = Invoice.objects.filter(customer__isnull=False)
            rows = invoices.select_related("customer").prefetch_related("customer", "lines")
            return sorted((i.number, i.customer.name) for i in rows)


        def by_customer(customer_id):
            return numbers(Invoice.objects.filter(customer__id=customer_id))


        def ordered_by_name():
            return list(Invoice.objects.order_by("customer__name"))  # REFUSED
    """,
}


#: django-scopes as pretalx uses it (its Submission.objects): a scoped manager refuses a query outside a scope. The
#: monolith answers the service's query with scopes disabled (ScopeError, a 500, before)
SCOPES = """
    import contextlib

    _disabled = []


    @contextlib.contextmanager
    def scopes_disabled():
        _disabled.append(True)
        try:
            yield
        finally:
            _disabled.pop()


    class ScopeError(Exception):
        pass


    def ScopedManager(**dimensions):
        from django.db import models

        class Manager(models.Manager):
            def get_queryset(self):
                if not _disabled:
                    raise ScopeError("A scope on dimension(s) event needs to be active for this query.")
                return super().get_queryset()

        return Manager()
"""


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    pytest.importorskip("rest_framework")
    pytest.importorskip("httpx")
    tmp = tmp_path_factory.mktemp("cut-relations")
    mono = write_project(tmp / "mono", PROJECT)
    subprocess.run(["git", "init", "-q", str(mono)], check=True)
    out = tmp / "out"
    result = CliRunner().invoke(
        cli,
        ["extract", str(mono), "--service", "billing", "--apps", "billing", "--out", str(out), "--apply", "--force"],
    )
    assert result.exit_code == 0, result.output
    service = out / "billing"
    site = write_project(tmp / "site", {"django_scopes/__init__.py": SCOPES})
    with pytest.MonkeyPatch.context() as patch:  # both processes import the django-scopes stand-in
        patch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])))
        with monolith_and_service(mono, service, "billing", tmp, token=TOKEN, identity_key=IDENTITY_KEY,
                                  secret="cut-relations-secret-key-0123456789") as run:  # fmt: skip
            with sqlite3.connect(str(run["db"])) as db:
                db.executemany("INSERT INTO core_customer (id, name, vip) VALUES (?, ?, ?)",
                               [(1, "alice", 1), (2, "bob", 0), (3, "anna", 0)])  # fmt: skip
            yield {"service": service, "svc_env": run["svc_env"], "mono_log": run["mono_log"]}


def _queries(log: Path) -> int:
    time.sleep(0.5)  # runserver writes its access log line after the answer
    return sum(
        1 for line in log.read_text(errors="replace").splitlines() if '"POST /api/v1/query/core/Customer ' in line
    )


def _probe(deployed: dict[str, object], code: str) -> str:
    probe = "import django; django.setup()\nfrom billing import services\n" + code
    env = {**deployed["svc_env"], "DJANGO_SETTINGS_MODULE": "billing_service.settings"}  # type: ignore[dict-item]
    run = subprocess.run([sys.executable, "-c", probe], cwd=deployed["service"], env=env, capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout.strip().splitlines()[-1]


def test_lookups_through_a_cut_foreign_key_ask_the_monolith_for_the_ids(deployed: dict[str, object]) -> None:
    log = deployed["mono_log"]
    assert isinstance(log, Path)
    before = _queries(log)
    answer = json.loads(
        _probe(
            deployed,
            "import json\n"
            "services.make([('A-1', 1, [5, 7]), ('B-1', 2, [3]), ('N-1', 3, [4]), ('X-1', None, [9])])\n"
            "print(json.dumps([services.vip_numbers(), services.named_or_number('an', 'B-1'),"
            " services.not_vip_numbers(), services.vip_amounts(), services.pay_vips('A-1'),"
            " services.with_customers(), services.by_customer(2)]))",
        )
    )
    assert answer == [
        ["A-1"],  # customer__vip=True
        ["B-1", "N-1"],  # Q(customer__name__startswith="an") | Q(number="B-1")
        ["B-1", "N-1", "X-1"],  # exclude(customer__vip=True): no customer is no VIP
        [5, 7],  # invoice__customer__vip=True, through Line.invoice
        [0, 0],  # a related manager's queryset through the cut, updated
        [["A-1", "alice"], ["B-1", "bob"], ["N-1", "anna"]],  # select_related/prefetch_related("customer") dropped
        ["B-1"],  # customer__id=2: the id column, no query of the monolith
    ]
    # one query of the monolith per lookup through the cut (five), and one per reference loaded (three customers)
    assert _queries(log) - before == 8


def test_an_ordering_through_a_cut_foreign_key_names_the_moved_line(deployed: dict[str, object]) -> None:
    service = deployed["service"]
    assert isinstance(service, Path)
    line = next(i for i, text in enumerate((service / "billing/services.py").read_text().splitlines(), 1)
                if "# REFUSED" in text)  # fmt: skip
    out = _probe(
        deployed, "try:\n    services.ordered_by_name()\nexcept Exception as exc:\n    print(type(exc).__name__, exc)"
    )
    assert out.startswith(f"CutRelationError billing/services.py:{line}: "), out
    assert "'customer__name' joins billing.Invoice.customer, a relation to core.Customer" in out
    assert "customer_id" in out
