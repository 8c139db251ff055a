"""Every figure the README quotes about the sample monolith, measured now, one ``key value`` a line.

    .venv/bin/python scripts/figures.py          # key value, in a stable order
    .venv/bin/python scripts/figures.py --json   # {key: value}

Each figure is measured through the command the README names (``decompose analyze|propose ...
--format json``), run with this interpreter, so what a reader gets from the README's commands is
what this prints. ``tests/test_readme.py`` checks that each figure quoted in README.md equals
this output (to the precision the README quotes it), so the README cannot go stale silently.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SAMPLE = "sample_monolith"
REFERENCE = f"{SAMPLE}/decomposition.toml"


def _decompose(*args: str) -> Any:
    """The JSON a ``decompose ... --format json`` run prints on stdout (one-line error and exit 2 on failure)."""
    proc = subprocess.run(
        [sys.executable, "-m", "decompose", *args, "--format", "json"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        sys.exit(f"figures: `decompose {' '.join(args)}` failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout)


def figures() -> dict[str, Any]:
    """The figures by key (values as measured: percentages in %, scores unrounded)."""
    out: dict[str, Any] = {}
    graph = _decompose("analyze", SAMPLE, "--quiet")
    nodes = graph["nodes"]
    out["sample.apps"] = len(graph["apps"])
    out["sample.modules"] = sum(1 for n in nodes if n.get("type") == "module")
    out["sample.external_packages"] = sum(1 for n in nodes if n.get("type") == "external")

    default = _decompose("propose", SAMPLE, "--reference", REFERENCE)
    out["sample.propose.algorithm"] = default["algorithm"]
    out["sample.propose.services"] = len(default["services"])
    out["sample.propose.shared_kernel"] = ",".join(default["shared_kernel"])
    out["sample.propose.mojofm"] = default["comparison"]["mojofm"]
    out["sample.propose.score"] = default["metrics"]["score"]
    out["sample.propose.cross_service_fks"] = default["metrics"]["cross_service_fks"]

    ten = _decompose("propose", SAMPLE, "--reference", REFERENCE, "--services", "10")
    out["sample.propose.services10.services"] = len(ten["services"])
    out["sample.propose.services10.mojofm"] = ten["comparison"]["mojofm"]

    architect = _decompose("propose", SAMPLE, "--evaluate", REFERENCE)
    out["sample.reference.services"] = len(architect["services"])
    out["sample.reference.score"] = architect["metrics"]["score"]
    out["sample.reference.cross_service_fks"] = architect["metrics"]["cross_service_fks"]
    return out


def main(argv: list[str]) -> None:
    values = figures()
    if "--json" in argv:
        sys.stdout.write(json.dumps(values, indent=1, sort_keys=True) + "\n")
        return
    for key, value in values.items():
        sys.stdout.write(f"{key} {value}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
