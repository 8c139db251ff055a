"""Settings completed after their literal (issue 13, settings the moved code reads).

pretalx writes ``LANGUAGES_INFORMATION = {...}`` and then completes it in loops
(``for code, language in LANGUAGES_INFORMATION.items(): language["code"] = code``). The service's settings
used to carry the literal only, so the copied ``pretalx/common/language.py`` failed at import with
``KeyError: 'code'``. A statement after the literal that changes the setting in place is carried with it
when everything it reads is static; one that is not is named in a TODO (file:line, why), never dropped
silently.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from projects import MANAGE_PY, write_project

from decompose.cli import cli
from decompose.extract.service.settings_values import settings_values

SETTINGS = """
import json
import os

from django.utils.translation import gettext_lazy as _

DEBUG = False
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "core",
    "billing",
]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
try:
    percentages = json.loads(os.environ.get("PERCENTAGES", "{}"))
except ValueError:
    percentages = {}
LANGUAGES_INFORMATION = {
    "en": {"name": _("English"), "official": True},
    "de": {"name": _("German"), "official": True, "path": "de_DE"},
}
for lang_code, info in LANGUAGES_INFORMATION.items():  # marker: percentages
    info["percentage"] = percentages.get(lang_code, 0)
LANGUAGES_INFORMATION["fr"] = {"name": _("French"), "official": False}
for code, language in LANGUAGES_INFORMATION.items():  # marker: code
    language["code"] = code
    language.setdefault("path", code)
DEFAULT_CURRENCY = "EUR"
CURRENCIES = ["EUR"]
CURRENCIES += ["USD"]
CURRENCIES.extend(["GBP"])
CURRENCIES.insert(0, DEFAULT_CURRENCY)
FEES = {"EUR": 1}
FEES.update({"USD": 2})
if DEBUG:
    FEES["XXX"] = 0
LIMITS = {"a": 1}
with open(os.devnull) as f:  # marker: with
    LIMITS["b"] = 2
"""

BILLING_READS = """
from django.conf import settings

#: read at import, as pretalx/common/language.py does
CODES = [language["code"] for language in settings.LANGUAGES_INFORMATION.values()]
PATHS = {language["code"]: language["path"] for language in settings.LANGUAGES_INFORMATION.values()}


def currencies() -> tuple[object, ...]:
    return (settings.CURRENCIES, settings.FEES, settings.LIMITS)
"""

PROJECT = {
    "manage.py": MANAGE_PY,
    "proj/__init__.py": "",
    "proj/settings.py": SETTINGS,
    "core/__init__.py": "",
    "core/models.py": """
        from django.db import models


        class Customer(models.Model):
            name = models.CharField(max_length=40)
    """,
    "billing/__init__.py": "",
    "billing/apps.py": """
        from django.apps import AppConfig


        class BillingConfig(AppConfig):
            name = "billing"

            def ready(self) -> None:
                from billing import languages  # noqa: F401 -- read the settings at start, as pretalx does
    """,
    "billing/languages.py": BILLING_READS,
    "billing/models.py": """
        from django.db import models


        class Invoice(models.Model):
            number = models.CharField(max_length=20)
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
                        ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("number", models.CharField(max_length=20)),
                    ],
                ),
            ]
    """,
}


def _line(marker: str) -> int:
    lines = textwrap.dedent(SETTINGS).lstrip("\n").splitlines()
    return next(i for i, ln in enumerate(lines, 1) if f"# marker: {marker}" in ln)


def _values() -> dict:
    text = textwrap.dedent(SETTINGS).lstrip("\n")
    return settings_values(
        lambda name: ("proj/settings.py", text, False) if name == "proj.settings" else None, "proj.settings"
    )


def test_changes_after_the_literal_are_completions_carried_when_they_read_only_static_settings() -> None:
    values = _values()
    langs = values["LANGUAGES_INFORMATION"]
    assert langs.text is None and langs.literal is not None and langs.literal.startswith("{\n")
    where = [c.where for c in langs.completions]
    assert where == [
        f"proj/settings.py:{_line('percentages')}",
        f"proj/settings.py:{_line('percentages') + 2}",
        f"proj/settings.py:{_line('code')}",
    ]
    reads, added, coded = langs.completions
    # the loop over its items changes it through the loop variable, reading what is not static
    assert reads.why == "it reads percentages, which is not a static setting"
    assert added.why == "" and added.statement.startswith('LANGUAGES_INFORMATION["fr"] = {"name": _("French")')
    assert coded.why == "" and coded.binds == ("code", "language")
    assert coded.statement.splitlines()[-1].strip() == 'language.setdefault("path", code)'
    assert not langs.carried  # one completion cannot be carried: never carried as if complete
    assert langs.imports == ("from django.utils.translation import gettext_lazy as _",)

    currencies = values["CURRENCIES"]  # +=, .extend, .insert reading another static setting
    assert currencies.carried and [c.statement for c in currencies.completions] == [
        'CURRENCIES += ["USD"]',
        'CURRENCIES.extend(["GBP"])',
        "CURRENCIES.insert(0, DEFAULT_CURRENCY)",
    ]
    assert currencies.needs == ("DEFAULT_CURRENCY",)
    fees = values["FEES"]  # .update, and an `if` on a static setting doing only that
    assert fees.carried and len(fees.completions) == 2
    limits = values["LIMITS"]  # inside `with`: not followed, said so
    assert not limits.carried
    assert limits.completions[0].where == f"proj/settings.py:{_line('with')}"
    assert limits.completions[0].why
    assert values["DEBUG"].text == "False" and values["DEBUG"].completions == ()


def test_a_completion_reading_a_setting_set_again_later_is_not_carried() -> None:
    text = "A = 1\nB = {}\nB['a'] = A\nA = 2\n"
    values = settings_values(lambda name: ("s.py", text, False) if name == "s" else None, "s")
    assert values["B"].completions[0].why == "it reads A, which is set again later (s.py:4)"
    assert not values["B"].carried


def _project(root: Path) -> Path:
    return write_project(root, PROJECT)


def test_the_service_carries_the_completions_and_names_the_rest(tmp_path: Path) -> None:
    root = _project(tmp_path / "mono")
    result = CliRunner().invoke(
        cli,
        [
            "extract",
            str(root),
            "--service",
            "billing",
            "--apps",
            "billing",
            "--out",
            str(tmp_path / "out"),
            "--no-rewire",
        ],
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / "billing"
    settings = (folder / "billing_service" / "settings.py").read_text()
    copied = settings.split("# Settings the moved code reads")[1]
    assert "\nLANGUAGES_INFORMATION = {\n" in copied
    at = copied.index("\nLANGUAGES_INFORMATION = {\n")
    # the carried completions follow the literal, in the monolith's order
    assert copied.index('\nLANGUAGES_INFORMATION["fr"] = {', at) < copied.index(
        "\nfor code, language in LANGUAGES_INFORMATION.items():  # marker: code\n", at
    )
    assert f"# completed as in the monolith (proj/settings.py:{_line('code')})" in copied
    # the one that reads what is not static is named, with where and why, and commented out
    assert (
        f"# TODO(decompose): LANGUAGES_INFORMATION is changed after its value in the monolith "
        f"(proj/settings.py:{_line('percentages')}) by a statement not run here (it reads percentages, which is "
        "not a static setting); complete it here. There:"
    ) in copied
    assert '#       info["percentage"] = percentages.get(lang_code, 0)' in copied
    assert copied.index('\nDEFAULT_CURRENCY = "EUR"  # named by CURRENCIES\n') < copied.index("\nCURRENCIES = [")
    assert "\nCURRENCIES.insert(0, DEFAULT_CURRENCY)\n" in copied
    assert (
        f"TODO(decompose): LIMITS is changed after its value in the monolith (proj/settings.py:{_line('with')})"
        in copied
    )
    readme = (folder / "README.md").read_text()
    assert "`LANGUAGES_INFORMATION`" in readme and "`LIMITS`" in readme and "`CURRENCIES`" not in readme

    pytest.importorskip("django")
    pytest.importorskip("rest_framework")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PYTHONDONTWRITEBYTECODE="1",
        DJANGO_SECRET_KEY="completed-test-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ",
        DECOMPOSE_IDENTITY_KEY="completed-identity-key-0123456789-abcdefghij",
    )
    probe = (
        "import django; django.setup(); from django.conf import settings; from billing import languages; "
        "print(sorted(languages.CODES), languages.PATHS['fr'], settings.CURRENCIES, sorted(settings.FEES))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "DJANGO_SETTINGS_MODULE": "billing_service.settings"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip() == "['de', 'en', 'fr'] fr ['EUR', 'EUR', 'USD', 'GBP'] ['EUR', 'USD']"
    check = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=folder, env=env, capture_output=True, text=True, timeout=120
    )
    assert check.returncode == 0, check.stdout + check.stderr
