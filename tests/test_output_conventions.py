"""Output conventions (decompose.cli.output) and one definition of app cycles, through the command line.

Results for machines on stdout (``--format json``), text for people on stderr, plain when stderr
is not a terminal, ``NO_COLOR`` honoured, ``text`` the human format's name everywhere; ``analyze``,
``graph`` (DOT, JSON, HTML) report the same app cycles and the same cut.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_monolith"
BOX = re.compile("[\u2500-\u257f]")  # box-drawing characters
ANSI = re.compile("\x1b\\[")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR")}
    return subprocess.run(
        [sys.executable, "-m", "decompose", *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        timeout=300,
        cwd=REPO,
    )


@pytest.fixture(scope="module")
def graph_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("conv") / "graph.json"
    proc = run("analyze", str(SAMPLE), "--output", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    return out


def test_propose_text_is_plain_on_stderr_when_piped(graph_file):
    proc = run("propose", str(graph_file))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""  # text is for people: stderr
    assert "Proposed services" in proc.stderr and "combined score" in proc.stderr
    assert not BOX.search(proc.stderr) and not ANSI.search(proc.stderr), proc.stderr[:400]
    # the old name of the human format still works and means the same
    assert run("propose", str(graph_file), "--format", "table").stderr == proc.stderr
    assert run("propose", str(graph_file), "--format", "text").stderr == proc.stderr


def test_propose_json_on_stdout(graph_file):
    proc = run("propose", str(graph_file), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["schema"]
    assert not BOX.search(proc.stderr)


def test_terminal_tables_without_colour_under_no_color(graph_file):
    coloured = run("propose", str(graph_file), env={"FORCE_COLOR": "1"})
    assert BOX.search(coloured.stderr) and ANSI.search(coloured.stderr)
    plain = run("propose", str(graph_file), env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert BOX.search(plain.stderr) and not ANSI.search(plain.stderr), plain.stderr[:400]


def test_every_command_has_text_and_json(graph_file):
    for command in ("analyze", "propose", "check", "extract"):
        help_text = run(command, "--help").stdout
        assert re.search(r"--format\s+\[text\|json", help_text), (command, help_text)
    assert "json" in run("graph", "--help").stdout


def test_graph_json_on_stdout_and_by_suffix(graph_file, tmp_path):
    proc = run("graph", str(graph_file), "-o", "-", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    view = json.loads(proc.stdout)
    assert view["schema"] == "decompose.view" and view["level"] == "app"
    assert {n["id"] for n in view["nodes"]} >= {"orders", "payments"}
    out = tmp_path / "view.json"
    assert run("graph", str(graph_file), "-o", str(out)).returncode == 0
    assert json.loads(out.read_text()) == view  # same bytes whatever the destination


def test_analyze_graph_and_page_report_the_same_app_cycles(graph_file, tmp_path):
    """One definition: the cut `graph` draws is the cut `analyze` lists, and the page carries it too."""
    view = json.loads(run("graph", str(graph_file), "-o", "-", "--format", "json").stdout)
    cycles = view["app_cycles"]
    assert cycles["groups"] and cycles["cut"]  # the sample has cycles between apps
    cut = [f"{h['source']} -> {h['target']}" for h in cycles["cut"]]
    summary = run("analyze", str(SAMPLE)).stderr
    section = summary[summary.index("Cut these app dependencies") :]
    listed = [line.split("  ")[0].strip() for line in section.splitlines()[3:] if line.strip()]
    assert listed[: len(cut)] == cut, (listed, cut)
    groups = re.search(r"App cycles \((\d+) group\(s\) of (\d+) apps", summary)
    assert groups and int(groups.group(1)) == len(cycles["groups"])
    assert int(groups.group(2)) == sum(len(g) for g in cycles["groups"])
    drawn = run("graph", str(graph_file), "-o", str(tmp_path / "g.dot"))
    assert ", ".join(c.replace(" -> ", "->") for c in cut) in drawn.stderr
    page = tmp_path / "g.html"
    assert run("graph", str(graph_file), "-o", str(page)).returncode == 0
    data = re.search(r'<script type="application/json" id="decompose-data">(.*?)</script>', page.read_text(), re.S)
    assert data and json.loads(data.group(1))["cycles"] == cycles
