"""The generated service against hostile callers (issue 17), on a freshly generated payments service.

Each case once gave a 500, a wrong 200, or a service that started open: a JSON body nested deeper
than the decoder's recursion limit, an oversized body, ``TRACE /healthz``, a start without a secret
key, ``*`` hosts in the Dockerfile, whole tables from a list endpoint, ``MONOLITH_TOKEN`` falling
back to the inbound token, and a repeated POST that did its work twice.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from openapi_contract import Contract

from decompose.cli import cli

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "inbound-token-0123456789"
OUTBOUND = "outbound-token-9876543210"
SECRET = "a-secret-key-for-the-tests-0123456789"


class Monolith:
    """The monolith's end of call backs and events on a loopback port; events fail while ``down``."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, str | None, dict]] = []  # path, Authorization, Idempotency-Key, body
        self.events_down = False
        self.callbacks_down = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"null")
                outer.received.append(
                    (self.path, self.headers.get("Authorization", ""), self.headers.get("Idempotency-Key"), body)
                )
                if self.path.startswith("/api/v1/events/"):
                    status, payload = (503, {"error": "down"}) if outer.events_down else (202, {"receivers": 1})
                elif self.path == "/api/v1/callbacks/orders.services.mark_paid":
                    if outer.callbacks_down:
                        status, payload = 500, {"error": "boom"}
                    else:
                        status, payload = 200, {"result": {"id": body["order_id"], "status": "paid"}}
                else:
                    status, payload = 404, {"error": "unknown"}
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def paths(self) -> list[str]:
        return [r[0] for r in self.received]


pytestmark = pytest.mark.e2e


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "MONOLITH_", "DECOMPOSE_"))
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}", DECOMPOSE_SERVICE_TOKEN=TOKEN, PYTHONDONTWRITEBYTECODE="1",
        DECOMPOSE_IDENTITY_KEY="hardening-identity-key-0123456789-abcdefgh",  # the pages' assertions (identity.py)
    )
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("svc")
    result = CliRunner().invoke(
        cli,
        [
            "extract",
            str(ROOT / "sample_monolith"),
            "--service",
            "payments",
            "--apps",
            "payments",
            "--out",
            str(out),
            "--no-rewire",
        ],
    )
    assert result.exit_code == 0, result.output
    return out / "payments"


@pytest.fixture(scope="module")
def monolith() -> Iterator[Monolith]:
    fake = Monolith()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture(scope="module")
def run_env(tmp_path_factory: pytest.TempPathFactory, monolith: Monolith) -> dict[str, str]:
    return _env(
        tmp_path_factory.mktemp("run"),
        DJANGO_SECRET_KEY=SECRET,
        MONOLITH_URL=monolith.url,
        MONOLITH_TOKEN=OUTBOUND,
        MONOLITH_TIMEOUT="3",
    )


@pytest.fixture(scope="module")
def base(folder: Path, run_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("log")
    env = run_env
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert migrate.returncode == 0, migrate.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (tmp / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=folder,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, (tmp / "server.log").read_text()[-2000:]
        time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


AUTH = {"Authorization": f"Bearer {TOKEN}"}
ORDER = {"id": 7, "total": "25.00", "currency": "EUR", "reference": "ORD-7"}


@pytest.fixture(scope="module")
def contract(folder: Path) -> Contract:
    """Checks answers against the service's openapi.json (tests/openapi_contract.py)."""
    return Contract(json.loads((folder / "openapi.json").read_text()))


def _valid(contract: Contract, template: str, r: httpx.Response) -> httpx.Response:
    assert not contract.check(template, r), contract.violations[-1]
    return r


def test_no_start_without_a_secret_key_unless_debug(folder: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=folder,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in proc.stderr, proc.stderr[-2000:]
    debug = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=folder,
        env=_env(tmp_path, DJANGO_DEBUG="1"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert debug.returncode == 0, debug.stderr[-2000:]


def test_no_wildcard_hosts_by_default(folder: Path, base: str) -> None:
    assert "ALLOWED_HOSTS=*" not in (folder / "Dockerfile").read_text()
    assert httpx.get(base + "/healthz", headers={"Host": "evil.example"}).status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"order": ' * 5000 + b"1" + b"}" * 5000,
        json.dumps({"order": ORDER, "card_token": "t" * 2_000_000}).encode(),
    ],
)
def test_deep_or_oversized_json_is_a_400_with_a_message(base: str, body: bytes, contract: Contract) -> None:
    r = httpx.post(
        base + "/api/v1/services/authorize_payment",
        content=body,
        headers={**AUTH, "Content-Type": "application/json"},
        timeout=30,
    )
    _valid(contract, "/api/v1/services/authorize_payment", r)
    assert r.status_code == 400, r.text[:500]
    assert "nested deeper" in r.json()["error"] or "larger than" in r.json()["error"], r.text[:500]


def test_only_the_methods_each_route_serves(base: str) -> None:
    assert httpx.request("TRACE", base + "/healthz").status_code == 405
    assert httpx.request("POST", base + "/healthz").status_code == 405
    assert httpx.request("TRACE", base + "/api/v1/services/capture_payment", headers=AUTH).status_code == 405
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        assert httpx.request(method, base + "/api/v1/services/capture_payment", headers=AUTH).status_code == 405, method
    for method in ("POST", "PUT", "DELETE"):
        assert httpx.request(method, base + "/api/v1/payments/payments/", headers=AUTH).status_code == 405, method


def test_every_list_endpoint_pages_and_says_so_in_openapi(folder: Path, base: str, contract: Contract) -> None:
    document = json.loads((folder / "openapi.json").read_text())
    lists = [
        p
        for p, ops in document["paths"].items()
        if "get" in ops and "{id}" not in p and p.startswith("/api/v1/payments/")
    ]
    assert lists
    for path in lists:
        names = {p["name"] for p in document["paths"][path]["get"]["parameters"]}
        assert {"limit", "offset"} <= names, path
    for n in range(3):
        r = httpx.post(
            base + "/api/v1/services/authorize_payment",
            json={"order": {**ORDER, "id": 100 + n}, "card_token": "tok_visa_4242"},
            headers=AUTH,
        )
        assert r.status_code == 200, r.text
    page = httpx.get(base + "/api/v1/payments/payments/?limit=2&offset=1", headers=AUTH).json()
    assert page["limit"] == 2 and page["offset"] == 1 and len(page["results"]) == min(2, page["count"] - 1)
    assert page["count"] >= 3
    everything = httpx.get(base + "/api/v1/payments/payments/", headers=AUTH).json()
    assert everything["limit"] == 100
    for bad in ("limit=abc", "limit=-1", "limit=100000", "offset=-5"):
        r = httpx.get(base + f"/api/v1/payments/payments/?{bad}", headers=AUTH)
        assert r.status_code == 400, (bad, r.text[:300])
        _valid(contract, "/api/v1/payments/payments/", r)


def test_a_repeated_idempotency_key_returns_the_first_response_without_doing_it_again(
    base: str, contract: Contract
) -> None:
    def count() -> int:
        return int(httpx.get(base + "/api/v1/payments/payments/", headers=AUTH).json()["count"])

    body = {"order": {**ORDER, "id": 55}, "card_token": "tok_visa_4242"}
    before = count()
    first = httpx.post(
        base + "/api/v1/services/authorize_payment", json=body, headers={**AUTH, "Idempotency-Key": "k-55-a"}
    )
    again = httpx.post(
        base + "/api/v1/services/authorize_payment", json=body, headers={**AUTH, "Idempotency-Key": "k-55-a"}
    )
    assert first.status_code == again.status_code == 200, (first.text, again.text)
    assert first.json() == again.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert count() == before + 1
    other = httpx.post(
        base + "/api/v1/services/authorize_payment",
        json={**body, "card_token": "tok_other"},
        headers={**AUTH, "Idempotency-Key": "k-55-a"},
    )
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["error"]
    for r in (first, again, other):
        _valid(contract, "/api/v1/services/authorize_payment", r)
    bad_key = httpx.post(
        base + "/api/v1/services/authorize_payment", json=body, headers={**AUTH, "Idempotency-Key": "x" * 300}
    )
    assert bad_key.status_code == 400
    _valid(contract, "/api/v1/services/authorize_payment", bad_key)
    fresh = httpx.post(
        base + "/api/v1/services/authorize_payment", json=body, headers={**AUTH, "Idempotency-Key": "k-55-b"}
    )
    assert fresh.status_code == 200 and fresh.json() != first.json()
    assert count() == before + 2
    # a key is no way around authentication: the stored response is never given to a caller without the token
    assert (
        httpx.post(
            base + "/api/v1/services/authorize_payment", json=body, headers={"Idempotency-Key": "k-55-a"}
        ).status_code
        == 401
    )


def test_the_outbound_token_never_falls_back_to_the_inbound_one(folder: Path, tmp_path: Path) -> None:
    probe = (
        "import sys; sys.path.insert(0, '.')\n"
        "from payments_service import monolith\n"
        "try:\n"
        "    monolith.call('orders.services.get_order', {'order_id': 1})\n"
        "except monolith.MonolithUnavailable as exc:\n"
        "    print('unavailable:', exc)\n"
    )
    env = _env(tmp_path, MONOLITH_URL="http://127.0.0.1:9")
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=folder, env=env, capture_output=True, text=True, timeout=60
    )
    assert "unavailable: MONOLITH_TOKEN is not set" in proc.stdout, proc.stdout + proc.stderr[-2000:]


def test_an_event_the_monolith_cannot_take_waits_in_the_outbox_and_never_rolls_back_the_work(
    folder: Path, base: str, run_env: dict[str, str], monolith: Monolith
) -> None:
    """The issue's case: the call back succeeded, then the forwarded event failed, and the service
    answered 503 and rolled back its rows. Now the event waits in the outbox and is delivered once."""
    payment = httpx.post(
        base + "/api/v1/services/authorize_payment",
        json={"order": {**ORDER, "id": 77}, "card_token": "tok_visa_4242"},
        headers=AUTH,
    ).json()["result"]
    monolith.events_down = True
    del monolith.received[:]
    r = httpx.post(
        base + "/api/v1/services/capture_payment", json={"payment_id": payment["id"]}, headers=AUTH, timeout=30
    )
    assert r.status_code == 200, r.text
    assert r.json()["result"]["status"] == "captured"
    assert monolith.paths() == ["/api/v1/callbacks/orders.services.mark_paid", "/api/v1/events/payment_captured"]
    assert {r[1] for r in monolith.received} == {f"Bearer {OUTBOUND}"}  # never the inbound token
    after = httpx.get(base + f"/api/v1/payments/payments/{payment['id']}/", headers=AUTH).json()
    assert after["status"] == "captured"  # kept: the failed event did not roll the capture back
    first_key = monolith.received[1][2]
    assert first_key

    def relay() -> str:
        proc = subprocess.run(
            [sys.executable, "manage.py", "relay_outbox"],
            cwd=folder,
            env=run_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc.stdout.strip()

    assert relay() == "delivered 0, pending 1"  # still down: kept, in order
    monolith.events_down = False
    del monolith.received[:]
    assert relay() == "delivered 1, pending 0"
    assert monolith.paths() == ["/api/v1/events/payment_captured"]  # the event, and no second call back
    assert monolith.received[0][2] == first_key  # the same Idempotency-Key on every delivery
    sent = monolith.received[0][3]["payment"]  # the typed encoding of values on the wire: a tagged reference
    assert sent["__decompose__"] == "model" and sent["label"] == "payments.Payment" and sent["pk"] == payment["id"]
    assert relay() == "delivered 0, pending 0"


def _gateway_captures(folder: Path, env: dict[str, str], payment_id: int) -> int:
    probe = (
        "from payments.models import GatewayTransaction as G; "
        f"print(G.objects.filter(payment_id={payment_id}, kind='capture').count())"
    )
    proc = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", probe],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return int(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("failure", ["call back", "event"])
def test_a_failure_after_each_external_effect_then_a_retry_repeats_no_effect_and_loses_no_row(
    folder: Path, base: str, run_env: dict[str, str], monolith: Monolith, failure: str, contract: Contract
) -> None:
    """capture_payment captures at the gateway (and keeps a GatewayTransaction row "successful or
    not"), calls the monolith back (mark_paid), then sends payment_captured. A failure after each,
    and a retry with the same Idempotency-Key: each effect happens once, every row is kept."""
    order_id = 300 if failure == "call back" else 301
    payment = httpx.post(
        base + "/api/v1/services/authorize_payment",
        json={"order": {**ORDER, "id": order_id}, "card_token": "tok_visa_4242"},
        headers=AUTH,
    ).json()["result"]
    monolith.callbacks_down = failure == "call back"
    monolith.events_down = failure == "event"
    del monolith.received[:]
    headers = {**AUTH, "Idempotency-Key": f"capture-{payment['id']}"}
    try:
        first = httpx.post(
            base + "/api/v1/services/capture_payment", json={"payment_id": payment["id"]}, headers=headers, timeout=30
        )
        monolith.callbacks_down = monolith.events_down = False
        again = httpx.post(
            base + "/api/v1/services/capture_payment", json={"payment_id": payment["id"]}, headers=headers, timeout=30
        )
    finally:
        monolith.callbacks_down = monolith.events_down = False
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    _valid(contract, "/api/v1/services/capture_payment", first)  # a 503 (the call back failed) included
    callbacks = [p for p in monolith.paths() if p.startswith("/api/v1/callbacks/")]
    assert callbacks == ["/api/v1/callbacks/orders.services.mark_paid"]  # once, never again
    assert _gateway_captures(folder, run_env, payment["id"]) == 1  # captured once, and the record kept
    status = httpx.get(base + f"/api/v1/payments/payments/{payment['id']}/", headers=AUTH).json()["status"]
    if failure == "call back":
        assert first.status_code == 503
        assert status == "authorized"  # the code's own atomic() block rolled back, as in the monolith
    else:
        assert first.status_code == 200 and status == "captured"
        proc = subprocess.run(
            [sys.executable, "manage.py", "relay_outbox"],
            cwd=folder,
            env=run_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0 and "pending 0" in proc.stdout, proc.stdout + proc.stderr[-2000:]
        events = [r for r in monolith.received if r[0] == "/api/v1/events/payment_captured"]
        assert len({r[2] for r in events}) == 1  # every delivery of the one event carries its one key


def test_every_answer_is_what_openapi_json_says(folder: Path, base: str, monolith: Monolith) -> None:
    """Answers the generated document once got wrong (issue 17, "0 schema violations"): a function
    returning ``Refund | None`` answered null against ``allOf: [$ref], nullable`` (null is refused in
    OpenAPI 3.0.3); a ``null=True`` column (``captured_at``) was a non-null string; a failed call back's
    503 and the health check's bodies were undeclared; the remote ORM's query and command endpoints
    were not in the document at all."""
    contract = Contract(json.loads((folder / "openapi.json").read_text()))
    orm = "/api/v1/query/{app_label}/{model_name}", "/api/v1/command/{app_label}/{model_name}"
    assert {("POST", orm[0]), ("POST", orm[1])} <= contract.operations()

    def call(template: str, path: str, body: object = None, **headers: str) -> httpx.Response:
        if body is None:
            r = httpx.get(base + path, headers={**AUTH, **headers}, timeout=30)
        else:
            r = httpx.post(base + path, json=body, headers={**AUTH, **headers}, timeout=30)
        assert not contract.check(template, r), contract.violations[-1]
        return r

    assert call("/healthz", "/healthz").json()["status"] == "ok"
    none = call("/api/v1/services/refund_order", "/api/v1/services/refund_order", {"order_id": 987654})
    assert none.status_code == 200 and none.json() == {"result": None}
    made = call(
        "/api/v1/services/authorize_payment",
        "/api/v1/services/authorize_payment",
        {"order": {**ORDER, "id": 400}, "card_token": "tok_visa_4242"},
    ).json()["result"]
    assert made["captured_at"] is None
    one = call("/api/v1/payments/payments/{id}/", f"/api/v1/payments/payments/{made['id']}/").json()
    assert one["captured_at"] is None
    call("/api/v1/payments/payments/", "/api/v1/payments/payments/?limit=3")
    monolith.callbacks_down = True
    try:
        down = call("/api/v1/services/capture_payment", "/api/v1/services/capture_payment", {"payment_id": made["id"]})
    finally:
        monolith.callbacks_down = False
    assert down.status_code == 503
    # the remote ORM: reads of every kind, on a model with a relation between moved models
    q, c = orm
    for body in (
        {"chain": [{"filter": {"lookup": "status", "value": "authorized"}}], "slice": [0, 5]},
        {"chain": [{"values": ["status"]}, {"annotate": {"n": {"fn": "Count", "field": "*"}}}], "op": "rows"},
        {"op": "count"},
        {"op": "exists"},
        {"op": "first", "chain": [{"order_by": ["-id"]}]},
        {"op": "get", "chain": [{"filter": {"lookup": "pk", "value": made["id"]}}]},
        {"op": "get", "chain": [{"filter": {"lookup": "pk", "value": 987654}}]},
        {"op": "get"},
        {"op": "aggregate", "aggregate": {"total": {"fn": "Sum", "field": "amount"}}},
        {"chain": [{"filter": {"lookup": "nope__exact", "value": 1}}]},
    ):
        call(q, "/api/v1/query/payments/Payment", body)
    call(q, "/api/v1/query/payments/Refund", {"chain": [{"select_related": ["payment"]}]})
    call(q, "/api/v1/query/orders/Order", {})
    # and writes, with their Idempotency-Key
    row = {"payment": made["id"], "kind": "capture", "amount": "1.00", "success": True}
    created = call(c, "/api/v1/command/payments/GatewayTransaction", {"command": "create", "values": row},
                   **{"Idempotency-Key": "orm-create-1"})  # fmt: skip
    assert created.status_code == 200, created.text
    call(c, "/api/v1/command/payments/GatewayTransaction", {"command": "create", "values": row},
         **{"Idempotency-Key": "orm-create-1"})  # fmt: skip
    for body in (
        {"command": "update", "chain": [{"filter": {"lookup": "pk", "value": created.json()["result"]["id"]}}],
         "values": {"success": False}},
        {"command": "get_or_create", "lookups": {"payment": made["id"], "kind": "void"}, "defaults": {"amount": "0"}},
        {"command": "get_or_create", "lookups": {"kind": "capture"}},
        {"command": "save", "pk": 987654, "values": {"kind": "x"}, "update_fields": ["kind"]},
        {"command": "delete", "chain": [{"filter": {"lookup": "kind", "value": "void"}}]},
        {"command": "bulk_create", "rows": [{"payment": 987654, "kind": "x", "amount": "1"}]},
        {"command": "drop"},
    ):  # fmt: skip
        call(c, "/api/v1/command/payments/GatewayTransaction", body)
    # found by the fuzz: an update of "pk" was a 500 (FieldDoesNotExist let through)
    pk = call(c, "/api/v1/command/payments/GatewayTransaction", {"command": "update", "values": {"pk": None}})
    assert pk.status_code == 400 and "FieldDoesNotExist" in pk.json()["error"], pk.text
    print(contract.summary())
    assert {code for *_op, code in contract.checked} >= {200, 400, 404, 422, 503}


def _manage(folder: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=folder, env=env, capture_output=True, text=True, timeout=120
    )


_AGE = """
import datetime
from django.utils import timezone
from payments_service.models import IdempotentRequest as K, OutboxEvent as E
old = timezone.now() - datetime.timedelta(days=8)
K.objects.filter(key="prune-old").update(created=old)
E.objects.create(key="prune-old-delivered", name="x", payload="{}", delivered=old)
E.objects.create(key="prune-new-delivered", name="x", payload="{}", delivered=timezone.now())
E.objects.filter(pk=E.objects.create(key="prune-old-pending", name="x", payload="{}").pk).update(created=old)
"""
_LEFT = """
from payments_service.models import IdempotentRequest as K, OutboxEvent as E
print(sorted(K.objects.filter(key__startswith="prune-").values_list("key", flat=True)))
print(sorted(E.objects.filter(key__startswith="prune-").values_list("key", flat=True)))
"""


def test_old_keys_and_delivered_events_are_pruned_never_a_pending_event(
    folder: Path, base: str, run_env: dict[str, str]
) -> None:
    """Bounded storage (issue 17): ``manage.py prune_decompose`` deletes idempotency keys and delivered
    outbox events older than DECOMPOSE_RETENTION_DAYS (7 by default), never an event not delivered
    yet; the relay prunes too, with the same setting; a bad retention is a one-line error."""
    for key in ("prune-old", "prune-new"):
        r = httpx.post(
            base + "/api/v1/services/refund_order", json={"order_id": 987654}, headers={**AUTH, "Idempotency-Key": key}
        )
        assert r.status_code == 200, r.text
    aged = _manage(folder, run_env, "shell", "-c", _AGE)
    assert aged.returncode == 0, aged.stderr[-2000:]

    def left() -> list[str]:
        proc = _manage(folder, run_env, "shell", "-c", _LEFT)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc.stdout.strip().splitlines()[-2:]

    try:
        pruned = _manage(folder, run_env, "prune_decompose")
        assert pruned.returncode == 0, pruned.stderr[-2000:]
        assert pruned.stdout.strip() == "pruned 1 idempotency keys, 1 delivered outbox events (older than 7 days)"
        assert left() == ["['prune-new']", "['prune-new-delivered', 'prune-old-pending']"]
        # a key past its retention is gone: the request runs again (and is stored again)
        again = httpx.post(
            base + "/api/v1/services/refund_order",
            json={"order_id": 987654},
            headers={**AUTH, "Idempotency-Key": "prune-old"},
        )
        assert again.status_code == 200 and "Idempotent-Replayed" not in again.headers
        for bad, message in (("0", "more than 0"), ("soon", "a number of days")):
            proc = _manage(folder, {**run_env, "DECOMPOSE_RETENTION_DAYS": bad}, "prune_decompose")
            assert proc.returncode != 0 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        assert _manage(folder, run_env, "prune_decompose", "--days", "-1").returncode != 0
        # the relay prunes by the same setting: 30 days keeps an event delivered 8 days ago, 7 does not
        older = (
            "import datetime; from django.utils import timezone; from payments_service.models import OutboxEvent as E; "
            "E.objects.create(key='prune-older', name='x', payload='{}', "
            "delivered=timezone.now() - datetime.timedelta(days=8))"
        )
        assert _manage(folder, run_env, "shell", "-c", older).returncode == 0
        relay = _manage(folder, {**run_env, "DECOMPOSE_RETENTION_DAYS": "30"}, "relay_outbox")
        assert relay.returncode == 0, relay.stderr[-2000:]
        assert left()[1] == "['prune-new-delivered', 'prune-old-pending', 'prune-older']"
        relay = _manage(folder, run_env, "relay_outbox")
        assert relay.returncode == 0, relay.stderr[-2000:]
        assert left()[1] == "['prune-new-delivered', 'prune-old-pending']"  # and the pending one is still there
    finally:  # the pending events name no real event: not left for the other tests' relays
        _manage(folder, run_env, "shell", "-c",
                "from payments_service.models import OutboxEvent as E; E.objects.filter(key__startswith='prune-').delete()")  # fmt: skip
