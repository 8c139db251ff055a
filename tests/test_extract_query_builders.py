"""A staying function that builds a query is copied into the service, not called back (issue 14).

pretalx's moved ``TalkSlotQuerySet.with_sorted_speakers`` calls the staying
``sorted_speakers_prefetch(prefix)``, which returns a Django ``Prefetch`` over ``SpeakerProfile``: called back
over HTTP, the monolith had no wire form for its result (422, 25 failures in the schedule service's remote run).
A function whose every result is a query it builds (a query expression, or the queryset it is given with more
added) is copied into the service like a pure helper; the staying models it names are the service's references.
One that runs a query (``count()``) is still called back.

One small hand-written project: ``billing`` moves, ``core`` stays."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from projects import MANAGE_PY, write_project

from decompose.cli import cli
from decompose.extract.plan import build_plan

PROJECT = {
    "manage.py": MANAGE_PY,
    "proj/__init__.py": "",
    "proj/settings.py": """
        INSTALLED_APPS = [
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "core",
            "billing",
        ]
        DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
    """,
    "proj/urls.py": "urlpatterns = []\n",
    "core/__init__.py": "",
    "core/apps.py": """
        from django.apps import AppConfig


        class CoreConfig(AppConfig):
            name = "core"
    """,
    "core/models.py": """
        from django.db import models


        class Tag(models.Model):
            name = models.CharField(max_length=50)


        class Customer(models.Model):
            name = models.CharField(max_length=50)
            active = models.BooleanField(default=True)
            tags = models.ManyToManyField(Tag)
    """,
    # a module of the monolith that reads staying data: it is never copied whole
    "core/queries.py": """
        from django.db.models import Count, Prefetch, Q
        from django.db.models.functions import Coalesce

        from core.models import Customer, Tag


        def tag_prefetch(prefix=""):
            return Prefetch(f"{prefix}tags", queryset=Tag.objects.order_by("name"))


        def active_q(prefix=""):
            q = Q(**{f"{prefix}active": True})
            q |= Q(**{f"{prefix}name": "walk-in"})
            return ~q if not prefix else q


        def with_line_count(queryset):
            if "lines" in queryset.query.annotations:
                return queryset
            queryset = queryset.filter(number__gt=0)
            return queryset.annotate(lines=Coalesce(Count("pk"), 0))


        def active_customers():
            return Customer.objects.filter(active=True).count()


        def customer_names(queryset):
            return [c.name for c in queryset]
    """,
    "billing/__init__.py": "",
    "billing/apps.py": """
        from django.apps import AppConfig


        class BillingConfig(AppConfig):
            name = "billing"
    """,
    "billing/models.py": """
        from django.db import models

        from core.queries import active_customers, active_q, customer_names, tag_prefetch, with_line_count


        class InvoiceQuerySet(models.QuerySet):
            def with_tags(self):
                return self.prefetch_related(tag_prefetch("customer__"))

            def counted(self):
                return with_line_count(self)


        class Invoice(models.Model):
            number = models.IntegerField()
            customer = models.ForeignKey("core.Customer", on_delete=models.CASCADE)

            objects = InvoiceQuerySet.as_manager()

            def report(self):
                return active_customers(), active_q(), customer_names(Invoice.objects.all())
    """,
}

BUILDERS = ("core.queries.tag_prefetch", "core.queries.active_q", "core.queries.with_line_count")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("mono"), PROJECT)


@pytest.fixture(scope="module")
def plan(root: Path):  # type: ignore[no-untyped-def]
    return build_plan(root, "billing", ["billing"])


@pytest.fixture(scope="module")
def service(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(
        cli, ["extract", str(root), "--service", "billing", "--apps", "billing", "--out", str(out), "--no-rewire"]
    )
    assert result.exit_code == 0, result.output
    return out / "billing"


def test_a_staying_function_building_a_query_is_copied_not_called_back(plan) -> None:  # type: ignore[no-untyped-def]
    rw = plan.service_rewrites
    called_back = {cb.qualname for cb in rw.callbacks}
    assert not called_back & set(BUILDERS), sorted(called_back)
    assert rw.slices["core.queries"] == ("tag_prefetch", "active_q", "with_line_count")
    deps = {f"{d.module}.{d.symbol}": d for d in plan.dependencies}
    for name in BUILDERS:
        assert deps[name].classification == "shared_kernel", deps[name]
        assert "builds a query" in deps[name].reason
    # a function that runs a query, or evaluates the queryset it is given, reads the monolith's data: called back
    assert {"core.queries.active_customers", "core.queries.customer_names"} <= called_back


def test_the_copy_names_the_references_and_builds_its_query_in_the_service(service: Path, tmp_path: Path) -> None:
    text = (service / "core/queries.py").read_text()
    assert "def tag_prefetch(" in text and "def with_line_count(" in text
    assert "def active_customers(" not in text and "def customer_names(" not in text
    assert "from core.models import" not in text  # the staying models are the service's references
    models = (service / "billing/models.py").read_text()
    assert "core.queries import active_q, tag_prefetch, with_line_count" in models.replace("(", "").replace("\n", " ")
    pytest.importorskip("rest_framework")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "PYTHONPATH"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PYTHONDONTWRITEBYTECODE="1",
        DJANGO_SECRET_KEY="builders-test-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ",
        DECOMPOSE_IDENTITY_KEY="builders-identity-key-0123456789-abcdefghij",
    )
    script = (
        "from django.db.models import Prefetch, Q\n"
        "from billing.models import Invoice\n"
        "from core.queries import active_q, tag_prefetch\n"
        "p = tag_prefetch('customer__')\n"
        "assert isinstance(p, Prefetch) and p.prefetch_through == 'customer__tags', p\n"
        "assert isinstance(active_q(), Q)\n"
        "print(str(Invoice.objects.with_tags().counted().query).count('COUNT'))\n"
    )
    run = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=service,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.stdout.strip().splitlines()[-1] == "1"
