"""A moved model's many-to-many relation to a staying model, in the service (issue 14).

django-crm's ``ChatMessage.recipients``/``to`` (to ``auth.User``) were a ``pass`` in the service's model, the join
table a separate ``recipients_join`` model; the moved admin's form listing ``recipients`` died with ``FieldError:
Unknown field(s) (recipients) specified for ChatMessage`` (the 4 tests of ``tests/chat/test_chat.py`` in remote
mode), and ``obj.recipients.all()``, ``msg.recipients.remove(user.id)``, ``filter(recipients=user)`` had nothing
to run on. Now the moved model keeps the relation's name as a field over the service's join rows
(``cut_relations.ManyToManyToMonolith``): a manager whose members are references of the staying model (read from
the monolith in one query when it serves the model), lookups by and through it, ``values``/``Count`` of it, and a
ModelForm's (and the moved admin's) field of it, saved into the join rows.

The monolith and the service each run as their own process (runserver); the moved code runs in the service.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import libcst as cst
import pytest
from click.testing import CliRunner
from projects import MANAGE_PY, monolith_and_service, write_project

from decompose.cli import cli
from decompose.extract.codemods.chain import module_context
from decompose.extract.codemods.moved_imports import CutAdminOptions, ForeignKeyToId, ModelCut
from decompose.extract.plan import ForeignKeyCut
from decompose.graph import Evidence

TOKEN = "cut-many-token-0123456789abcdef"
IDENTITY_KEY = "cut-many-identity-0123456789-abcdefghijklm"

_MIGRATION_0001 = """
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
                    ("watchers", models.ManyToManyField(blank=True, to="core.customer", verbose_name="watchers")),
                ],
            ),
        ]
"""

PROJECT = {
    "manage.py": MANAGE_PY,
    "proj/__init__.py": "",
    "proj/settings.py": """
        import os

        SECRET_KEY = "cut-many-secret"
        DEBUG = False
        ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
        INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.admin",
                          "django.contrib.sessions", "django.contrib.messages", "core", "billing"]
        ROOT_URLCONF = "proj.urls"
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["MONOLITH_DB"]}}
        DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
        USE_TZ = True
        MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware",
                      "django.contrib.auth.middleware.AuthenticationMiddleware",
                      "django.contrib.messages.middleware.MessageMiddleware"]
        TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
                      "OPTIONS": {"context_processors": ["django.contrib.auth.context_processors.auth",
                                                         "django.contrib.messages.context_processors.messages",
                                                         "django.template.context_processors.request"]}}]
    """,
    "proj/urls.py": "urlpatterns = []\n",
    "core/__init__.py": "",
    "core/models.py": """
        from django.db import models


        class Customer(models.Model):
            name = models.CharField(max_length=40)
            vip = models.BooleanField(default=False)

            def __str__(self):
                return self.name
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
            watchers = models.ManyToManyField(Customer, blank=True, verbose_name="watchers")
    """,
    "billing/migrations/__init__.py": "",
    "billing/migrations/0001_initial.py": _MIGRATION_0001,
    "billing/forms.py": """
        from django import forms

        from billing.models import Invoice


        class InvoiceForm(forms.ModelForm):
            class Meta:
                model = Invoice
                fields = ["number", "watchers"]
    """,
    "billing/admin.py": """
        from django.contrib import admin

        from billing.models import Invoice


        @admin.register(Invoice)
        class InvoiceAdmin(admin.ModelAdmin):
            fields = ["number", "watchers"]
            filter_horizontal = ["watchers"]
    """,
    "billing/services.py": """
        from django.db.models import Count, Q
        from django.db.models.signals import m2m_changed

        from billing.models import Invoice

        SEEN = []


        def seen(sender, action, pk_set, **kwargs):
            SEEN.append([action, sorted(pk_set or [])])


        def numbers(qs):
            return sorted(qs.values_list("number", flat=True))


        def ids(invoice):
            return list(invoice.watchers.values_list("id", flat=True))


        def scenario():
            a, b, c = (Invoice.objects.create(number=n) for n in "ABC")
            a.watchers.add(1, 2)
            b.watchers.set([3])
            out = {
                "ids": ids(a),
                "count": [a.watchers.count(), c.watchers.exists()],
                "exclude": list(a.watchers.exclude(id=1).values_list("id", flat=True)),
                "names": sorted(w.name for w in a.watchers.all()),
                "by": numbers(Invoice.objects.filter(watchers=2)),
                "in": numbers(Invoice.objects.filter(watchers__in=[1, 3]).distinct()),
                "none": numbers(Invoice.objects.filter(watchers__isnull=True)),
                "not": numbers(Invoice.objects.exclude(watchers=1)),
                "through": numbers(Invoice.objects.filter(watchers__vip=True)),
                "q": numbers(Invoice.objects.filter(Q(watchers__name__startswith="an") | Q(number="C"))),
                "counted": sorted(Invoice.objects.annotate(n=Count("watchers")).values_list("number", "n")),
                "values": sorted(Invoice.objects.filter(number="A").values_list("watchers", flat=True)),
            }
            m2m_changed.connect(seen, sender=Invoice.watchers.through)
            a.watchers.remove(1)
            b.watchers.set(["1", 2])  # ids as a form posts them too
            c.watchers.add("3")
            c.watchers.add()
            out["after"] = [ids(a), ids(b), ids(c)]
            out["signals"] = SEEN
            rows = Invoice.objects.prefetch_related("watchers").order_by("number")
            out["prefetched"] = [[i.number, ids(i)] for i in rows]
            return out


        def form_round_trip():
            from billing.forms import InvoiceForm

            form = InvoiceForm(data={"number": "F", "watchers": ["1", "3"]})
            valid = form.is_valid()
            invoice = form.save()
            initial = InvoiceForm(instance=invoice).initial["watchers"]
            bad = InvoiceForm(data={"number": "G", "watchers": ["99"]})
            return [valid, ids(invoice), initial, bad.is_valid(), list(bad.errors)]


        def admin_form():
            from django.contrib import admin
            from django.test import RequestFactory

            model_admin = admin.site._registry[Invoice]
            form = model_admin.get_form(RequestFactory().get("/"))
            return [list(form.base_fields), [str(e) for e in model_admin.check()]]
    """,
}


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    pytest.importorskip("rest_framework")
    pytest.importorskip("httpx")
    tmp = tmp_path_factory.mktemp("cut-many")
    mono = write_project(tmp / "mono", PROJECT)
    subprocess.run(["git", "init", "-q", str(mono)], check=True)
    out = tmp / "out"
    result = CliRunner().invoke(
        cli,
        ["extract", str(mono), "--service", "billing", "--apps", "billing", "--out", str(out), "--apply", "--force"],
    )
    assert result.exit_code == 0, result.output
    service = out / "billing"
    with monolith_and_service(mono, service, "billing", tmp, token=TOKEN, identity_key=IDENTITY_KEY,
                              secret="cut-many-secret-key-0123456789abcdef") as run:  # fmt: skip
        with sqlite3.connect(str(run["db"])) as db:
            db.executemany("INSERT INTO core_customer (id, name, vip) VALUES (?, ?, ?)",
                           [(1, "alice", 1), (2, "bob", 0), (3, "anna", 0)])  # fmt: skip
        yield {"service": service, "svc_env": run["svc_env"], "mono_log": run["mono_log"],
               "svc_url": run["mono_env"]["DECOMPOSE_BILLING_URL"]}  # type: ignore[index]  # fmt: skip


def _queries(log: Path) -> int:
    time.sleep(0.5)  # runserver writes its access log line after the answer
    return sum(
        1 for line in log.read_text(errors="replace").splitlines() if '"POST /api/v1/query/core/Customer ' in line
    )


def _probe(deployed: dict[str, object], code: str) -> str:
    probe = "import django; django.setup()\nimport json\nfrom billing import services\n" + code
    env = {**deployed["svc_env"], "DJANGO_SETTINGS_MODULE": "billing_service.settings"}  # type: ignore[dict-item]
    run = subprocess.run([sys.executable, "-c", probe], cwd=deployed["service"], env=env, capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout.strip().splitlines()[-1]


def test_the_moved_code_reads_writes_and_queries_the_relation(deployed: dict[str, object]) -> None:
    log = deployed["mono_log"]
    assert isinstance(log, Path)
    before = _queries(log)
    answer = json.loads(_probe(deployed, "print(json.dumps(services.scenario()))"))
    assert answer == {
        "ids": [1, 2],
        "count": [2, False],
        "exclude": [2],  # by id: from the join rows
        "names": ["alice", "bob"],  # the members' rows: one query of the monolith
        "by": ["A"],  # watchers=2
        "in": ["A", "B"],  # watchers__in=[1, 3]
        "none": ["C"],  # watchers__isnull=True
        "not": ["B", "C"],  # exclude(watchers=1)
        "through": ["A"],  # watchers__vip=True: the ids from one query of the monolith
        "q": ["B", "C"],  # Q(watchers__name__startswith="an") | Q(number="C")
        "counted": [["A", 2], ["B", 1], ["C", 0]],  # Count("watchers"): the join rows
        "values": [1, 2],  # values_list("watchers"): the staying side's ids
        "after": [[2], [1, 2], [3]],  # remove(1), set([1, 2]) (removing 3), add(3)
        "signals": [
            ["pre_remove", [1]],
            ["post_remove", [1]],
            ["pre_remove", [3]],
            ["post_remove", [3]],
            ["pre_add", [1, 2]],
            ["post_add", [1, 2]],
            ["pre_add", [3]],
            ["post_add", [3]],
        ],  # fmt: skip
        "prefetched": [["A", [2]], ["B", [1, 2]], ["C", [3]]],  # prefetch_related("watchers") dropped
    }
    assert _queries(log) - before == 3  # names, through, q


def test_a_model_form_and_the_moved_admin_have_a_field_of_it(deployed: dict[str, object]) -> None:
    log = deployed["mono_log"]
    assert isinstance(log, Path)
    answer = json.loads(_probe(deployed, "print(json.dumps([services.form_round_trip(), services.admin_form()]))"))
    form, admin = answer
    # valid (the choices are the monolith's customers), saved into the join rows after the invoice, the initial
    # value the member ids; an id the monolith does not have is refused
    assert form == [True, [1, 3], [1, 3], False, ["watchers"]]
    # the admin keeps "watchers" in its fields (filter_horizontal, which needs a ManyToManyField, is dropped)
    assert admin == [["number", "watchers"], []]


def test_the_query_endpoint_answers_the_relation_as_ids(deployed: dict[str, object]) -> None:
    # the monolith's remote ORM reads the relation as values(["watchers"]): an alias over the join rows' id column
    # conflicted with the model's own field of that name ("The annotation 'watchers' conflicts with a field")
    pk = int(_probe(deployed, "from billing.models import Invoice\ni = Invoice.objects.create(number='V')\n"
                              "i.watchers.add(3, 1)\nprint(i.pk)"))  # fmt: skip
    body = {"chain": [{"filter": {"lookup": "pk", "value": pk}}, {"values": ["number", "watchers"]}], "op": "rows"}
    request = urllib.request.Request(
        f"{deployed['svc_url']}/api/v1/query/billing/Invoice", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    assert sorted((r["number"], r["watchers"]) for r in answer["result"]) == [("V", 1), ("V", 3)]


def test_the_service_stays_migrated(deployed: dict[str, object]) -> None:
    # the field has no column: no migration sees it, the join table is the service's own migration's
    env = {**deployed["svc_env"]}  # type: ignore[dict-item]
    run = subprocess.run([sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
                         cwd=deployed["service"], env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    models = (deployed["service"] / "billing/models.py").read_text()  # type: ignore[operator]
    assert (
        'watchers = cut_relations.ManyToManyToMonolith("core.Customer", blank=True, verbose_name="watchers")' in models
    )


def _many(field: str, join_table: str) -> ModelCut:
    fk = ForeignKeyCut(
        "from_moved", "pricing.Discount", field, "catalog.Category", f"{field}_id", False,
        Evidence("pricing/models.py", 1), "ManyToManyField", join_table=join_table,
    )  # fmt: skip
    return ModelCut(fk, "pricing.models.Discount")


def test_the_codemod_keeps_the_relation_over_a_join_table_and_cuts_one_without() -> None:
    src = textwrap.dedent(
        """
        from django.db import models


        class Discount(models.Model):
            categories = models.ManyToManyField("catalog.Category", related_name="discounts", blank=True,
                                                help_text="where")
            tags = models.ManyToManyField("catalog.Category", through="Tagging")
        """
    )
    cuts = [_many("categories", "pricing_discount_categories"), _many("tags", "")]
    step = ForeignKeyToId(module_context("pricing.models"), cuts, "svc.monolith")
    once = step.transform_module(cst.parse_module(src)).code
    assert 'categories = cut_relations.ManyToManyToMonolith("catalog.Category", blank=True, help_text="where")' in once
    assert "from svc import cut_relations" in once
    assert "related_name" not in once
    assert "# TODO(decompose): tags was a many-to-many relation to catalog.Category" in once  # a through= model
    twice = ForeignKeyToId(module_context("pricing.models"), cuts, "svc.monolith")
    assert twice.transform_module(cst.parse_module(once)).code == once


def test_admin_options_keep_the_field_where_a_form_field_goes() -> None:
    src = textwrap.dedent(
        """
        from django.contrib import admin

        from pricing.models import Discount


        @admin.register(Discount)
        class DiscountAdmin(admin.ModelAdmin):
            fields = ["name", "categories"]
            filter_horizontal = ["categories"]
            search_fields = ["categories__name"]
        """
    )
    cuts = [_many("categories", "pricing_discount_categories")]
    out = CutAdminOptions(module_context("pricing.admin"), cuts, many_kept=True).transform_module(cst.parse_module(src))
    assert 'fields = ["name", "categories"]' in out.code
    assert "filter_horizontal = []" in out.code
    assert "search_fields = []" in out.code
