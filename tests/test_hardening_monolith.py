"""Side effects that happen once, on the monolith's side (issue 17, part D), in the rewired sample.

- A service's event or call back delivered twice with the same ``Idempotency-Key`` (its outbox
  relay retrying after a lost answer) runs once in the monolith: one refund notification, one
  e-mail, one ``mark_paid``; a new key runs again (tests/fixtures/monolith_once/test_inbound_once.py).
- A signal the monolith forwards to a remote service goes through an outbox: written in the
  sender's transaction, posted after the commit with its ``Idempotency-Key``, kept when the
  service is down (never failing the sender) and delivered later by ``manage.py
  relay_service_events`` with the same key (tests/fixtures/monolith_once/test_outbox_events.py).

The sample is copied, rewired for payments and notifications (``decompose extract --apply``), and
the fixture tests run there with pytest in a subprocess, one service remote at a time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from projects import free_port

from decompose.cli import cli

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "monolith_once"
TOKEN = "inbound-token-0123456789"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def monolith(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("monolith-once")
    folder = tmp / "monolith"
    shutil.copytree(ROOT / "sample_monolith", folder, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    for name in ("payments", "notifications"):
        result = CliRunner().invoke(
            cli,
            [
                "extract",
                str(folder),
                "--service",
                name,
                "--apps",
                name,
                "--out",
                str(tmp / "out"),
                "--apply",
                "--force",
            ],
        )
        assert result.exit_code == 0, result.output
    for fixture in FIXTURES.glob("test_*.py"):
        shutil.copy(fixture, folder / fixture.name)
    return folder


def _run(monolith: Path, remote: str, test_file: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "DECOMPOSE_", "PYTEST_"))}
    env.update(
        {
            f"DECOMPOSE_{remote.upper()}_MODE": "remote",
            f"DECOMPOSE_{remote.upper()}_URL": extra.pop("url", "http://127.0.0.1:9"),
            f"DECOMPOSE_{remote.upper()}_TOKEN": "outbound-token-0123456789",
            f"DECOMPOSE_{remote.upper()}_INBOUND_TOKEN": TOKEN,
            **extra,
        }
    )
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            "pytest.ini",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            test_file,
        ],
        cwd=monolith,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_a_repeated_delivery_from_a_service_runs_once_in_the_monolith(monolith: Path) -> None:
    result = _run(monolith, "payments", "test_inbound_once.py")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "6 passed" in result.stdout


def test_events_the_monolith_forwards_go_through_its_outbox(monolith: Path) -> None:
    port = free_port()
    result = _run(
        monolith, "notifications", "test_outbox_events.py", url=f"http://127.0.0.1:{port}", FAKE_SERVICE_PORT=str(port)
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "5 passed" in result.stdout


def test_the_clients_store_is_pruned_after_its_retention(monolith: Path) -> None:
    result = _run(monolith, "payments", "test_prune.py")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "2 passed" in result.stdout


def test_the_clients_store_is_hidden_from_the_project(monolith: Path) -> None:
    for addopts in ("", "--nomigrations"):
        result = _run(monolith, "payments", "test_store_hidden.py", PYTEST_ADDOPTS=addopts)
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
        assert "2 passed" in result.stdout


def test_the_monolith_tables_match_their_migration(monolith: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "DECOMPOSE_"))}
    check = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run", "decompose_services"],
        cwd=monolith,
        env={**env, "DATABASE_PATH": str(monolith / "check.sqlite3")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
