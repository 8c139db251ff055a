"""A staying model that the staying code the service copies writes is served for writes (issue 14, pretalx mail).

pretalx's moved ``QueuedMail`` inherits ``LogMixin`` of the staying ``pretalx.common.models.mixins``, vendored into
the service; its ``log_action`` runs ``ActivityLog.objects.create(...)`` on the staying ``ActivityLog``. The plan
served ``ActivityLog`` read-only (the service holds references of it), so the moved ``send_draft``'s
``mail.log_action(...)`` answered 500: "common.ActivityLog is not a model this monolith serves" (14 failures). A row
of a staying model is the monolith's: the copied code's write is one command of the monolith's endpoint, as a write
of the moved code is, and the plan names the copied write site as the reason.

Here the monolith and the service each run as their own process (runserver).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from projects import extract_applied, monolith_and_service, served_monolith, write_project

from decompose.extract.plan.planner import build_plan
from decompose.extract.plan.values import InterfaceModel
from decompose.extract.report import plan_markdown

TOKEN = "copied-writes-token-0123456789abcdef"
IDENTITY_KEY = "copied-writes-identity-0123456789-abcdefghij"

PROJECT = {
    **served_monolith("copied-writes-secret", ["core", "mail"]),
    "core/__init__.py": "",
    "core/models.py": """
        from django.db import models


        class Event(models.Model):
            name = models.CharField(max_length=40)


        class ActivityLog(models.Model):
            event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="log_entries")
            action_type = models.CharField(max_length=40)
            object_id = models.IntegerField()
    """,
    "core/mixins.py": """
        from core.models import ActivityLog


        class LogMixin:
            log_prefix = None

            def log_action(self, action):
                if self.pk is None:
                    return None
                return ActivityLog.objects.create(
                    event=self.event, action_type=f"{self.log_prefix}{action}", object_id=self.pk
                )    """,
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
                    name="ActivityLog",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                        ("action_type", models.CharField(max_length=40)),
                        ("object_id", models.IntegerField()),
                        ("event", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                    related_name="log_entries", to="core.event")),
                    ],
                ),
            ]
    """,
    "core/run.py": """
        from core.models import ActivityLog, Event
        from mail.services import make_mail, send_draft


        def run():
            event = Event.objects.create(name="PyCon")
            mail = make_mail(event.pk)
            sent = send_draft(mail)
            return [sent, list(ActivityLog.objects.filter(event=event).values_list("action_type", "object_id"))]
    """,
    "mail/__init__.py": "",
    "mail/models.py": """
        from django.db import models

        from core.mixins import LogMixin
        from core.models import Event


        class QueuedMail(LogMixin, models.Model):
            log_prefix = "mail.queued."
            subject = models.CharField(max_length=40)
            event = models.ForeignKey(Event, on_delete=models.CASCADE)
    """,
    "mail/migrations/__init__.py": "",
    "mail/migrations/0001_initial.py": """
        import core.mixins
        import django.db.models.deletion
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = [("core", "0001_initial")]
            operations = [
                migrations.CreateModel(
                    name="QueuedMail",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                        ("subject", models.CharField(max_length=40)),
                        ("event", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="core.event")),
                    ],
                    bases=(core.mixins.LogMixin, models.Model),
                ),
            ]
    """,
    "mail/services.py": """
        from mail.models import QueuedMail


        def make_mail(event_id: int) -> int:
            return QueuedMail.objects.create(subject="Hello", event_id=event_id).pk


        def send_draft(mail_id: int) -> str:
            mail = QueuedMail.objects.get(pk=mail_id)
            mail.log_action("sent")  # the copied LogMixin's write of the staying ActivityLog
            return mail.subject
    """,
}


def test_a_staying_model_the_copied_code_writes_is_served_for_writes(tmp_path: Path) -> None:
    # before: core.ActivityLog was served read-only (a reference the vendored core.mixins names), no command
    plan = build_plan(write_project(tmp_path / "plan", PROJECT), "mail", ["mail"])
    assert "core.mixins" in plan.service_rewrites.vendored
    served = {m.label: m for m in plan.monolith_models}
    log = served["core.ActivityLog"]
    assert (log.writes, log.read_only) == (True, False)
    assert [(e.path, e.line) for e in log.copied_writes] == [("core/mixins.py", 10)]
    assert served["core.Event"].read_only and not served["core.Event"].copied_writes
    assert "- written at `core/mixins.py:10`, staying code the service copies" in plan_markdown(plan)
    # the plan's JSON keeps the reason
    again = json.loads(json.dumps(plan.to_dict()))
    entry = next(m for m in again["monolith_models"] if m["label"] == "core.ActivityLog")
    assert entry["copied_writes"] == [{"path": "core/mixins.py", "line": 10, "symbol": "core.models.ActivityLog"}]
    assert InterfaceModel.from_dict(entry) == log


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    pytest.importorskip("rest_framework")
    pytest.importorskip("httpx")
    tmp = tmp_path_factory.mktemp("copied-writes")
    mono = write_project(tmp / "mono", PROJECT)
    service = extract_applied(mono, "mail")
    with monolith_and_service(
        mono, service, "mail", tmp, token=TOKEN, identity_key=IDENTITY_KEY, secret="copied-writes-key-0123456789abc"
    ) as run:
        yield {"mono": mono, "service": service, **{k: run[k] for k in ("mono_env", "svc_env", "mono_log", "svc_log")}}


def test_the_copied_write_is_the_monolith_s_command(deployed: dict[str, object]) -> None:
    run = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "from core.run import run; print(repr(run()))"],
        cwd=deployed["mono"], env=deployed["mono_env"], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    svc_log = deployed["svc_log"]
    assert isinstance(svc_log, Path)
    # before: the service's 500, "core.ActivityLog is not a model this monolith serves"
    assert run.returncode == 0, run.stdout + run.stderr + svc_log.read_text(errors="replace")[-3000:]
    sent, logged = eval(run.stdout.strip().splitlines()[-1])  # a list this test printed
    assert sent == "Hello"
    assert logged == [("mail.queued.sent", 1)]  # the monolith's row, written once
    mono_log = deployed["mono_log"]
    assert isinstance(mono_log, Path)
    assert mono_log.read_text(errors="replace").count('"POST /api/v1/command/core/ActivityLog ') == 1
