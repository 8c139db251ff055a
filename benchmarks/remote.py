"""What remote mode costs: per-call overhead on loopback, and the sample's suite remote vs local.

Usage (from the repository root; gunicorn comes from the ``bench`` extra)::

    .venv/bin/pip install -e ".[bench]"
    .venv/bin/python benchmarks/remote.py [--calls 300] [--skip-suite] [--json out.json]

The sample monolith is copied to a temporary folder and rewired for the ``payments`` and
``notifications`` services (``decompose extract ... --apply``); each generated service is migrated
and served by gunicorn (2 workers, as its Dockerfile runs it; Django's ``runserver`` when gunicorn
is not installed, said in the output) on a free loopback port with its own SQLite database.

Four operations are timed, each ``--calls`` times after 20 warm-up calls, in a child process of the
rewired monolith (``DJANGO_SETTINGS_MODULE=shop.settings``), once in ``local`` mode (the moved apps
installed, called in-process: the peer) and once in ``remote`` mode (through the generated client):

- **function**: ``payments_for_order(order_id)``, a service function the web layer calls
  (remote: one POST to its endpoint);
- **queryset read**: ``list(Payment.objects.filter(status=..., amount__gte=...).order_by("-id")[:10])``
  (remote: one POST to the query endpoint);
- **write**: ``Payment.objects.filter(pk=...).update(failure_reason=...)`` (remote: the command endpoint);
- **proxied page**: ``GET /api/notifications/`` through Django's test client, signed in (remote: the
  monolith's URL mirror and proxy, the service's view behind the identity assertion).

Each remote call is checked to have reached the service (the service's request counter must grow by
the number of calls made), so a remote run that stayed in-process cannot pass for a fast one.
Figures are p50/p99 in milliseconds and the remote/local ratio of the medians. The issue's target is
p99 <= 20 ms per remote call on loopback.

Then, unless ``--skip-suite``, the rewired monolith's test suite (without the moved apps' folders,
as ``tests/test_extract_e2e_remote.py`` runs it) is timed in local mode and in remote mode (both
services remote, the monolith served to them by the e2e plugin's live server); the target is remote
<= 2x local.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("payments", "notifications")
TOKEN = "bench-token-0123456789"
IDENTITY_KEY = "bench-identity-key-0123456789-abcdefgh"

DRIVER = r"""
import json, os, sys, time
from decimal import Decimal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
django.setup()
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.models import Address
from orders.models import Order
from shop.services import payments as pay

calls, warm = int(sys.argv[1]), 20
User = get_user_model()
user = User.objects.create_user(username=f"bench{time.time_ns()}", password="x")
address = Address.objects.create(user=user, full_name="B", line1="1 Road", city="Paris", postcode="75001", country="FR")
order = Order.objects.create(reference=f"B{time.time_ns() % 10**12}", user=user, shipping_address=address,
                             shipping_method_code="std", subtotal=Decimal("10"), total=Decimal("10"))
Payment = pay.Payment
payment = Payment.objects.create(order_id=order.pk, reference=f"P{time.time_ns() % 10**12}", amount=Decimal("10.00"),
                                 status="authorized")
client = Client()
client.force_login(user)


def page():
    response = client.get("/api/notifications/")
    assert response.status_code == 200, (response.status_code, response.content[:300])


counter = iter(range(10**9))
ops = {
    "function": lambda: pay.payments_for_order(order.pk),
    "queryset read": lambda: list(Payment.objects.filter(status="authorized", amount__gte=1).order_by("-id")[:10]),
    "write": lambda: Payment.objects.filter(pk=payment.pk).update(failure_reason=f"n{next(counter)}"),
    "proxied page": page,
}
assert [p["status"] for p in pay.payments_for_order(order.pk)] == ["authorized"]
out = {}
for name, op in ops.items():
    for _ in range(warm):
        op()
    samples = []
    for _ in range(calls):
        t = time.perf_counter()
        op()
        samples.append((time.perf_counter() - t) * 1000)
    out[name] = samples
print("BENCH " + json.dumps({"calls_per_op": calls + warm, "samples": out}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "MONOLITH_", "DECOMPOSE_", "PYTEST_"))
    }


def _run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise SystemExit(f"benchmark step failed: {' '.join(cmd)}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return result


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


class Service:
    def __init__(self, name: str, folder: Path, monolith_url: str) -> None:
        self.name, self.folder = name, folder
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = folder / "bench.sqlite3"
        self.log = folder / "access.log"
        self.env = {
            **_env(),
            "DATABASE_URL": f"sqlite:///{self.db}",
            "DECOMPOSE_SERVICE_TOKEN": TOKEN,
            "DJANGO_SECRET_KEY": "bench-secret-key-0123456789",
            "DECOMPOSE_IDENTITY_KEY": IDENTITY_KEY,
            "MONOLITH_URL": monolith_url,
            "MONOLITH_TOKEN": TOKEN,
            "MONOLITH_TIMEOUT": "10",
        }
        _run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=folder, env=self.env, timeout=600)
        self.proc: subprocess.Popen[bytes] | None = None
        self.server = "gunicorn" if shutil.which("gunicorn", path=str(Path(sys.executable).parent)) else "runserver"

    def start(self) -> None:
        if self.server == "gunicorn":
            cmd = [
                sys.executable,
                "-m",
                "gunicorn",
                f"{self.name}_service.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--access-logfile",
                str(self.log),
                "--access-logformat",
                '"%(r)s" %(s)s',
            ]
        else:
            cmd = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"]
        log = self.log.open("a") if self.server == "runserver" else subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, cwd=self.folder, env=self.env, stdout=log, stderr=log)
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise SystemExit(f"service {self.name} did not start on {self.url}")

    def requests(self) -> int:
        """Requests the service logged, /healthz left out."""
        if not self.log.exists():
            return 0
        return sum(
            1
            for ln in self.log.read_text(errors="replace").splitlines()
            if ('"GET /' in ln or '"POST /' in ln) and "/healthz" not in ln
        )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _remote_env(services: dict[str, Service]) -> dict[str, str]:
    env: dict[str, str] = {}
    for name, s in services.items():
        upper = name.upper()
        env |= {
            f"DECOMPOSE_{upper}_MODE": "remote",
            f"DECOMPOSE_{upper}_URL": s.url,
            f"DECOMPOSE_{upper}_TOKEN": TOKEN,
            f"DECOMPOSE_{upper}_INBOUND_TOKEN": TOKEN,
            f"DECOMPOSE_{upper}_IDENTITY_KEY": IDENTITY_KEY,
        }
    return env


def _calls(monolith: Path, env: dict[str, str], calls: int, db: Path) -> dict[str, Any]:
    env = {**env, "DATABASE_PATH": str(db)}
    _run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=monolith, env=env, timeout=600)
    result = _run([sys.executable, "-c", DRIVER, str(calls)], cwd=monolith, env=env, timeout=1800)
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("BENCH "))
    return json.loads(line[len("BENCH ") :])


def _suite(monolith: Path, env: dict[str, str]) -> tuple[float, str]:
    ignore = [f"--ignore={name}" for name in SERVICES]
    start = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            "pytest.ini",
            "-q",
            "-p",
            "shop.services.testing",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            *ignore,
        ],
        cwd=monolith,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    wall = time.perf_counter() - start
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-300:]
    if result.returncode != 0:
        raise SystemExit(f"the rewired monolith's suite failed:\n{result.stdout[-3000:]}")
    return wall, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--skip-suite", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="decompose-bench-remote-"))
    services: dict[str, Service] = {}
    try:
        monolith = tmp / "monolith"
        shutil.copytree(ROOT / "sample_monolith", monolith, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
        _run(["git", "init", "-q", str(monolith)])
        for name in SERVICES:
            _run(
                [
                    sys.executable,
                    "-m",
                    "decompose",
                    "extract",
                    str(monolith),
                    "--service",
                    name,
                    "--apps",
                    name,
                    "--out",
                    str(tmp / "out"),
                    "--apply",
                    "--force",
                ],
                timeout=1800,
            )
        live_port = _free_port()
        services = {name: Service(name, tmp / "out" / name, f"http://127.0.0.1:{live_port}") for name in SERVICES}
        for s in services.values():
            s.start()
        remote = _remote_env(services)
        local = _calls(monolith, _env(), args.calls, tmp / "local.sqlite3")
        before = {name: s.requests() for name, s in services.items()}
        remote_run = _calls(monolith, {**_env(), **remote}, args.calls, tmp / "remote.sqlite3")
        served = {name: s.requests() - before[name] for name, s in services.items()}
        per_op = remote_run["calls_per_op"]
        # payments: function + queryset read + write (and the set-up: create, first status);
        # notifications: the proxied page
        if served["payments"] < 3 * per_op or served["notifications"] < per_op:
            raise SystemExit(
                f"remote mode did not reach the services: {served} requests for {per_op} calls per operation"
            )
        rows = []
        for op in local["samples"]:
            lo, re_ = local["samples"][op], remote_run["samples"][op]
            rows.append(
                {
                    "operation": op,
                    "local_p50_ms": _percentile(lo, 0.5),
                    "local_p99_ms": _percentile(lo, 0.99),
                    "remote_p50_ms": _percentile(re_, 0.5),
                    "remote_p99_ms": _percentile(re_, 0.99),
                    "ratio_p50": _percentile(re_, 0.5) / _percentile(lo, 0.5),
                }
            )
        server = next(iter(services.values())).server
        print(
            f"per-call overhead on loopback ({args.calls} calls per operation, services under {server};"
            f" requests served: {served})"
        )
        print(
            f"{'operation':<15} {'local p50':>10} {'local p99':>10} {'remote p50':>11}"
            f" {'remote p99':>11} {'p50 ratio':>10}"
        )
        for r in rows:
            print(
                f"{r['operation']:<15} {r['local_p50_ms']:>8.2f}ms {r['local_p99_ms']:>8.2f}ms"
                f" {r['remote_p50_ms']:>9.2f}ms {r['remote_p99_ms']:>9.2f}ms {r['ratio_p50']:>9.1f}x"
            )
        report: dict[str, Any] = {"server": server, "calls": args.calls, "served": served, "operations": rows}
        if not args.skip_suite:
            for s in services.values():
                s.stop()
            services = {name: Service(name, tmp / "out" / name, f"http://127.0.0.1:{live_port}") for name in SERVICES}
            for s in services.values():
                s.start()
            base = {
                **_env(),
                "DECOMPOSE_MONOLITH_LIVESERVER": f"127.0.0.1:{live_port}",
            }
            local_wall, local_summary = _suite(monolith, base)
            remote_wall, remote_summary = _suite(monolith, {**base, **_remote_env(services)})
            print(f"suite local  {local_wall:7.1f} s  ({local_summary})")
            print(f"suite remote {remote_wall:7.1f} s  ({remote_summary})  ratio {remote_wall / local_wall:.2f}x")
            report["suite"] = {
                "local_s": local_wall,
                "remote_s": remote_wall,
                "ratio": remote_wall / local_wall,
                "local": local_summary,
                "remote": remote_summary,
            }
        if args.json:
            args.json.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
        return 0
    finally:
        for s in services.values():
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
