"""A second service extracted from a monolith where a first one is already rewired.

The staying code then imports moved names from the first service's generated client module, which
hands them out on first use (a PEP 562 ``__getattr__`` over its ``_LOCAL`` table), not by import
statements. The planner reads that table as what the names stand for; without it the client package
was judged a pure module and copied into the second service, whose import of it then failed
(``No module named 'payments'``: the copied client imports the first service's moved code).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from click.testing import CliRunner

from decompose.cli import cli
from decompose.extract.plan import build_plan

ROOT = Path(__file__).resolve().parents[1]


def test_names_from_a_rewired_client_are_what_they_stand_for(tmp_path: Path) -> None:
    mono = tmp_path / "monolith"
    shutil.copytree(ROOT / "sample_monolith", mono, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    subprocess.run(["git", "init", "-q", str(mono)], check=True)
    first = CliRunner().invoke(
        cli, ["extract", str(mono), "--service", "payments", "--apps", "payments", "--out", str(tmp_path / "out"), "--apply", "--force"]
    )
    assert first.exit_code == 0, first.output
    receivers = (mono / "notifications" / "receivers.py").read_text()
    assert "from shop.services.payments import" in receivers and "payment_refunded" in receivers

    plan = build_plan(mono, "notifications", ["notifications"])
    rw = plan.service_rewrites
    assert not [m for m in rw.vendored if m.startswith("shop.services")], rw.vendored
    assert not rw.stand_ins, rw.stand_ins
    # the signal the receivers listen to is the payments app's own, copied for the service as from
    # the pristine monolith
    assert rw.retarget.get("payments.signals.payment_refunded") == "notifications_service.signals"
