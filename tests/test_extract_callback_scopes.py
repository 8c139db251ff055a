"""A call back runs in the monolith with django-scopes disabled, as the monolith's query endpoint does (issue 14).

pretalx's moved ``send_system_mail`` renders the ``notifications`` placeholder, which calls back the staying
``get_current_notifications(speaker, event)``; that reads ``event.current_schedule``, a query of a scoped manager
(django-scopes' ``ScopedManager``). In the monolith the caller's scope covered it; the callback endpoint ran it
without one, the function raised ``ScopeError``, the monolith answered 422 and the service 503 (pretalx mail's
``tests/person/domain/test_verification.py``: 4 x "send_system_mail answered 503"). The service's moved code decided
what its caller may see (its API runs unscoped, and the monolith's query endpoint answers it unscoped): the call back
runs unscoped too.

Here the monolith and the service each run as their own process (runserver); django-scopes is a small stand-in of
its own package on the path (the scoped manager refuses a query outside ``scopes_disabled()``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from projects import extract_applied, monolith_and_service, served_monolith, write_project

from decompose.extract.plan.planner import build_plan

TOKEN = "callback-scopes-token-0123456789abcdef"
IDENTITY_KEY = "callback-scopes-identity-0123456789-abcdefghij"

#: django-scopes as far as this test needs it: a scoped manager refuses a query outside ``scopes_disabled()``
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

PROJECT = {
    **served_monolith("callback-scopes-secret", ["core", "mail"]),
    "core/__init__.py": "",
    "core/models.py": """
        from django.db import models
        from django_scopes import ScopedManager


        class Event(models.Model):
            name = models.CharField(max_length=40)


        class Talk(models.Model):
            event = models.ForeignKey(Event, on_delete=models.CASCADE)
            title = models.CharField(max_length=40)

            objects = ScopedManager(event="event")
    """,
    "core/notifications.py": """
        from core.models import Talk


        def current_talks(event):
            return sorted(t.title for t in Talk.objects.filter(event=event))
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
                    name="Talk",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                        ("title", models.CharField(max_length=40)),
                        ("event", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="core.event")),
                    ],
                ),
            ]
    """,
    "core/run.py": """
        from django_scopes import scopes_disabled

        from core.models import Event, Talk
        from mail.services import notification_text


        def run():
            with scopes_disabled():  # the monolith's caller decided what it may see
                event = Event.objects.create(name="PyCon")
                Talk.objects.create(event=event, title="Keynote")
                Talk.objects.create(event=event, title="Lightning")
                return notification_text(event)
    """,
    "mail/__init__.py": "",
    "mail/models.py": """
        from django.db import models


        class Sent(models.Model):
            text = models.CharField(max_length=200)
    """,
    "mail/migrations/__init__.py": "",
    "mail/migrations/0001_initial.py": """
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = []
            operations = [
                migrations.CreateModel(
                    name="Sent",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                        ("text", models.CharField(max_length=200)),
                    ],
                ),
            ]
    """,
    "mail/services.py": """
        from core.models import Event
        from core.notifications import current_talks
        from mail.models import Sent


        def notification_text(event: Event) -> str:
            text = ", ".join(current_talks(event))  # a call back of the monolith's scoped query
            Sent.objects.create(text=text)
            return text
    """,
}


def test_the_staying_function_is_called_back(tmp_path: Path) -> None:
    plan = build_plan(write_project(tmp_path / "plan", PROJECT), "mail", ["mail"])
    assert [cb.qualname for cb in plan.service_rewrites.callbacks] == ["core.notifications.current_talks"]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    pytest.importorskip("rest_framework")
    pytest.importorskip("httpx")
    tmp = tmp_path_factory.mktemp("callback-scopes")
    site = tmp / "site"
    (site / "django_scopes").mkdir(parents=True)
    (site / "django_scopes/__init__.py").write_text(textwrap.dedent(SCOPES).lstrip("\n"))
    mono = write_project(tmp / "mono", PROJECT)
    service = extract_applied(mono, "mail")
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(x for x in (str(site), before) if x)  # both processes import it
    try:
        with monolith_and_service(
            mono, service, "mail", tmp, token=TOKEN, identity_key=IDENTITY_KEY, secret="callback-scopes-key-0123456789"
        ) as run:
            yield {"mono": mono, **{k: run[k] for k in ("mono_env", "svc_log", "mono_log")}}
    finally:
        if before is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = before


def test_the_call_back_runs_unscoped_in_the_monolith(deployed: dict[str, object]) -> None:
    run = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "from core.run import run; print(repr(run()))"],
        cwd=deployed["mono"], env=deployed["mono_env"], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    svc_log = deployed["svc_log"]
    assert isinstance(svc_log, Path)
    # before: the monolith answered the call back 422 (ScopeError), the service 503: ServiceUnavailable here
    assert run.returncode == 0, run.stdout + run.stderr + svc_log.read_text(errors="replace")[-3000:]
    assert run.stdout.strip().splitlines()[-1] == repr("Keynote, Lightning")
    mono_log = deployed["mono_log"]
    assert isinstance(mono_log, Path)
    assert '"POST /api/v1/callbacks/core.notifications.current_talks HTTP/1.1" 200' in mono_log.read_text()
