"""A service generated from the hand-written fixture project boots and passes its own suite:
the moved tests (rewritten by the codemods) and the generated API tests."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from decompose.cli import cli

FIXTURE = Path(__file__).parent / "fixtures" / "extract" / "shopfix"


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}", PYTHONDONTWRITEBYTECODE="1",
               DJANGO_SECRET_KEY="fixture-secret-key-0123456789",  # the service refuses to start without one
               DECOMPOSE_IDENTITY_KEY="fixture-identity-key-0123456789-abcdefghij")  # and without this one
    return env


@pytest.mark.parametrize(("service", "moved_tests"), [("payments", 3), ("notifications", 1)])
def test_generated_service_boots_and_its_suite_passes(service: str, moved_tests: int, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["extract", str(FIXTURE), "--service", service, "--apps", service, "--out", str(tmp_path), "--no-rewire"]
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / service
    env = _env(tmp_path)
    for args in (["check"], ["makemigrations", "--check", "--dry-run"], ["migrate", "--noinput"]):
        run = subprocess.run([sys.executable, "manage.py", *args], cwd=folder, env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA"], cwd=folder, env=env,
        capture_output=True, text=True, timeout=300,
    )
    assert suite.returncode == 0, suite.stdout[-3000:]
    moved = re.findall(rf"^PASSED {service}/tests/", suite.stdout, re.M)
    api = re.findall(rf"^PASSED {service}_service/tests/", suite.stdout, re.M)
    assert len(moved) == moved_tests, suite.stdout[-3000:]
    assert len(api) >= 10
    document = json.loads((folder / "openapi.json").read_text())
    assert document["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}


def test_moved_code_is_rewritten_not_copied(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["extract", str(FIXTURE), "--service", "notifications", "--apps", "notifications", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    receivers = (tmp_path / "notifications" / "notifications" / "receivers.py").read_text()
    assert "from notifications_service.signals import order_placed" in receivers
    assert "orders" not in receivers.replace("order_placed", "").replace("order_id", "")
    template = tmp_path / "notifications" / "notifications" / "templates" / "notifications" / "placed.txt"
    assert template.read_text() == (FIXTURE / "notifications/templates/notifications/placed.txt").read_text()
    models = (tmp_path / "notifications" / "notifications" / "models.py").read_text()
    assert models == (FIXTURE / "notifications" / "models.py").read_text()  # nothing to change: byte-identical
