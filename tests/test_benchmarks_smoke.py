"""CI's smoke run of the real-project benchmark (benchmarks/real_projects.py), so it cannot rot.

The smaller project (django-oscar), one round, no assertion on time: only that
every measure ran, that the peers and the analyser saw the same code, and that
the import agreement with grimp was computed. Fetching needs PyPI: offline and
not in CI the test skips with the reason; with CI=true it fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"
sys.path.insert(0, str(BENCH))

import measure  # noqa: E402
import real_projects  # noqa: E402

MB = 2**20


def test_measure_reports_wall_time_and_peak_memory_of_one_child():
    sample = measure.run([sys.executable, "-c", "import time; b = bytearray(120 * 2**20); time.sleep(0.3); print('done')"])
    assert sample.stdout.strip() == "done"
    assert sample.wall >= 0.3
    assert sample.max_rss >= 120 * MB
    assert sample.tree_rss >= 120 * MB


def test_measure_sums_the_process_tree_but_max_rss_is_one_process(tmp_path):
    # two grandchildren holding 100 MB each at the same time: the tree peaks above 200 MB,
    # while no single process goes much over 100 MB
    # each grandchild holds its 100 MB until both hold theirs (marker files), then a while longer,
    # so the sampler sees them together however slowly a loaded machine starts them
    marks = tmp_path / "marks"
    marks.mkdir()
    hold = (
        "import os, sys, time\n"
        "b = bytearray(100 * 2**20)\n"
        "open(os.path.join(sys.argv[1], sys.argv[2]), 'w').close()\n"
        "while len(os.listdir(sys.argv[1])) < 2:\n"
        "    time.sleep(0.01)\n"
        "time.sleep(0.4)\n"
    )
    code = (
        "import subprocess, sys\n"
        f"ps = [subprocess.Popen([sys.executable, '-c', {hold!r}, {str(marks)!r}, str(i)]) for i in range(2)]\n"
        "[p.wait() for p in ps]\n"
    )
    sample = measure.run([sys.executable, "-c", code])
    assert 100 * MB <= sample.max_rss < 180 * MB
    assert sample.tree_rss >= 200 * MB


def test_measure_counts_cpu_time_of_the_children():
    code = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3:\n    pass\n"
    sample = measure.run([sys.executable, "-c", code])
    assert sample.cpu >= 0.3
    idle = measure.run([sys.executable, "-c", "import time; time.sleep(0.5)"])
    assert idle.cpu < 0.3 <= idle.wall


def test_measure_raises_with_the_stderr_of_a_failing_command():
    with pytest.raises(measure.MeasureError, match="boom"):
        measure.run([sys.executable, "-c", "import sys; sys.exit('boom')"])


def _fetch_oscar() -> Path:
    spec = real_projects.PROJECTS["django-oscar"]
    try:
        return real_projects.fetch(spec, real_projects.cache_root())
    except (real_projects.FetchError, OSError, subprocess.TimeoutExpired) as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must reach PyPI to fetch {spec.key}: {exc}")
        pytest.skip(f"cannot fetch {spec.key} from PyPI (offline?): {exc}")


def test_smoke_benchmark_on_django_oscar(tmp_path):
    root = _fetch_oscar()
    n_files = sum(1 for _ in (root / "oscar").rglob("*.py"))
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "real_projects.py"), "--project", "django-oscar", "--runs", "1",
         "--json", str(out), "--work", str(tmp_path / "work")],
        capture_output=True, text=True, timeout=600, cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    (result,) = data["results"]
    assert data["parallel_speedup"] > 0
    assert result["project"] == "django-oscar-4.2.1"
    assert result["files"] == n_files
    for name, m in result["measures"].items():
        assert m["error"] is None, (name, m["error"])
        assert len(m["runs"]) == 1 and m["runs"][0] > 0, name
        assert m["max_rss_mb"] > 0, name
    # the peers and the analyser looked at the same files
    assert result["peers"]["ast floor (2 procs)"]["parsed"] == n_files
    assert result["peers"]["grimp build_graph"]["modules"] > 0.9 * n_files
    assert result["graph"]["modules"] >= result["peers"]["grimp build_graph"]["modules"]
    a = result["agreement"]
    assert a["both"] > 0.8 * a["grimp_edges"]
    assert a["either"] >= max(a["decompose_edges"], a["grimp_edges"])
    assert 0.0 < a["agreement"] <= 1.0
    # the printed table has a row for each measure, with the ratios to the peers for analyze
    for name in real_projects.MEASURES:
        assert f"| {name} |" in proc.stdout
    assert "analyze cold |" in proc.stdout and "Targets:" in proc.stdout
    # the touched file was restored
    touched = root / result["touched"]
    assert b"decompose-bench" not in touched.read_bytes()
