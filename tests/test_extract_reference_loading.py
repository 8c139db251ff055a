"""A reference loads the fields nobody sent with it from the monolith, once (issue 14, pretalx mail).

In the service a staying model is a reference: its id and the fields the caller sent. The moved code of pretalx's
``mail`` app reads ``template.event.locale``, where ``template`` is a moved row and ``event`` its cut foreign key to
the staying ``Event``: a reference with its id only, so it raised ``RemoteFieldMissing`` (68 failures of a subset of
the monolith's suite in remote mode). Now the plan serves the staying models the service holds references of (the
targets of its cut foreign keys, the models of the interface's parameters) read-only through the monolith's query
endpoint, and a reference whose concrete field was not sent loads all the fields of its row there on first read:
one query, kept on the reference; the cut foreign key keeps its reference on the moved row. Without MONOLITH_URL the
reference still says the field was not sent, and names the setting.

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
from projects import (
    RunningService,
    clean_env,
    extract_applied,
    free_port,
    served_monolith,
    write_project,
)

PROJECT = {
    **served_monolith("reference-loading-secret", ["core", "mail"]),
    "core/__init__.py": "",
    "core/models.py": """
        from django.contrib.auth.base_user import AbstractBaseUser
        from django.db import models


        class Organiser(models.Model):
            name = models.CharField(max_length=40)


        class Event(models.Model):
            name = models.CharField(max_length=40)
            locale = models.CharField(max_length=8)
            date_from = models.DateField()
            organiser = models.ForeignKey(Organiser, on_delete=models.CASCADE)


        class Person(AbstractBaseUser):
            handle = models.CharField(max_length=40, unique=True)

            USERNAME_FIELD = "handle"
    """,
    "core/migrations/__init__.py": "",
    "core/migrations/0001_initial.py": """
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = []
            operations = [
                migrations.CreateModel(
                    name="Organiser",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                        ("name", models.CharField(max_length=40)),
                    ],
                ),
                migrations.CreateModel(
                    name="Event",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                        ("name", models.CharField(max_length=40)),
                        ("locale", models.CharField(max_length=8)),
                        ("date_from", models.DateField()),
                        ("organiser", models.ForeignKey(on_delete=models.CASCADE, to="core.organiser")),
                    ],
                ),
                migrations.CreateModel(
                    name="Person",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                        ("password", models.CharField(max_length=128, verbose_name="password")),
                        ("last_login", models.DateTimeField(blank=True, null=True, verbose_name="last login")),
                        ("handle", models.CharField(max_length=40, unique=True)),
                    ],
                    options={"abstract": False},
                ),
            ]
    """,
    "core/run.py": """
        import datetime

        from core.models import Event, Organiser
        from mail.services import make_template, template_text


        def run():
            organiser = Organiser.objects.create(name="acme")
            event = Event.objects.create(name="PyCon", locale="de", date_from=datetime.date(2026, 5, 1),
                                         organiser=organiser)
            return template_text(make_template(event.pk))
    """,
    "core/cache.py": """
        from django.db.models import Model


        class ObjectCache:
            def __init__(self, obj):
                if not isinstance(obj, Model):
                    raise TypeError(f"{obj} is not a Model")
                self.prefix = f"{obj._meta.object_name}:{obj.pk}"
    """,
    "mail/__init__.py": "",
    "mail/models.py": """
        from django.db import models

        from core.models import Event, Person


        class MailTemplate(models.Model):
            subject = models.CharField(max_length=40)
            event = models.ForeignKey(Event, on_delete=models.CASCADE)
            author = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL)
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
                        ("author", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                     to="core.person")),
                    ],
                ),
            ]
    """,
    "mail/services.py": """
        from core.cache import ObjectCache
        from mail.models import MailTemplate


        def make_template(event_id: int) -> int:
            return MailTemplate.objects.create(subject="Hello", event_id=event_id).pk


        def template_text(template_id: int) -> str:
            template = MailTemplate.objects.get(pk=template_id)
            # the reference of the cut foreign key: its fields read from the monolith, once
            first = [template.event.locale, template.event.name, template.event.date_from.isoformat()]
            again = [template.event.locale, str(template.event.organiser_id == template.event.organiser.pk)]
            # a staying model reached through the reference's foreign key the code reads: served too, loaded once
            again.append(template.event.organiser.name + "/" + template.event.organiser.name)
            # a staying helper that takes model instances only (pretalx's ObjectRelatedCache(event))
            again.append(ObjectCache(template.event).prefix)
            return "|".join(first + again)
    """,
}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    pytest.importorskip("rest_framework")
    tmp = tmp_path_factory.mktemp("reference-loading")
    mono = write_project(tmp / "mono", PROJECT)
    return mono, extract_applied(mono, "mail")


def test_the_plan_serves_the_held_models_read_only(extracted: tuple[Path, Path]) -> None:
    mono, service = extracted
    plan = json.loads((service / "extraction-plan.json").read_text())
    # core.Organiser: the moved code reads the held core.Event's foreign key to it (``event.organiser.name``)
    assert [(m["label"], m.get("read_only", False), m.get("writes", False)) for m in plan["monolith_models"]] == [
        ("core.Event", True, False),
        ("core.Organiser", True, False),
        ("core.Person", True, False),
    ]
    assert "### model `core.Event` (table `core_event`) — read-only" in (service / "EXTRACTION.md").read_text()
    client = (mono / "proj/services/mail.py").read_text()
    held = "(\n    'core.Event',\n    'core.Organiser',\n    'core.Person',\n)"
    assert f"MONOLITH_MODELS: tuple[str, ...] = {held}" in client
    assert f"MONOLITH_READ_ONLY: tuple[str, ...] = {held}" in client


def _requests(log: Path, kind: str, model: str) -> int:
    return sum(1 for line in log.read_text(errors="replace").splitlines() if f'"POST /api/v1/{kind}/core/{model} ' in line)


@pytest.fixture(scope="module")
def deployed(extracted: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    pytest.importorskip("httpx")
    mono, service = extracted
    tmp = tmp_path_factory.mktemp("reference-loading-run")
    with RunningService(service, tmp) as running:
        mono_port = free_port()
        mono_env = {**running.monolith_env("mail"), "MONOLITH_DB": str(tmp / "mono.sqlite3"),
                    "DECOMPOSE_MAIL_INBOUND_TOKEN": running.TOKEN, "PYTHONDONTWRITEBYTECODE": "1"}  # fmt: skip
        # the service calls this monolith: restart it with MONOLITH_URL pointing here
        running.env["MONOLITH_URL"] = f"http://127.0.0.1:{mono_port}"
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
            import httpx

            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{mono_port}/", timeout=1)
                    break
                except httpx.TransportError:
                    assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                    time.sleep(0.2)
            yield {"mono": mono, "service": service, "mono_env": mono_env, "log": log, "running": running,
                   "mono_url": f"http://127.0.0.1:{mono_port}"}  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def test_a_reference_loads_its_fields_from_the_monolith_once(deployed: dict[str, object]) -> None:
    log = deployed["log"]
    assert isinstance(log, Path)
    run = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "from core.run import run; print(repr(run()))"],
        cwd=deployed["mono"], env=deployed["mono_env"], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    parts = eval(run.stdout.strip().splitlines()[-1]).split("|")  # a string this test printed
    assert parts[:5] == ["de", "PyCon", "2026-05-01", "de", "True"]
    assert parts[5] == "acme/acme"
    assert parts[6] == "Event:1"  # the reference is an instance of a Django model class, its _meta the monolith's
    time.sleep(0.5)  # runserver writes its access log line after the answer
    # one query for the event's row (five reads of its fields), one for the organiser's (two reads), no command
    assert _requests(log, "query", "Event") == _requests(log, "query", "Organiser") == 1
    assert _requests(log, "command", "Event") == 0


def test_the_monolith_refuses_a_command_on_a_read_only_model(deployed: dict[str, object]) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {RunningService.TOKEN}"}
    url = f"{deployed['mono_url']}/api/v1"
    body = {"command": "create", "values": {"name": "x", "locale": "en", "date_from": "2026-01-01"}}
    answer = httpx.post(f"{url}/command/core/Event", json=body, headers=headers, timeout=10)
    assert answer.status_code == 404, answer.text
    answer = httpx.post(f"{url}/query/core/Event", json={"op": "count"}, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text


def test_the_monolith_never_serves_a_user_models_password(deployed: dict[str, object]) -> None:
    """A held user model (a cut foreign key to a subclass of AbstractBaseUser) is served read-only without its password hash: not in a
    row, not in ``values()``, and not as a lookup or an ordering (probing it would leak it). Before, every concrete
    field of a held model was served to the service's token."""
    import httpx

    made = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from core.models import Person; p = Person(handle='ada'); p.set_password('s3cret'); p.save()"],
        cwd=deployed["mono"], env=deployed["mono_env"], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    headers = {"Authorization": f"Bearer {RunningService.TOKEN}"}
    url = f"{deployed['mono_url']}/api/v1/query/core/Person"
    rows = httpx.post(url, json={"chain": [{"filter": {"lookup": "handle", "value": "ada"}}]}, headers=headers,
                      timeout=10)  # fmt: skip
    assert rows.status_code == 200, rows.text
    [row] = rows.json()["result"]
    assert row["handle"] == "ada" and "last_login" in row and "password" not in row
    assert "password" not in rows.json()["types"]
    values = httpx.post(url, json={"chain": [{"values": []}]}, headers=headers, timeout=10)
    assert values.status_code == 200 and values.json()["result"], values.text
    assert all("password" not in r and "handle" in r for r in values.json()["result"])
    for body in (
        {"chain": [{"filter": {"lookup": "password__startswith", "value": "pbkdf2"}}], "op": "count"},
        {"chain": [{"order_by": ["password"]}]},
        {"chain": [{"values": ["password"]}]},
    ):
        refused = httpx.post(url, json=body, headers=headers, timeout=10)
        assert refused.status_code == 400 and "core.Person.password is not served" in refused.text, (body, refused.text)


def test_without_monolith_url_the_reference_names_the_setting(deployed: dict[str, object]) -> None:
    service = deployed["service"]
    running = deployed["running"]
    assert isinstance(service, Path) and isinstance(running, RunningService)
    probe = (
        "import django; django.setup()\n"
        "from mail.models import MailTemplate\n"
        "template = MailTemplate.objects.create(subject='x', event_id=1)\n"
        "from mail_service.monolith import ref\n"
        "print(ref('core.Event', 5, {'organiser_id': 7}).organiser)\n"  # its id was sent: nothing to load
        "try:\n    template.event.locale\nexcept AttributeError as exc:\n    print(type(exc).__name__, exc)\n"
        # a staying model the service holds no reference of: not served
        "try:\n    ref('core.Venue', 2).name\nexcept AttributeError as exc:\n    print(type(exc).__name__, exc)"
    )
    env = {**running.env, "MONOLITH_URL": "", "DJANGO_SETTINGS_MODULE": "mail_service.settings"}
    run = subprocess.run([sys.executable, "-c", probe], cwd=service, env={**clean_env(), **env}, capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    first, error, unserved = run.stdout.strip().splitlines()[-3:]
    assert first == "<core.Organiser 7 (in the monolith)>"
    assert error.startswith("RemoteFieldMissing core.Event 1: field 'locale' stays in the monolith"), run.stdout
    assert "MONOLITH_URL is not set" in run.stdout
    assert unserved.startswith("RemoteFieldMissing core.Venue 2: field 'name' stays in the monolith"), unserved
    assert "does not serve core.Venue" in unserved
