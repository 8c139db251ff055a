"""`extract --dry-run`: every file as a diff (new files as additions), every file listed with what
happens to it, and the checks the real run would fail, said before it is run; nothing written."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from decompose.cli import cli
from decompose.extract.preflight import dry_run

FIXTURE = Path(__file__).parent / "fixtures" / "rewire" / "mini"
ARGS = ("--service", "billing", "--apps", "billing")


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    root = tmp_path / "mini"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3", ".decompose-cache"))
    return root


def _git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}  # fmt: skip
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def _snapshot(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts and "__pycache__" not in p.parts and ".decompose-cache" not in p.parts
    }


def _extract(root: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["extract", str(root), *ARGS, *args])


def test_every_new_file_is_an_addition_and_listed(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    before = _snapshot(mini)
    result = _extract(mini, "--out", str(out), "--dry-run")
    assert result.exit_code == 0, result.output
    listed = [ln for ln in result.stderr.splitlines() if ln.startswith("would write ")]
    added = [ln[len("+++ b/") :] for ln in result.stdout.splitlines() if ln.startswith("+++ b/")]
    new = [ln.split(" ", 2)[2].rsplit(" (", 1)[0] for ln in listed if ln.endswith("(new)")]
    service = sorted(str(Path(p).relative_to(out / "billing")) for p in new if str(out) in p)
    assert service and set(service) <= set(added)  # every new service file appears whole, as an addition
    assert any(ln.endswith("(new, empty)") for ln in listed)  # an empty __init__.py has no diff line: listed so
    assert "--- /dev/null" in result.stdout
    assert any(ln.endswith("(changed) in the monolith") for ln in listed)  # the rewired monolith files
    assert "would fail" not in result.stderr
    assert not out.exists() and _snapshot(mini) == before  # nothing written


def test_an_existing_service_folder_is_said_to_need_force(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _extract(mini, "--out", str(out), "--no-rewire").exit_code == 0
    (out / "billing" / "local-note.txt").write_text("mine\n")
    dry = _extract(mini, "--out", str(out), "--no-rewire", "--dry-run")
    assert dry.exit_code == 0
    assert "the real run would fail" in dry.stderr and "--force" in dry.stderr
    real = _extract(mini, "--out", str(out), "--no-rewire")
    assert real.exit_code == 2 and "already exists" in real.stderr  # as the dry run said
    forced = _extract(mini, "--out", str(out), "--no-rewire", "--dry-run", "--force")
    assert "would fail" not in forced.stderr
    # an unchanged folder: nothing to write, nothing to refuse
    (out / "billing" / "local-note.txt").unlink()
    same = _extract(mini, "--out", str(out), "--no-rewire", "--dry-run")
    assert "would fail" not in same.stderr and "already as they would be written" in same.stderr
    assert "would write" not in same.stderr


def test_apply_on_a_dirty_tree_is_said_to_fail(mini: Path, tmp_path: Path) -> None:
    _git(mini, "init", "-q")
    _git(mini, "add", "-A")
    _git(mini, "commit", "-q", "-m", "base")
    (mini / "notes.txt").write_text("uncommitted\n")
    out = tmp_path / "out"
    dry = _extract(mini, "--out", str(out), "--apply", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "the real run would fail: --apply" in dry.stderr and "notes.txt" in dry.stderr
    real = _extract(mini, "--out", str(out / "x"), "--apply")
    assert real.exit_code != 0 and "uncommitted" in real.stderr  # as the dry run said
    assert "would fail" not in _extract(mini, "--out", str(out), "--apply", "--dry-run", "--force").stderr
    assert "would fail" not in _extract(mini, "--out", str(out), "--dry-run").stderr  # no --apply: no git check


def test_preflight_statuses(tmp_path: Path) -> None:
    target = tmp_path / "svc"
    target.mkdir()
    (target / "same.txt").write_text("a\n")
    (target / "old.txt").write_text("old\n")
    report = dry_run(target, {"same.txt": "a\n", "old.txt": "new\n", "add.txt": "x\n"}, tmp_path)
    assert [(Path(f.path).name, f.status) for f in report.service] == [
        ("add.txt", "new"),
        ("old.txt", "changed"),
        ("same.txt", "unchanged"),
    ]
    assert len(report.blockers) == 1 and "--force" in report.blockers[0]
    (tmp_path / "file").write_text("")
    assert "not a folder" in dry_run(tmp_path / "file", {"a": "b"}, tmp_path).blockers[0]
