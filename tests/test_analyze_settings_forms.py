"""Settings discovery on the forms real projects use (issue 13): settings packages, star-import
chains, ``+=`` and list methods on INSTALLED_APPS, the settings module named by a launcher or by the
test configuration, and warnings for what cannot be read statically. Nothing is imported or run."""

from __future__ import annotations

import shutil
from pathlib import Path
from textwrap import dedent

import pytest
from click.testing import CliRunner

from decompose.analysis import analyze
from decompose.cli import cli
from decompose.project import discover, read_settings

FIXTURE = Path(__file__).parent / "fixtures" / "settings_forms" / "split"


def _w(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dedent(text).lstrip(), encoding="utf-8")


def _app_project(root: Path, apps: tuple[str, ...] = ("alpha", "beta")) -> None:
    for app in apps:
        _w(root / f"{app}/__init__.py", "")
        _w(root / f"{app}/models.py", "from django.db import models\n\n\nclass Thing(models.Model):\n    pass\n")


def test_a_settings_package_named_by_pytest_ini_when_manage_py_names_an_empty_package(tmp_path):
    root = tmp_path / "split"
    shutil.copytree(FIXTURE, root)
    project = discover(root)
    assert project.settings_module == "proj.settings.test"
    assert "pytest.ini [pytest]" in project.settings_reason
    assert "manage.py names proj.settings, which sets no INSTALLED_APPS" in project.settings_reason
    # base.py's list(...) + LOCAL_APPS, then test.py's .append/.extend/.insert/.remove on it
    assert project.settings["INSTALLED_APPS"] == (
        "proj.first",
        "django.contrib.auth",
        "proj.recipes.apps.RecipesConfig",
        "proj.pantry",
        "proj.testonly",
        "proj.late",
    )
    assert project.settings_modules == ("proj.settings.test", "proj.settings.base")
    assert project.settings["ROOT_URLCONF"] == "proj.urls"
    assert {a.label for a in project.apps} == {"cookbook", "pantry", "testonly", "late", "first"}
    assert "proj.extra" not in {a.name for a in project.apps}  # only dev.py installs it


def test_the_dev_settings_add_with_plus_equals(tmp_path):
    root = tmp_path / "split"
    shutil.copytree(FIXTURE, root)
    project = discover(root, settings="proj.settings.dev")
    assert project.settings_reason == "--settings"
    assert {a.label for a in project.apps} == {"cookbook", "pantry", "extra"}


def test_without_any_named_module_the_settings_package_module_reading_the_most_files_wins(tmp_path):
    root = tmp_path / "split"
    shutil.copytree(FIXTURE, root)
    (root / "pytest.ini").unlink()
    (root / "manage.py").write_text("import sys\n", encoding="utf-8")
    project = discover(root)
    # dev.py reads base.py too (test.py, a test module, is not a candidate)
    assert project.settings_module == "proj.settings.dev"
    assert project.settings_reason.endswith("chosen over proj.settings.base: it reads the most settings files")


@pytest.mark.parametrize(
    ("name", "text", "origin"),
    [
        (
            "pyproject.toml",
            '[tool.pytest.ini_options]\nDJANGO_SETTINGS_MODULE = "conf.ci"\n',
            "pyproject.toml [tool.pytest.ini_options]",
        ),
        ("setup.cfg", "[tool:pytest]\nDJANGO_SETTINGS_MODULE = conf.ci\n", "setup.cfg [tool:pytest]"),
        ("tox.ini", "[testenv]\nsetenv =\n    DJANGO_SETTINGS_MODULE = conf.ci\n", "tox.ini [testenv] setenv"),
        ("tox.ini", "[pytest]\naddopts = --ds=conf.ci -q\n", "tox.ini [pytest] addopts"),
        (".github/workflows/ci.yml", "env:\n  DJANGO_SETTINGS_MODULE: conf.ci\n", ".github/workflows/ci.yml"),
    ],
)
def test_the_settings_module_named_by_test_or_ci_configuration(tmp_path, name, text, origin):
    root = tmp_path / "p"
    _app_project(root)
    _w(root / "conf/__init__.py", "")
    _w(root / "conf/ci.py", 'INSTALLED_APPS = ["alpha"]\n')  # not named settings: only the config finds it
    _w(root / name, text)
    project = discover(root)
    assert project.settings_module == "conf.ci"
    assert project.settings_reason == f"DJANGO_SETTINGS_MODULE in {origin}"
    assert [a.label for a in project.apps] == ["alpha"]


def test_wsgi_assigning_the_environment_variable(tmp_path):
    root = tmp_path / "p"
    _app_project(root)
    _w(root / "site/__init__.py", "")
    _w(root / "site/wsgi.py", 'import os\nos.environ["DJANGO_SETTINGS_MODULE"] = "site.conf"\n')
    _w(root / "site/conf.py", 'INSTALLED_APPS = ("beta",)\n')
    project = discover(root)
    assert (project.settings_module, project.settings_reason) == ("site.conf", "DJANGO_SETTINGS_MODULE in site/wsgi.py")
    assert [a.label for a in project.apps] == ["beta"]


def test_apps_from_code_that_cannot_be_read_are_warned_about_with_path_and_line(tmp_path):
    root = tmp_path / "p"
    _app_project(root, ("alpha", "beta", "gamma"))
    _w(root / "manage.py", 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")\n')
    _w(
        root / "settings.py",
        """
        from helpers import more_apps

        INSTALLED_APPS = ["alpha"] + more_apps()
        for extra in ("beta",):
            INSTALLED_APPS.append(extra)
        INSTALLED_APPS += ["gamma"]
        """,
    )
    _w(root / "helpers.py", "def more_apps():\n    return []\n")
    project = discover(root)
    assert [a.label for a in project.apps] == ["alpha", "gamma"]
    text = "\n".join(project.warnings)
    assert (
        "INSTALLED_APPS (= at settings.py:3): entries from code that cannot be read statically (settings.py:3)" in text
    )
    assert "settings.py:5: INSTALLED_APPS is changed inside a loop" in text


def test_a_settings_module_without_readable_apps_says_apps_are_guessed(tmp_path):
    root = tmp_path / "p"
    _app_project(root)
    _w(root / "manage.py", 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")\n')
    _w(root / "settings.py", "from helpers import apps\n\nINSTALLED_APPS = apps()\n")
    _w(root / "helpers.py", "def apps():\n    return []\n")
    project = discover(root)
    assert project.settings_module == "settings"
    text = "\n".join(project.warnings)
    assert "INSTALLED_APPS (= at settings.py:3): its value from code that cannot be read statically" in text
    assert "the apps are guessed from apps.py/models.py" in text
    assert [a.label for a in project.apps] == ["alpha", "beta"]


def test_the_graph_and_the_analyze_summary_say_which_settings_and_why(tmp_path):
    root = tmp_path / "split"
    shutil.copytree(FIXTURE, root)
    graph = analyze(root, use_cache=False)
    assert graph.settings_module == "proj.settings.test"
    assert graph.meta["settings_reason"].startswith("DJANGO_SETTINGS_MODULE in pytest.ini [pytest]")
    r = CliRunner().invoke(cli, ["analyze", str(root), "--no-cache"], terminal_width=300)
    assert r.exit_code == 0, r.output
    assert "settings proj.settings.test (DJANGO_SETTINGS_MODULE in pytest.ini [pytest]" in r.output


def test_read_settings_follows_chains_in_execution_order():
    files = {
        "s": (
            b"from s.base import *\nfrom s.extra import *\nINSTALLED_APPS = [*INSTALLED_APPS, 'z']\n",
            True,
            "s/__init__.py",
        ),
        "s.base": (b"INSTALLED_APPS = ('a',)\nROOT_URLCONF = 'u'\n", False, "s/base.py"),
        "s.extra": (b"from .base import INSTALLED_APPS\nINSTALLED_APPS += ('b',)\n", False, "s/extra.py"),
    }
    read = read_settings("s", lambda m: files.get(m))
    assert read.constants["INSTALLED_APPS"] == ("a", "b", "z")
    assert read.defined_in == {"INSTALLED_APPS": "s", "ROOT_URLCONF": "s.base"}
    assert read.writes["INSTALLED_APPS"] == (("s.base", 1), ("s.extra", 2), ("s", 3))
    assert read.modules == ("s", "s.base", "s.extra")


def test_a_filtering_comprehension_keeps_what_may_be_installed():
    # decompose's own service switch: a filter over INSTALLED_APPS, then the client package added
    text = (
        b"BASE = ['a', 'b']\nINSTALLED_APPS = BASE + ['c']\n"
        b"INSTALLED_APPS = [app for app in INSTALLED_APPS if app not in REMOTE] + ['shop.services']\n"
    )
    read = read_settings("s", lambda m: (text, False, "s.py") if m == "s" else None)
    assert read.constants["INSTALLED_APPS"] == ("a", "b", "c", "shop.services")
    assert read.warnings == ()
