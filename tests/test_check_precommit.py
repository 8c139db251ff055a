"""End to end: this repository's .pre-commit-hooks.yaml, run by pre-commit on a fixture git repo.

`pre-commit try-repo` installs decompose from this checkout (as a user's pre-commit would from its
URL) into its own virtualenv and runs the `decompose-check` hook: it passes while the contracts
hold and fails, naming the file and line, once a commit breaks one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHOP = Path(__file__).parent / "fixtures" / "check" / "shop"
CONTRACTS = """[check]
[[check.contracts]]
name = "storefront goes through orders.services"
type = "public_api"
app = "orders"
api = ["orders.services", "orders.signals"]
from = ["web"]
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.mark.e2e
def test_pre_commit_try_repo_runs_the_hook(tmp_path: Path) -> None:
    if not os.environ.get("CI"):  # in CI (the test extra installs it) a missing pre-commit is a failure
        pytest.importorskip("pre_commit")
    repo = tmp_path / "shop"
    shutil.copytree(SHOP, repo)
    (repo / "decompose.toml").write_text(CONTRACTS)
    (repo / ".gitignore").write_text(".decompose-cache/\n")
    git(repo, "init", "-q")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "shop")
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        # try-repo commits a checkout's uncommitted changes into a shadow repository: give git a name
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    cmd = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "decompose-check", "--all-files", "--verbose"]

    ok = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "decompose check" in ok.stdout and "Passed" in ok.stdout

    view = repo / "web" / "views.py"
    view.write_text(
        view.read_text()
        + "\n\ndef orders_count():\n    from orders.models import Order\n\n    return Order.objects.count()\n"
    )
    git(repo, "add", "web/views.py")
    line = view.read_text().splitlines().index("    return Order.objects.count()") + 1
    bad = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout
    assert f"web/views.py:{line}  orm  web.views -> orders.models Order" in bad.stdout
    assert "decompose: error: 2 violations of the boundary contracts" in bad.stdout
