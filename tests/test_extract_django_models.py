"""The moved code's ``ContentType`` and user model are the monolith's, served read-only (issue 14, django-crm chat).

django-crm's moved ``chat`` admin runs ``ContentType.objects.get(pk=<the id in the page's query string>)`` and
``get_object_for_this_type(pk=...)``, and reads users through ``USER_MODEL = get_user_model()`` (``groups__name``
lookups, ``user.email``). In the service those were its own contenttypes and auth apps: other content type ids
(``DoesNotExist``), an empty user table. Neither model is the project's, so the plan served neither (it only knew the
project's models). Now Django's own models the service's code names or holds references of (a cut foreign key's
``ContentType`` or ``auth.User``) are served read-only, with the ones their relations reach (``auth.Group`` for
``groups__name``), and the service's code imports the monolith's references in their place: a content type id that
crosses the boundary means the same model on both sides, and the users are the monolith's (never their password).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from projects import MANAGE_PY, RunningService, extract_applied, free_port, write_project

from decompose.extract.plan.planner import build_plan

PROJECT = {
    "manage.py": MANAGE_PY,
    "proj/__init__.py": "",
    "proj/settings.py": """
        import os

        SECRET_KEY = "django-models-secret"
        DEBUG = False
        ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
        INSTALLED_APPS = ["django.contrib.admin", "django.contrib.contenttypes", "django.contrib.auth",
                          "django.contrib.sessions", "django.contrib.messages", "core", "notes"]
        MIDDLEWARE = [
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ]
        TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True, "OPTIONS": {
            "context_processors": ["django.template.context_processors.request",
                                   "django.contrib.auth.context_processors.auth",
                                   "django.contrib.messages.context_processors.messages"]}}]
        ROOT_URLCONF = "proj.urls"
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("MONOLITH_DB", "x")}}
        DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
        USE_TZ = True
    """,
    "proj/urls.py": """
        urlpatterns = []
    """,
    "core/__init__.py": "",
    "core/models.py": """
        from django.db import models


        class Page(models.Model):
            title = models.CharField(max_length=40)


        class Profile(models.Model):
            user = models.OneToOneField("auth.User", on_delete=models.CASCADE, related_name="profile")
            language = models.CharField(max_length=8)
    """,
    "core/migrations/__init__.py": "",
    "core/migrations/0001_initial.py": """
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = [("auth", "0012_alter_user_first_name_max_length")]
            operations = [
                migrations.CreateModel(
                    name="Page",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                        ("title", models.CharField(max_length=40)),
                    ],
                ),
                migrations.CreateModel(
                    name="Profile",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                        ("language", models.CharField(max_length=8)),
                        ("user", models.OneToOneField(on_delete=models.CASCADE, related_name="profile",
                                                      to="auth.user")),
                    ],
                ),
            ]
    """,
    "core/run.py": """
        from django.contrib.auth.models import Group, User
        from django.contrib.contenttypes.models import ContentType

        from core.models import Page, Profile
        from notes.services import note_about, readers


        def run():
            # content types made before the page's: the monolith's ids are not the service's
            for name in ("alpha", "beta", "gamma"):
                ContentType.objects.get_or_create(app_label="zzz", model=name)
            page = Page.objects.create(title="Welcome")
            editors = Group.objects.create(name="editors")
            ada = User.objects.create_user("ada", "ada@example.com", "s3cret")
            ada.groups.add(editors)
            Profile.objects.create(user=ada, language="de")
            User.objects.create_user("bob", "bob@example.com", "s3cret")
            ct = ContentType.objects.get_for_model(Page)
            return note_about(ct.pk, page.pk, ada.pk) + "|" + readers("editors")
    """,
    "notes/__init__.py": "",
    "notes/models.py": """
        from django.conf import settings
        from django.contrib.contenttypes.fields import GenericForeignKey
        from django.contrib.contenttypes.models import ContentType
        from django.db import models


        class Note(models.Model):
            content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
            object_id = models.PositiveIntegerField()
            content_object = GenericForeignKey("content_type", "object_id")
            owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
            text = models.CharField(max_length=80)
    """,
    "notes/admin.py": """
        from django.contrib import admin

        from notes.models import Note


        @admin.register(Note)
        class NoteAdmin(admin.ModelAdmin):
            fields = ["content_type", "object_id", "owner", "text"]
    """,
    "notes/migrations/__init__.py": "",
    "notes/migrations/0001_initial.py": """
        import django.db.models.deletion
        from django.conf import settings
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = [("contenttypes", "0002_remove_content_type_name"),
                            migrations.swappable_dependency(settings.AUTH_USER_MODEL)]
            operations = [
                migrations.CreateModel(
                    name="Note",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                        ("object_id", models.PositiveIntegerField()),
                        ("text", models.CharField(max_length=80)),
                        ("content_type", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                           to="contenttypes.contenttype")),
                        ("owner", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                    to=settings.AUTH_USER_MODEL)),
                    ],
                ),
            ]
    """,
    "notes/services.py": """
        from django.contrib.auth import get_user_model
        from django.contrib.contenttypes.models import ContentType

        from core.models import Page
        from notes.models import Note

        USER_MODEL = get_user_model()


        def note_about(content_type_id: int, object_id: int, owner_id: int) -> str:
            # the id of the monolith's content type, as a page's query string carries it
            content_type = ContentType.objects.get(pk=content_type_id)
            page = content_type.get_object_for_this_type(pk=object_id)
            note = Note.objects.create(content_type_id=content_type_id, object_id=object_id, owner_id=owner_id,
                                       text=f"about {page.title}")
            same = ContentType.objects.get_for_model(Page).pk == note.content_type_id
            owner = USER_MODEL.objects.get(pk=note.owner_id)
            # the moved model's GenericForeignKey: a reference of the monolith's Page, its fields read there
            about = note.content_object
            return "/".join([content_type.model, str(page.__class__ == Page), note.text, str(same), owner.email,
                             f"{type(about).__name__}:{about.title}"])


        def readers(group: str) -> str:
            users = USER_MODEL.objects.filter(groups__name=group).exclude(is_active=False)
            # a staying one-to-one to the user model (django-crm's user.profile), read through the monolith
            return ",".join(sorted(f"{u.username}:{u.profile.language}" for u in users))
    """,
}


def test_the_plan_serves_djangos_own_models_the_service_uses_read_only(tmp_path: Path) -> None:
    plan = build_plan(write_project(tmp_path / "mono", PROJECT), "notes", ["notes"])
    served = {m.label: (m.read_only, m.table) for m in plan.monolith_models}
    assert served == {
        "auth.Group": (True, "auth_group"),  # reached: a lookup through auth.User's groups
        "auth.Permission": (True, "auth_permission"),
        "auth.User": (True, "auth_user"),
        "contenttypes.ContentType": (True, "django_content_type"),
        "core.Page": (False, "core_page"),  # named in a query (get_for_model(Page)): served as the moved code uses it
        "core.Profile": (True, "core_profile"),  # read through the user reference (u.profile)
    }
    user = next(m for m in plan.monolith_models if m.label == "auth.User")
    assert "password" not in user.fields and "email" in user.fields
    retarget = plan.service_rewrites.retarget
    assert retarget["django.contrib.contenttypes.models.ContentType"] == "notes_service.monolith"
    assert retarget["django.contrib.auth.get_user_model"] == "notes_service.monolith"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    pytest.importorskip("rest_framework")
    tmp = tmp_path_factory.mktemp("django-models")
    mono = write_project(tmp / "mono", PROJECT)
    return mono, extract_applied(mono, "notes")


def test_the_service_imports_the_monolith_s_content_type_and_user_model(extracted: tuple[Path, Path]) -> None:
    mono, service = extracted
    code = (service / "notes/services.py").read_text()
    assert "from notes_service.monolith import get_user_model" in code
    assert "from notes_service.monolith import ContentType" in code
    assert "django.contrib.contenttypes.models" not in code and "django.contrib.auth import" not in code
    client = (mono / "proj/services/notes.py").read_text()
    for label in ("auth.Group", "auth.User", "contenttypes.ContentType"):
        assert f"'{label}'," in client.split("MONOLITH_READ_ONLY")[1].split(")")[0]
    plan = json.loads((service / "extraction-plan.json").read_text())
    assert {m["label"] for m in plan["monolith_models"]} >= {"auth.User", "contenttypes.ContentType"}


@pytest.fixture(scope="module")
def deployed(extracted: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    pytest.importorskip("httpx")
    mono, service = extracted
    tmp = tmp_path_factory.mktemp("django-models-run")
    with RunningService(service, tmp) as running:
        mono_port = free_port()
        mono_env = {**running.monolith_env("notes"), "MONOLITH_DB": str(tmp / "mono.sqlite3"),
                    "DECOMPOSE_NOTES_INBOUND_TOKEN": running.TOKEN, "PYTHONDONTWRITEBYTECODE": "1"}  # fmt: skip
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
            yield {"mono": mono, "mono_env": mono_env, "log": log, "running": running}
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def test_a_content_type_id_and_the_users_are_the_monolith_s_in_the_service(deployed: dict[str, object]) -> None:
    run = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "from core.run import run; print(repr(run()))"],
        cwd=deployed["mono"], env=deployed["mono_env"], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    running = deployed["running"]
    assert isinstance(running, RunningService)
    assert run.returncode == 0, run.stdout + run.stderr + running.log.read_text()[-4000:]
    about, readers = eval(run.stdout.strip().splitlines()[-1]).split("|")  # a string this test printed
    # the monolith's content type of core.Page (its id differs from any of the service's), its object a reference of
    # the monolith's Page class with its fields; get_for_model answers the same id; the owner's email the monolith's
    assert about == "page/True/about Welcome/True/ada@example.com/Page:Welcome"
    assert readers == "ada:de"  # auth.User filtered through groups__name, its profile read, in the monolith


def test_the_moved_admins_add_page_takes_a_cut_foreign_key_by_its_name(deployed: dict[str, object]) -> None:
    """django-crm's staying templates link to the moved chat admin's add page with ``?content_type=<id>&owner=<id>``;
    in the service those foreign keys are id columns (``content_type_id``, ``owner_id``), whose form fields stayed
    empty ("This field is required" on submit). The add page's initial data takes them by their names again."""
    running = deployed["running"]
    assert isinstance(running, RunningService)
    probe = (
        "import django; django.setup()\n"
        "from django.contrib import admin\n"
        "from django.test import RequestFactory\n"
        "from notes.models import Note\n"
        "request = RequestFactory().get('/x', {'content_type': '7', 'object_id': '4', 'owner': '3', 'text': 'hi'})\n"
        "print(sorted(admin.site._registry[Note].get_changeform_initial_data(request).items()))\n"
    )
    env = {**running.env, "DJANGO_SETTINGS_MODULE": "notes_service.settings"}
    run = subprocess.run([sys.executable, "-c", probe], cwd=running.folder, env=env, capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().splitlines()[-1] == (
        "[('content_type_id', '7'), ('object_id', '4'), ('owner_id', '3'), ('text', 'hi')]"
    )
