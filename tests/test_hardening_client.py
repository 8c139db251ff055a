"""The generated client against a hostile service (issue 17): garbage, drips, resets, time-outs.

A raw-socket server on the loopback answers each attempt as the test says: a JSON object, invalid
JSON, HTML, a list, a body nested 100,000 deep, a response that drips a byte at a time, a reset
connection, no answer at all, 401, 429/503 with ``Retry-After``. The client runs in a child
process (Django settings are process-wide) on the ``mini`` fixture's generated client module.

- deterministic cases: a malformed 200 is a ``ProtocolError`` that counts for the breaker; a 401
  is neither retried nor counted; 429/503 with ``Retry-After`` are retried (a write too, with one
  ``Idempotency-Key`` on every attempt); every write carries a key; a drip is cut at the deadline;
- a Hypothesis property: whatever the server does, no exception but the client's own escapes, and
  no call takes more than its deadline plus 10 %.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "rewire" / "mini"

SERVER = r"""
import json, os, random, socket, struct, sys, threading, time

behaviours = []      # what the server does on the n-th connection (the last one repeats)
seen = []            # (method, path, headers) of each request
lock = threading.Lock()
stop = threading.Event()

def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return method, path, headers

def response(status, body, headers=(), length=True):
    out = [f"HTTP/1.1 {status} X".encode(), b"Connection: close"]
    out += [f"{k}: {v}".encode() for k, v in headers]
    if length:
        out.append(f"Content-Length: {len(body)}".encode())
    return b"\r\n".join(out) + b"\r\n\r\n" + body

def act(conn, b):
    kind = b["kind"]
    if kind == "reset":
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return
    if kind == "hang":
        stop.wait(b.get("seconds", 8))
        return
    if kind == "garbage":
        conn.sendall(b["bytes"])
        return
    data = response(b["status"], b["body"], b.get("headers", ()), b.get("length", True))
    if kind == "drip":
        for i in range(len(data)):
            if stop.is_set():
                return
            conn.sendall(data[i:i + 1])
            time.sleep(b.get("every", 0.2))
        return
    if kind == "short":  # Content-Length promises more than comes
        conn.sendall(data[: max(1, len(data) - 5)])
        return
    conn.sendall(data)

def serve(conn):
    try:
        conn.settimeout(10)
        req = read_request(conn)
        if req is None:
            return
        with lock:
            b = behaviours[min(len(seen), len(behaviours) - 1)]
            seen.append(req)
        act(conn, b)
    except OSError:
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass

listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(64)

def accept():
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()

threading.Thread(target=accept, daemon=True).start()
os.environ["DECOMPOSE_BILLING_URL"] = f"http://127.0.0.1:{listener.getsockname()[1]}"

import django
from django.conf import settings
DEADLINE = float(sys.argv[2])
settings.configure(INSTALLED_APPS=["django.contrib.contenttypes"], DECOMPOSE_SERVICES={"billing": {
    "mode": "remote", "token": "s3cret", "retries": 2, "backoff": 0.05, "fail_max": 1000, "reset_timeout": 60,
    "connect_timeout": 0.5, "read_timeout": 0.8, "deadline": DEADLINE}})
django.setup()
sys.path.insert(0, sys.argv[1])
from decimal import Decimal
from billing.exceptions import BillingError
from mini.services import billing, runtime

def ok(body):
    return {"kind": "send", "status": 200, "body": json.dumps(body).encode(),
            "headers": [("Content-Type", "application/json")]}

CALLS = {
    "read": lambda: billing.invoice_total(1),
    "write": lambda: billing.create_invoice("A1", Decimal("12.50")),
    "list": lambda: list(billing.Invoice.objects.all()),
    "get": lambda: billing.Invoice.objects.get(pk=3),
}
#: what a caller may see: the client's own exceptions and the domain errors it maps
ALLOWED = (runtime.ServiceUnavailable, runtime.RemoteError, BillingError)

def run(call, plan):
    with lock:
        behaviours[:] = plan
        seen.clear()
    stop.clear()
    runtime.breaker("billing").close()
    started = time.monotonic()
    outcome = "ok"
    try:
        CALLS[call]()
    except ALLOWED as exc:
        outcome = type(exc).__name__ + ": " + str(exc)
    except ValueError as exc:
        if type(exc) is not ValueError:  # JSONDecodeError is a ValueError: only the mapped plain one is allowed
            raise
        outcome = "ValueError: " + str(exc)
    elapsed = time.monotonic() - started
    stop.set()
    return outcome, elapsed, [dict(path=p, key=h.get("idempotency-key"), method=m) for m, p, h in seen]
"""

CASES = (
    SERVER
    + r"""
out = {}
out["html"] = run("read", [{"kind": "send", "status": 200, "body": b"<html>oops</html>"}])
out["list_body"] = run("write", [ok([1, 2, 3])])
out["list_fails"] = runtime.breaker("billing").fail_counter  # run() starts each case with a closed breaker
out["auth"] = run("read", [{"kind": "send", "status": 401, "body": b"{}"}])
out["auth_fails"] = runtime.breaker("billing").fail_counter
out["retry_after_write"] = run("write", [
    {"kind": "send", "status": 503, "body": b"{}", "headers": [("Retry-After", "0")]},
    {"kind": "send", "status": 429, "body": b"{}", "headers": [("Retry-After", "1")]},
    ok({"result": {"id": 7, "number": "A1", "amount": "12.50", "paid": False}}),
])
out["write_503_no_header"] = run("write", [{"kind": "send", "status": 503, "body": b"{}"}, ok({"result": None})])
out["retry_after_too_long"] = run("read", [{"kind": "send", "status": 429, "body": b"{}",
                                            "headers": [("Retry-After", "3600")]}])
out["drip"] = run("read", [{"kind": "drip", "status": 200, "body": json.dumps({"result": "1" * 50}).encode(),
                            "every": 0.1}])
out["deep"] = run("read", [ok(None) | {"body": b"[" * 100000 + b"]" * 100000}])
out["bad_decimal"] = run("get", [ok({"result": {"id": 3, "number": "x", "amount": "not a number", "paid": False}})])
out["no_result"] = run("get", [ok({"id": 3, "number": "x", "amount": "1.00", "paid": False})])
out["one_request"] = run("list", [
    ok({"result": [{"id": 1, "number": "a", "amount": "1", "paid": False},
                   {"id": 2, "number": "b", "amount": "2", "paid": True}]}),
])
out["refused"] = run("list", [{"kind": "send", "status": 400, "body": b'{"error": "chain[0] filter: no"}'}])
print(json.dumps(out))
"""
)

PROPERTY = (
    SERVER
    + r"""
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

bodies = st.one_of(
    st.binary(max_size=300),
    st.just(b"<!doctype html><title>502</title>"),
    st.just(b"[" * 100000),
    st.just(b""),
    st.sampled_from([b"[]", b"[1, 2]", b'"text"', b"null", b"42", b'{"result": 1}',
                     b'{"error": "no", "type": "BillingError"}', b'{"results": "x", "count": 5}',
                     b'{"results": [1, "a"], "count": 2}', b'{"result": {"id": 1, "amount": "x"}}',
                     b'{"id": 3, "amount": "9.99", "number": "n", "paid": false}', b'{"error": {"nested": []}}']),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                 lambda c: st.lists(c, max_size=3) | st.dictionaries(
                     st.sampled_from(["result", "results", "count", "error", "type", "id", "amount"]), c, max_size=4),
                 max_leaves=8).map(lambda v: json.dumps(v).encode()),
)
statuses = st.sampled_from([200, 201, 204, 301, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504, 999])
retry_after = st.sampled_from([None, "0", "1", "abc", "-1", "99999999999999999999", "Wed, 21 Oct 2015 07:28:00 GMT",
                               "Wed, 21 Oct 2099 07:28:00 GMT"])

@st.composite
def behaviour(draw):
    kind = draw(st.sampled_from(["send", "send", "send", "drip", "reset", "hang", "garbage", "short"]))
    if kind == "reset":
        return {"kind": "reset"}
    if kind == "hang":
        return {"kind": "hang", "seconds": 6}
    if kind == "garbage":
        return {"kind": "garbage", "bytes": draw(st.binary(min_size=1, max_size=200))}
    headers = [("Content-Type", draw(st.sampled_from(["application/json", "text/html", "x/\u00e9"])))]
    ra = draw(retry_after)
    if ra is not None:
        headers.append(("Retry-After", ra))
    return {"kind": kind, "status": draw(statuses), "body": draw(bodies), "headers": headers,
            "length": draw(st.booleans()), "every": 0.15}

worst = []

@hsettings(max_examples=int(sys.argv[3]), deadline=None, derandomize=True, database=None,
           suppress_health_check=list(HealthCheck))
@given(call=st.sampled_from(sorted(CALLS)), plan=st.lists(behaviour(), min_size=1, max_size=4))
def test(call, plan):
    outcome, elapsed, seen_requests = run(call, plan)
    worst.append(elapsed)
    assert elapsed <= DEADLINE * 1.10, (call, plan, outcome, elapsed)
    if call == "write":
        keys = {r["key"] for r in seen_requests}
        assert len(keys) <= 1 and None not in keys, keys  # one key, on every attempt

test()
print(json.dumps({"examples": len(worst), "slowest": max(worst), "over_deadline": sum(w > DEADLINE for w in worst)}))
"""
)


@pytest.fixture(scope="module")
def client_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from decompose.extract.client import client_files
    from decompose.extract.plan import build_plan
    from decompose.extract.plan.index import index_project

    root = tmp_path_factory.mktemp("client")
    plan = build_plan(index_project(FIXTURE, use_cache=False), "billing", ["billing"])
    for rel, text in client_files(plan).items():
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text)
    (root / "mini" / "__init__.py").write_text("")
    (root / "billing").mkdir()
    (root / "billing" / "__init__.py").write_text("")
    (root / "billing" / "exceptions.py").write_text((FIXTURE / "billing" / "exceptions.py").read_text())
    return root


def _run(script: str, root: Path, *args: str, timeout: float = 600) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", script, str(root), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
    )
    assert proc.returncode == 0, proc.stderr[-5000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_malformed_answers_auth_errors_retry_after_and_idempotency_keys(client_tree: Path) -> None:
    out = _run(CASES, client_tree, "2.0")
    outcome, _, seen = out["html"]
    assert outcome.startswith("ProtocolError") and "HTML" in outcome, outcome
    assert len(seen) == 3  # a read: retried like any transient failure
    outcome, _, seen = out["list_body"]
    assert outcome.startswith("ProtocolError") and "list" in outcome and len(seen) == 1, outcome
    assert out["list_fails"] == 1  # counted by the breaker
    outcome, _, seen = out["auth"]
    assert outcome.startswith("AuthenticationFailed") and "401" in outcome and len(seen) == 1, outcome
    assert out["auth_fails"] == 0
    outcome, _, seen = out["retry_after_write"]
    assert outcome == "ok" and [s["method"] for s in seen] == ["POST"] * 3
    keys = {s["key"] for s in seen}
    assert len(keys) == 1 and None not in keys and len(keys.pop()) >= 32
    outcome, _, seen = out["write_503_no_header"]
    assert outcome.startswith("ServiceUnavailable") and len(seen) == 1  # a write without Retry-After: not again
    outcome, elapsed, seen = out["retry_after_too_long"]
    assert outcome.startswith("ServiceUnavailable") and len(seen) == 1 and elapsed < 1, (outcome, elapsed)
    outcome, elapsed, _ = out["drip"]
    assert outcome.startswith("ServiceUnavailable") and "deadline" in outcome, outcome
    assert 1.9 <= elapsed <= 2.2, elapsed
    outcome, _, _ = out["deep"]
    assert outcome.startswith("ProtocolError") and "deeply" in outcome, outcome
    outcome, _, _ = out["bad_decimal"]
    assert outcome.startswith("ProtocolError") and "amount" in outcome, outcome
    outcome, _, _ = out["no_result"]  # the query endpoint answers {"result": ...}: anything else is not the protocol
    assert outcome.startswith("ProtocolError") and "without 'result'" in outcome, outcome
    outcome, _, seen = out["one_request"]  # a queryset is one request to the query endpoint (the remote ORM)
    assert outcome == "ok" and [(s["method"], s["path"]) for s in seen] == [("POST", "/api/v1/query/billing/Invoice")]
    outcome, _, seen = out["refused"]  # a query the service refuses: RemoteQueryRefused, a RemoteError, not retried
    assert outcome.startswith("RemoteQueryRefused") and "refused this query" in outcome and len(seen) == 1, outcome


def test_no_raw_exception_and_no_call_past_its_deadline_whatever_the_server_does(client_tree: Path) -> None:
    out = _run(PROPERTY, client_tree, "1.5", "60", timeout=900)
    print(out)  # the figures: examples, slowest call, calls over the deadline
    assert out["examples"] >= 60
    assert out["slowest"] <= 1.5 * 1.10, out
