"""The service judges the migrations it copies as the monolith does (issue 13).

A project may override Django's ``makemigrations`` in one of its apps (pretalx, pretix: the override drops
verbose names, help texts and choices from the comparison, so their migrations carry none). The service
copies the moved app's migrations; with Django's own command, ``makemigrations --check`` then listed an
"Alter field" for every field of the moved models. The override comes along when it can be copied, and is a
manual step when it cannot. Each case is a small hand-written project built in a temporary folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from projects import MANAGE_PY

from decompose.cli import cli

#: an override in the spirit of pretalx's (pretalx/common/management/commands/makemigrations.py)
OVERRIDE = """
    from django.core.management.commands.makemigrations import Command as Parent
    from django.db import models


    def hack_model_fields():
        original = models.Field.deconstruct

        def deconstruct(self):
            name, path, args, kwargs = original(self)
            for attr in ("verbose_name", "help_text"):
                kwargs.pop(attr, None)
            return name, path, args, kwargs

        models.Field.deconstruct = deconstruct


    class Command(Parent):
        def handle(self, *args, **kwargs):
            hack_model_fields()
            return super().handle(*args, **kwargs)
"""

PROJECT = {
    "manage.py": MANAGE_PY,
    "proj/__init__.py": "",
    "proj/settings.py": """
        INSTALLED_APPS = [
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "core",
            "billing",
        ]
        DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
    """,
    "core/__init__.py": "",
    "core/models.py": """
        from django.db import models


        class Customer(models.Model):
            name = models.CharField(max_length=40)
    """,
    "core/management/__init__.py": "",
    "core/management/commands/__init__.py": "",
    "core/management/commands/makemigrations.py": OVERRIDE,
    "billing/__init__.py": "",
    "billing/models.py": """
        from django.db import models


        class Invoice(models.Model):
            number = models.CharField(max_length=20, verbose_name="Number", help_text="as printed")
    """,
    "billing/migrations/__init__.py": "",
    "billing/migrations/0001_initial.py": """
        from django.db import migrations, models


        class Migration(migrations.Migration):
            initial = True
            dependencies = []
            operations = [
                migrations.CreateModel(
                    name="Invoice",
                    fields=[
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                        ("number", models.CharField(max_length=20)),
                    ],
                ),
            ]
    """,
}

#: an override that reads the monolith's data cannot be copied
IMPURE = OVERRIDE.replace(
    "from django.db import models\n", "from django.db import models\n\n    from core.models import Customer\n"
).replace("hack_model_fields()\n", "hack_model_fields()\n            Customer.objects.count()\n")


def _project(root: Path, extra: dict[str, str] | None = None) -> Path:
    for rel, text in {**PROJECT, **(extra or {})}.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def _extract(root: Path, out: Path) -> Path:
    result = CliRunner().invoke(
        cli, ["extract", str(root), "--service", "billing", "--apps", "billing", "--out", str(out), "--no-rewire"]
    )
    assert result.exit_code == 0, result.output
    return out / "billing"


def _manage(folder: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        PYTHONDONTWRITEBYTECODE="1",
        DJANGO_SECRET_KEY="migrations-state-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEF",
        DECOMPOSE_IDENTITY_KEY="migrations-state-identity-0123456789-abcdefghij",
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=folder, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_monoliths_makemigrations_override_comes_along(tmp_path: Path) -> None:
    pytest.importorskip("django")
    pytest.importorskip("rest_framework")
    folder = _extract(_project(tmp_path / "mono"), tmp_path / "out")
    plan = json.loads((folder / "extraction-plan.json").read_text())
    assert plan["service_rewrites"]["commands"] == {"makemigrations": "core.management.commands.makemigrations"}
    assert "core.management.commands.makemigrations" in plan["service_rewrites"]["vendored"]
    # copied whole at its own path (its parent packages regular ones), re-exported by the service's own app
    assert (folder / "core/management/commands/makemigrations.py").read_text() == (
        textwrap.dedent(OVERRIDE).lstrip("\n")
    )
    assert (folder / "core/management/__init__.py").exists()
    command = (folder / "billing_service/management/commands/makemigrations.py").read_text()
    assert "from core.management.commands.makemigrations import Command  # noqa: F401\n" in command
    assert not (folder / "billing_service/management/commands/migrate.py").exists()  # none to copy
    run = _manage(folder, tmp_path, "makemigrations", "--check", "--dry-run")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "No changes detected" in run.stdout


def test_without_an_override_the_verbose_names_are_changes(tmp_path: Path) -> None:
    """The same project without the override: Django's own command sees the verbose name and help text
    (what the service did before the override came along; the check above is not vacuous)."""
    pytest.importorskip("django")
    pytest.importorskip("rest_framework")
    root = _project(tmp_path / "mono")
    (root / "core/management/commands/makemigrations.py").unlink()
    folder = _extract(root, tmp_path / "out")
    assert json.loads((folder / "extraction-plan.json").read_text())["service_rewrites"]["commands"] == {}
    run = _manage(folder, tmp_path, "makemigrations", "--check", "--dry-run")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Alter field number on invoice" in run.stdout


def test_the_first_installed_apps_override_is_the_one(tmp_path: Path) -> None:
    """Django runs the override of the app listed first in INSTALLED_APPS; a moved app's own is installed
    in the service already."""
    extra = {
        "proj/settings.py": PROJECT["proj/settings.py"].replace('"core",', '"audit",\n            "core",'),
        "audit/__init__.py": "",
        "audit/management/__init__.py": "",
        "audit/management/commands/__init__.py": "",
        "audit/management/commands/makemigrations.py": OVERRIDE,
        "billing/management/__init__.py": "",
        "billing/management/commands/__init__.py": "",
        "billing/management/commands/migrate.py": "from django.core.management.commands.migrate import Command\n",
    }
    folder = _extract(_project(tmp_path / "mono", extra), tmp_path / "out")
    rewrites = json.loads((folder / "extraction-plan.json").read_text())["service_rewrites"]
    assert rewrites["commands"] == {"makemigrations": "audit.management.commands.makemigrations"}
    assert "core.management.commands.makemigrations" not in rewrites["vendored"]
    assert not (folder / "billing_service/management/commands/migrate.py").exists()  # billing's own is installed


def test_an_override_that_reads_staying_data_is_a_manual_step(tmp_path: Path) -> None:
    root = _project(tmp_path / "mono", {"core/management/commands/makemigrations.py": IMPURE})
    folder = _extract(root, tmp_path / "out")
    plan = json.loads((folder / "extraction-plan.json").read_text())
    assert plan["service_rewrites"]["commands"] == {}
    assert "core.management.commands.makemigrations" not in plan["service_rewrites"]["vendored"]
    steps = [s for s in plan["manual_steps"] if s["path"] == "core/management/commands/makemigrations.py"]
    assert len(steps) == 1, plan["manual_steps"]
    assert "the monolith's makemigrations command is core.management.commands.makemigrations" in steps[0]["message"]
    assert "core.Customer" in steps[0]["message"]
    assert not (folder / "billing_service/management/commands/makemigrations.py").exists()
