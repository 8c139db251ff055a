"""The facts cache and the process pool: same graph however it is computed, shared safely."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from decompose.analysis import CACHE_DIRNAME, analyze, run_analysis
from decompose.scan import parallel

FIXTURE = Path(__file__).parent / "fixtures" / "analyze" / "hardcases"


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "hardcases"
    shutil.copytree(FIXTURE, dest)
    return dest


def test_warm_run_reads_no_file_and_gives_the_same_graph(project, tmp_path):
    cache = tmp_path / "cache"
    cold = run_analysis(project, cache_dir=cache)
    assert cold.stats.scanned == cold.stats.files and cold.stats.cached == 0
    warm = run_analysis(project, cache_dir=cache)
    assert warm.stats.scanned == 0 and warm.stats.cached == warm.stats.files
    assert warm.graph == cold.graph
    assert warm.graph.to_json() == analyze(project, use_cache=False).to_json()


def test_changed_file_is_rescanned_and_touched_file_hits_the_object_store(project, tmp_path):
    cache = tmp_path / "cache"
    base = run_analysis(project, cache_dir=cache)
    objects = sorted(p.name for p in (cache / "objects").rglob("*.marshal"))
    # touched, same bytes: stat differs, content hash does not
    views = project / "billing" / "views.py"
    os.utime(views, ns=(1, 1))
    again = run_analysis(project, cache_dir=cache)
    assert again.stats.scanned == 1 and again.graph == base.graph
    assert sorted(p.name for p in (cache / "objects").rglob("*.marshal")) == objects
    # changed bytes: new facts, new edge
    views.write_text("from shop_orders.models import Order\n\ndef index(request):\n    return Order.objects.all()\n")
    changed = run_analysis(project, cache_dir=cache)
    assert changed.stats.scanned == 1
    assert changed.graph.graph.has_edge("billing.views", "shop_orders.models", key="orm")
    assert not base.graph.graph.has_edge("billing.views", "shop_orders.models", key="orm")


def test_default_cache_folder_and_no_cache(project):
    analyze(project, use_cache=False)
    assert not (project / CACHE_DIRNAME).exists()
    analyze(project)
    assert (project / CACHE_DIRNAME / ".gitignore").read_text().strip().endswith("*")
    # the cache folder holds no .py, so it never shows up as a module
    assert not any(m.startswith(".") for m in analyze(project).modules())


def test_a_corrupt_cache_is_ignored(project, tmp_path):
    cache = tmp_path / "cache"
    good = analyze(project, cache_dir=cache)
    for p in cache.rglob("*.marshal"):
        p.write_bytes(b"not a pickle")
    assert analyze(project, cache_dir=cache) == good


def test_two_concurrent_runs_share_a_cache(project, tmp_path):
    cache = tmp_path / "shared"
    cmd = [sys.executable, "-m", "decompose", "analyze", str(project), "--cache-dir", str(cache), "--format", "json", "-q"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [o[1] for o in outs]
    assert outs[0][0] == outs[1][0] == outs[2][0]
    assert not list(cache.rglob(".tmp-*"))
    assert analyze(project, cache_dir=cache).to_json().encode() == outs[0][0]


def test_process_pool_gives_the_same_graph(tmp_path):
    root = tmp_path / "many"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    filler = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(500))
    for i in range(40):
        (root / "app" / f"m{i}.py").write_text(f"from app.m{(i + 1) % 40} import f1\n\nf1({i})\n" + filler)
    total = sum(p.stat().st_size for p in root.rglob("*.py"))
    assert total > parallel.PARALLEL_MIN_BYTES and 40 > parallel.PARALLEL_MIN_FILES  # really goes through the pool
    pooled = analyze(root, use_cache=False, jobs=2)
    serial = analyze(root, use_cache=False, jobs=1)
    assert pooled.to_json() == serial.to_json()
    assert pooled.graph.has_edge("app.m39", "app.m0", key="call")


def _many(root: Path, n: int = 40, funcs: int = 500) -> None:
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    filler = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(funcs))
    for i in range(n):
        (root / "app" / f"m{i}.py").write_text(f"from app.m{(i + 1) % n} import f1\n\nf1({i})\n" + filler)


def test_the_pool_fills_the_index_and_a_run_mixing_kept_and_rescanned_facts_rewrites_it(tmp_path):
    root, cache = tmp_path / "many", tmp_path / "cache"
    _many(root, 60, 900)
    cold = run_analysis(root, cache_dir=cache, jobs=2)  # through the pool: the index is the workers' blobs
    assert cold.stats.scanned == 61
    warm = run_analysis(root, cache_dir=cache, jobs=2)
    assert warm.stats.scanned == 0
    # enough files changed to rewrite the index, and to go through the pool again: kept facts and
    # fresh ones end up in it together
    changed = [root / "app" / f"m{i}.py" for i in range(0, 60, 2)]
    assert sum(p.stat().st_size for p in changed) > parallel.PARALLEL_MIN_BYTES
    for i, p in zip(range(0, 60, 2), changed, strict=True):
        p.write_text(p.read_text().replace(f"f1({i})", f"f2({i})"))
    mixed = run_analysis(root, cache_dir=cache, jobs=2)
    assert mixed.stats.scanned == 30
    expected = analyze(root, use_cache=False, jobs=1).to_json()
    assert mixed.to_json() == expected
    # the next run rebuilds from the index alone (no file is read again) and gets the same graph
    (cache / next(p.name for p in cache.iterdir() if p.name.startswith("built-"))).unlink()
    again = run_analysis(root, cache_dir=cache, jobs=2)
    assert again.stats.scanned == 0 and again.to_json() == expected


def test_a_damaged_kept_graph_is_never_handed_out(project, tmp_path):
    # the last run's graph JSON kept in the cache, cut short or edited: the next unchanged run rebuilds
    cache = tmp_path / "cache"
    expected = analyze(project, use_cache=False).to_json()
    assert run_analysis(project, cache_dir=cache).to_json() == expected
    kept = next(cache.glob("graph-v*.json"))
    for damage in (kept.read_bytes()[:-40], kept.read_bytes().replace(b'"import"', b'"imporT"', 1), b'{"broken'):
        kept.write_bytes(damage)
        again = run_analysis(project, cache_dir=cache)
        assert again.stats.scanned == 0
        assert again.to_json() == expected
        assert again.graph.to_json() == expected


def test_a_worker_that_dies_loses_only_the_file_that_killed_it(tmp_path, monkeypatch):
    # a worker process killed mid-chunk (out of memory, a signal, a parser crash): the chunk it took is
    # scanned again in workers, one file each, never in the parent (a file that kills a worker would kill
    # the parent too); the file that kills its worker again is skipped with the reason, nothing else is lost
    root = tmp_path / "many"
    _many(root)
    parent = os.getpid()
    real = parallel._scan_chunk

    scanned_here: list[str] = []

    def dying(jobs, cache_dir):
        if os.getpid() != parent and any(j[0] == "app.m3" for j in jobs):
            os._exit(9)
        if os.getpid() == parent:
            scanned_here.extend(j[0] for j in jobs)
        return real(jobs, cache_dir)

    monkeypatch.setattr(parallel, "_scan_chunk", dying)
    pooled = analyze(root, use_cache=False, jobs=2)
    monkeypatch.setattr(parallel, "_scan_chunk", real)
    single = analyze(root, use_cache=False, jobs=1)
    assert scanned_here == []
    assert ("app/m3.py", parallel.CRASHED) in {(s.path, s.reason) for s in pooled.skipped}
    assert set(pooled.modules()) == set(single.modules()) - {"app.m3"}


def test_the_cache_does_not_grow_without_end(project, tmp_path):
    from decompose.scan.cache import content_key

    cache = tmp_path / "cache"
    base = run_analysis(project, cache_dir=cache)
    # what earlier versions and formats left, temporary files (one of a run killed long ago), objects
    leftovers = ["stat-v3.pickle", "facts-v3.marshal", "built-v4.pickle", "graph-v3-0123456789.json", "stat-v4.pickle"]
    for name in leftovers:
        (cache / name).write_bytes(b"old")
    stale_tmp, fresh_tmp = cache / ".tmp-1-0.marshal", cache / ".tmp-2-0.marshal"
    for p in (stale_tmp, fresh_tmp):
        p.write_bytes(b"half")
    os.utime(stale_tmp, (1, 1))
    # every file changes: the next run rewrites the index; an object already holds one new version
    for f in base.project.files:
        path = Path(f.abspath)
        path.write_bytes(path.read_bytes() + b"\n# touched\n")
    first = base.project.files[0]
    new_key = content_key(first.module, first.is_package, first.migration, Path(first.abspath).read_bytes())
    redundant = cache / "objects" / new_key[:2] / f"{new_key}.marshal"
    recent, ancient = cache / "objects" / "ab" / ("ab" + "1" * 38 + ".marshal"), cache / "objects" / "ab" / ("ab" + "2" * 38 + ".marshal")
    for p in (redundant, recent, ancient):
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    os.utime(ancient, (1, 1))
    again = run_analysis(project, cache_dir=cache)
    assert again.stats.scanned == again.stats.files
    names = {p.name for p in cache.iterdir()}
    assert not names & set(leftovers)
    assert stale_tmp.name not in names and fresh_tmp.name in names
    assert recent.exists() and not ancient.exists() and not redundant.exists()
    from decompose.scan.facts import ANALYSER_VERSION as V

    assert {f"facts-v{V}.1.marshal", f"stat-v{V}.marshal", f"built-v{V}.marshal"} <= names
    assert again.to_json() == analyze(project, use_cache=False).to_json()
