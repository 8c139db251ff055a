"""A reference follows the reverse relations of staying models to it (issue 14, pretalx mail).

In the service a staying model is a reference loaded from the monolith. pretalx's moved ``mail`` code reads
``event.cfp.deadline`` and ``event.cfp.urls``, where ``cfp`` is the accessor the staying ``CfP.event`` one-to-one
gives the staying ``Event``: the reference knew only the forward keys of the models it is served, and raised
"event.Event.cfp is not a field of event.Event" (70 failures of the mail view tests in remote mode). Now a staying
model whose foreign key or one-to-one to a held model the moved code reads by its accessor is served read-only too,
with its reference class; the reference answers a one-to-one's accessor with that row (one query of the monolith,
kept; ``RelatedObjectDoesNotExist``, an AttributeError, when there is none, as Django's) and a foreign key's with its
rows (a related manager over the monolith's query endpoint).

Here the monolith and the service each run as their own process (runserver), counting the monolith's requests.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from projects import MANAGE_PY, extract_applied, monolith_and_service, write_project

from decompose.extract.plan.planner import build_plan

TOKEN = "reverse-relations-token-0123456789abcdef"
IDENTITY_KEY = "reverse-relations-identity-0123456789-abcdefghij"

CORE_MODELS = """
    from django.db import models


    class Event(models.Model):
        name = models.CharField(max_length=40)


    class CfP(models.Model):
        event = models.OneToOneField(Event, on_delete=models.CASCADE)
        deadline = models.CharField(max_length=20)

        @property
        def headline(self):
            return f"until {self.deadline}"


    class Track(models.Model):
        event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="tracks")
        name = models.CharField(max_length=40)


    class Venue(models.Model):
        event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="venue")
"""

PROJECT = {
    "manage.py": MANAGE_PY,
    "proj/__init__.py": "",
    "proj/settings.py": """
        import os

        SECRET_KEY = "reverse-relations-secret"
        DEBUG = False
        ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
        INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "core", "mail"]
        ROOT_URLCONF = "proj.urls"
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["MONOLITH_DB"]}}
        DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
        USE_TZ = True
    """,
    "proj/urls.py": """
        urlpatterns = []
    """,
    "core/__init__.py": "",
    "core/models.py": CORE_MODELS,
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
                    name="CfP",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                        ("deadline", models.CharField(max_length=20)),
                        ("event", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE,
                                                       to="core.event")),
                    ],
                ),
                migrations.CreateModel(
                    name="Track",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                        ("name", models.CharField(max_length=40)),
                        ("event", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                    related_name="tracks", to="core.event")),
                    ],
                ),
                migrations.CreateModel(
                    name="Venue",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                        ("event", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE,
                                                       related_name="venue", to="core.event")),
                    ],
                ),
            ]
    """,
    "core/run.py": """
        from core.models import CfP, Event, Track
        from mail.services import make_template, template_text


        def run():
            event = Event.objects.create(name="PyCon")
            CfP.objects.create(event=event, deadline="May")
            Track.objects.create(event=event, name="web")
            Track.objects.create(event=event, name="data")
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
        from mail.models import MailTemplate


        def make_template(event_id: int) -> int:
            return MailTemplate.objects.create(subject="Hello", event_id=event_id).pk


        def template_text(template_id: int) -> list:
            event = MailTemplate.objects.get(pk=template_id).event
            if not hasattr(event, "cfp"):  # a one-to-one no row has for it: an AttributeError, as Django's
                return [event.name, "no cfp", event.tracks.count()]
            # the row of the staying one-to-one to the reference, with its fields and its class's members
            return [event.cfp.deadline, event.cfp.headline, event.cfp.event_id == event.pk,
                    sorted(t.name for t in event.tracks.all())]
    """,
}


def test_a_staying_model_reached_through_a_reverse_accessor_is_served(tmp_path: Path) -> None:
    # the moved code reads ``event.cfp`` (CfP's one-to-one to the held Event) and ``event.tracks`` (Track's foreign
    # key): both are served read-only, CfP with its copied member; Venue, whose accessor nobody reads, is not
    plan = build_plan(write_project(tmp_path / "plan", PROJECT), "mail", ["mail"])
    assert [(m.label, m.read_only) for m in plan.monolith_models] == [
        ("core.CfP", True),
        ("core.Event", True),
        ("core.Track", True),
    ]
    copied = {b.label: [c.name for c in b.members] for b in plan.reference_classes.classes.models}
    assert copied == {"core.CfP": ["headline"]}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("reverse-relations")
    mono = write_project(tmp / "mono", PROJECT)
    return {"tmp": tmp, "mono": mono, "service": extract_applied(mono, "mail")}


def test_the_service_knows_the_accessors(extracted: dict[str, Path]) -> None:
    monolith = (extracted["service"] / "mail_service/monolith.py").read_text()
    assert "REVERSE_ONE.update({'core.Event': {'cfp': ('core.CfP', 'event')}})" in monolith
    assert "'core.Event': {'mailtemplate_set': ('mail.MailTemplate', 'event'), 'tracks': ('core.Track', 'event')}" in (
        monolith
    )
    plan = json.loads((extracted["service"] / "extraction-plan.json").read_text())
    assert "core.Venue" not in {m["label"] for m in plan["monolith_models"]}


@pytest.fixture(scope="module")
def deployed(extracted: dict[str, Path]) -> Iterator[dict[str, object]]:
    pytest.importorskip("rest_framework")
    pytest.importorskip("httpx")
    tmp, mono, service = extracted["tmp"], extracted["mono"], extracted["service"]
    with monolith_and_service(
        mono, service, "mail", tmp, token=TOKEN, identity_key=IDENTITY_KEY, secret="reverse-relations-key-0123456789"
    ) as run:
        yield {"mono": mono, "service": service, **{k: run[k] for k in ("mono_env", "svc_env", "mono_log")}}


def _requests(log: Path, model: str) -> int:
    return sum(
        1 for line in log.read_text(errors="replace").splitlines() if f'"POST /api/v1/query/core/{model} ' in line
    )


def test_the_moved_code_follows_the_reverse_relations_of_a_reference(deployed: dict[str, object]) -> None:
    log = deployed["mono_log"]
    assert isinstance(log, Path)
    run = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "from core.run import run; print(repr(run()))"],
        cwd=deployed["mono"], env=deployed["mono_env"], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    # before: RemoteFieldMissing "core.Event.cfp is not a field of core.Event" (a 500 of the service)
    assert run.returncode == 0, run.stdout + run.stderr
    with_cfp, bare = eval(run.stdout.strip().splitlines()[-1])  # a list this test printed
    assert with_cfp == ["May", "until May", True, ["data", "web"]]
    assert bare == ["Bare", "no cfp", 0]
    time.sleep(0.5)  # runserver writes its access log line after the answer
    # the one-to-one's row: one query per reference (four reads of it on the first), kept
    assert _requests(log, "CfP") == 2


FORMATTED = {
    "manage.py": MANAGE_PY,
    "proj/__init__.py": "",
    "proj/settings.py": """
        INSTALLED_APPS = ["django.contrib.contenttypes", "core", "mail"]
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
    """,
    "core/__init__.py": "",
    "core/models.py": """
        from django.db import models


        class Event(models.Model):
            slug = models.SlugField()

            class orga_urls:
                mail = "/orga/{self.slug}/mails/"

            class urls:
                base = "/{self.slug}/"
    """,
    "mail/__init__.py": "",
    "mail/models.py": """
        from django.db import models


        class MailTemplate(models.Model):
            event = models.ForeignKey("core.Event", on_delete=models.CASCADE)

            class urls:
                edit = "{self.event.orga_urls.mail}{self.pk}/"
    """,
}


def test_a_member_read_in_a_format_template_is_copied(tmp_path: Path) -> None:
    # urlman's URLs are str.format templates formatted with the instance: the moved MailTemplate's URL reads
    # ``self.event.orga_urls`` on the service's reference of core.Event only inside a string (pretalx: 70 x
    # "event.Event.orga_urls is not a field of event.Event"); Event's ``urls``, read nowhere, is not copied
    plan = build_plan(write_project(tmp_path / "formatted", FORMATTED), "mail", ["mail"])
    copied = {b.label: [c.name for c in b.members] for b in plan.reference_classes.classes.models}
    assert copied == {"core.Event": ["orga_urls"]}
