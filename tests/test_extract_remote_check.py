"""Remote mode's start-up check (issue 13): the rewired sample monolith refuses to start
(``manage.py check`` fails with an Error) when a service is ``remote`` but its URL or token is
missing, its identity key is missing or shorter than 32 characters (issue 14), or its apps are installed
again after the switch; configured, it starts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from decompose.cli import cli

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.e2e


def _env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "DECOMPOSE_"))}
    return {**base, **extra}


@pytest.fixture(scope="module")
def monolith(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("remote-check")
    root = tmp / "monolith"
    shutil.copytree(ROOT / "sample_monolith", root, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    result = CliRunner().invoke(
        cli, ["extract", str(root), "--service", "payments", "--apps", "payments", "--out", str(tmp / "out"),
              "--apply", "--force"]
    )
    assert result.exit_code == 0, result.output
    yield root


def _check(root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=root, env=_env(**env), capture_output=True,
                          text=True, timeout=300, check=False)


def test_local_mode_starts(monolith: Path) -> None:
    result = _check(monolith)
    assert result.returncode == 0, result.stderr[-3000:]


KEY = "k" * 32


def test_remote_with_url_token_and_identity_key_starts(monolith: Path) -> None:
    result = _check(monolith, DECOMPOSE_PAYMENTS_MODE="remote", DECOMPOSE_PAYMENTS_URL="http://127.0.0.1:8001",
                    DECOMPOSE_PAYMENTS_TOKEN="t0ken", DECOMPOSE_PAYMENTS_IDENTITY_KEY=KEY)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize(("key", "said"), [(None, "not set"), ("k" * 31, "shorter than 32 characters")])
def test_remote_without_a_long_enough_identity_key_fails_start_up(monolith: Path, key: str | None, said: str) -> None:
    env = {"DECOMPOSE_PAYMENTS_IDENTITY_KEY": key} if key is not None else {}
    result = _check(monolith, DECOMPOSE_PAYMENTS_MODE="remote", DECOMPOSE_PAYMENTS_URL="http://127.0.0.1:8001",
                    DECOMPOSE_PAYMENTS_TOKEN="t0ken", **env)
    assert result.returncode != 0
    assert f"(decompose.E006) service payments is remote but its identity key is {said}" in result.stderr
    assert "HINT: set DECOMPOSE_PAYMENTS_IDENTITY_KEY" in result.stderr


def test_remote_without_url_and_token_fails_start_up(monolith: Path) -> None:
    result = _check(monolith, DECOMPOSE_PAYMENTS_MODE="remote")
    assert result.returncode != 0
    assert "(decompose.E004) service payments is remote but its URL is not set" in result.stderr
    assert "HINT: set DECOMPOSE_PAYMENTS_URL" in result.stderr
    assert "(decompose.E005) service payments is remote but its token is not set" in result.stderr


def test_remote_without_the_token_alone_fails_start_up(monolith: Path) -> None:
    result = _check(monolith, DECOMPOSE_PAYMENTS_MODE="remote", DECOMPOSE_PAYMENTS_URL="http://127.0.0.1:8001")
    assert result.returncode != 0
    assert "decompose.E005" in result.stderr and "decompose.E004" not in result.stderr


def test_remote_with_its_apps_installed_again_fails_start_up(monolith: Path, tmp_path: Path) -> None:
    copy = tmp_path / "m"
    shutil.copytree(monolith, copy, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3", ".git"))
    settings = copy / "shop" / "settings.py"
    settings.write_text(settings.read_text(encoding="utf-8") + '\nINSTALLED_APPS += ["payments"]\n', encoding="utf-8")
    result = _check(copy, DECOMPOSE_PAYMENTS_MODE="remote", DECOMPOSE_PAYMENTS_URL="http://127.0.0.1:8001",
                    DECOMPOSE_PAYMENTS_TOKEN="t0ken", DECOMPOSE_PAYMENTS_IDENTITY_KEY=KEY)
    assert result.returncode != 0
    assert "(decompose.E003) service payments is remote but its apps are still in INSTALLED_APPS: payments" \
        in result.stderr


@pytest.fixture(scope="module")
def hyphenated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The sample with payments extracted as the service ``pay-ments`` (names allow '-', modules and
    environment variables do not)."""
    tmp = tmp_path_factory.mktemp("remote-check-hyphen")
    root = tmp / "monolith"
    shutil.copytree(ROOT / "sample_monolith", root, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    result = CliRunner().invoke(
        cli, ["extract", str(root), "--service", "pay-ments", "--apps", "payments", "--out", str(tmp / "out"),
              "--apply", "--force"]
    )
    assert result.exit_code == 0, result.output
    yield root


def test_a_hyphenated_service_starts_remote_under_shell_safe_variables(hyphenated: Path) -> None:
    # before: the settings read DECOMPOSE_PAY-MENTS_MODE (no shell can export it) and start-up imported
    # the client module "shop.services.pay-ments" (ModuleNotFoundError) while it is pay_ments.py
    result = _check(hyphenated, DECOMPOSE_PAY_MENTS_MODE="remote", DECOMPOSE_PAY_MENTS_URL="http://127.0.0.1:8001",
                    DECOMPOSE_PAY_MENTS_TOKEN="t0ken", DECOMPOSE_PAY_MENTS_IDENTITY_KEY=KEY)
    assert result.returncode == 0, result.stderr[-3000:]
    migration = (hyphenated.parent / "out" / "pay-ments" / "MIGRATION.md").read_text(encoding="utf-8")
    assert "DECOMPOSE_PAY_MENTS_MODE=remote" in migration and "PAY-MENTS" not in migration


def test_a_hyphenated_service_names_its_variables_in_the_hints(hyphenated: Path) -> None:
    result = _check(hyphenated, DECOMPOSE_PAY_MENTS_MODE="remote")
    assert result.returncode != 0
    assert "(decompose.E004) service pay-ments is remote but its URL is not set" in result.stderr
    assert "HINT: set DECOMPOSE_PAY_MENTS_URL" in result.stderr
