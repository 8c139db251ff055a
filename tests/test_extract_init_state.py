"""What a model's ``__init__`` sets on each new instance is on its references and stand-ins too (issue 14).

pretalx's ``User.__init__`` sets ``self.speaker_cache = {}`` (and ``permission_cache``, ...) after Django's; its
copied ``get_speaker`` reads ``self.speaker_cache`` on the service's reference of the user: 32 failures of pretalx's
mail suite in remote mode ("person.User.speaker_cache is not a field of person.User"). ``__init__`` itself is not
copied (it runs where the rows are); the plan reads it (source, never imported) and keeps the attributes it sets to
what the generated code can rebuild for each instance (a literal, an empty container); the service's reference class
and the monolith's stand-in set a fresh value of each on every new instance. An attribute set from the arguments,
from another call or inside a branch is left unset.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from projects import MANAGE_PY, extract_applied, monolith_and_service, write_project

TOKEN = "init-state-token-0123456789abcdef-0123"
IDENTITY_KEY = "init-state-identity-0123456789-abcdefghij"

PROJECT = {
    "manage.py": MANAGE_PY,
    "proj/__init__.py": "",
    "proj/settings.py": """
        import os

        SECRET_KEY = "init-state-secret"
        DEBUG = False
        ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
        INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "core", "planning"]
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
        from django.db import models


        def made():
            return {}


        class Event(models.Model):
            name = models.CharField(max_length=40)

            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.seen = {}
                self.hits: list = []
                self.label_cache = None
                self.arity = len(args)  # depends on the arguments: left unset
                self.other = made()  # another call: left unset
                if args:
                    self.branch = {}  # inside a branch: left unset

            def remember(self, key):
                self.hits.append(key)
                if key not in self.seen:
                    self.seen[key] = f"{self.name}:{key}:{len(self.seen)}"
                return self.seen[key]
    """,
    "core/migrations/__init__.py": "",
    "core/migrations/0001_initial.py": """
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = []
            operations = [
                migrations.CreateModel(
                    name="Event",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=40)),
                    ],
                ),
            ]
    """,
    "core/run.py": """
        from core.models import Event
        from planning.models import Draft
        from planning.services import summary


        def run():
            event = Event.objects.create(name="Conf")
            draft = Draft.objects.create(event=event, version="1")
            new = Draft(event=event)
            again = Draft.objects.get(pk=draft.pk)
            return {
                "summary": summary(event),
                "new": [new.mark("x"), new.mark("y"), new.log],
                "read": [again.mark("z"), again.log],
                "fresh": Draft.objects.get(pk=draft.pk).log,
            }
    """,
    "planning/__init__.py": "",
    "planning/models.py": """
        from django.db import models

        from core.models import Event


        class Draft(models.Model):
            event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="drafts")
            version = models.CharField(max_length=20, null=True)

            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.log = []
                self.flags = set()

            def mark(self, flag):
                self.log.append(flag)
                self.flags.add(flag)
                return sorted(self.flags)
    """,
    "planning/migrations/__init__.py": "",
    "planning/migrations/0001_initial.py": """
        import django.db.models.deletion
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = [("core", "0001_initial")]
            operations = [
                migrations.CreateModel(
                    name="Draft",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("version", models.CharField(max_length=20, null=True)),
                        (
                            "event",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="drafts", to="core.event"
                            ),
                        ),
                    ],
                ),
            ]
    """,
    "planning/services.py": """
        def summary(event) -> list:
            return [event.remember("a"), event.remember("b"), event.remember("a"), list(event.hits)]
    """,
}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("init-state")
    mono = write_project(tmp / "mono", PROJECT)
    return {"tmp": tmp, "mono": mono, "service": extract_applied(mono, "planning")}


@pytest.fixture(scope="module")
def deployed(extracted: dict[str, Path]) -> Iterator[dict[str, Any]]:
    pytest.importorskip("rest_framework")
    pytest.importorskip("httpx")
    tmp, mono, service = extracted["tmp"], extracted["mono"], extracted["service"]
    with monolith_and_service(mono, service, "planning", tmp, token=TOKEN, identity_key=IDENTITY_KEY,
                              secret="init-state-key-0123456789-abcdefghij") as run:  # fmt: skip
        yield {"mono": mono, "service": service, "mono_env": run["mono_env"], "svc_env": run["svc_env"]}


def test_the_plan_keeps_what_init_sets_to_a_value_it_can_rebuild(extracted: dict[str, Path]) -> None:
    plan = json.loads((extracted["service"] / "extraction-plan.json").read_text())
    (event,) = [m for m in plan["reference_classes"]["classes"]["models"] if m["label"] == "core.Event"]
    assert event["init_state"] == {"hits": "[]", "label_cache": "None", "seen": "{}"}
    (draft,) = [m for m in plan["remote_classes"]["models"] if m["label"] == "planning.Draft"]
    assert draft["init_state"] == {"flags": "set()", "log": "[]"}


def test_staying_and_moved_code_read_what_init_sets(deployed: dict[str, Any]) -> None:
    run = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "from core.run import run; print(repr(run()))"],
        cwd=deployed["mono"], env=deployed["mono_env"], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    found = eval(run.stdout.strip().splitlines()[-1])  # a dict this test printed
    # the moved code, on the service's reference of the staying event (before: "core.Event.seen is not a field")
    assert found["summary"] == ["Conf:a:0", "Conf:b:1", "Conf:a:0", ["a", "b", "a"]]
    # the staying code, on the moved draft's stand-ins: a new one and one read from the service
    assert found["new"] == [["x"], ["x", "y"], ["x", "y"]]
    assert found["read"] == [["z"], ["z"]]
    assert found["fresh"] == []  # each stand-in its own list


def test_each_reference_has_its_own_state_never_sent_as_a_field(deployed: dict[str, Any]) -> None:
    code = (
        "from planning_service.monolith import ref\n"
        "a, b = ref('core.Event', 1, {'name': 'A'}), ref('core.Event', 2, {'name': 'B'})\n"
        "a.remember('x')\n"
        "a.seen = {'y': 1}\n"
        "print(repr([b.seen, b.hits, a.seen, a.hits, a.label_cache, sorted(a.as_dict()), hasattr(a, 'arity')]))\n"
    )
    run = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=deployed["service"],
                         env=deployed["svc_env"], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert eval(run.stdout.strip().splitlines()[-1]) == [{}, [], {"y": 1}, ["x"], None, ["id", "name"], False]
