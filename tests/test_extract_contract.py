"""`extract --apply` leaves a `decompose check` contract behind: re-coupling to a moved app fails CI."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from decompose.cli import cli

SAMPLE = Path(__file__).resolve().parents[1] / "sample_monolith"


@pytest.mark.e2e
def test_apply_adds_a_contract_that_holds_and_catches_re_coupling(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("__pycache__", ".decompose-cache", "*.sqlite3"))
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "x"], cwd=root, check=True)
    runner = CliRunner()
    out = tmp_path / "out"
    args = ["extract", str(root), "--service", "payments", "--apps", "payments", "--out", str(out), "--apply"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    config = (root / "decompose.toml").read_text()
    assert 'to = ["payments"]' in config and 'allow = ["shop.services"]' in config
    held = runner.invoke(cli, ["check", str(root)])
    assert held.exit_code == 0, held.output
    views = root / "web" / "views.py"
    leak = "\n\ndef _leak():\n    from payments.models import Payment\n\n    return Payment.objects.count()\n"
    views.write_text(views.read_text() + leak)
    broken = runner.invoke(cli, ["check", str(root)])
    assert broken.exit_code == 1, broken.output
    assert "web/views.py" in broken.output
