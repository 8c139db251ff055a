"""Bad files never stop the analysis: each is listed as skipped with its reason, the rest is analysed.

The tree is generated in a temporary folder by the test. An "unreadable" file
is made honestly, without monkeypatching: the tests run as root, and root
reads a ``chmod 000`` file, so the unreadable cases are a dangling symlink,
a symlink loop and a FIFO (not a regular file). The ``chmod 000`` file is
checked too: skipped for a normal user, analysed for root (who can read it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from decompose.analysis import analyze
from decompose.cli import cli


@pytest.fixture(scope="module")
def bad_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bad") / "proj"
    root.mkdir()
    (root / "decompose.toml").write_text("max_file_bytes = 20000\n")
    w = lambda rel, data: (root / rel).parent.mkdir(parents=True, exist_ok=True) or (root / rel).write_bytes(data)  # noqa: E731
    w("good.py", b"VALUE = 1\n\ndef make():\n    return VALUE\n")
    w("pkg/__init__.py", b"")
    w("pkg/ok.py", b"import good\n\ngood.make()\n")
    w("syntax_error.py", b"def f(:\n    pass\n")
    w("py2.py", b'print "hello"\n')
    w("latin1.py", "# -*- coding: latin-1 -*-\nimport good\nNAME = 'café'\n".encode("latin-1"))
    w("unknown_codec.py", b"# -*- coding: klingon -*-\nx = 1\n")
    w("invalid_utf8.py", b"x = '\xff\xfe'\n")
    w("bom.py", b"\xef\xbb\xbfimport good\n")
    w("nul.py", b"x = 1\0\n")
    w("newer.py", b'import good\n\ntype Alias = good.Thing\nlabel = f"{f"{good.make()}"}"\n\ndef first[T](xs: list[T]) -> T:\n    return good.make()\n')
    w("empty.py", b"")
    w("huge_generated.py", b"X = 1\n" * 5000)
    w("noinit/mod.py", b"import good\n")
    os.symlink("loop_b.py", root / "loop_a.py")
    os.symlink("loop_a.py", root / "loop_b.py")
    os.symlink("does_not_exist.py", root / "dangling.py")
    os.symlink("..", root / "pkg" / "again")  # a folder symlink back up the tree
    os.mkfifo(root / "pipe.py")
    w("locked.py", b"import good\n")
    os.chmod(root / "locked.py", 0)
    return root


EXPECTED_SKIPS = {
    "syntax_error.py": "syntax error at line 1",
    "py2.py": "Python 2",
    "unknown_codec.py": "unknown encoding",
    "invalid_utf8.py": "UTF-8",
    "nul.py": "NUL bytes",
    "huge_generated.py": "too large",
    "loop_a.py": "symlink loop",
    "loop_b.py": "symlink loop",
    "dangling.py": "dangling symlink",
    "pipe.py": "not a regular file",
    "pkg/again": "symlink loop",
}


def test_each_bad_file_is_skipped_with_its_reason(bad_tree):
    g = analyze(bad_tree, use_cache=False)
    reasons = {s.path: s.reason for s in g.skipped}
    for path, word in EXPECTED_SKIPS.items():
        assert path in reasons, path
        assert word in reasons[path], (path, reasons[path])
    expected_extra = {"locked.py"} if os.geteuid() != 0 else set()
    assert set(reasons) == set(EXPECTED_SKIPS) | expected_extra


def test_the_rest_is_analysed(bad_tree):
    g = analyze(bad_tree, use_cache=False)
    mods = set(g.modules())
    assert {"good", "pkg", "pkg.ok", "latin1", "bom", "newer", "empty", "noinit.mod"} <= mods
    if os.geteuid() == 0:
        assert "locked" in mods  # root reads a chmod 000 file
    for src in ("pkg.ok", "latin1", "bom", "newer", "noinit.mod"):
        assert g.graph.has_edge(src, "good", key="import"), src
    # syntax newer than this interpreter (PEP 695, PEP 701) is parsed by LibCST and keeps its uses and lines
    calls = {(e.line, e.symbol) for e in g.graph.edges["newer", "good", "call"]["evidence"]}
    assert calls == {(4, "make"), (7, "make")}
    assert g.graph.nodes["empty"]["lines"] == 0
    assert any(w.startswith("noinit/") for w in g.meta["warnings"])


def test_cli_exits_0_lists_skipped_files_and_counts_warnings(bad_tree):
    r = CliRunner().invoke(cli, ["analyze", str(bad_tree), "--no-cache"], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert "Traceback" not in r.output
    for path in EXPECTED_SKIPS:
        assert path in r.stderr, path
    n = len(EXPECTED_SKIPS) + (0 if os.geteuid() == 0 else 1) + 1  # + the namespace-folder warning
    assert f"{n} warning(s)" in r.stderr


def test_bad_files_are_cached_as_skipped_too(bad_tree, tmp_path):
    first = analyze(bad_tree, cache_dir=tmp_path / "c")
    second = analyze(bad_tree, cache_dir=tmp_path / "c")
    assert first == second and len(second.skipped) >= len(EXPECTED_SKIPS)


def test_a_symlink_to_a_folder_outside_the_project_is_reported_not_followed(tmp_path: Path) -> None:
    # it used to walk the whole machine (a symlink to / inside the project made analyze hang)
    proj = tmp_path / "proj"
    (proj / "app").mkdir(parents=True)
    (proj / "app" / "__init__.py").write_text("", encoding="utf-8")
    (proj / "app" / "models.py").write_text("x = 1\n", encoding="utf-8")
    os.symlink("/", proj / "app" / "root_link")
    os.symlink(proj / "app", proj / "inner_link")  # inside the project: still walked (and seen once)
    from decompose.analysis import run_analysis

    a = run_analysis(proj, use_cache=False)
    assert ("app/root_link", "symlink to a folder outside the project (not followed)") in {
        (s.path, s.reason) for s in a.project.skipped
    }
