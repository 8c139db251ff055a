"""CI fails if regenerating extracted/<name>.monolith.diff (and MIGRATION.md) gives other bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from decompose.cli import cli

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("name", ["payments", "notifications"])
def test_committed_monolith_diff_is_what_extract_generates(name: str, tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in sorted((ROOT / "sample_monolith").rglob("*.py"))}
    result = CliRunner().invoke(
        cli, ["extract", str(ROOT / "sample_monolith"), "--service", name, "--apps", name, "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    fresh = (tmp_path / f"{name}.monolith.diff").read_bytes()
    assert fresh, "the rewiring changes the monolith"
    assert fresh == (ROOT / "extracted" / f"{name}.monolith.diff").read_bytes(), (
        f"extracted/{name}.monolith.diff is stale: regenerate with `decompose extract sample_monolith --service {name} "
        f"--apps {name} --out extracted --force`"
    )
    assert (tmp_path / name / "MIGRATION.md").read_bytes() == (ROOT / "extracted" / name / "MIGRATION.md").read_bytes()
    assert {p: p.read_bytes() for p in before} == before  # without --apply the monolith is untouched
