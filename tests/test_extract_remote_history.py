"""A staying app built on a moved app: its abstract base, its relations and its migration history (issue 13/14).

``shelf`` stays, ``library`` moves. ``shelf.Shelf`` inherits ``library.Stamped`` (abstract), holds a foreign key
and a many-to-many relation to ``library.Book``, and ``shelf``'s first migration depends on
``("library", "0001_initial")``. In remote mode (``library`` not installed) this used to fail three ways: the
client's refusing stand-in for ``Stamped`` stopped the import of ``shelf.models``, the many-to-many relation to
a model not installed failed Django's checks (fields.E300), and ``migrate`` raised ``NodeNotFoundError`` (no
node of the moved app). Now the base is a copy kept in the client, the relation a ``ServiceManyToManyField``
(the join table stays, the moved side its ids), and the dependency holds only when the service is local.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from projects import MANAGE_PY, clean_env, write_project

from decompose.cli import cli

pytestmark = pytest.mark.e2e

PROJECT = {
    "manage.py": MANAGE_PY,
    "proj/__init__.py": "",
    "proj/settings.py": """
        import os

        SECRET_KEY = "x" * 50
        INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "proj.library", "proj.shelf"]
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["DB_PATH"]}}
        ROOT_URLCONF = "proj.urls"
        DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
        USE_TZ = True
    """,
    "proj/urls.py": "urlpatterns = []\n",
    "proj/library/__init__.py": "",
    "proj/library/apps.py": """
        from django.apps import AppConfig


        class LibraryConfig(AppConfig):
            name = "proj.library"
    """,
    "proj/library/models.py": """
        from django.db import models

        from .labels import short


        class Stamped(models.Model):
            created = models.DateTimeField(auto_now_add=True)
            label = models.CharField(max_length=20, default=short)

            class Meta:
                abstract = True


        class Book(models.Model):
            title = models.CharField(max_length=100)
    """,
    "proj/library/labels.py": """
        def short():
            return "new"
    """,
    "proj/library/services.py": """
        from .models import Book


        def count_books() -> int:
            return Book.objects.count()
    """,
    "proj/shelf/__init__.py": "",
    "proj/shelf/apps.py": """
        from django.apps import AppConfig


        class ShelfConfig(AppConfig):
            name = "proj.shelf"
    """,
    "proj/shelf/models.py": """
        from django.db import models

        from proj.library.models import Book, Stamped
        from proj.library.services import count_books


        class Shelf(Stamped):
            name = models.CharField(max_length=50)
            favourite = models.ForeignKey(Book, on_delete=models.SET_NULL, null=True, related_name="+")
            books = models.ManyToManyField(Book, blank=True, related_name="shelves")

            def total(self) -> int:
                return count_books()
    """,
}

#: a data migration of the staying app reading the moved app's models
DATA_MIGRATION = """
    from django.db import migrations


    def name_shelves(apps, schema_editor):
        Book = apps.get_model("library", "Book")
        Shelf = apps.get_model("shelf", "Shelf")
        for shelf in Shelf.objects.filter(name=""):
            shelf.name = Book.objects.first().title
            shelf.save()


    class Migration(migrations.Migration):
        dependencies = [("shelf", "0001_initial"), ("library", "0001_initial")]
        operations = [migrations.RunPython(name_shelves, migrations.RunPython.noop)]
"""

REMOTE = {"DECOMPOSE_LIBRARY_MODE": "remote", "DECOMPOSE_LIBRARY_URL": "http://127.0.0.1:9",
          "DECOMPOSE_LIBRARY_TOKEN": "t0ken", "DECOMPOSE_LIBRARY_IDENTITY_KEY": "k" * 32}  # fmt: skip


def _run(root: Path, db: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=root, capture_output=True, text=True, timeout=300,
                          env={**clean_env(), "DB_PATH": str(db), "PYTHONDONTWRITEBYTECODE": "1", **env}, check=False)  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(tmp_path_factory.mktemp("history") / "monolith", PROJECT)
    made = _run(root, root.parent / "make.sqlite3", "makemigrations", "library", "shelf")
    assert made.returncode == 0, made.stdout + made.stderr
    assert "('library', '0001_initial')" in (root / "proj/shelf/migrations/0001_initial.py").read_text()
    write_project(root, {"proj/shelf/migrations/0002_name_shelves.py": DATA_MIGRATION})
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    result = CliRunner().invoke(cli, ["extract", str(root), "--service", "library", "--apps", "library",
                                      "--out", str(root.parent / "out"), "--apply", "--force"])  # fmt: skip
    assert result.exit_code == 0, result.output[-3000:]
    return root


def test_the_rewire_keeps_the_base_cuts_the_relations_and_holds_the_dependency_through_the_client(
    project: Path,
) -> None:
    shelf = (project / "proj/shelf/models.py").read_text()
    assert (
        'books = ServiceManyToManyField("library.Book", blank=True, related_name="shelves", service="library")' in shelf
    )
    history = (project / "proj/shelf/migrations/0001_initial.py").read_text()
    assert '*proj.services.fields.service_migration("library", "library", "0001_initial")' in history
    assert "migrations.CreateModel(" in history
    # the relations of the history: as written when local, their cut form when remote
    assert 'proj.services.fields.historical("library", models.ManyToManyField(' in history
    data = (project / "proj/shelf/migrations/0002_name_shelves.py").read_text()
    assert 'migrations.RunPython(proj.services.fields.unless_remote("library", name_shelves),' in data
    kept = (project / "proj/services/library_bases.py").read_text()
    assert "class Stamped(models.Model):" in kept and "from proj.library.labels import short" in kept
    assert "class Book" not in kept


def test_local_then_remote_migrate_and_the_relations_in_both_modes(project: Path, tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    for args in (("check",), ("migrate", "--noinput"), ("makemigrations", "--check", "--dry-run")):
        out = _run(project, db, *args)
        assert out.returncode == 0, f"local {args}: {out.stdout[-2000:]}{out.stderr[-3000:]}"
    seed = ("from proj.library.models import Book; from proj.shelf.models import Shelf; "
            "a, b = Book.objects.create(title='a'), Book.objects.create(title='b'); "
            "s = Shelf.objects.create(name='s', favourite=a); s.books.add(a, b); print('local', s.label, a.pk, b.pk)")  # fmt: skip
    out = _run(project, db, "shell", "-c", seed)
    assert "local new 1 2" in out.stdout, out.stdout + out.stderr[-3000:]
    for args in (("check",), ("migrate", "--noinput"), ("makemigrations", "--check", "--dry-run")):
        out = _run(project, db, *args, **REMOTE)
        assert out.returncode == 0, f"remote {args}: {out.stdout[-2000:]}{out.stderr[-3000:]}"
        assert "NodeNotFoundError" not in out.stderr
    probe = ("from proj.shelf.models import Shelf; s = Shelf.objects.get(); "
             "print('remote', type(s).__mro__[1].__module__, s.favourite_id, s.books.ids(), "
             "Shelf.objects.filter(books=2).count()); s.books.set([2, 7]); print('set', s.books.ids()); "
             "t = Shelf.objects.create(name='t'); print('new', t.label, t.books.ids())")  # fmt: skip
    out = _run(project, db, "shell", "-c", probe, **REMOTE)
    assert "remote proj.services.library_bases 1 [1, 2] 1" in out.stdout, out.stdout + out.stderr[-3000:]
    assert "set [2, 7]" in out.stdout and "new new []" in out.stdout, out.stdout
    out = _run(project, db, "shell", "-c", "from proj.shelf.models import Shelf; "
               "print('back', type(Shelf.objects.first()).__mro__[1].__module__)")  # fmt: skip
    assert "back proj.library.models" in out.stdout, out.stdout + out.stderr[-3000:]


def test_a_database_built_in_remote_mode(project: Path, tmp_path: Path) -> None:
    """A test database of remote mode is built from the staying history: its relations to the moved models are
    what the cut makes of them there (before: "Related model 'library.book' cannot be resolved"), its data
    migration reading library's models is skipped (before: "No installed app with label 'library'"), and the
    join table of the many-to-many relation is made after migrate."""
    db = tmp_path / "fresh.sqlite3"
    for args in (("migrate", "--noinput"), ("makemigrations", "--check", "--dry-run")):
        out = _run(project, db, *args, **REMOTE)
        assert out.returncode == 0, f"remote {args}: {out.stdout[-2000:]}{out.stderr[-3000:]}"
    probe = ("from proj.shelf.models import Shelf; s = Shelf.objects.create(name='s', favourite=3); s.books.add(3, 4); "
             "print('fresh', Shelf.objects.get().favourite_id, s.books.ids(), Shelf.objects.filter(books=4).count())")  # fmt: skip
    out = _run(project, db, "shell", "-c", probe, **REMOTE)
    assert "fresh 3 [3, 4] 1" in out.stdout, out.stdout + out.stderr[-3000:]


def test_a_second_run_keeps_the_kept_base(project: Path) -> None:
    """A second run reads staying imports already pointing at the client: the names found by the first run
    (the kept base) stay exported, so neither mode breaks."""
    files = ("proj/services/library.py", "proj/services/library_bases.py", "proj/shelf/models.py",
             "proj/shelf/migrations/0001_initial.py", "proj/shelf/migrations/0002_name_shelves.py")  # fmt: skip
    before = {f: (project / f).read_text() for f in files}
    result = CliRunner().invoke(cli, ["extract", str(project), "--service", "library", "--apps", "library",
                                      "--out", str(project.parent / "out"), "--apply", "--force"])  # fmt: skip
    assert result.exit_code == 0, result.output[-3000:]
    assert {f: (project / f).read_text() for f in files} == before
