"""CI regenerates extracted/ from sample_monolith and fails if it differs from what is committed."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from decompose.cli import cli

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("payments", "notifications")

pytestmark = pytest.mark.e2e


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".sqlite3"
    }


@pytest.mark.parametrize("name", SERVICES)
def test_committed_service_is_what_extract_generates(name: str, tmp_path: Path) -> None:
    committed = ROOT / "extracted" / name
    assert committed.is_dir(), f"extracted/{name} is not committed"
    result = CliRunner().invoke(
        cli, ["extract", str(ROOT / "sample_monolith"), "--service", name, "--apps", name, "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    fresh, old = _tree(tmp_path / name), _tree(committed)
    missing, extra = sorted(set(fresh) - set(old)), sorted(set(old) - set(fresh))
    changed = sorted(k for k in set(fresh) & set(old) if fresh[k] != old[k])
    assert not (missing or extra or changed), (
        f"extracted/{name} is stale: regenerate it with `decompose extract sample_monolith --service {name} "
        f"--apps {name} --out extracted --force` (new: {missing[:5]}, gone: {extra[:5]}, changed: {changed[:5]})"
    )
    assert (committed / "manage.py").stat().st_mode & 0o111, "manage.py is executable"


def test_extraction_is_deterministic(tmp_path: Path) -> None:
    runs = []
    for i in range(2):
        out = tmp_path / str(i)
        result = CliRunner().invoke(
            cli, ["extract", str(ROOT / "sample_monolith"), "--service", "payments", "--apps", "payments", "--out", str(out), "--no-rewire"]
        )
        assert result.exit_code == 0, result.output
        runs.append(_tree(out / "payments"))
    assert runs[0] == runs[1]
