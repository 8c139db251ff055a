"""A refusal of the monolith reaches the service's moved code as the error it is, never as an outage (issue 14).

The service's ``monolith._post`` turned every error answer of the monolith into ``MonolithUnavailable`` (a 503 to
the monolith's caller): a staying function called back that raised ``DoesNotExist`` (404 with its type), a
``ValidationError`` or ``ValueError`` (422 with its type), or an input the monolith could not read (400) looked like
the monolith being down, and the moved code never saw the error. Now a 4xx of the called code is
``MonolithNotFound`` (an ``ObjectDoesNotExist``), ``MonolithValidationError`` (a ``ValidationError`` and a
``ValueError``) or ``MonolithRefused`` (a ``ValueError``) with the monolith's message; 5xx, a refused token and a
route the monolith does not serve stay ``MonolithUnavailable``.

A freshly generated payments service's ``monolith.call`` against a loopback HTTP server that answers as the
monolith's inbound endpoints do.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from decompose.cli import cli

ROOT = Path(__file__).resolve().parents[1]

#: callback name -> (status, body), as the monolith's inbound.py answers
ANSWERS: dict[str, tuple[int, object]] = {
    "missing": (404, {"error": "Order matching query does not exist.", "type": "DoesNotExist"}),
    "invalid": (422, {"error": "['Enter a valid amount.']", "type": "ValidationError"}),
    "refused": (422, {"error": "order 7 is already paid", "type": "ValueError"}),
    "unreadable": (400, {"error": "malformed value: not a decimal"}),
    "unknown": (404, {"error": "unknown callback 'unknown'"}),
    "token": (401, {"error": "missing or wrong token"}),
    "broken": (500, {"error": "boom"}),
    "proxy": (502, "<html>bad gateway</html>"),
}

PROBE = """
import sys
sys.path.insert(0, ".")
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from payments_service import monolith

for name in sys.argv[1:]:
    try:
        monolith.call(name, {"order_id": 7})
    except Exception as exc:
        kinds = [k for k, c in (("unavailable", monolith.MonolithUnavailable), ("not-found", ObjectDoesNotExist),
                                ("validation", ValidationError), ("value", ValueError)) if isinstance(exc, c)]
        status = getattr(exc, "status", None)
        print(name, type(exc).__name__, ",".join(kinds), status, str(exc), sep=" | ")
"""


@pytest.fixture(scope="module")
def monolith_url() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, payload = ANSWERS[self.path.rsplit("/", 1)[-1]]
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory, monolith_url: str) -> dict[str, list[str]]:
    out = tmp_path_factory.mktemp("svc")
    result = CliRunner().invoke(
        cli,
        ["extract", str(ROOT / "sample_monolith"), "--service", "payments", "--apps", "payments", "--out", str(out),
         "--no-rewire"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "MONOLITH_", "DECOMPOSE_"))}
    env.update(MONOLITH_URL=monolith_url, MONOLITH_TOKEN="outbound-token-0123456789", MONOLITH_TIMEOUT="5",
               PYTHONDONTWRITEBYTECODE="1")  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *ANSWERS], cwd=out / "payments", env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [line.split(" | ") for line in proc.stdout.splitlines()]
    return {row[0]: row[1:] for row in rows}


def test_a_not_found_of_the_called_code_is_object_does_not_exist(answers: dict[str, list[str]]) -> None:
    # before: MonolithUnavailable 'monolith answered 404 at /api/v1/callbacks/missing'
    assert answers["missing"] == ["MonolithNotFound", "not-found", "404", "Order matching query does not exist."]


def test_a_validation_error_of_the_called_code_is_a_validation_error(answers: dict[str, list[str]]) -> None:
    kind, kinds, status, message = answers["invalid"]
    assert (kind, kinds, status) == ("MonolithValidationError", "validation,value", "422")
    assert "Enter a valid amount." in message


def test_a_refused_or_unreadable_input_is_a_value_error_with_the_monolith_s_message(
    answers: dict[str, list[str]],
) -> None:
    assert answers["refused"] == ["MonolithRefused", "value", "422", "order 7 is already paid (ValueError)"]
    assert answers["unreadable"] == ["MonolithRefused", "value", "400", "malformed value: not a decimal"]


@pytest.mark.parametrize("name", ["unknown", "token", "broken", "proxy"])
def test_an_outage_or_what_the_monolith_does_not_serve_stays_unavailable(
    answers: dict[str, list[str]], name: str
) -> None:
    kind, kinds, status, message = answers[name]
    assert (kind, kinds, status) == ("MonolithUnavailable", "unavailable", "None")
    assert message == f"monolith answered {ANSWERS[name][0]} at /api/v1/callbacks/{name}"
