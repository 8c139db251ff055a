"""Packaging: the version is written in one place, the metadata describes the project, the changelog follows it."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import decompose

REPO = Path(__file__).resolve().parent.parent


def _project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_version_is_written_once():
    data = _project()
    assert "version" not in data["project"] and "version" in data["project"]["dynamic"]
    assert data["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "decompose.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", decompose.__version__)
    shown = subprocess.run([sys.executable, "-m", "decompose", "--version"], capture_output=True, text=True, check=True)
    assert shown.stdout.strip().endswith(decompose.__version__)


def test_metadata_describes_the_project():
    project = _project()["project"]
    assert project["authors"] and project["keywords"] and project["license"] == "MIT"
    assert "Framework :: Django" in project["classifiers"]
    python = [c for c in project["classifiers"] if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)]
    minimum = project["requires-python"].removeprefix(">=")
    assert python and min(python, key=lambda c: int(c.rsplit(".", 1)[1])).endswith(minimum)


def test_changelog_has_the_current_version():
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in text
    assert f"## [{decompose.__version__}]" in text
