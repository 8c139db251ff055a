"""Bad files in a project: `extract` (plan, dry run, out, apply) behaves as `analyze` does.

Each input is planted in a copy of the extraction fixture; every mode must finish (no hang), exit 0 or 2
with no traceback, list what it skipped where it says anything, and write nothing outside ``--out``
and the project. The inputs are the ones that made the old second analyser hang or crash.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "extract" / "shopfix"
MODES = {
    "plan": ["--plan"],
    "dry-run": ["--dry-run"],
    "out": [],
    "apply": ["--apply", "--force"],
}


def _fifo(root: Path, rel: str) -> None:
    os.mkfifo(root / rel)


def _big(root: Path, rel: str) -> None:
    (root / rel).write_bytes(b"x = 1\n" * (50 * 1024 * 1024 // 6))


def _dev_zero(root: Path, rel: str) -> None:
    os.symlink("/dev/zero", root / rel)


def _mode_000(root: Path, rel: str) -> None:
    (root / rel).write_text("import orders.models\n", encoding="utf-8")
    os.chmod(root / rel, 0)


def _dir_named_py(root: Path, rel: str) -> None:
    (root / rel).mkdir()


def _symlink_loop(root: Path, rel: str) -> None:
    os.symlink(root / rel.rsplit("/", 1)[0], root / rel)


def _deep_expression(root: Path, rel: str) -> None:
    (root / rel).write_text("x = " + " + ".join(["1"] * 200_000) + "\n", encoding="utf-8")


def _link_out(root: Path, rel: str) -> None:
    os.symlink("/", root / rel)


CASES = {
    "fifo signals.py in a moved app": (_fifo, "payments/signals_fifo.py"),
    "fifo settings.py": (_fifo, "shop/settings_local.py"),
    "50 MB module in a moved app": (_big, "payments/generated.py"),
    "manage.py linked to /dev/zero": (_dev_zero, "manage_zero.py"),
    "mode-000 file in a moved app": (_mode_000, "payments/locked.py"),
    "folder named helpers.py": (_dir_named_py, "payments/helpers.py"),
    "symlink loop in a moved app": (_symlink_loop, "payments/loop"),
    "200k-term expression": (_deep_expression, "payments/deep.py"),
    "symlink to / in a moved app": (_link_out, "payments/root_link"),
}


def _project(tmp: Path, case: str) -> Path:
    root = tmp / "proj"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns(".decompose-cache", "__pycache__"))
    plant, rel = CASES[case]
    plant(root, rel)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=False, capture_output=True)
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "x"],
        cwd=root,
        check=False,
        capture_output=True,
    )
    return root


def _outside_snapshot(tmp: Path) -> set[str]:
    return {p.name for p in tmp.iterdir()}


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_in_extract(case: str, mode: str, tmp_path: Path) -> None:
    root = _project(tmp_path, case)
    out = tmp_path / "out"
    before = _outside_snapshot(tmp_path)
    cmd = [sys.executable, "-m", "decompose", "extract", str(root), "--service", "payments", "--apps", "payments",
           "--out", str(out), *MODES[mode]]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode in (0, 2), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    if proc.returncode == 2:
        assert len(proc.stderr.strip().splitlines()) <= 3, proc.stderr
    # nothing written beside the project and --out (no temporary copy of the project left behind)
    assert _outside_snapshot(tmp_path) - before <= {"out"}
    if mode in ("plan", "dry-run"):
        assert not out.exists()
    if mode == "plan" and proc.returncode == 0:
        assert "# Extraction plan" in proc.stdout
