"""Many-to-many relations of a moved model to a staying model (issue 14, item 4).

``Note.readers = ManyToManyField(User)`` with ``notes`` moved and ``auth`` staying: Django's join table
(``notes_note_readers``) moves with the note, the user side as a plain id column (as a foreign key to a
staying model becomes one). The plan says so (the cut's join table, the data plan copies its rows after
the note's), the service carries it as a model of its own app on the same table and columns (its
``makemigrations --check`` agrees, ``migrate`` creates it), and its query endpoint knows the relation.
A relation with a ``through=`` model is a moved model of its own: no join table is made for it.
Each case is a small hand-written project built in a temporary folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from projects import write_project

from decompose.cli import cli

PROJECT = {
    "manage.py": """
        import os
        import sys

        if __name__ == "__main__":
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
            from django.core.management import execute_from_command_line

            execute_from_command_line(sys.argv)
    """,
    "proj/__init__.py": "",
    "proj/settings.py": """
        SECRET_KEY = "m2m-test-key"
        INSTALLED_APPS = [
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "board",
            "notes",
        ]
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
        DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
        ROOT_URLCONF = "proj.urls"
    """,
    "proj/urls.py": "urlpatterns = []\n",
    "board/__init__.py": "",
    "board/models.py": """
        from django.db import models


        class Topic(models.Model):
            title = models.CharField(max_length=40)
    """,
    "board/migrations/__init__.py": "",
    "board/migrations/0001_initial.py": """
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = []
            operations = [
                migrations.CreateModel(
                    name="Topic",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("title", models.CharField(max_length=40)),
                    ],
                ),
            ]
    """,
    "board/queries.py": """
        from django.db.models import Exists, OuterRef, Q, Subquery

        from board.models import Topic
        from notes.models import Note


        def unread(user):
            notes = Note.objects.filter(topic=OuterRef("pk"), readers=user)
            return list(Topic.objects.annotate(unread=Exists(notes)).order_by("pk").values_list("title", "unread"))


        def with_notes_for(users):
            notes = Note.objects.filter(Q(text__startswith="n"), topic_id=OuterRef("pk"), readers__in=users)
            return list(Topic.objects.filter(Exists(notes)).order_by("pk").values_list("title", flat=True))


        def last_text():
            last = Note.objects.filter(topic=OuterRef("pk")).order_by("-pk").values("text")[:1]
            return list(Topic.objects.annotate(last=Subquery(last)).order_by("pk").values_list("title", "last"))


        def second_text():
            second = Note.objects.filter(topic=OuterRef("pk")).order_by("pk").values("text")[1:2]
            return list(Topic.objects.annotate(second=Subquery(second)).order_by("pk").values_list("second", flat=True))


        def without_notes():
            return list(Topic.objects.filter(~Exists(Note.objects.filter(topic=OuterRef("pk")))).values_list("title", flat=True))


        def or_correlated():  # LINE-OR
            notes = Note.objects.filter(Q(topic=OuterRef("pk")) | Q(text="x"))
            return list(Topic.objects.filter(Exists(notes)))


        def greater_than():  # LINE-GT
            return Note.objects.filter(topic__gt=OuterRef("pk"))


        def unsliced():  # LINE-UNSLICED
            return list(Topic.objects.filter(pk__in=Subquery(Note.objects.filter(text="n1").values("topic"))))


        def outside():  # LINE-OUTSIDE
            return list(Note.objects.filter(topic=OuterRef("pk")))
    """,
    "notes/__init__.py": "",
    "notes/models.py": """
        from django.conf import settings
        from django.db import models


        class Note(models.Model):
            topic = models.ForeignKey("board.Topic", on_delete=models.CASCADE, related_name="notes")
            text = models.CharField(max_length=40)
            readers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="notes_read")


        class Pin(models.Model):
            note = models.ForeignKey(Note, on_delete=models.CASCADE)
            tags = models.ManyToManyField("Label", blank=True, db_table="notes_pin_labels")
            viewers = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Viewing", related_name="pins")


        class Label(models.Model):
            name = models.CharField(max_length=20)


        class Viewing(models.Model):
            pin = models.ForeignKey(Pin, on_delete=models.CASCADE)
            user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    """,
    "notes/helpers.py": """
        def reader_names(note):
            return [u.username for u in note.readers.all()]
    """,
    "notes/migrations/__init__.py": "",
    "notes/migrations/0001_initial.py": """
        import django.db.models.deletion
        from django.conf import settings
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = [("board", "0001_initial"), migrations.swappable_dependency(settings.AUTH_USER_MODEL)]
            operations = [
                migrations.CreateModel(
                    name="Note",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("text", models.CharField(max_length=40)),
                        ("topic", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                    related_name="notes", to="board.topic")),
                        ("readers", models.ManyToManyField(blank=True, related_name="notes_read",
                                                           to=settings.AUTH_USER_MODEL)),
                    ],
                ),
                migrations.CreateModel(
                    name="Label",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=20)),
                    ],
                ),
                migrations.CreateModel(
                    name="Pin",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("note", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="notes.note")),
                        ("tags", models.ManyToManyField(blank=True, db_table="notes_pin_labels", to="notes.label")),
                    ],
                ),
                migrations.CreateModel(
                    name="Viewing",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("pin", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="notes.pin")),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                   to=settings.AUTH_USER_MODEL)),
                    ],
                ),
                migrations.AddField(
                    model_name="pin",
                    name="viewers",
                    field=models.ManyToManyField(related_name="pins", through="notes.Viewing",
                                                 to=settings.AUTH_USER_MODEL),
                ),
            ]
    """,
}


def project(root: Path) -> Path:
    """The hand-written monolith (``notes`` moves, ``board`` and ``auth`` stay) in ``root``."""
    return write_project(root, PROJECT)


def _extract(root: Path, out: Path) -> Path:
    result = CliRunner().invoke(
        cli, ["extract", str(root), "--service", "notes", "--apps", "notes", "--out", str(out), "--no-rewire"]
    )
    assert result.exit_code == 0, result.output
    return out / "notes"


def _manage(folder: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "DECOMPOSE_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'service.sqlite3'}",
        PYTHONDONTWRITEBYTECODE="1",
        DJANGO_SECRET_KEY="m2m-service-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEF",
        DECOMPOSE_IDENTITY_KEY="m2m-identity-key-0123456789-abcdefghij",
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=folder, env=env, capture_output=True, text=True, timeout=180
    )


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("m2m")
    return _extract(project(tmp / "mono"), tmp / "out")


def test_the_plan_names_the_join_table_of_a_relation_to_a_staying_model(service: Path) -> None:
    plan = json.loads((service / "extraction-plan.json").read_text())
    m2m = {(c["model"], c["field"]): c for c in plan["fk_cuts"] if c["field_type"] == "ManyToManyField"}
    assert m2m[("notes.Note", "readers")]["join_table"] == "notes_note_readers"
    assert "join_table" not in m2m[("notes.Pin", "viewers")]  # through= a moved model: Viewing.user is the cut
    assert ("notes.Viewing", "user") in {(c["model"], c["field"]) for c in plan["fk_cuts"]}
    # automated now: no manual step for readers; the through= relation keeps its own
    messages = [s["message"] for s in plan["manual_steps"]]
    assert not any("notes.Note.readers is a many-to-many" in m for m in messages)
    assert any("notes.Pin.viewers is a many-to-many" in m for m in messages)
    # the moved code's own uses of the relation: the service has the ids
    use = next(s for s in plan["manual_steps"] if s["path"] == "notes/helpers.py")
    assert "keeps its join table notes_note_readers with the ids of auth.User" in use["message"], use


def test_the_data_plan_copies_the_join_tables_after_their_models(service: Path) -> None:
    order = json.loads((service / "extraction-plan.json").read_text())["table_order"]
    # between moved models (db_table= kept) and to a staying model; not the through model's (a model's own)
    assert set(order) == {"notes_note", "notes_pin", "notes_label", "notes_viewing", "notes_note_readers",
                          "notes_pin_labels"}  # fmt: skip
    assert order.index("notes_note_readers") > order.index("notes_note")
    assert order.index("notes_pin_labels") > order.index("notes_pin")


def test_the_service_carries_the_join_table_with_the_staying_side_as_ids(service: Path) -> None:
    models = (service / "notes_service/models.py").read_text()
    assert "class Note_readers(models.Model):" in models
    assert 'note = models.ForeignKey("notes.Note", on_delete=models.CASCADE, related_name="readers_join")' in models
    assert "user_id = models.BigIntegerField(db_index=True)" in models
    assert 'db_table = "notes_note_readers"' in models
    assert "Pin_viewers" not in models and "Pin_tags" not in models
    moved = (service / "notes/models.py").read_text()
    assert "its join table notes_note_readers is the service's" in moved
    query = (service / "notes_service/query_core.py").read_text()
    assert (
        "JOINS: dict[str, dict[str, tuple[str, str, str]]] = {'notes.Note': {'readers': ('readers_join', 'user_id', 'auth.User')}}"
        in query
    )


def test_the_services_migrations_agree_with_its_models_and_create_the_table(service: Path, tmp_path: Path) -> None:
    pytest.importorskip("rest_framework")
    check = _manage(service, tmp_path, "makemigrations", "--check", "--dry-run")
    assert check.returncode == 0, check.stdout + check.stderr
    migrate = _manage(service, tmp_path, "migrate", "--noinput")
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    shell = _manage(service, tmp_path, "shell", "-c", (
        "from django.db import connection; c = connection.cursor();"
        "print(sorted(col.name for col in connection.introspection.get_table_description(c, 'notes_note_readers')))"
    ))  # fmt: skip
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.strip().splitlines()[-1] == "['id', 'note_id', 'user_id']"


def test_the_plan_lists_the_correlations_the_remote_orm_cannot_push_down(service: Path) -> None:
    """A staying query correlating a moved queryset by OR or by another lookup than equality is a manual step
    at its line; the ANDed equalities (unread, with_notes_for, last_text...) are not."""
    plan = json.loads((service / "extraction-plan.json").read_text())
    source = textwrap.dedent(PROJECT["board/queries.py"]).lstrip("\n").splitlines()
    steps = {s["line"]: s["message"] for s in plan["manual_steps"] if s["path"] == "board/queries.py"}
    line = {m: next(i for i, ln in enumerate(source, 1) if m in ln) + 1 for m in ("LINE-OR", "LINE-GT")}
    assert "OuterRef() under OR, XOR or NOT is not pushed down" in steps[line["LINE-OR"]], steps
    assert "topic__gt=OuterRef(): only equality" in steps[line["LINE-GT"]], steps
    assert not any("OuterRef" in m for n, m in steps.items() if n not in line.values()), steps


def test_the_plan_is_deterministic(tmp_path: Path) -> None:
    root = project(tmp_path / "mono")
    a = _extract(root, tmp_path / "a")
    b = _extract(root, tmp_path / "b")
    for rel in ("extraction-plan.json", "notes_service/models.py", "notes_service/migrations/0002_join_tables.py"):
        assert (a / rel).read_bytes() == (b / rel).read_bytes()
