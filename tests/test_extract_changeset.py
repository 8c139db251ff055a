"""changeset.py, the only writer: kill an apply after every one of its steps, then recover and
re-run it; the tree must be byte for byte the original (journal before its commit point) or the
clean apply (after it), never anything in between. Also through the CLI: a plain `--apply` after
an interrupted one recovers first (no --force) and says which way."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from decompose.cli import cli
from decompose.errors import InputError, UnsafeOperationError
from decompose.extract.changeset import FAULT_ENV, JOURNAL, apply_changes, recover, write_tree
from decompose.extract.plan import build_plan
from decompose.extract.plan.index import index_project
from decompose.extract.rewire import rewire

FIXTURE = Path(__file__).parent / "fixtures" / "rewire" / "mini"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}

# runs one writer in a fresh process (the fault hook kills that process, not pytest)
WORKER = """
import json, sys
from pathlib import Path
from decompose.extract import changeset
mode, base, data = sys.argv[1], Path(sys.argv[2]), json.loads(Path(sys.argv[3]).read_text())
if mode == "apply":
    changeset.apply_changes(base, data, force=True)
elif mode == "tree":
    changeset.write_tree(base / "svc", data["files"], force=True, beside=data["beside"])
else:
    changeset.recover(base)
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECOMPOSE_")}
    return {**env, **GIT_ENV, **extra}


def _snapshot(root: Path) -> dict[str, str]:
    """Every file (content and permission bits) and every folder under ``root``, outside .git."""
    out: dict[str, str] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if rel.parts[0] == ".git" or "__pycache__" in rel.parts:
            continue
        if p.is_dir():
            out[rel.as_posix() + "/"] = "dir"
        else:
            out[rel.as_posix()] = f"{p.stat().st_mode & 0o777:o} {hashlib.sha256(p.read_bytes()).hexdigest()}"
    return out


def _worker(mode: str, base: Path, data: Path, fault: int | None) -> subprocess.CompletedProcess[str]:
    env = _env(**({FAULT_ENV: str(fault)} if fault is not None else {}))
    return subprocess.run([sys.executable, "-c", WORKER, mode, str(base), str(data)], env=env,
                          capture_output=True, text=True, timeout=120)


def _run_in_process(mode: str, base: Path, data: Path) -> None:
    loaded = json.loads(data.read_text())
    if mode == "apply":
        apply_changes(base, loaded, force=True)
    else:
        write_tree(base / "svc", loaded["files"], force=True, beside=loaded["beside"])


def _journal_state(base: Path) -> str | None:
    if (base / JOURNAL).is_file():
        return str(json.loads((base / JOURNAL).read_text())["state"])
    return "temporary" if (base / (JOURNAL + ".tmp")).is_file() else None


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=_env())


@pytest.fixture(scope="module")
def monolith(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str | None]]:
    """The fixture monolith and its rewiring for `billing` plus a deletion and a new nested file."""
    root = tmp_path_factory.mktemp("orig") / "mini"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    (root / "sales" / "services.py").chmod(0o754)  # a mode the staged file must keep
    plan = build_plan(index_project(root, use_cache=False), "billing", ["billing"])
    changes: dict[str, str | None] = dict(rewire(plan, root).changes)
    assert len(changes) >= 10
    changes["billing/views.py"] = None  # a deletion
    changes["docs/deep/notes.txt"] = "two new folders\n"
    return root, changes


def _copy(src: Path, dst: Path) -> Path:
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, symlinks=True)
    return dst


def _kill_at_every_step(
    tmp_path: Path, original: Path, mode: str, data: Path
) -> tuple[dict[str, str], list[tuple[int, str | None, str]]]:
    """Kill the writer after step 1, 2, ... until it finishes; after each kill recover and re-run.

    Returns the clean result and, per step, (step, journal state at the kill, recovery action).
    """
    clean = _copy(original, tmp_path / "clean")
    _run_in_process(mode, clean, data)
    before, after = _snapshot(original), _snapshot(clean)
    assert before != after
    seen: list[tuple[int, str | None, str]] = []
    n = 0
    while True:
        n += 1
        work = _copy(original, tmp_path / "work")
        proc = _worker(mode, work, data, n)
        if proc.returncode == 0:
            assert f"fault injected after step {n}" not in proc.stderr
            break
        assert proc.returncode == -9, (n, proc.stderr)  # SIGKILL: no cleanup ran
        assert f"fault injected after step {n}:" in proc.stderr
        state = _journal_state(work)
        done = recover(work)
        if done is None:  # killed after its last step (the journal's removal): the apply is complete
            assert state is None
            action = "none"
            assert _snapshot(work) == after, n
        else:
            action = done.action
            # the journal's state alone decides, and the tree is exactly one of the two ends
            assert action == ("completed" if state in ("committed", "done") else "rolled back"), (n, state)
            assert _snapshot(work) == (after if action == "completed" else before), (n, state)
        assert _journal_state(work) is None and recover(work) is None  # a second recovery does nothing
        _run_in_process(mode, work, data)  # the same apply, run again normally
        assert _snapshot(work) == after, n
        seen.append((n, state, action))
        shutil.rmtree(work)
    return after, seen


def test_kill_at_every_step_of_an_apply_then_recover(
    monolith: tuple[Path, dict[str, str | None]], tmp_path: Path
) -> None:
    root, changes = monolith
    data = tmp_path / "changes.json"
    data.write_text(json.dumps(changes))
    _, seen = _kill_at_every_step(tmp_path, root, "apply", data)
    states = [s for _, s, _ in seen]
    actions = {a for _, _, a in seen}
    # every phase was hit: the first journal's temporary file, staging, committed, done, after the end
    assert {"temporary", "staging", "committed", "done", None} <= set(states), states
    assert actions == {"rolled back", "completed", "none"}
    # staging steps: journal (2), each folder created (docs/deep and its parent, mini/services and its
    # subpackages), a staged file per change and a backup per existing target; commit (2); a rename
    # per change; done (2); a backup removal each; journal
    existing = [rel for rel in changes if (root / rel).is_file()]
    staged = [rel for rel, text in changes.items() if text is not None]
    folders = {p for rel in changes for p in Path(rel).parents if p != Path(".") and not (root / p).exists()}
    assert len(seen) == 2 + len(folders) + len(staged) + len(existing) + 2 + len(changes) + 2 + len(existing) + 1


def test_a_recovery_killed_at_any_of_its_steps_is_finished_by_the_next(
    monolith: tuple[Path, dict[str, str | None]], tmp_path: Path
) -> None:
    root, changes = monolith
    data = tmp_path / "changes.json"
    data.write_text(json.dumps(changes))
    clean = _copy(root, tmp_path / "clean")
    apply_changes(clean, changes, force=True)
    before, after = _snapshot(root), _snapshot(clean)
    # find the last staging step and a step in the middle of the renames
    listing = _worker("apply", _copy(root, tmp_path / "probe"), data, 0)
    steps = re.findall(r"^decompose: step (\d+): (.*)$", listing.stderr, re.M)
    labels = [label for _, label in steps]
    committed = next(i for i, label in enumerate(labels, 1) if label.endswith("journal committed"))
    kills = {committed - 2: before, committed + len(changes) // 2: after}
    for kill, expected in kills.items():
        interrupted = _copy(root, tmp_path / "interrupted")
        assert _worker("apply", interrupted, data, kill).returncode == -9
        m = 0
        while True:
            m += 1
            work = _copy(interrupted, tmp_path / "work")
            proc = _worker("recover", work, data, m)
            if proc.returncode == 0:
                break
            assert proc.returncode == -9, proc.stderr
            last = "journal removed" in proc.stderr  # killed after the recovery's last step: nothing left to do
            assert (recover(work) is None) == last
            assert _snapshot(work) == expected, (kill, m)
        assert m > 3 and last


def test_kill_at_every_step_of_writing_a_service_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "svc" / "old").mkdir(parents=True)
    (out / "svc" / "old" / "gone.py").write_text("old = 1\n")
    (out / "svc" / "manage.py").write_text("old\n")
    (out / "svc.monolith.diff").write_text("old diff\n")
    files = {"manage.py": "new\n", "README.md": "# svc\n", "svc_service/__init__.py": "",
             "svc_service/api.py": "x = 1\n"}
    data = tmp_path / "tree.json"
    data.write_text(json.dumps({"files": files, "beside": {"svc.monolith.diff": "new diff\n", "notes/a/b.txt": "b\n"}}))
    after, seen = _kill_at_every_step(tmp_path, out, "tree", data)
    assert {a for _, _, a in seen} == {"rolled back", "completed", "none"}
    assert after["svc/manage.py"].startswith("755 ") and "svc/old/gone.py" not in after
    assert not [p for p in after if ".decompose-" in p or JOURNAL in p]


def test_writers_refuse_a_pending_journal_and_bad_paths(tmp_path: Path) -> None:
    (tmp_path / JOURNAL).write_text(json.dumps({"state": "staging", "entries": [], "dirs": []}))
    with pytest.raises(UnsafeOperationError, match="interrupted apply is pending"):
        apply_changes(tmp_path, {"a.py": "a = 1\n"}, force=True)
    with pytest.raises(UnsafeOperationError, match="interrupted apply is pending"):
        write_tree(tmp_path / "svc", {"a.py": "a = 1\n"})
    done = recover(tmp_path)
    assert done is not None and done.message() == f"rolled back an interrupted apply (0 files) in {tmp_path}"
    assert list(tmp_path.iterdir()) == []
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (tmp_path / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InputError, match="symlink"):
        apply_changes(tmp_path, {"link/x.py": "x = 1\n"}, force=True)
    with pytest.raises(InputError, match="outside"):
        apply_changes(tmp_path, {"../x.py": "x = 1\n"}, force=True)
    assert list(outside.iterdir()) == []
    (tmp_path / JOURNAL).write_text("{not json")
    with pytest.raises(UnsafeOperationError, match="cannot be read"):
        recover(tmp_path)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="advisory folder locks are POSIX")
def test_a_live_transaction_is_not_taken_for_an_interrupted_one(tmp_path: Path) -> None:
    import fcntl

    (tmp_path / "a.py").write_text("a = 1\n")
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a running apply holds it
        with pytest.raises(UnsafeOperationError, match="another decompose process"):
            apply_changes(tmp_path, {"a.py": "a = 2\n"}, force=True)
        (tmp_path / JOURNAL).write_text(json.dumps({"state": "staging", "entries": [], "dirs": []}))
        with pytest.raises(UnsafeOperationError, match="another decompose process"):
            recover(tmp_path)
        assert (tmp_path / JOURNAL).is_file()
    finally:
        os.close(fd)
    assert recover(tmp_path) is not None and sorted(p.name for p in tmp_path.iterdir()) == ["a.py"]


def test_a_bad_fault_setting_is_an_input_error_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FAULT_ENV, "three")
    with pytest.raises(InputError, match=FAULT_ENV):
        apply_changes(tmp_path, {"a.py": "a = 1\n"}, force=True)
    assert list(tmp_path.iterdir()) == []


def test_an_identical_service_folder_needs_no_force_and_is_left_alone(tmp_path: Path) -> None:
    files = {"a.txt": "1\n", "b/c.txt": "2\n"}
    assert write_tree(tmp_path / "svc", files) is True
    inode = (tmp_path / "svc" / "a.txt").stat().st_ino
    assert write_tree(tmp_path / "svc", files) is False
    assert (tmp_path / "svc" / "a.txt").stat().st_ino == inode
    with pytest.raises(UnsafeOperationError, match="already exists"):
        write_tree(tmp_path / "svc", {**files, "d.txt": "3\n"})


# -- through the CLI -------------------------------------------------------------------------


def _cli_args(root: Path, out: Path, *more: str) -> list[str]:
    return ["extract", str(root), "--service", "billing", "--apps", "billing", "--out", str(out), *more]


def _cli_subprocess(root: Path, out: Path, fault: int, *more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "decompose", *_cli_args(root, out, *more)],
                          env=_env(**{FAULT_ENV: str(fault)}), capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def cli_case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """The committed monolith, the clean `--apply` result, and the numbered steps of that run."""
    base = tmp_path_factory.mktemp("cli")
    root = base / "mini"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    original = _copy(root, base / "original")
    listing = _cli_subprocess(root, base / "out", 0, "--apply")  # a clean apply that lists its steps
    assert listing.returncode == 0, listing.stderr
    steps = [(int(n), label) for n, label in re.findall(r"^decompose: step (\d+): (.*)$", listing.stderr, re.M)]
    yield {"original": original, "clean": _snapshot(root), "clean_out": _snapshot(base / "out"), "steps": steps,
           "root": root, "base": base}


def _step(steps: object, prefix: Path, suffix: str) -> int:
    assert isinstance(steps, list)
    return next(n for n, label in steps if label.startswith(f"{prefix}:") and label.endswith(suffix))


def test_plain_apply_after_an_interrupted_one_rolls_it_back_without_force(cli_case: dict[str, object]) -> None:
    original, base = cli_case["original"], cli_case["base"]
    assert isinstance(original, Path) and isinstance(base, Path)
    root, out = _copy(original, base / "rb" / "mini"), base / "rb" / "out"
    # the --out transaction comes first; then the monolith's: kill just before its commit point
    kill = _step(cli_case["steps"], Path(str(cli_case["root"])), "journal committed") - 2
    killed = _cli_subprocess(root, out, kill, "--apply")
    assert killed.returncode == -9, killed.stderr
    assert _journal_state(root) == "staging" and _snapshot(root) != cli_case["clean"]
    # --dry-run does not recover, says so, and writes nothing
    dry = CliRunner().invoke(cli, _cli_args(root, out, "--dry-run"))
    assert dry.exit_code == 0 and "interrupted apply is pending" in dry.stderr and _journal_state(root) == "staging"
    rerun = CliRunner().invoke(cli, _cli_args(root, out, "--apply"))  # no --force: the tree is clean once rolled back
    assert rerun.exit_code == 0, rerun.output
    steps = cli_case["steps"]
    assert isinstance(steps, list)
    prefix = re.escape(str(cli_case["root"]))
    changed = sum(1 for _, label in steps if re.match(rf"{prefix}: (renamed|deleted) ", label))
    assert f"decompose: rolled back an interrupted apply ({changed} files) in {root}" in rerun.stderr
    assert "completed" not in rerun.stderr
    assert _snapshot(root) == cli_case["clean"]
    assert _snapshot(out) == cli_case["clean_out"]


def test_apply_after_an_interrupted_one_past_its_commit_point_completes_it(cli_case: dict[str, object]) -> None:
    original, base = cli_case["original"], cli_case["base"]
    assert isinstance(original, Path) and isinstance(base, Path)
    root, out = _copy(original, base / "done" / "mini"), base / "done" / "out"
    kill = _step(cli_case["steps"], Path(str(cli_case["root"])), "journal committed") + 3
    killed = _cli_subprocess(root, out, kill, "--apply")
    assert killed.returncode == -9, killed.stderr
    assert _journal_state(root) == "committed"
    rerun = CliRunner().invoke(cli, _cli_args(root, out, "--apply", "--force"))
    assert rerun.exit_code == 0, rerun.output
    assert re.search(rf"^decompose: completed an interrupted apply \(\d+ files\) in {re.escape(str(root))}$",
                     rerun.stderr, re.M)
    assert "rolled back" not in rerun.stderr
    assert _snapshot(root) == cli_case["clean"]  # exactly the clean apply, not a re-rewiring of a half-written tree


def test_plain_extract_recovers_the_output_folder(cli_case: dict[str, object]) -> None:
    original, base = cli_case["original"], cli_case["base"]
    assert isinstance(original, Path) and isinstance(base, Path)
    root, out = _copy(original, base / "out-case" / "mini"), base / "out-case" / "out"
    kill = _step(cli_case["steps"], base / "out", "journal committed")
    killed = _cli_subprocess(root, out, kill, "--apply")
    assert killed.returncode == -9, killed.stderr
    assert _journal_state(out) == "committed" and not (out / "billing").exists()
    rerun = CliRunner().invoke(cli, _cli_args(root, out))  # no --apply: the diff is printed
    assert rerun.exit_code == 0, rerun.output
    assert re.search(rf"^decompose: completed an interrupted apply \(\d+ files\) in {re.escape(str(out))}$",
                     rerun.stderr, re.M)
    assert _snapshot(out) == cli_case["clean_out"]
    assert _snapshot(root) == _snapshot(original)
