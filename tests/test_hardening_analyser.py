"""Hostile input to the analyser: each case once killed or broke a command (issue 17).

The commands run in a child process (``python -m decompose``): a segmentation fault there fails
the test instead of killing the test run, and the child's stdout/stderr are real byte streams, as
in a terminal, where a name that is not valid UTF-8 once raised ``UnicodeEncodeError``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from projects import write_project

from decompose.scan.fallback import max_bracket_depth
from decompose.scan.parallel import CRASHED, scan_files

SAMPLE = Path(__file__).resolve().parent.parent / "sample_monolith"

#: files that once crashed a scan: CPython refuses them, and LibCST's native parser (tried next, for
#: syntax newer than the interpreter) overflowed its stack on them and took the process down
DEEP = {
    "parens.py": b"x = " + b"(" * 5000 + b")" * 5000 + b"\n",
    "lists.py": b"x = " + b"[" * 100_000 + b"\n",
    # newer syntax (so CPython 3.11 hands it to LibCST) with 100,000 unary minus signs
    "minus.py": b"type Alias = int\nx = " + b"-" * 100_000 + b"1\n",
}


def decompose(*args: str, cwd: Path | None = None, timeout: float = 240) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "decompose", *args], capture_output=True, timeout=timeout, cwd=cwd, env=env
    )


def one_line_error(proc: subprocess.CompletedProcess[bytes]) -> str:
    err = proc.stderr.decode("utf-8", "replace").strip()
    assert proc.returncode == 2, (proc.returncode, err[-2000:])
    assert "Traceback" not in err and len(err.splitlines()) == 1, err[-2000:]
    return err


def _project(root: Path, files: dict[str, bytes]) -> Path:
    return write_project(root, files)


# -- deep nesting ----------------------------------------------------------------------


def test_bracket_depth_is_counted_on_the_bytes() -> None:
    assert max_bracket_depth(b"f([1, (2,)])") == 3
    assert max_bracket_depth(b"x = 1\n") == 0
    assert max_bracket_depth(b")))(") == 1
    assert max_bracket_depth(b"[" * 100_000) == 100_000


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_deeply_nested_files_are_skipped_with_a_reason_not_a_crash(tmp_path: Path, jobs: str) -> None:
    files = {"app/__init__.py": b"", "app/ok.py": b"import os\n", **{f"app/{k}": v for k, v in DEEP.items()}}
    if jobs == "2":  # enough files and bytes that the scan runs in worker processes
        files.update({f"app/filler{i}.py": b"X = 1\n" * 6000 for i in range(30)})
    root = _project(tmp_path / "proj", files)
    proc = decompose("analyze", str(root), "--no-cache", "-j", jobs, "-q", "-o", str(tmp_path / "g.json"))
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    skipped = {s["path"]: s["reason"] for s in json.loads((tmp_path / "g.json").read_text())["skipped"]}
    assert set(skipped) == {f"app/{k}" for k in DEEP}, skipped
    assert "too many nested parentheses" in skipped["app/parens.py"]
    assert "too many nested parentheses" in skipped["app/lists.py"]
    assert "LibCST" in skipped["app/minus.py"], skipped["app/minus.py"]
    nodes = {n["id"] for n in json.loads((tmp_path / "g.json").read_text())["nodes"]}
    assert "app.ok" in nodes


def test_newer_syntax_is_still_read_through_the_isolated_fallback(tmp_path: Path) -> None:
    root = _project(
        tmp_path / "proj",
        {
            "good.py": b"def make():\n    return 1\n",
            "newer.py": b"import good\n\ntype Alias = good.Thing\n\ndef first[T](x: T) -> T:\n    return good.make()\n",
        },
    )
    proc = decompose("analyze", str(root), "--no-cache", "-q", "-o", str(tmp_path / "g.json"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads((tmp_path / "g.json").read_text())
    assert data["skipped"] == []
    assert any(e["source"] == "newer" and e["target"] == "good" for e in data["edges"])


def _crash_on_victim(parent: int):  # type: ignore[no-untyped-def]
    from decompose.scan import python

    real = python.scan_source

    def scan_source(module: str, source: bytes, **kw: bool):  # type: ignore[no-untyped-def]
        if module == "victim":
            if os.getpid() == parent:
                raise AssertionError("the file that killed a worker was scanned again in the parent")
            os.kill(os.getpid(), 11)  # what LibCST's parser did on deep input
        return real(module, source, **kw)

    return scan_source


def test_a_file_that_kills_its_worker_is_skipped_never_rescanned_in_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import decompose.scan.parallel as parallel

    monkeypatch.setattr(parallel, "scan_source", _crash_on_victim(os.getpid()))
    jobs = []
    for i in range(40):
        name = "victim" if i == 7 else f"m{i}"
        (tmp_path / f"{name}.py").write_bytes(b"import os\n" * 3000)
        jobs.append((name, str(tmp_path / f"{name}.py"), False, False))
    done = scan_files(jobs, sizes=[30_000] * len(jobs), workers=2)
    assert [d[0] for d in done] == [j[0] for j in jobs]
    results = {module: result for module, _key, result in done}
    assert results["victim"] == CRASHED
    assert all(not isinstance(r, str) for m, r in results.items() if m != "victim"), results


# -- names that are not UTF-8 ----------------------------------------------------------


@pytest.fixture(scope="module")
def bad_names(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("names") / "shop"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns(".decompose-cache", "__pycache__"))
    broot = os.fsencode(root)
    with open(broot + b"/catalog/bad\xff\xfename.py", "wb") as fh:
        fh.write(b"from catalog.models import *\n")
    os.makedirs(broot + b"/dir\xe9")
    with open(broot + b"/dir\xe9/m.py", "wb") as fh:
        fh.write(b"import catalog\n")
    os.makedirs(broot + b"/payments/templates/payments", exist_ok=True)
    with open(broot + b"/payments/templates/payments/r\xe9sum\xe9.html", "wb") as fh:
        fh.write(b"<p>hi</p>\n")
    return root


def test_names_not_valid_utf8_are_skipped_and_printed_escaped_by_every_command(bad_names: Path, tmp_path: Path) -> None:
    g = tmp_path / "g.json"
    proc = decompose("analyze", str(bad_names), "--no-cache", "-o", str(g))
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    assert b"catalog/bad\\xff\\xfename.py" in out and b"dir\\xe9" in out
    skipped = {s["path"]: s["reason"] for s in json.loads(g.read_text())["skipped"]}
    assert "not valid UTF-8" in skipped["catalog/bad\\xff\\xfename.py"]
    assert "not valid UTF-8" in skipped["dir\\xe9"]
    for args in (
        ("graph", str(g), "-o", str(tmp_path / "g.dot")),
        ("graph", str(bad_names), "-o", str(tmp_path / "g2.dot")),
        ("propose", str(g), "-o", str(tmp_path / "p.json")),
        ("propose", str(bad_names)),
        ("check", str(bad_names), "--init", "--print", "--no-cache"),
        ("extract", str(bad_names), "--service", "payments", "--apps", "payments", "--plan"),
        (
            "extract",
            str(bad_names),
            "--service",
            "payments",
            "--apps",
            "payments",
            "--dry-run",
            "--out",
            str(tmp_path / "dry"),
        ),
        ("extract", str(bad_names), "--service", "payments", "--apps", "payments", "--out", str(tmp_path / "ex")),
    ):
        proc = decompose(*args)
        err = proc.stderr.decode("utf-8", "replace")
        assert proc.returncode == 0, (args, err[-3000:])
        assert "Traceback" not in err
    plan = (tmp_path / "ex" / "payments" / "extraction-plan.json").read_text()
    assert "r\\\\xe9sum\\\\xe9.html" in plan  # listed to copy by hand, escaped


def test_a_project_folder_whose_path_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path) + b"/caf\xe9"
    os.makedirs(folder)
    with open(folder + b"/a.py", "wb") as fh:
        fh.write(b"x = 1\n")
    err = one_line_error(decompose("analyze", os.fsdecode(folder)))
    assert "caf\\xe9" in err and "UTF-8" in err


# -- input JSON files ------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("graph") / "graph.json"
    proc = decompose("analyze", str(SAMPLE), "--no-cache", "-q", "-o", str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


@pytest.mark.parametrize("depth", [100_000, 200])
def test_a_deeply_nested_graph_json_is_one_line_in_graph_propose_and_extract(
    graph_json: Path, tmp_path: Path, depth: int
) -> None:
    text = graph_json.read_text().replace('"meta": {', '"meta": {"deep": ' + "[" * depth + "]" * depth + ", ", 1)
    deep = tmp_path / "deep.json"
    deep.write_text(text)
    for args in (
        ("graph", str(deep), "-o", str(tmp_path / "g.svg")),
        ("propose", str(deep)),
        ("extract", str(deep), "--service", "payments", "--apps", "payments", "--plan"),
        ("check", str(deep)),
    ):
        err = one_line_error(decompose(*args, cwd=graph_json.parent))
        assert "nested too deeply" in err, (args, err)


def test_a_deeply_nested_proposal_is_one_line(graph_json: Path, tmp_path: Path) -> None:
    deep = tmp_path / "proposal.json"
    deep.write_text('{"schema": "decompose.proposal", "services": ' + "[" * 50_000 + "]" * 50_000 + "}")
    for args in (
        ("propose", str(graph_json), "--evaluate", str(deep)),
        ("extract", str(SAMPLE), "--service", "payments", "--proposal", str(deep), "--plan"),
    ):
        err = one_line_error(decompose(*args))
        assert "nested too deeply" in err, (args, err)


def test_a_graph_json_of_the_wrong_shape_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "g.json"
    bad.write_text('{"schema": "decompose.graph", "version": 1, "nodes": [[1, 2]], "edges": {"a": 1}}')
    data = json.loads(bad.read_text())
    from decompose.graph import SCHEMA_VERSION

    data["version"] = SCHEMA_VERSION
    bad.write_text(json.dumps(data))
    for args in (("graph", str(bad), "-o", str(tmp_path / "g.svg")), ("propose", str(bad))):
        err = one_line_error(decompose(*args))
        assert "malformed graph file" in err, err


# -- output paths ----------------------------------------------------------------------


def _outputs(graph_json: Path, target: str) -> list[tuple[str, ...]]:
    return [
        ("analyze", str(SAMPLE), "--no-cache", "-q", "-o", target),
        ("graph", str(graph_json), "-o", target + ".svg" if not target.endswith("/") else target),
        ("propose", str(graph_json), "-o", target),
    ]


@pytest.mark.parametrize("target", ["/proc/decompose-out.json", "/sys/decompose-out.json", "FILE/below.json"])
def test_output_files_that_cannot_be_written_fail_before_any_work(
    graph_json: Path, tmp_path: Path, target: str
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    target = target.replace("FILE", str(afile))
    for args in _outputs(graph_json, target):
        err = one_line_error(decompose(*args, timeout=60))
        assert "cannot write there" in err, (args, err)


@pytest.mark.parametrize("target", ["/dev/null", "FILE", "/proc/decompose-out", "/sys/decompose-out"])
def test_extract_out_must_be_a_folder_it_can_write(tmp_path: Path, target: str) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    target = target.replace("FILE", str(afile))
    err = one_line_error(
        decompose("extract", str(SAMPLE), "--service", "payments", "--apps", "payments", "--out", target)
    )
    assert "--out" in err and ("not a folder" in err or "cannot write there" in err), err
    assert afile.read_text() == "x"


def test_a_moved_file_nested_too_deeply_to_rewrite_is_copied_with_a_todo(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns(".decompose-cache", "__pycache__"))
    # valid Python (CPython reads 150 levels) that LibCST's visitors cannot walk; and one no parser reads
    (root / "payments" / "nested.py").write_text("from payments import models\nx = " + "[" * 150 + "]" * 150 + "\n")
    (root / "payments" / "parens.py").write_bytes(DEEP["parens.py"])
    out = tmp_path / "out"
    proc = decompose("extract", str(root), "--service", "payments", "--apps", "payments", "--out", str(out), "--no-rewire")
    assert proc.returncode == 0, proc.stderr[-3000:]
    copied = (out / "payments" / "payments" / "nested.py").read_text()
    assert copied.startswith("# TODO(decompose): payments/nested.py is nested too deeply to rewrite")
    assert (out / "payments" / "payments" / "parens.py").read_bytes() == DEEP["parens.py"]


def test_extract_plans_an_app_with_thousands_of_models_in_seconds(tmp_path: Path) -> None:
    """The copy order of the moved tables was cubic in the number of models (5,000 took minutes)."""
    root = tmp_path / "shop"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns(".decompose-cache", "__pycache__"))
    n = 3000
    lines = ["from django.db import models", ""]
    for i in range(n):
        lines += [f"class M{i}(models.Model):", f'    a = models.ForeignKey("M{(i + 1) % n}", on_delete=models.CASCADE)', ""]
    (root / "payments" / "many.py").write_text("\n".join(lines))
    started = time.monotonic()
    proc = decompose("extract", str(root), "--service", "payments", "--apps", "payments", "--plan", "--format", "json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert time.monotonic() - started < 90
    order = json.loads(proc.stdout)["table_order"]
    assert len([t for t in order if t.startswith("payments_m")]) == n


def test_a_staying_file_too_deep_to_rewire_is_left_unchanged_and_listed(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns(".decompose-cache", "__pycache__"))
    nested = "from payments.services import capture_payment\nx = " + "[" * 150 + "capture_payment" + "]" * 150 + "\n"
    (root / "orders" / "nested.py").write_text(nested)
    (root / "orders" / "parens.py").write_bytes(b"from payments.services import capture_payment\n" + DEEP["parens.py"])
    out = tmp_path / "out"
    proc = decompose("extract", str(root), "--service", "payments", "--apps", "payments", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    migration = (out / "payments" / "MIGRATION.md").read_text()
    assert "orders/nested.py: nested too deeply for LibCST's visitors; left unchanged" in migration
    assert "orders/parens.py" in migration
    assert (root / "orders" / "nested.py").read_text() == nested  # nothing applied without --apply
