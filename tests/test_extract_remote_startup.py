"""What a moved app registers into staying code when it is ready is kept in remote mode (issue 14).

pretalx's ``ScheduleConfig.ready()`` imports ``pretalx.schedule.phrases``, whose ``SchedulePhrases(Phrases,
app="schedule")`` the staying phrase book registers by subclassing; staying code reads ``phrases.schedule``
at import. In remote mode the schedule app is not installed, its ready() never ran, and the monolith did
not start: ``'NoneType' object has no attribute 'speakers'``.
"""

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

pytestmark = pytest.mark.e2e

PROJECT = {
    "manage.py": MANAGE_PY,
    "proj/__init__.py": "",
    "proj/settings.py": """
        SECRET_KEY = "x" * 50
        DEBUG = True
        ALLOWED_HOSTS = ["*"]
        INSTALLED_APPS = [
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "proj.core",
            "proj.talks",
        ]
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
        ROOT_URLCONF = "proj.urls"
        USE_TZ = True
    """,
    "proj/urls.py": """
        from django.urls import path

        from proj.core.views import index

        urlpatterns = [path("", index)]
    """,
    "proj/core/__init__.py": "",
    "proj/core/apps.py": """
        from django.apps import AppConfig


        class CoreConfig(AppConfig):
            name = "proj.core"
    """,
    "proj/core/phrases.py": """
        class PhraseBook(dict):
            def __getattr__(self, name):
                return self.get(name)


        phrases = PhraseBook()


        class PhrasesMeta(type):
            def __new__(mcs, name, bases, attrs, app=None):
                cls = super().__new__(mcs, name, bases, attrs)
                if app:
                    phrases[app] = cls
                return cls


        class Phrases(metaclass=PhrasesMeta):
            pass
    """,
    "proj/core/views.py": """
        from django.http import HttpResponse

        from proj.core.phrases import phrases

        TITLE = phrases.talks.title  # read at import, as pretalx's forms do


        def index(request):
            return HttpResponse(str(TITLE))
    """,
    "proj/talks/__init__.py": "",
    "proj/talks/apps.py": """
        from django.apps import AppConfig


        class TalksConfig(AppConfig):
            name = "proj.talks"

            def ready(self):
                from . import receivers  # noqa: F401
                from .phrases import TalkPhrases  # noqa: F401
    """,
    "proj/talks/phrases.py": """
        from proj.core.phrases import Phrases


        class TalkPhrases(Phrases, app="talks"):
            title = "Talks"
    """,
    "proj/talks/receivers.py": """
        from django.db.models.signals import post_save
        from django.dispatch import receiver

        from proj.talks.models import Talk


        @receiver(post_save, sender=Talk)
        def saved(sender, instance, **kwargs):
            pass
    """,
    "proj/talks/models.py": """
        from django.db import models


        class Talk(models.Model):
            title = models.CharField(max_length=100)
    """,
    "proj/talks/migrations/__init__.py": "",
    "proj/talks/migrations/0001_initial.py": """
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = []
            operations = [
                migrations.CreateModel(
                    name="Talk",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                        ("title", models.CharField(max_length=100)),
                    ],
                ),
            ]
    """,
}


def test_the_plan_keeps_the_registrations_and_not_the_receivers(tmp_path: Path) -> None:
    plan = build_plan(write_project(tmp_path / "p", PROJECT), "talks", ["talks"])
    assert plan.remote_startup == ("proj.talks.phrases",)  # receivers import the moved models: not kept


def test_a_registration_importing_moved_code_is_a_manual_step(tmp_path: Path) -> None:
    files = dict(PROJECT)
    files["proj/talks/phrases.py"] = files["proj/talks/phrases.py"].replace(
        "import Phrases\n", "import Phrases\n        from proj.talks.models import Talk  # noqa: F401\n"
    )
    plan = build_plan(write_project(tmp_path / "p", files), "talks", ["talks"])
    assert plan.remote_startup == ()
    said = [s.message for s in plan.manual_steps if s.pattern == "remote mode: start-up"]
    assert said and "talks's ready() imports proj.talks.phrases" in said[0] and "proj.talks.models" in said[0]


def test_the_monolith_starts_in_remote_mode_with_the_registrations(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", PROJECT)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    result = CliRunner().invoke(
        cli, ["extract", str(root), "--service", "talks", "--apps", "talks", "--out", str(tmp_path / "out"),
              "--apply", "--force"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DECOMPOSE_"))}
    env.update(DECOMPOSE_TALKS_MODE="remote", DECOMPOSE_TALKS_URL="http://127.0.0.1:9",
               DECOMPOSE_TALKS_TOKEN="t", DECOMPOSE_TALKS_IDENTITY_KEY="k" * 32)  # fmt: skip
    code = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/'); print(r.status_code, r.content.decode())"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env={**env, "DJANGO_SETTINGS_MODULE": "proj.settings"},
                         capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "200 Talks"


@pytest.mark.parametrize("form", ["import proj.venues.phrases", "from . import phrases", "from .phrases import VenuePhrases"])
def test_the_service_imports_a_staying_apps_registrations_into_copied_code(tmp_path: Path, form: str) -> None:
    """The other direction: a staying app's ready() imports a module subclassing a class the service copies
    (its phrases into the phrase book the moved code reads); the service imports that module when it is ready,
    whatever the form of the import (``import a.b`` was missed before)."""
    files = dict(PROJECT)
    files["proj/settings.py"] = files["proj/settings.py"].replace('"proj.talks",', '"proj.talks",\n    "proj.venues",')
    files["proj/venues/__init__.py"] = ""
    files["proj/venues/apps.py"] = f"""
        from django.apps import AppConfig


        class VenuesConfig(AppConfig):
            name = "proj.venues"

            def ready(self):
                {form}  # noqa: F401
    """
    files["proj/venues/phrases.py"] = """
        from proj.core.phrases import Phrases


        class VenuePhrases(Phrases, app="venues"):
            room = "Room"
    """
    plan = build_plan(write_project(tmp_path / "p", files), "talks", ["talks"])
    assert plan.service_rewrites.startup == ("proj.venues.phrases",)
