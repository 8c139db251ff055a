"""A many-to-many field of a staying model the monolith serves answers with the related rows (issue 14).

pretalx schedule: the moved warnings read ``talk.submission.sorted_speakers`` (``self.speakers.all()``), where
``submission`` is a reference of the staying ``Submission``: ``speakers``, a many-to-many field, raised
"field 'speakers' stays in the monolith" (5 failures of three test files in remote mode). Now a reference (and a
row queried through the monolith) answers a many-to-many field to another served staying model with the related
rows, read through the monolith's query endpoint as a related manager reads them (lazy, one query for the ids and
one for the rows); writing through it raises, naming the relation.

The monolith and the service each run as their own process (runserver), counting the monolith's requests.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from projects import MANAGE_PY, RunningService, extract_applied, free_port, write_project

pytestmark = pytest.mark.e2e

PROJECT = {
    "manage.py": MANAGE_PY,
    "proj/__init__.py": "",
    "proj/settings.py": """
        import os

        SECRET_KEY = "reference-many-secret"
        DEBUG = False
        ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
        INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "core", "slots"]
        ROOT_URLCONF = "proj.urls"
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["MONOLITH_DB"]}}
        DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
        USE_TZ = True
    """,
    "proj/urls.py": "urlpatterns = []\n",
    "core/__init__.py": "",
    "core/models.py": """
        from django.db import models


        class Speaker(models.Model):
            name = models.CharField(max_length=40)

            class Meta:
                ordering = ("name",)


        class Talk(models.Model):
            title = models.CharField(max_length=40)
            speakers = models.ManyToManyField(Speaker, related_name="talks")
    """,
    "core/migrations/__init__.py": "",
    "core/migrations/0001_initial.py": """
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = []
            operations = [
                migrations.CreateModel(
                    name="Speaker",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                        ("name", models.CharField(max_length=40)),
                    ],
                    options={"ordering": ("name",)},
                ),
                migrations.CreateModel(
                    name="Talk",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                        ("title", models.CharField(max_length=40)),
                        ("speakers", models.ManyToManyField(related_name="talks", to="core.speaker")),
                    ],
                ),
            ]
    """,
    "core/run.py": """
        from core.models import Speaker, Talk
        from slots.services import make_slot, speakers_of


        def run():
            ada, bob, cy = (Speaker.objects.create(name=n) for n in ("Ada", "Bob", "Cy"))
            talk = Talk.objects.create(title="Keynote")
            talk.speakers.set([cy, ada])
            Talk.objects.create(title="Other").speakers.set([bob])
            return speakers_of(make_slot(talk.pk))
    """,
    "slots/__init__.py": "",
    "slots/models.py": """
        from django.db import models

        from core.models import Talk


        class Slot(models.Model):
            talk = models.ForeignKey(Talk, on_delete=models.CASCADE)
    """,
    "slots/migrations/__init__.py": "",
    "slots/migrations/0001_initial.py": """
        import django.db.models.deletion
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = [("core", "0001_initial")]
            operations = [
                migrations.CreateModel(
                    name="Slot",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                        ("talk", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="core.talk")),
                    ],
                ),
            ]
    """,
    "slots/services.py": """
        from core.models import Speaker
        from slots.models import Slot


        def make_slot(talk_id: int) -> int:
            return Slot.objects.create(talk_id=talk_id).pk


        def speakers_of(slot_id: int) -> str:
            slot = Slot.objects.get(pk=slot_id)
            names = [s.name for s in slot.talk.speakers.all()]
            count = slot.talk.speakers.filter(name__startswith="A").count()
            everyone = Speaker.objects.count()  # the moved code queries Speaker: the monolith serves it
            try:
                slot.talk.speakers.add(1)
                refused = "no"
            except Exception as exc:
                refused = type(exc).__name__
            return "|".join([",".join(names), str(count), str(everyone), refused])
    """,
}


def _requests(log: Path, model: str) -> int:
    return sum(
        1 for line in log.read_text(errors="replace").splitlines() if f'"POST /api/v1/query/core/{model} ' in line
    )


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    pytest.importorskip("rest_framework")
    import httpx

    tmp = tmp_path_factory.mktemp("reference-many")
    mono = write_project(tmp / "mono", PROJECT)
    service = extract_applied(mono, "slots")
    with RunningService(service, tmp) as running:
        mono_port = free_port()
        mono_env = {**running.monolith_env("slots"), "MONOLITH_DB": str(tmp / "mono.sqlite3"),
                    "DECOMPOSE_SLOTS_INBOUND_TOKEN": running.TOKEN, "PYTHONDONTWRITEBYTECODE": "1"}  # fmt: skip
        running.env["MONOLITH_URL"] = f"http://127.0.0.1:{mono_port}"  # the service calls this monolith
        running.__exit__(None, None, None)
        running.__enter__()
        migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=mono, env=mono_env,
                                 capture_output=True, text=True, timeout=300)  # fmt: skip
        assert migrate.returncode == 0, migrate.stderr[-3000:]
        log = tmp / "mono.log"
        with log.open("w") as handle:
            proc = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{mono_port}", "--noreload"],
                                    cwd=mono, env=mono_env, stdout=handle, stderr=handle)  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{mono_port}/", timeout=1)
                    break
                except httpx.TransportError:
                    assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                    time.sleep(0.2)
            yield {"mono": mono, "service": service, "mono_env": mono_env, "log": log, "svc_log": running.log}
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def test_a_many_to_many_field_of_a_served_reference_answers_its_rows(deployed: dict[str, object]) -> None:
    text = (Path(str(deployed["service"])) / "slots_service/monolith.py").read_text()
    assert "MANY.update({'core.Talk': {'speakers': 'core.Speaker'}})" in text
    run = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "from core.run import run; print(repr(run()))"],
        cwd=deployed["mono"], env=deployed["mono_env"], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    svc_log = deployed["svc_log"]
    assert isinstance(svc_log, Path)
    assert run.returncode == 0, run.stdout + run.stderr + svc_log.read_text()[-3000:]
    # the related rows in the related model's order; a filter over them; writing through the relation refused
    assert run.stdout.strip().splitlines()[-1] == repr("Ada,Cy|1|3|RemoteQueryUnsupported")
    log = deployed["log"]
    assert isinstance(log, Path)
    time.sleep(0.5)  # runserver writes its access log line after the answer
    # the ids of the relation twice (all(), then filter()), no load of the talk's row (nothing else was read)
    assert _requests(log, "Talk") == 2
