"""What a run reuses from the last one: same outputs, less work (no timing here: see benchmarks/)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from decompose.analysis import analyze, run_analysis

FIXTURE = Path(__file__).parent / "fixtures" / "analyze" / "hardcases"


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "hardcases"
    shutil.copytree(FIXTURE, dest)
    return dest


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "decompose", *args], capture_output=True, text=True, timeout=120, check=False)


def _no_figures(text: str) -> str:
    return re.sub(r"\d+ files scanned, \d+ from cache in [\d.]+s", "FIGURES", text)


def test_unchanged_run_gives_the_same_file_summary_and_json_without_networkx_or_rich(project, tmp_path):
    cache, out1, out2 = tmp_path / "cache", tmp_path / "g1.json", tmp_path / "g2.json"
    cold = _cli("analyze", str(project), "-o", str(out1), "--cache-dir", str(cache))
    assert cold.returncode == 0, cold.stderr
    probe = (
        "import sys\n"
        "from decompose.cli import cli\n"
        f"cli.main(args=['analyze', {str(project)!r}, '-o', {str(out2)!r}, '--cache-dir', {str(cache)!r}], standalone_mode=False)\n"
        "sys.stdout.write(repr(sorted(m for m in ('networkx', 'rich', 'libcst', 'pydot') if m in sys.modules)))\n"
    )
    warm = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False)
    assert warm.returncode == 0, warm.stderr
    assert warm.stdout == "[]"  # the last build was reused as it was: nothing was built or rendered
    assert "0 files scanned" in warm.stderr
    assert _no_figures(warm.stderr) == _no_figures(cold.stderr).replace(str(out1), str(out2))
    assert out1.read_bytes() == out2.read_bytes() == analyze(project, use_cache=False).to_json().encode()


def test_the_console_script_exits_with_the_command_status(project, tmp_path):
    # `analyze` ends its process without tearing the interpreter down: outputs and exit codes stay whole
    ok = _cli("analyze", str(project), "--cache-dir", str(tmp_path / "c"), "--format", "json", "-q")
    assert ok.returncode == 0 and json.loads(ok.stdout)["nodes"] and "warning(s)" in ok.stderr
    bad = _cli("analyze", str(tmp_path / "missing"))
    assert bad.returncode == 2 and bad.stderr.startswith("decompose: error:")


def test_summary_is_rendered_again_for_another_terminal_width(project, tmp_path):
    cache = tmp_path / "cache"
    cmd = [sys.executable, "-m", "decompose", "analyze", str(project), "--cache-dir", str(cache)]
    # rendered as for a terminal (rich's TTY_COMPATIBLE): a pipe gets plain text, whatever the width
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR")}
    wide = subprocess.run(cmd, capture_output=True, text=True, env=dict(env, TTY_COMPATIBLE="1", COLUMNS="200"), check=False)
    narrow = subprocess.run(cmd, capture_output=True, text=True, env=dict(env, TTY_COMPATIBLE="1"), check=False)
    assert "0 files scanned" in narrow.stderr

    def widths(text: str) -> list[int]:
        return [len(re.sub(r"\x1b\[[0-9;]*m", "", line)) for line in text.splitlines()]

    assert max(widths(narrow.stderr)[1:]) <= 80 < max(widths(wide.stderr))


def test_a_changed_file_rebuilds_and_a_touched_one_reuses(project, tmp_path):
    cache = tmp_path / "cache"
    base = run_analysis(project, cache_dir=cache)
    base_json = base.to_json()
    views = project / "billing" / "views.py"
    os.utime(views, ns=(1, 1))  # same bytes
    touched = run_analysis(project, cache_dir=cache)
    assert touched.stats.scanned == 1 and touched.to_json() == base_json
    views.write_text("from shop_orders.models import Order\n\ndef index(request):\n    return Order.objects.all()\n")
    changed = run_analysis(project, cache_dir=cache)
    assert changed.to_json() != base_json
    assert json.loads(changed.to_json()) == analyze(project, use_cache=False).to_dict()


def test_a_corrupt_facts_index_or_graph_text_is_ignored(project, tmp_path):
    cache = tmp_path / "cache"
    good = run_analysis(project, cache_dir=cache).to_json()
    for p in cache.iterdir():
        if p.is_file() and p.suffix in (".marshal", ".json"):
            p.write_bytes(b"\x00garbage")
    (project / "billing" / "views.py").write_text("def index(request):\n    return 1\n")  # forces reading facts
    again = run_analysis(project, cache_dir=cache)
    assert json.loads(again.to_json()) == analyze(project, use_cache=False).to_dict()
    assert json.loads(good)["nodes"]  # the first run was complete


def test_lazy_graph_of_an_unchanged_run_equals_a_fresh_one(project, tmp_path):
    cache = tmp_path / "cache"
    run_analysis(project, cache_dir=cache).to_json()
    warm = run_analysis(project, cache_dir=cache)
    assert warm.stats.scanned == 0
    assert warm.graph == analyze(project, use_cache=False)
    # without the kept JSON text the graph is rebuilt from the facts
    for p in cache.glob("graph-*.json"):
        p.unlink()
    assert run_analysis(project, cache_dir=cache).graph == analyze(project, use_cache=False)


def test_summary_cycles_match_networkx_on_random_app_graphs():
    import random

    import networkx as nx

    from decompose.summary import _components, _short_cycles

    rng = random.Random(7)
    for _ in range(300):
        n = rng.randint(2, 9)
        names = [f"a{i}" for i in range(n)]
        edges = {(a, b) for a in names for b in names if a != b and rng.random() < 0.35}
        adj: dict[str, dict[str, dict[str, int]]] = {}
        for a, b in edges:
            adj.setdefault(a, {})[b] = {}
        g = nx.DiGraph(sorted(edges))
        assert sorted(map(sorted, _components(adj))) == sorted(map(sorted, nx.strongly_connected_components(g))) or not edges
        for comp in nx.strongly_connected_components(g):
            if len(comp) < 2:
                continue
            expected = set()
            for cyc in nx.simple_cycles(g.subgraph(comp), length_bound=4):
                i = cyc.index(min(cyc))
                expected.add(tuple(cyc[i:] + cyc[:i]))
            found = _short_cycles(adj, sorted(comp), 4, 10_000)
            assert found is not None and len(found) == len(set(found)) and set(found) == expected
            if len(expected) > 3:
                assert _short_cycles(adj, sorted(comp), 4, 3) is None


def test_a_fresh_cli_analysis_builds_no_networkx_graph(project, tmp_path):
    out = tmp_path / "g.json"
    probe = (
        "import sys\n"
        "from decompose.cli import cli\n"
        f"cli.main(args=['analyze', {str(project)!r}, '-o', {str(out)!r}, '--no-cache'], standalone_mode=False)\n"
        "sys.stdout.write(repr('networkx' in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "False"
    assert out.read_text() == analyze(project, use_cache=False).to_json()
    assert "Apps" in run.stderr and "app cycles" in run.stderr.lower()
