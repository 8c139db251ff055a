"""The generated client runtime against a real loopback HTTP server: timeouts, retries with
backoff only for idempotent calls, the circuit breaker, one ServiceUnavailable, error mapping,
DTOs typed back, and the local/remote switch by environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from decompose.extract.client import client_files
from decompose.extract.plan import build_plan
from decompose.extract.plan.index import index_project

FIXTURE = Path(__file__).parent / "fixtures" / "rewire" / "mini"

SCRIPT = r'''
import json, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from decimal import Decimal

hits = []
mode = {"status": 503}

class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        hits.append((self.path, self.headers.get("Authorization"), body))
        status = mode["status"]
        if self.path.endswith("/create_invoice") and status == 200:
            payload = {"result": {"id": 7, "number": body["number"], "amount": "12.50", "paid": False}}
        elif self.path.endswith("/create_invoice") and status == 422:
            payload = mode.get("payload") or {"error": "amount must be positive", "type": "BillingError"}
        elif status == 200:
            payload = {"result": "3.00"}
        else:
            payload = {"error": "boom"}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

server = ThreadingHTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=server.serve_forever, daemon=True).start()
os.environ["DECOMPOSE_BILLING_URL"] = f"http://127.0.0.1:{server.server_address[1]}"

import django
from django.conf import settings
settings.configure(INSTALLED_APPS=["django.contrib.contenttypes"], DECOMPOSE_SERVICES={"billing": {
    "mode": "remote", "token": "s3cret", "retries": 2, "backoff": 0.01, "fail_max": 4, "reset_timeout": 60}})
django.setup()
sys.path.insert(0, sys.argv[1])
from mini.services import billing, runtime

out = {}
# idempotent call: 1 + 2 retries against a 503, then ServiceUnavailable
try:
    billing.invoice_total(1)
except runtime.ServiceUnavailable as exc:
    out["idempotent_error"] = str(exc)
out["idempotent_hits"] = len(hits)
out["auth"] = hits[0][1]
# a write is never retried; this fourth failure opens the circuit
hits.clear()
try:
    billing.create_invoice("A1", Decimal("12.50"))
except runtime.ServiceUnavailable as exc:
    out["write_error"] = str(exc)
out["write_hits"] = len(hits)
# circuit open: fails at once without calling
hits.clear()
mode["status"] = 200
start = time.monotonic()
try:
    billing.invoice_total(1)
except runtime.ServiceUnavailable as exc:
    out["open_error"] = str(exc)
out["open_hits"] = len(hits)
out["open_seconds"] = time.monotonic() - start
runtime.breaker("billing").close()
inv = billing.create_invoice("A2", Decimal("1.25"))
out["dto"] = [type(inv.amount).__name__, str(inv.amount), inv.number, inv.pk, repr(inv)]
out["sent"] = hits[-1][2]
mode["status"] = 422
try:
    billing.create_invoice("A3", Decimal("-1"))
except Exception as exc:
    out["domain_error"] = [type(exc).__module__ + "." + type(exc).__name__, str(exc)]
# a Django ValidationError of the service: raised again as itself (field errors, codes, params typed)
from django.core.exceptions import ValidationError
mode["payload"] = {"error": "{'amount': ['at least 1.00']}", "type": "ValidationError", "validation": {"fields": {
    "amount": [{"message": "at least %(min)s", "code": "min", "params": {"min": {"__decompose__": "decimal",
                                                                             "value": "1.00"}}}]}}}
try:
    billing.create_invoice("A4", Decimal("0"))
except ValidationError as exc:
    out["validation"] = [isinstance(exc, ValueError), exc.message_dict, exc.error_dict["amount"][0].code,
                         repr(exc.error_dict["amount"][0].params)]
mode["payload"] = {"error": "['no']", "type": "ValidationError", "validation": {"fields": 3}}  # not the protocol
try:
    billing.create_invoice("A5", Decimal("0"))
except ValidationError as exc:
    out["validation_malformed"] = exc.messages
# refused connection: nothing listens any more
server.shutdown(); server.server_close()
runtime.breaker("billing").close()
start = time.monotonic()
try:
    billing.invoice_total(1)
except runtime.ServiceUnavailable as exc:
    out["down_error"] = str(exc)
out["down_seconds"] = time.monotonic() - start
print(json.dumps(out))
'''


def test_client_runtime_over_http(tmp_path: Path) -> None:
    plan = build_plan(index_project(FIXTURE, use_cache=False), "billing", ["billing"])
    for rel, text in client_files(plan).items():
        dest = tmp_path / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text)
    (tmp_path / "mini" / "__init__.py").write_text("")
    # the client re-raises the service's domain errors as the moved code's own classes
    (tmp_path / "billing").mkdir()
    (tmp_path / "billing" / "__init__.py").write_text("")
    (tmp_path / "billing" / "exceptions.py").write_text((FIXTURE / "billing" / "exceptions.py").read_text())
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    import json

    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["idempotent_hits"] == 3  # 1 call + 2 retries
    assert "service 'billing' unavailable" in out["idempotent_error"] and "503" in out["idempotent_error"]
    assert out["auth"] == "Bearer s3cret"
    assert out["write_hits"] == 1  # writes are never retried
    assert "circuit open" in out["write_error"]  # fourth consecutive failure trips the breaker
    assert out["open_hits"] == 0 and out["open_seconds"] < 0.5 and "circuit open" in out["open_error"]
    assert out["dto"] == ["Decimal", "12.50", "A2", 7, "<billing.Invoice 7 (remote)>"]
    assert out["sent"] == {"number": "A2", "amount": "1.25"}
    assert out["domain_error"] == ["billing.exceptions.BillingError", "amount must be positive"]
    # before: a ValueError("{'amount': ...}"), no ValidationError for a form to catch
    assert out["validation"] == [True, {"amount": ["at least 1.00"]}, "min", "{'min': Decimal('1.00')}"]
    assert out["validation_malformed"] == ["['no']"]
    assert "ConnectError" in out["down_error"] and out["down_seconds"] < 5
