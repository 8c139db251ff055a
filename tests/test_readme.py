"""The README's command blocks run as written, in order, on a fresh copy of the repository.

Every fenced ```sh block of README.md is run with ``bash -euo pipefail`` in a temporary copy of
the repository's tracked files (what a fresh clone holds), with this virtualenv's ``decompose``
first on PATH, in the order the README gives them: a block may use a file an earlier block made.

An HTML comment on the line before a block marks it:

- ``<!-- readme-test: slow -->``: skipped in the quick run, run when ``CI=true`` (or
  ``DECOMPOSE_README_SLOW=1``);
- ``<!-- readme-test: skip REASON -->``: never run here, with the reason (the set-up block: it
  installs this machine and runs this very suite; ``.ci/run`` runs it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
BLOCK_TIMEOUT = 900

_FENCE = re.compile(r"^```(\S*)\s*$")
_MARK = re.compile(r"^<!--\s*readme-test:\s*(slow|skip)\b\s*(.*?)\s*-->\s*$")


@dataclass(frozen=True, slots=True)
class Block:
    """One ```sh block: where it starts (1-based line of the fence), its text and its marker."""

    line: int
    code: str
    mark: str = ""
    reason: str = ""


def sh_blocks(text: str) -> list[Block]:
    """The ```sh blocks of a Markdown text in order, each with the readme-test marker before it."""
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        lang, start = m.group(1), i
        i += 1
        body: list[str] = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i])
            i += 1
        i += 1
        if lang != "sh":
            continue
        before = start - 1
        while before >= 0 and not lines[before].strip():
            before -= 1
        mark = _MARK.match(lines[before]) if before >= 0 else None
        blocks.append(
            Block(start + 1, "\n".join(body) + "\n", mark.group(1) if mark else "", mark.group(2) if mark else "")
        )
    return blocks


def test_blocks_and_markers_are_read():
    text = (
        "intro\n```sh\necho one\n```\n<!-- readme-test: slow -->\n\n```sh\necho two\n```\n"
        "```yaml\nkey: 1\n```\n<!-- readme-test: skip installs the machine -->\n```sh\necho three\n```\n"
    )
    blocks = sh_blocks(text)
    assert [(b.line, b.code, b.mark, b.reason) for b in blocks] == [
        (2, "echo one\n", "", ""),
        (7, "echo two\n", "slow", ""),
        (14, "echo three\n", "skip", "installs the machine"),
    ]


def test_readme_has_command_blocks():
    blocks = sh_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 6
    # every stage's block is run (only the set-up block may be skipped)
    assert [b.line for b in blocks if b.mark == "skip"] == [blocks[0].line]


def _fresh_copy(dest: Path) -> None:
    """The repository's tracked files, as a clone holds them (plus edits not committed yet)."""
    listed = (
        subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout.decode().split("\0")
    )
    for rel in filter(None, listed):
        src = REPO / rel
        if not src.is_file():
            continue  # deleted in the working tree
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    # a clone is a clean git work tree (extract --apply refuses a dirty one)
    git = ["git", "-c", "user.name=readme-test", "-c", "user.email=readme-test@invalid", "-c", "commit.gpgsign=false"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "clone"]):
        subprocess.run([*git, *args], cwd=dest, capture_output=True, check=True)


def _run_slow() -> bool:
    return os.environ.get("CI") == "true" or os.environ.get("DECOMPOSE_README_SLOW") == "1"


def test_readme_blocks_run_in_order(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is needed to list the repository's files")
    work = tmp_path / "clone"
    _fresh_copy(work)
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["NO_COLOR"] = "1"
    env.pop("FORCE_COLOR", None)
    skipped: list[str] = []
    for block in sh_blocks(README.read_text(encoding="utf-8")):
        if block.mark == "skip" or (block.mark == "slow" and not _run_slow()):
            skipped.append(f"README.md:{block.line} ({block.mark})")
            continue
        proc = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block.code],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=BLOCK_TIMEOUT,
        )
        assert proc.returncode == 0, (
            f"README.md:{block.line}: the block exited {proc.returncode}\n{block.code}\n"
            f"--- stdout (tail)\n{proc.stdout[-3000:]}\n--- stderr (tail)\n{proc.stderr[-3000:]}"
        )
    if skipped:
        print("not run here:", ", ".join(skipped))


# --- figures: each figure the README quotes about the sample monolith is what scripts/figures.py measures now

#: README text around a figure, one ``{key}`` a figure of scripts/figures.py; spaces match any line wrap
QUOTED = (
    "Corner Shop, a Django 5.2 shop with {sample.apps} apps",
    "the default proposal ({sample.propose.algorithm}: {sample.propose.services} services plus "
    "`{sample.propose.shared_kernel}` as the shared kernel)",
    "scores **MoJoFM {sample.propose.mojofm} %** against the architect's `decomposition.toml` "
    "({sample.reference.services} services)",
    "with `--services 10` it reaches **{sample.propose.services10.mojofm} %**",
    "partition has {sample.reference.cross_service_fks} cross-service foreign keys and a combined score of "
    "{sample.reference.score}, the proposal {sample.propose.cross_service_fks} and {sample.propose.score}.",
)
_KEY = re.compile(r"\{([a-z0-9_.]+)\}")


def _pattern(template: str) -> tuple[re.Pattern[str], list[str]]:
    parts = _KEY.split(template)
    regex, keys = "", []
    for i, part in enumerate(parts):
        if i % 2:
            keys.append(part)
            regex += r"(\d[\d,]*(?:\.\d+)?|[A-Za-z_][\w,-]*[\w])"
        else:
            regex += r"\s+".join(re.escape(word) for word in part.split(" "))
    return re.compile(regex, re.I), keys


def _same(quoted: str, value: object) -> bool:
    """A quoted figure equals the measured one at the precision it is quoted with."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        decimals = len(quoted.split(".")[1]) if "." in quoted else 0
        try:
            return float(quoted.replace(",", "")) == round(float(value), decimals)
        except ValueError:
            return False
    return quoted.lower() == str(value).lower()


def test_same_figure_at_quoted_precision():
    assert _same("82", 81.82) and _same("0.41", 0.411315) and _same("0.20", 0.199404) and _same("Louvain", "louvain")
    assert not _same("91", 81.82) and not _same("0.40", 0.411315) and not _same("core", "core,web")
    pattern, keys = _pattern(QUOTED[3])
    stale = pattern.search("and with `--services 10` it\nreaches **91 %** (before")
    assert stale and keys == ["sample.propose.services10.mojofm"] and not _same(stale.group(1), 81.82)


@pytest.fixture(scope="module")
def measured() -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "figures.py"), "--json"], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("template", QUOTED)
def test_readme_figure_is_measured(template, measured):
    text = README.read_text(encoding="utf-8")
    pattern, keys = _pattern(template)
    m = pattern.search(text)
    assert m, f"README.md no longer says {template!r}: update it from scripts/figures.py, or this list"
    wrong = [
        f"{key}: README says {quoted}, scripts/figures.py measures {measured[key]}"
        for key, quoted in zip(keys, m.groups(), strict=True)
        if not _same(quoted, measured[key])
    ]
    assert not wrong, "; ".join(wrong)
