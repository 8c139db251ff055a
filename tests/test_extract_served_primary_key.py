"""A staying model the service reads through the monolith whose primary key is not ``id`` (issue 14, django-crm).

django-crm's ``common.UserProfile.user`` is a ``OneToOneField(User, primary_key=True)``: the plan listed an ``id``
field for every model, so the service's remote ORM took ``id`` for the primary key of the served ``UserProfile``,
asked the monolith for a column it has not, and ``user.profile`` raised "auth.User 5 has no profile" although the
monolith had the row. Now the scan records ``primary_key=True`` on a field; the plan's field types of a served model
list its primary key first (``event_id`` of a one-to-one, ``code`` of a CharField; ``id`` when none is declared) and
the service's remote ORM reads it as the primary key.

Here the monolith and the service each run as their own process (runserver).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from projects import extract_applied, monolith_and_service, served_monolith, write_project

from decompose.extract.plan.planner import build_plan

TOKEN = "served-primary-key-token-0123456789abcdef"
IDENTITY_KEY = "served-primary-key-identity-0123456789-abcdefghij"

PROJECT = {
    **served_monolith("served-primary-key-secret", ["core", "mail"]),
    "core/__init__.py": "",
    "core/models.py": """
        from django.db import models


        class Event(models.Model):
            name = models.CharField(max_length=40)


        class Profile(models.Model):
            event = models.OneToOneField(Event, on_delete=models.CASCADE, primary_key=True, related_name="profile")
            bio = models.CharField(max_length=40)


        class Currency(models.Model):
            code = models.CharField(max_length=3, primary_key=True)
            name = models.CharField(max_length=40)
    """,
    "core/migrations/__init__.py": "",
    "core/migrations/0001_initial.py": """
        import django.db.models.deletion
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = []
            operations = [
                migrations.CreateModel(
                    name="Event",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                        ("name", models.CharField(max_length=40)),
                    ],
                ),
                migrations.CreateModel(
                    name="Profile",
                    fields=[
                        ("event", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                                                       related_name="profile", serialize=False, to="core.event")),
                        ("bio", models.CharField(max_length=40)),
                    ],
                ),
                migrations.CreateModel(
                    name="Currency",
                    fields=[
                        ("code", models.CharField(max_length=3, primary_key=True, serialize=False)),
                        ("name", models.CharField(max_length=40)),
                    ],
                ),
            ]
    """,
    "core/run.py": """
        from core.models import Currency, Event, Profile
        from mail.services import make_template, template_text


        def run():
            Event.objects.create(name="padding")  # the profile's key is not the id of a first row by chance
            event = Event.objects.create(name="PyCon")
            Profile.objects.create(event=event, bio="a conference")
            Currency.objects.create(code="EUR", name="Euro")
            bare = Event.objects.create(name="Bare")
            return [template_text(make_template(event.pk)), template_text(make_template(bare.pk))]
    """,
    "mail/__init__.py": "",
    "mail/models.py": """
        from django.db import models

        from core.models import Event


        class MailTemplate(models.Model):
            subject = models.CharField(max_length=40)
            event = models.ForeignKey(Event, on_delete=models.CASCADE)
    """,
    "mail/migrations/__init__.py": "",
    "mail/migrations/0001_initial.py": """
        import django.db.models.deletion
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = [("core", "0001_initial")]
            operations = [
                migrations.CreateModel(
                    name="MailTemplate",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                        ("subject", models.CharField(max_length=40)),
                        ("event", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="core.event")),
                    ],
                ),
            ]
    """,
    "mail/services.py": """
        from core.models import Currency, Profile
        from mail.models import MailTemplate


        def make_template(event_id: int) -> int:
            return MailTemplate.objects.create(subject="Hello", event_id=event_id).pk


        def template_text(template_id: int) -> list:
            event = MailTemplate.objects.get(pk=template_id).event
            euro = Currency.objects.get(pk="EUR")
            if not hasattr(event, "profile"):
                return [event.name, "no profile", Profile.objects.filter(pk=event.pk).exists()]
            profile = Profile.objects.get(pk=event.pk)
            return [event.profile.bio, profile.pk == event.pk, profile.event_id == event.pk, euro.pk, euro.name]
    """,
}


def test_the_plan_lists_a_served_models_primary_key_first(tmp_path: Path) -> None:
    plan = build_plan(write_project(tmp_path / "plan", PROJECT), "mail", ["mail"])
    served = {m.label: m for m in plan.monolith_models}
    # before: ("id", "event_id", "bio") with {"id": "BigAutoField", ...}: a column the monolith's table has not
    assert served["core.Profile"].fields == ("event_id", "bio")
    assert served["core.Profile"].field_types == {"event_id": "BigIntegerField", "bio": "CharField"}
    assert served["core.Currency"].fields == ("code", "name")
    assert served["core.Currency"].field_types == {"code": "CharField", "name": "CharField"}
    assert served["core.Event"].fields == ("id", "name")


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    pytest.importorskip("rest_framework")
    pytest.importorskip("httpx")
    tmp = tmp_path_factory.mktemp("served-primary-key")
    mono = write_project(tmp / "mono", PROJECT)
    service = extract_applied(mono, "mail")
    with monolith_and_service(
        mono, service, "mail", tmp, token=TOKEN, identity_key=IDENTITY_KEY, secret="served-primary-key-0123456789"
    ) as run:
        yield {"mono": mono, **{k: run[k] for k in ("mono_env",)}}


def test_the_service_reads_a_row_by_its_declared_primary_key(deployed: dict[str, object]) -> None:
    run = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "from core.run import run; print(repr(run()))"],
        cwd=deployed["mono"], env=deployed["mono_env"], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    with_profile, bare = eval(run.stdout.strip().splitlines()[-1])  # a list this test printed
    # before: "core.Event 2 has no profile" (the service asked the monolith for Profile.id)
    assert with_profile == ["a conference", True, True, "EUR", "Euro"]
    assert bare == ["Bare", "no profile", False]
