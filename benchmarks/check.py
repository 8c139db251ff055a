"""Benchmark ``decompose check`` against ``tach check`` and ``lint-imports`` on wagtail, in one run.

Usage (from the repository root; the peers come from the ``bench`` extra)::

    .venv/bin/pip install -e ".[bench]"
    .venv/bin/python benchmarks/check.py --runs 5 [--json out.json]

wagtail 8.0.1 is fetched from PyPI as a wheel and unpacked as in ``real_projects.py`` (never
installed or imported). The contracts are written once for decompose, **imports only**
(``kinds = ["import"]``, tests included, indirect chains where import-linter checks them), and the
peers' configurations are *exported from them* with ``decompose check --export import-linter|tach``,
so all three check the same rules over the same packages:

- layers (indirect): ``wagtail.contrib`` above ``wagtail.admin`` above ``wagtail.search``,
- independent (indirect): ``wagtail.images``, ``wagtail.documents``, ``wagtail.embeds``,
- forbidden (direct): ``wagtail.search`` and ``wagtail.sites`` must not use ``wagtail.admin``,
- public_api: ``wagtail.snippets`` used only through its ``models`` and ``blocks`` modules.

Each round runs, each in its own child process (wall and CPU time, as ``measure.py`` does):
``decompose check`` cold (empty analysis cache), warm (nothing changed: the result kept with the
analysis is read back), with the contracts edited (the graph from the cache, the contracts checked
anew: the engine's own cost), ``tach check``,
``lint-imports`` cold (``--no-cache``) and warm (its grimp cache filled). The table gives medians and
the ratios of decompose's warm and cold runs to each peer; the violation counts are printed so the
equivalence can be seen (tach checks direct imports only and states no chains, so its count differs
where the contracts are indirect).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import MeasureError, Sample, run  # noqa: E402
from real_projects import PROJECTS, FetchError, byte_compile_analyser, cache_root, fetch, machine, revision  # noqa: E402

PY = sys.executable
BIN = Path(PY).parent

CONTRACTS = """# benchmarks/check.py: imports only, so that import-linter and tach can check the same rules
[check]
include_tests = true

[[check.contracts]]
name = "contrib over admin over search"
type = "layers"
layers = ["wagtail.contrib", "wagtail.admin", "wagtail.search"]
indirect = true
kinds = ["import"]

[[check.contracts]]
name = "media apps are independent"
type = "independent"
units = ["wagtail.images", "wagtail.documents", "wagtail.embeds"]
indirect = true
kinds = ["import"]

[[check.contracts]]
name = "search and sites do not use the admin"
type = "forbidden"
from = ["wagtail.search", "wagtail.sites"]
to = ["wagtail.admin"]
kinds = ["import"]

[[check.contracts]]
name = "snippets through models and blocks"
type = "public_api"
app = "wagtail.snippets"
api = ["wagtail.snippets.models", "wagtail.snippets.blocks"]
kinds = ["import"]
"""

MEASURES = (
    "decompose check cold",
    "decompose check warm",
    "decompose check, contracts edited",
    "tach check",
    "lint-imports cold",
    "lint-imports warm",
)


def _decompose(*args: str) -> list[str]:
    return [PY, "-m", "decompose", *args]


def _counts(name: str, sample: Sample) -> str:
    out = sample.stdout
    if name.startswith("decompose"):
        data = json.loads(out)
        summary = data["summary"]
        return f"{summary['violations']} violations, {summary['broken']}/{summary['contracts']} contracts broken"
    if name.startswith("lint-imports"):
        m = re.search(r"Contracts: (\d+) kept, (\d+) broken", out)
        chains = len(re.findall(r"^- ", out, flags=re.M))
        return (
            f"{m.group(2)}/{int(m.group(1)) + int(m.group(2))} contracts broken, {chains} chains listed" if m else "?"
        )
    try:
        diags = json.loads(out)
    except json.JSONDecodeError:
        return "?"
    errors = (
        [d for d in diags if str(d.get("severity", "Error")).lower().startswith("error")]
        if isinstance(diags, list)
        else []
    )
    return f"{len(errors)} errors"


def bench(runs: int, work: Path, log: Any) -> dict[str, Any]:
    root = fetch(PROJECTS["wagtail"], cache_root())
    work.mkdir(parents=True, exist_ok=True)
    config = work / "decompose.toml"
    config.write_text(CONTRACTS)
    cache = work / "analysis-cache"
    il_cache = work / "import-linter-cache"
    il_config = work / "importlinter.toml"
    tach_toml = root / "tach.toml"  # tach reads it from the folder it runs in (the unpacked wheel, outside this repo)
    base = ["check", str(root), "--config", str(config), "--cache-dir", str(cache), "--no-baseline"]
    for tool, dest in (("import-linter", il_config), ("tach", tach_toml)):
        proc = subprocess.run(_decompose(*base, "--export", tool, "-o", str(dest)), capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"check.py: export to {tool} failed:\n{proc.stderr}")
        log(
            f"exported for {tool}: "
            + "; ".join(line for line in proc.stderr.splitlines() if line.startswith("not expressed"))
        )
    env = {**os.environ, "PYTHONPATH": str(root)}
    commands = {
        "decompose check cold": _decompose(*base, "--format", "json"),
        "decompose check warm": _decompose(*base, "--format", "json"),
        "decompose check, contracts edited": _decompose(*base, "--format", "json"),
        "tach check": [str(BIN / "tach"), "check", "--output", "json"],
        "lint-imports cold": [str(BIN / "lint-imports"), str(il_config), "--no-cache", "--no-logo"],
        "lint-imports warm": [str(BIN / "lint-imports"), str(il_config), "--cache-dir", str(il_cache), "--no-logo"],
    }
    samples: dict[str, list[Sample]] = {m: [] for m in MEASURES}
    errors: dict[str, str] = {}
    counts: dict[str, str] = {}
    try:
        shutil.rmtree(il_cache, ignore_errors=True)
        subprocess.run(commands["lint-imports warm"], cwd=root, env=env, capture_output=True)  # fill its cache
        for i in range(runs):
            for m in MEASURES:
                if m in errors:
                    continue
                if m == "decompose check cold":
                    shutil.rmtree(cache, ignore_errors=True)
                edited = m == "decompose check, contracts edited"
                if edited:  # a new description: the kept result does not apply, the contracts are checked again
                    config.write_text(CONTRACTS.replace("[check]\n", f'[check]\nbaseline = "round-{i}.json"\n'))
                try:
                    s = run(commands[m], cwd=str(root), env=env, check=False)
                except MeasureError as exc:
                    errors[m] = str(exc)
                    continue
                if edited:
                    config.write_text(CONTRACTS)
                samples[m].append(s)
                counts[m] = _counts(m, s)
                log(
                    f"  round {i + 1}/{runs} {m:<33} {s.wall:7.3f} s  cpu {s.cpu:7.3f} s"
                    f"  {s.tree_rss / 2**20:5.0f} MB  ({counts[m]})"
                )
    finally:
        tach_toml.unlink(missing_ok=True)
        shutil.rmtree(root / ".tach", ignore_errors=True)
    med = {m: statistics.median(s.wall for s in v) if v else None for m, v in samples.items()}
    cpu = {m: statistics.median(s.cpu for s in v) if v else None for m, v in samples.items()}
    ratios = {}
    for mine in ("decompose check warm", "decompose check, contracts edited", "decompose check cold"):
        for peer in ("tach check", "lint-imports warm", "lint-imports cold"):
            if med[mine] and med[peer] and cpu[mine] and cpu[peer]:
                ratios[f"{mine} / {peer}"] = {"wall": med[mine] / med[peer], "cpu": cpu[mine] / cpu[peer]}
    return {
        "project": PROJECTS["wagtail"].key,
        "median_s": med,
        "cpu_median_s": cpu,
        "runs": {m: [round(s.wall, 4) for s in v] for m, v in samples.items()},
        "ratios": ratios,
        "violations": counts,
        "errors": errors,
    }


def report(result: dict[str, Any], command: str) -> str:
    mach = machine()
    lines = [
        f"`{command}` at {revision()}; {mach['cpu']}, {mach['cores']} cores, Python {mach['python']},"
        f" load {mach['load']}",
        "",
        f"| {result['project']} | median wall s | median CPU s | what it found |",
        "|---|---:|---:|---|",
    ]
    for m in MEASURES:
        w, c = result["median_s"][m], result["cpu_median_s"][m]
        lines.append(
            f"| {m} | {'—' if w is None else f'{w:.3f}'} | {'—' if c is None else f'{c:.3f}'}"
            f" | {result['violations'].get(m, result['errors'].get(m, ''))[:80]} |"
        )
    lines.append("")
    for k, v in result["ratios"].items():
        lines.append(f"- {k}: {v['wall']:.2f}x wall, {v['cpu']:.2f}x CPU ({'faster' if v['wall'] < 1 else 'slower'})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds (medians over them)")
    parser.add_argument("--json", dest="json_out", help="also write the results as JSON here")
    parser.add_argument("--work", help="scratch folder (default: a temporary one)")
    args = parser.parse_args(argv)
    for tool in ("tach", "lint-imports"):
        if not (BIN / tool).exists():
            print(f"check.py: {tool} is not installed next to {PY} (pip install -e '.[bench]')", file=sys.stderr)
            return 3
    byte_compile_analyser()

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="decompose-check-bench-") as tmp:
        try:
            result = bench(max(1, args.runs), Path(args.work) if args.work else Path(tmp), log)
        except FetchError as exc:
            print(f"check.py: {exc}", file=sys.stderr)
            return 3
    command = "python benchmarks/check.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(report(result, command.strip()))
    if args.json_out:
        Path(args.json_out).write_text(
            json.dumps({"machine": machine(), "revision": revision(), "result": result}, indent=2, sort_keys=True)
            + "\n"
        )
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
