"""Benchmark ``decompose`` on real Django projects, against peers measured in the same run.

Usage (from the repository root)::

    .venv/bin/python benchmarks/real_projects.py                       # both projects, 5 runs each
    .venv/bin/python benchmarks/real_projects.py --project django-oscar --runs 1 --json out.json

For each pinned project (fetched from PyPI with ``pip download --no-deps
--only-binary=:all:``, unpacked into the cache folder, never installed) and for
each of ``--runs`` rounds, every measured thing runs in its own child process,
in this order, so that load on a shared machine hits them all alike:

1. ``ast floor``: read + ``ast.parse`` of the same ``.py`` files in a 2-process pool,
2. ``grimp``: ``grimp.build_graph`` of the same packages (no cache),
3. ``analyze cold``: ``decompose analyze`` with an empty cache,
4. ``analyze warm``: again, nothing changed,
5. ``analyze incremental``: one file's content changed (a comment appended; restored after),
6. ``propose app`` and ``propose module``: ``decompose propose`` on the graph from (3).

The table gives the median wall time (seconds, the whole child process:
interpreter start, imports, work, exit), the ratio of that median to the ast
floor's and grimp's medians, and peak memory (largest process, and the sampled
peak of the whole process tree). Then the targets, and the agreement of the
analyser's module-to-module import edges with grimp's, with the differences
grouped and shown with file:line so they can be explained.

The cache folder is ``$DECOMPOSE_BENCH_CACHE`` or ``~/.cache/decompose-bench``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import MeasureError, Sample, run

HERE = Path(__file__).resolve().parent
PY = sys.executable


@dataclass(frozen=True, slots=True)
class Spec:
    """A pinned project on PyPI."""

    name: str
    version: str
    #: the app ``extract --plan`` is measured on
    extract_app: str = ""

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version}"


PROJECTS: dict[str, Spec] = {
    "django-oscar": Spec("django-oscar", "4.2.1", extract_app="wishlists"),
    "wagtail": Spec("wagtail", "8.0.1", extract_app="wagtailredirects"),
}

MEASURES = (
    "ast floor (2 procs)",
    "grimp build_graph",
    "analyze cold",
    "analyze warm",
    "analyze incremental",
    "propose app",
    "propose module",
    "extract plan cold",
    "extract plan warm",
)
PEERS = ("ast floor (2 procs)", "grimp build_graph")

GB = 1024**3


class FetchError(RuntimeError):
    """The project could not be fetched (offline, or PyPI refused)."""


def cache_root() -> Path:
    return Path(os.environ.get("DECOMPOSE_BENCH_CACHE") or Path.home() / ".cache" / "decompose-bench")


def fetch(spec: Spec, cache: Path) -> Path:
    """The unpacked wheel of ``spec`` (downloaded once), as a folder."""
    dest = cache / "src" / spec.key
    if (dest / ".complete").exists():
        return dest
    dl = cache / "dl"
    dl.mkdir(parents=True, exist_ok=True)
    wheels = sorted(dl.glob(f"{spec.name.replace('-', '_')}-{spec.version}-*.whl"))
    if not wheels:
        cmd = [
            PY,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--retries",
            "2",
            "--timeout",
            "30",
            "-q",
            f"{spec.name}=={spec.version}",
            "-d",
            str(dl),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        wheels = sorted(dl.glob(f"{spec.name.replace('-', '_')}-{spec.version}-*.whl"))
        if proc.returncode != 0 or not wheels:
            last = (proc.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
            raise FetchError(f"cannot download {spec.name}=={spec.version}: {last}")
    if dest.exists():
        shutil.rmtree(dest)
    tmp = dest.with_name(dest.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    with zipfile.ZipFile(wheels[0]) as zf:
        zf.extractall(tmp)
    (tmp / ".complete").write_text(wheels[0].name + "\n")
    tmp.rename(dest)
    return dest


@dataclass
class Tree:
    """What the peers and the analyser are given: the packages and their files."""

    root: Path
    packages: list[str]
    files: list[Path]
    lines: int
    touch: Path  # the file changed for the incremental run


def survey(root: Path) -> Tree:
    packages = sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    files = sorted(f for pkg in packages for f in (root / pkg).rglob("*.py") if f.is_file())
    lines = 0
    for f in files:
        with open(f, "rb") as fh:
            lines += fh.read().count(b"\n")
    # the file a developer is most likely editing: the largest models module outside migrations
    models = [f for f in files if "migrations" not in f.parts and f.stem in ("models", "abstract_models")]
    touch = max(models or files, key=lambda f: (f.stat().st_size, str(f)))
    return Tree(root, packages, files, lines, touch)


@dataclass
class Row:
    measure: str
    samples: list[Sample] = field(default_factory=list)
    error: str | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(s.wall for s in self.samples) if self.samples else None

    @property
    def cpu_median(self) -> float | None:
        return statistics.median(s.cpu for s in self.samples) if self.samples else None

    @property
    def max_rss(self) -> int:
        return max((s.max_rss for s in self.samples), default=0)

    @property
    def tree_rss(self) -> int:
        return max((s.tree_rss for s in self.samples), default=0)


def _decompose(*args: str) -> list[str]:
    return [PY, "-m", "decompose", *args]


def analyzer_available() -> str | None:
    """None if ``decompose analyze`` and ``propose`` can run here, else why not."""
    for cmd in ("analyze", "propose"):
        proc = subprocess.run(_decompose(cmd, "--help"), capture_output=True, text=True)
        if proc.returncode != 0:
            return f"`decompose {cmd} --help` failed: {(proc.stderr.strip().splitlines() or ['?'])[-1]}"
    return None


def bench_project(spec: Spec, runs: int, work: Path, log: Any) -> dict[str, Any]:
    root = fetch(spec, cache_root())
    tree = survey(root)
    log(f"{spec.key}: {len(tree.files)} files, {tree.lines} lines, packages {', '.join(tree.packages)}")
    work.mkdir(parents=True, exist_ok=True)
    filelist = work / "files.txt"
    filelist.write_text("".join(f"{f}\n" for f in tree.files))
    graph_json = work / "graph.json"
    cache_dir = work / "facts-cache"
    default_cache = root / ".decompose-cache"
    why_not = analyzer_available()
    if why_not:
        log(f"  analyser not measured: {why_not}")

    rows = {m: Row(m) for m in MEASURES}
    commands: dict[str, list[str]] = {
        "ast floor (2 procs)": [PY, str(HERE / "peers.py"), "ast", str(filelist), "--workers", "2"],
        "grimp build_graph": [PY, str(HERE / "peers.py"), "grimp", str(root), *tree.packages],
        "analyze cold": _decompose("analyze", str(root), "-o", str(graph_json), "--cache-dir", str(cache_dir)),
        "propose app": _decompose("propose", str(graph_json), "--level", "app", "--format", "json"),
        "propose module": _decompose("propose", str(graph_json), "--level", "module", "--format", "json"),
    }
    app = spec.extract_app
    # extract reads the analysis cache in the project (read-only): cold without one, warm after `analyze`
    commands["extract plan cold"] = _decompose("extract", str(root), "--service", "bench", "--apps", app, "--plan")
    commands["extract plan warm"] = commands["extract plan cold"]
    warm_up = _decompose("analyze", str(root))
    commands["analyze warm"] = commands["analyze cold"]
    commands["analyze incremental"] = commands["analyze cold"]
    original = tree.touch.read_bytes()
    peer_out: dict[str, Any] = {}
    try:
        for i in range(runs):
            for m in MEASURES:
                if why_not and m not in PEERS:
                    rows[m].error = why_not
                    continue
                if rows[m].error:
                    continue
                if m in ("analyze cold", "extract plan cold"):
                    shutil.rmtree(cache_dir, ignore_errors=True)
                    shutil.rmtree(default_cache, ignore_errors=True)
                if m == "extract plan warm":
                    subprocess.run(warm_up, capture_output=True, check=False)
                if m == "analyze incremental":
                    tree.touch.write_bytes(original + f"\n# decompose-bench: touched, round {i}\n".encode())
                try:
                    sample = run(commands[m])
                except MeasureError as exc:
                    rows[m].error = str(exc)
                    log(f"  {m}: FAILED\n{exc}")
                    continue
                finally:
                    if m == "analyze incremental":
                        tree.touch.write_bytes(original)
                rows[m].samples.append(sample)
                if m in PEERS:
                    peer_out[m] = json.loads(sample.stdout or "{}")
                log(
                    f"  round {i + 1}/{runs} {m:<22} {sample.wall:7.3f} s  cpu {sample.cpu:7.3f} s  "
                    f"{sample.tree_rss / 2**20:5.0f} MB"
                )
    finally:
        tree.touch.write_bytes(original)
        shutil.rmtree(default_cache, ignore_errors=True)

    result: dict[str, Any] = {
        "project": spec.key,
        "files": len(tree.files),
        "lines": tree.lines,
        "packages": tree.packages,
        "touched": str(tree.touch.relative_to(root)),
        "peers": peer_out,
        "measures": {},
    }
    floor = rows["ast floor (2 procs)"].median
    grimp_t = rows["grimp build_graph"].median
    floor_cpu = rows["ast floor (2 procs)"].cpu_median
    for m, row in rows.items():
        med = row.median
        cpu = row.cpu_median
        result["measures"][m] = {
            "median_s": med,
            "runs": [round(s.wall, 4) for s in row.samples],
            "cpu_median_s": cpu,
            "cpu_runs": [round(s.cpu, 4) for s in row.samples],
            "vs_ast": med / floor if med is not None and floor else None,
            "vs_grimp": med / grimp_t if med is not None and grimp_t else None,
            "cpu_vs_ast": cpu / floor_cpu if cpu is not None and floor_cpu else None,
            "max_rss_mb": row.max_rss / 2**20,
            "tree_rss_mb": row.tree_rss / 2**20,
            "error": row.error,
        }
    if not rows["analyze cold"].error and graph_json.exists():
        result["graph"] = graph_summary(graph_json)
        result["agreement"] = import_agreement(graph_json, root, tree.packages)
    return result


def graph_summary(graph_json: Path) -> dict[str, Any]:
    data = json.loads(graph_json.read_text())
    kinds: Counter[str] = Counter()
    for e in data.get("edges", []):
        kinds[e.get("kind", "?")] += 1
    nodes = data.get("nodes", data.get("modules", []))
    return {
        "modules": sum(1 for n in nodes if n.get("type") != "external"),
        "edges_by_kind": dict(sorted(kinds.items())),
        "skipped": data.get("skipped", []),
        "apps": len(data.get("apps", [])),
    }


# ---------------------------------------------------------------- agreement


def _decompose_imports(graph_json: Path) -> tuple[set[str], dict[tuple[str, str], list[str]]]:
    from decompose.graph import load

    graph = load(graph_json)
    modules = set(graph.modules())
    edges: dict[tuple[str, str], list[str]] = {}
    for u, v, data in graph.edges(kinds=["import"]):
        if u in modules and v in modules and u != v:
            ev = data.get("evidence") or []
            edges.setdefault((u, v), []).extend(
                f"{e.path}:{e.line}" + (f" [{','.join(e.flags)}]" if e.flags else "") for e in ev[:2]
            )
    return modules, edges


def _grimp_imports(root: Path, packages: list[str]) -> tuple[Any, set[str], set[tuple[str, str]]]:
    import grimp

    sys.path.insert(0, str(root))
    try:
        g = grimp.build_graph(*packages, cache_dir=None)
    finally:
        sys.path.remove(str(root))
    edges = {(m, t) for m in g.modules for t in g.find_modules_directly_imported_by(m) if m != t}
    return g, set(g.modules), edges


def _related(a: str, b: str) -> bool:
    return a.startswith(b + ".") or b.startswith(a + ".")


def _why(edge: tuple[str, str], other_edges_from: dict[str, set[str]], other_modules: set[str]) -> str:
    s, t = edge
    if s not in other_modules:
        return "importer not a module of the other tool"
    if t not in other_modules:
        return "imported not a module of the other tool"
    if ".migrations." in s:
        return "importer is a migration"
    near = [o for o in other_edges_from.get(s, ()) if _related(o, t)]
    if near:
        return "other tool has the same import at another package level"
    return "no counterpart"


def import_agreement(graph_json: Path, root: Path, packages: list[str], examples: int = 6) -> dict[str, Any]:
    """Compare the analyser's module->module import edges with grimp's."""
    d_modules, d_edges = _decompose_imports(graph_json)
    g, g_modules, g_edges = _grimp_imports(root, packages)
    d_set = set(d_edges)
    both = d_set & g_edges
    either = d_set | g_edges
    g_from: dict[str, set[str]] = defaultdict(set)
    for s, t in g_edges:
        g_from[s].add(t)
    d_from: dict[str, set[str]] = defaultdict(set)
    for s, t in d_set:
        d_from[s].add(t)
    only: dict[str, dict[str, list[str]]] = {"decompose": defaultdict(list), "grimp": defaultdict(list)}
    counts: dict[str, Counter[str]] = {"decompose": Counter(), "grimp": Counter()}
    for e in sorted(d_set - g_edges):
        why = _why(e, g_from, g_modules)
        counts["decompose"][why] += 1
        if len(only["decompose"][why]) < examples:
            only["decompose"][why].append(f"{e[0]} -> {e[1]}  ({'; '.join(d_edges[e][:2])})")
    for e in sorted(g_edges - d_set):
        why = _why(e, d_from, d_modules)
        counts["grimp"][why] += 1
        if len(only["grimp"][why]) < examples:
            try:
                det = g.get_import_details(importer=e[0], imported=e[1])
                where = "; ".join(f"line {x['line_number']}: {x['line_contents'].strip()}" for x in det[:2])
            except Exception as exc:  # a detail for the report, never fatal
                where = f"no details: {exc}"
            only["grimp"][why].append(f"{e[0]} -> {e[1]}  ({where})")
    common = d_modules & g_modules
    nm_both = {e for e in both if ".migrations." not in e[0]}
    nm_either = {e for e in either if ".migrations." not in e[0]}
    both_c = {e for e in both if e[0] in common and e[1] in common}
    either_c = {e for e in either if e[0] in common and e[1] in common}
    return {
        "decompose_modules": len(d_modules),
        "grimp_modules": len(g_modules),
        "modules_only_decompose": sorted(d_modules - g_modules)[:examples],
        "modules_only_grimp": sorted(g_modules - d_modules)[:examples],
        "n_modules_only_decompose": len(d_modules - g_modules),
        "n_modules_only_grimp": len(g_modules - d_modules),
        "decompose_edges": len(d_set),
        "grimp_edges": len(g_edges),
        "both": len(both),
        "either": len(either),
        "agreement": len(both) / len(either) if either else 1.0,
        "agreement_common_modules": len(both_c) / len(either_c) if either_c else 1.0,
        "agreement_outside_migrations": len(nm_both) / len(nm_either) if nm_either else 1.0,
        "only_counts": {k: dict(v.most_common()) for k, v in counts.items()},
        "only_examples": {k: dict(v) for k, v in only.items()},
    }


# ---------------------------------------------------------------- report


def machine() -> dict[str, str]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import grimp

        grimp_v = grimp.__version__
    except Exception:  # any failure to import or read grimp: the report says "?"
        grimp_v = "?"
    return {
        "cpu": cpu,
        "cores": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()),
        "python": platform.python_version(),
        "grimp": grimp_v,
        "os": f"{platform.system()} {platform.release()}",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?",
    }


_MEASURED_REV: str | None = None  # set by --rev: the commit whose src/ the children run


def use_revision(rev: str) -> str:
    """Run the analyser of commit ``rev`` (its ``src/`` exported to the cache folder) instead of the working tree."""
    global _MEASURED_REV
    repo = HERE.parent
    proc = subprocess.run(
        ["git", "rev-parse", "--short", f"{rev}^{{commit}}"], cwd=repo, capture_output=True, text=True
    )
    sha = proc.stdout.strip()
    if proc.returncode != 0 or not sha:
        raise SystemExit(f"real_projects.py: unknown revision {rev!r}")
    dest = cache_root() / "rev" / sha
    if not (dest / ".complete").exists():
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", sha, "src"], cwd=repo, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        (dest / ".complete").write_text(sha + "\n")
    src = str(dest / "src")
    os.environ["PYTHONPATH"] = src + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")
    sys.path.insert(0, src)
    _MEASURED_REV = sha
    return sha


def byte_compile_analyser() -> str:
    """Byte-compile the analyser that the children will run; the folder compiled.

    ``pip install`` byte-compiles a package, so an installed ``decompose`` starts from ``.pyc``
    files. A working tree run with ``PYTHONDONTWRITEBYTECODE=1`` (set on this machine) would
    instead recompile the tool's own ~10k lines from source in every child, which is not the
    analysis being measured. The peers start from compiled code too (the standard library;
    grimp from site-packages).
    """
    import compileall

    proc = subprocess.run(
        [PY, "-c", "import decompose, os; print(os.path.dirname(decompose.__file__))"], capture_output=True, text=True
    )
    folder = proc.stdout.strip()
    if proc.returncode != 0 or not folder:
        return ""
    compileall.compile_dir(folder, quiet=1)
    return folder


def revision() -> str:
    """The commit measured, and whether ``src/`` had uncommitted changes (the working tree is what runs)."""
    if _MEASURED_REV:
        return f"{_MEASURED_REV} (exported with git archive, --rev)"
    repo = HERE.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=repo, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "?"
    return (head or "?") + (" + uncommitted changes in src/" if dirty else "")


def _fmt(x: float | None, spec: str, suffix: str = "") -> str:
    return "—" if x is None else f"{x:{spec}}{suffix}"


def table(results: list[dict[str, Any]]) -> str:
    out = [
        "| project | measure | median wall s | × ast floor | × grimp | median CPU s | CPU × ast floor "
        "| peak process MB | peak tree MB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        name = f"{r['project']} ({r['files']} files, {r['lines'] // 1000}k lines)"
        for m in MEASURES:
            x = r["measures"][m]
            ratio = m.startswith("analyze")
            if x["error"] and x["median_s"] is None:
                out.append(f"| {name} | {m} | failed | | | | | | |")
            else:
                out.append(
                    f"| {name} | {m} | {_fmt(x['median_s'], '.3f')} | "
                    f"{_fmt(x['vs_ast'] if ratio else None, '.2f')} | "
                    f"{_fmt(x['vs_grimp'] if ratio else None, '.2f')} | "
                    f"{_fmt(x['cpu_median_s'], '.2f')} | {_fmt(x['cpu_vs_ast'] if ratio else None, '.2f')} | "
                    f"{x['max_rss_mb']:.0f} | {x['tree_rss_mb']:.0f} |"
                )
            name = ""
    return "\n".join(out)


def targets(results: list[dict[str, Any]]) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met?) for each target of issue 8 that this run measured."""
    out: list[tuple[str, str, bool | None]] = []

    def med(r: dict[str, Any], m: str) -> float | None:
        return r["measures"][m]["median_s"]

    for r in results:
        p = r["project"]
        cold = r["measures"]["analyze cold"]
        if cold["vs_ast"] is not None:
            out.append(
                (f"{p}: cold analyze ≤ 1.5 × ast floor (wall)", f"{cold['vs_ast']:.2f} ×", cold["vs_ast"] <= 1.5)
            )
            out.append(
                (f"{p}: cold analyze ≤ 1.5 × ast floor (CPU)", f"{cold['cpu_vs_ast']:.2f} ×", cold["cpu_vs_ast"] <= 1.5)
            )
        peak = max((x["tree_rss_mb"] for k, x in r["measures"].items() if k not in PEERS), default=0.0)
        if peak:
            out.append((f"{p}: peak memory (process tree) < 1 GB", f"{peak:.0f} MB", peak < 1024))
        if p.startswith("wagtail"):
            for m, limit in (
                ("analyze cold", 3.0),
                ("analyze warm", 0.5),
                ("analyze incremental", 1.0),
                ("propose module", 5.0),
            ):
                v = med(r, m)
                if v is not None:
                    out.append((f"{p}: {m} < {limit:g} s", f"{v:.3f} s", v < limit))
        plan_cold, an_cold = med(r, "extract plan cold"), med(r, "analyze cold")
        if plan_cold is not None and an_cold:
            out.append(
                (
                    f"{p}: extract --plan cold ≤ 1.5 × analyze cold (wall)",
                    f"{plan_cold / an_cold:.2f} ×",
                    plan_cold <= 1.5 * an_cold,
                )
            )
        plan_warm = med(r, "extract plan warm")
        if plan_warm is not None and p.startswith("django-oscar"):
            out.append((f"{p}: extract --plan warm ≤ 1 s", f"{plan_warm:.3f} s", plan_warm <= 1.0))
        a = r.get("agreement")
        if a:
            out.append(
                (
                    f"{p}: import edges agree with grimp",
                    f"{a['both']}/{a['either']} = {a['agreement']:.1%}",
                    a["both"] == a["either"],
                )
            )
    return out


def parallel_speedup(rounds: int = 3) -> float:
    """Wall time of fixed CPU work in 1 process over the same work in 2 (2.0 on two idle cores)."""
    one = statistics.median(run([PY, str(HERE / "peers.py"), "spin", "--workers", "1"]).wall for _ in range(rounds))
    two = statistics.median(run([PY, str(HERE / "peers.py"), "spin", "--workers", "2"]).wall for _ in range(rounds))
    return one / two


def report(results: list[dict[str, Any]], command: str, load_before: str, speedup: float) -> str:
    m = machine()
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['os']}; Python {m['python']}, grimp {m['grimp']}; {m['date']}",
        f"2-process speedup of pure CPU work here: {speedup:.2f} × (2.00 on two idle cores)",
        f"Load average (1/5/15 min) before: {load_before}; after: {m['load']}",
        f"decompose: {revision()}",
        f"Command: {command}",
        "",
        table(results),
        "",
    ]
    for r in results:  # the rounds paired: each round's cold run over the same round's floor, seconds apart
        floor, cold = r["measures"]["ast floor (2 procs)"], r["measures"]["analyze cold"]
        pairs = [
            (c / f, cc / fc)
            # a measure that failed in a round stops there: its runs may be fewer, pair what both have
            for c, f, cc, fc in zip(cold["runs"], floor["runs"], cold["cpu_runs"], floor["cpu_runs"], strict=False)
            if f and fc
        ]
        if pairs:
            wall, cpu = sorted(p[0] for p in pairs), sorted(p[1] for p in pairs)
            lines.append(
                f"{r['project']}: cold / floor per round, "
                f"wall {wall[0]:.2f}–{wall[-1]:.2f} (median {statistics.median(wall):.2f}), "
                f"CPU {cpu[0]:.2f}–{cpu[-1]:.2f} (median {statistics.median(cpu):.2f})"
            )
    lines += ["", "Targets:"]
    for name, value, ok in targets(results):
        lines.append(f"  [{'ok' if ok else 'MISS'}] {name}: {value}")
    for r in results:
        a = r.get("agreement")
        g = r.get("graph")
        if g:
            lines.append("")
            lines.append(f"{r['project']}: graph {g['modules']} modules, {g['apps']} apps, edges {g['edges_by_kind']}")
            for s in g["skipped"][:10]:
                lines.append(f"  skipped: {s}")
        if not a:
            continue
        lines.append(
            f"{r['project']}: import edges decompose {a['decompose_edges']}, grimp {a['grimp_edges']}, "
            f"both {a['both']}, either {a['either']}: agreement {a['agreement']:.1%} "
            f"({a['agreement_common_modules']:.1%} over modules both know, "
            f"{a['agreement_outside_migrations']:.1%} with importers outside migrations packages)"
        )
        lines.append(
            f"  modules: decompose {a['decompose_modules']}, grimp {a['grimp_modules']}; "
            f"only decompose {a['n_modules_only_decompose']} {a['modules_only_decompose']}; "
            f"only grimp {a['n_modules_only_grimp']} {a['modules_only_grimp']}"
        )
        for side in ("decompose", "grimp"):
            for why, n in a["only_counts"][side].items():
                lines.append(f"  only in {side}: {n} — {why}")
                for ex in a["only_examples"][side].get(why, []):
                    lines.append(f"      {ex}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", choices=[*PROJECTS, "all"], default="all")
    parser.add_argument("--runs", type=int, default=5, help="rounds per project (medians over them)")
    parser.add_argument("--json", dest="json_out", help="also write the results as JSON here")
    parser.add_argument("--work", help="scratch folder (default: <cache>/work)")
    parser.add_argument("--rev", help="measure the analyser of this commit (default: the working tree)")
    args = parser.parse_args(argv)
    names = list(PROJECTS) if args.project == "all" else [args.project]
    work = Path(args.work) if args.work else cache_root() / "work"
    if args.rev:
        use_revision(args.rev)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    results = []
    load_before = machine()["load"]
    compiled = byte_compile_analyser()
    if compiled:
        log(f"byte-compiled {compiled} (as pip does on install)")
    speedup = parallel_speedup()
    try:
        for name in names:
            results.append(bench_project(PROJECTS[name], max(1, args.runs), work / PROJECTS[name].key, log))
    except FetchError as exc:
        print(f"real_projects.py: {exc}", file=sys.stderr)
        return 3
    command = "python benchmarks/real_projects.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(report(results, command.strip(), load_before, speedup))
    if args.json_out:
        Path(args.json_out).write_text(
            json.dumps(
                {
                    "machine": machine(),
                    "parallel_speedup": speedup,
                    "revision": revision(),
                    "command": command,
                    "results": results,
                },
                indent=2,
                sort_keys=True,
            )
            + "\n"
        )
    failed = [f"{r['project']}: {m}" for r in results for m, x in r["measures"].items() if x["error"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
