"""Staying querysets with subqueries of moved models, and many-to-many relations to staying models, in remote mode.

The hand-written project of test_extract_remote_m2m (``notes`` moves; ``board`` and ``auth`` stay) is
extracted and rewired; the service runs on a loopback port. Staying code (``board/queries.py``) annotates
and filters its topics with ``Exists(Note.objects.filter(topic=OuterRef("pk"), readers=user))`` and
``Subquery(Note.objects.filter(topic=OuterRef("pk")).values("text")[:1])``: each evaluation is ONE request to
the service (counted here), whose answer becomes a condition on the topic's id in the monolith's SQL.
What cannot be matched by value raises RemoteQueryError naming the staying line, without a request. The
notes' ``readers`` (users stay) are filtered across and written (``add``/``remove``/``set``/``clear``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from projects import free_port

from decompose.cli import cli

from test_extract_remote_m2m import project

pytestmark = pytest.mark.e2e
TOKEN = "subquery-token-0123456789abcdef"
KEY = "subquery-identity-key-0123456789abcdef0123"


def _base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DATABASE_", "MONOLITH_", "DECOMPOSE_", "PYTEST_"))}  # fmt: skip


SCRIPT = textwrap.dedent(
    """
    import json, sys
    import django
    import httpx

    SENT = [0]
    _send = httpx.Client.send

    def send(self, request, **kwargs):
        SENT[0] += 1
        return _send(self, request, **kwargs)

    httpx.Client.send = send
    django.setup()
    from django.contrib.auth.models import User
    from board.models import Topic
    from board import queries

    Note = queries.Note
    results = {}

    def case(name, fn):
        before = SENT[0]
        try:
            value, error = fn(), None
        except Exception as exc:
            value, error = None, {"type": type(exc).__name__, "message": str(exc)}
        results[name] = {"value": value, "requests": SENT[0] - before, "error": error}

    ann, bob, cy = (User.objects.create(username=n) for n in ("ann", "bob", "cy"))
    t1, t2, t3 = (Topic.objects.create(title=t) for t in ("t1", "t2", "t3"))
    n1 = Note.objects.create(topic=t1, text="n1")
    n2 = Note.objects.create(topic=t1, text="n2")
    n3 = Note.objects.create(topic=t2, text="x3")
    case("add", lambda: [n1.readers.add(ann, bob.pk), n3.readers.add(ann), n1.readers.add(ann)] and None)
    case("unread_ann", lambda: queries.unread(ann))
    case("unread_bob", lambda: queries.unread(bob))
    case("unread_cy", lambda: queries.unread(cy))
    case("with_notes_for", lambda: queries.with_notes_for([ann, cy]))
    case("last_text", lambda: queries.last_text())
    case("second_text", lambda: queries.second_text())
    case("without_notes", lambda: queries.without_notes())
    case("or_correlated", lambda: queries.or_correlated())
    case("greater_than", lambda: queries.greater_than())
    case("unsliced", lambda: queries.unsliced())
    case("outside", lambda: queries.outside())
    case("filter_m2m", lambda: [Note.objects.filter(readers=ann).count(),
                                sorted(Note.objects.filter(readers__in=[bob, cy]).values_list("text", flat=True)),
                                Note.objects.filter(readers__id=ann.pk, text="n1").exists(),
                                sorted(Note.objects.filter(readers__isnull=True).values_list("text", flat=True))])
    case("join_staying_table", lambda: Note.objects.filter(readers__username="ann").count())
    case("readers", lambda: sorted(u.username for u in Note.objects.get(pk=n1.pk).readers.all()))
    case("remove", lambda: [n1.readers.remove(ann), sorted(n1.readers.values_list("username", flat=True))][1])
    case("set", lambda: [n1.readers.set([cy, bob]), sorted(n1.readers.values_list("username", flat=True))][1])
    case("clear", lambda: [n1.readers.clear(), n1.readers.count()][1])
    json.dump(results, sys.stdout)
    """
)


class Deployed:
    def __init__(self, tmp: Path) -> None:
        self.monolith = project(tmp / "mono")
        subprocess.run(["git", "init", "-q", str(self.monolith)], check=True)
        out = tmp / "out"
        result = CliRunner().invoke(cli, ["extract", str(self.monolith), "--service", "notes", "--apps", "notes",
                                          "--out", str(out), "--apply", "--force"])  # fmt: skip
        assert result.exit_code == 0, result.output
        self.folder = out / "notes"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**_base_env(), "DATABASE_URL": f"sqlite:///{tmp / 'service.sqlite3'}",
                    "DECOMPOSE_SERVICE_TOKEN": TOKEN, "DJANGO_SECRET_KEY": "subquery-secret-key-0123456789abcdef",
                    "DECOMPOSE_IDENTITY_KEY": KEY, "MONOLITH_URL": "http://127.0.0.1:9", "MONOLITH_TOKEN": TOKEN,
                    "PYTHONDONTWRITEBYTECODE": "1"}  # fmt: skip
        for cwd, env in ((self.folder, self.env), (self.monolith, self.monolith_env())):
            done = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=cwd, env=env,
                                  capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        self.log = tmp / "service.log"
        with self.log.open("w") as log:
            self.proc = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}",
                                          "--noreload"], cwd=self.folder, env=self.env, stdout=log, stderr=log)  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert self.proc.poll() is None and time.monotonic() < deadline, self.log.read_text()[-3000:]
            time.sleep(0.2)

    def monolith_env(self) -> dict[str, str]:
        return {**_base_env(), "PYTHONPATH": str(self.monolith), "DJANGO_SETTINGS_MODULE": "proj.settings",
                "DECOMPOSE_NOTES_MODE": "remote", "DECOMPOSE_NOTES_URL": self.url, "DECOMPOSE_NOTES_TOKEN": TOKEN,
                "DECOMPOSE_NOTES_IDENTITY_KEY": KEY}  # fmt: skip

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    pytest.importorskip("rest_framework")
    d = Deployed(tmp_path_factory.mktemp("remote-subquery"))
    try:
        yield d
    finally:
        d.stop()


@pytest.fixture(scope="module")
def run(deployed: Deployed) -> dict[str, Any]:
    script = deployed.monolith / "subquery_script.py"
    script.write_text(SCRIPT, encoding="utf-8")
    done = subprocess.run([sys.executable, script.name], cwd=deployed.monolith, env=deployed.monolith_env(),
                          capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:] + deployed.log.read_text()[-2000:]
    return json.loads(done.stdout)


def _ok(run: dict[str, Any], name: str, requests: int) -> Any:
    result = run[name]
    assert result["error"] is None, result
    assert result["requests"] == requests, result
    return result["value"]


def _line(deployed: Deployed, marker: str) -> int:
    """The line of the statement after the def marked ``marker`` in the REWIRED board/queries.py (the rewiring
    puts a TODO comment above the statements the plan lists)."""
    lines = (deployed.monolith / "board/queries.py").read_text().splitlines()
    at = next(i for i, ln in enumerate(lines, 1) if marker in ln) + 1
    return at + 1 if lines[at - 1].lstrip().startswith("# TODO(decompose)") else at


def test_exists_of_a_moved_queryset_is_one_request_per_evaluation(run: dict[str, Any]) -> None:
    assert _ok(run, "unread_ann", 1) == [["t1", True], ["t2", True], ["t3", False]]
    assert _ok(run, "unread_bob", 1) == [["t1", True], ["t2", False], ["t3", False]]
    assert _ok(run, "unread_cy", 1) == [["t1", False], ["t2", False], ["t3", False]]  # nothing matches: false
    assert _ok(run, "with_notes_for", 1) == ["t1"]  # Q and readers__in ANDed with the correlation
    assert _ok(run, "without_notes", 1) == ["t3"]  # ~Exists


def test_a_scalar_subquery_takes_each_groups_row_in_the_querysets_order(run: dict[str, Any]) -> None:
    assert _ok(run, "last_text", 1) == [["t1", "n2"], ["t2", "x3"], ["t3", None]]
    assert _ok(run, "second_text", 1) == ["n2", None, None]


def test_what_cannot_be_matched_by_value_names_the_staying_line(run: dict[str, Any], deployed: Deployed) -> None:
    for name, marker in (("or_correlated", "LINE-OR"), ("greater_than", "LINE-GT"), ("unsliced", "LINE-UNSLICED")):
        error = run[name]["error"]
        assert run[name]["requests"] == 0, run[name]
        assert error["type"] == "RemoteQueryError", error
        line = _line(deployed, marker)
        assert f"board/queries.py:{line}:" in error["message"], (error, line)
    # the plan listed the first two beforehand: the rewiring's TODO is right above them
    lines = (deployed.monolith / "board/queries.py").read_text().splitlines()
    for marker in ("LINE-OR", "LINE-GT"):
        assert "OuterRef()" in lines[_line(deployed, marker) - 2], lines[_line(deployed, marker) - 2]
    assert "OR" in run["or_correlated"]["error"]["message"]
    assert "only equality" in run["greater_than"]["error"]["message"]
    assert "slice it to one row" in run["unsliced"]["error"]["message"]  # never a silent first value for __in
    outside = run["outside"]
    assert outside["requests"] == 0 and outside["error"]["type"] == "ValueError", outside
    assert "may only be used in a subquery" in outside["error"]["message"]


def test_filters_across_a_many_to_many_relation_to_a_staying_model(run: dict[str, Any]) -> None:
    assert _ok(run, "add", 3) is None
    assert _ok(run, "filter_m2m", 4) == [2, ["n1"], True, ["n2"]]
    refused = run["join_staying_table"]
    assert refused["requests"] == 1 and refused["error"]["type"] == "RemoteQueryRefused", refused
    assert "joins into auth.User" in refused["error"]["message"]


def test_the_relation_is_written_through_the_command_endpoint(run: dict[str, Any]) -> None:
    assert _ok(run, "readers", 2) == ["ann", "bob"]  # the note (get), its readers' ids; users read here
    assert _ok(run, "remove", 2) == ["bob"]
    assert _ok(run, "set", 2) == ["bob", "cy"]
    assert _ok(run, "clear", 2) == 0


_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False),
              st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=2)),
    max_leaves=6,
)  # fmt: skip
_paths = st.lists(st.sampled_from(["readers", "id", "pk", "username", "in", "isnull", "exact", "year", "gt",
                                   "text", "topic", "readers_join", "user_id", "note"]),
                  min_size=1, max_size=3).map("__".join)  # fmt: skip
_node = st.builds(lambda path, value: {"lookup": path, "value": value}, _paths, _json)
_step = st.one_of(
    st.builds(lambda n: {"filter": n}, _node),
    st.builds(lambda n: {"exclude": n}, _node),
    st.builds(lambda names: {"values": names}, st.lists(_paths, max_size=2)),
    st.builds(lambda names: {"order_by": names}, st.lists(_paths, max_size=2)),
)


def test_no_query_or_m2m_command_across_the_join_gives_a_500(deployed: Deployed, run: dict[str, Any]) -> None:
    """Property: a query through the join field (any path, any JSON value) or an ``m2m`` command (any pk, field,
    action, ids) answers JSON with a 200 or a 4xx, never a 5xx."""
    http = httpx.Client(base_url=deployed.url, timeout=30, headers={"Authorization": f"Bearer {TOKEN}"})
    command = st.fixed_dictionaries(
        {"command": st.just("m2m")},
        optional={"pk": _json, "field": st.one_of(st.sampled_from(["readers", "text", "topic"]), _json),
                  "action": st.one_of(st.sampled_from(["add", "remove", "set", "clear", "x"]), _json),
                  "ids": st.one_of(st.lists(st.one_of(st.integers(-(2**70), 2**70), _json), max_size=3), _json),
                  "extra": _json},
    )  # fmt: skip
    query = st.fixed_dictionaries(
        {"chain": st.lists(_step, max_size=3)}, optional={"op": st.sampled_from(["rows", "count", "exists"])}
    )

    @settings(max_examples=int(os.environ.get("DECOMPOSE_E2E_EXAMPLES", "150")), deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(st.one_of(st.tuples(st.just("query"), query), st.tuples(st.just("command"), command)))
    def check(request: tuple[str, dict[str, object]]) -> None:
        kind, body = request
        response = http.post(f"/api/v1/{kind}/notes/Note", json=body)
        assert response.status_code in (200, 400, 404, 409, 422), (
            kind,
            body,
            response.status_code,
            response.text[:500],
        )
        payload = response.json()
        assert ("error" in payload) if response.status_code >= 400 else ("result" in payload), payload

    try:
        check()
        assert http.post("/api/v1/query/notes/Note", json={"chain": [{"values": ["readers"]}]}).status_code == 200
    finally:
        http.close()
