"""Celery tasks that move (issue 13): their own kind in the plan, the task API kept by the client.

The monolith is tests/fixtures/rewire/mini (billing moves out, sales stays) with a Celery app and two
tasks: a bound one that sends mail (``@app.task(bind=True, name=...)``) and a ``@shared_task`` that
only reads. Staying code calls them through their task API (``delay``, ``apply_async``). Celery itself
is replaced by a small stand-in on ``sys.path`` (the same task API: ``delay``, ``apply_async``,
``apply``, bound ``self``), so the suite needs neither Celery nor a broker.

Before: each task became a plain function whose first parameter was the bound ``self``
(``'function' object has no attribute 'delay'``, ``missing 1 required positional argument``), a
mail-sending task was marked idempotent, and ``self`` was sent in the JSON body in remote mode.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import httpx
import pytest
from click.testing import CliRunner
from openapi_contract import Contract

from decompose.cli import cli
from decompose.extract.api_spec import endpoints
from decompose.extract.changeset import apply_changes
from decompose.extract.plan import CeleryTask, ExtractionPlan, build_plan
from decompose.extract.plan.index import index_project
from decompose.extract.report import plan_markdown
from decompose.extract.rewire import rewire

FIXTURE = Path(__file__).parent / "fixtures" / "rewire" / "mini"

#: a stand-in for Celery's task API (not part of the analysed project: it is put on sys.path)
CELERY_STUB = '''
"""The task API of Celery, enough for these tests: Celery(), app.task, shared_task, Task.delay/apply_async/apply."""
import itertools

SENT = []  # (task name, args, kwargs, options) of every apply_async
_ids = itertools.count(1)


class EagerResult:
    def __init__(self, id, state, value):
        self.id, self.state, self.result = id, state, value

    def successful(self):
        return self.state == "SUCCESS"

    def failed(self):
        return self.state == "FAILURE"


class AsyncResult:
    def __init__(self, id):
        self.id = id


class Task:
    def __init__(self, fn, name, bind):
        self.fn, self.name, self.bind = fn, name, bind

    def run(self, *args, **kwargs):
        return self.fn(self, *args, **kwargs) if self.bind else self.fn(*args, **kwargs)

    __call__ = run

    def apply_async(self, args=None, kwargs=None, **options):
        SENT.append((self.name, list(args or ()), dict(kwargs or {}), options))
        return AsyncResult(f"task-{next(_ids)}")

    def delay(self, *args, **kwargs):
        return self.apply_async(args, kwargs)

    def apply(self, args=None, kwargs=None, **options):
        try:
            return EagerResult(f"task-{next(_ids)}", "SUCCESS", self.run(*(args or ()), **(kwargs or {})))
        except Exception as exc:
            return EagerResult(f"task-{next(_ids)}", "FAILURE", exc)


def _decorator(args, options, module_default):
    def make(fn):
        return Task(fn, options.get("name") or f"{fn.__module__}.{fn.__name__}", options.get("bind", False))

    if len(args) == 1 and callable(args[0]) and not options:
        return make(args[0])
    return make


class Celery:
    def __init__(self, main=None):
        self.main = main

    def task(self, *args, **options):
        return _decorator(args, options, self.main)


def shared_task(*args, **options):
    return _decorator(args, options, None)
'''

FILES = {
    "celery_app.py": """
        from celery import Celery

        app = Celery("mini")
    """,
    "billing/tasks.py": """
        from celery import shared_task
        from django.core.mail import send_mail

        from billing.models import Invoice
        from celery_app import app


        @app.task(bind=True, name="billing.send_reminder")
        def send_reminder(self, invoice_id, *, subject="Reminder"):
            invoice = Invoice.objects.get(pk=invoice_id)
            send_mail(subject, f"Invoice {invoice.number} ({self.name})", "billing@example.com", ["c@example.com"])
            return invoice.number


        @shared_task
        def invoice_count():
            return Invoice.objects.count()
    """,
    "sales/jobs.py": """
        from billing.tasks import invoice_count, send_reminder


        def remind(invoice_id):
            return send_reminder.delay(invoice_id, subject="Please pay")


        def count_later():
            return invoice_count.apply_async(countdown=5)
    """,
}


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    root = tmp_path / "mini"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    for rel, text in FILES.items():
        (root / rel).write_text(dedent(text).lstrip(), encoding="utf-8")
    stub = tmp_path / "site" / "celery"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text(CELERY_STUB, encoding="utf-8")
    return root


def _plan(root: Path) -> ExtractionPlan:
    return build_plan(index_project(root, use_cache=False), "billing", ["billing"])


def _env(root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DECOMPOSE_", "DATABASE_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(root.parent / "site"), str(root)])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def _run(script: str, cwd: Path, env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", dedent(script)], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_plan_gives_tasks_their_own_kind_with_the_reason(mini: Path) -> None:
    plan = _plan(mini)
    reminder = plan.function("billing.tasks.send_reminder")
    count = plan.function("billing.tasks.invoice_count")
    assert reminder is not None and count is not None
    assert reminder.kind == count.kind == "task"
    assert reminder.task is not None and count.task is not None
    assert (reminder.task.name, reminder.task.bound) == ("billing.send_reminder", True)
    assert "@app.task(bind=True, name='billing.send_reminder')" in reminder.task.why
    assert "Celery application" in reminder.task.why
    assert (count.task.name, count.task.bound) == ("billing.tasks.invoice_count", False)
    assert "celery.shared_task" in count.task.why
    # the bound self is the task: not a parameter of the interface
    assert [p.name for p in reminder.params] == ["invoice_id", "subject"]
    # a task is never "safe to retry": one sends mail, and even a pure read runs in a worker
    assert reminder.idempotent is False and count.idempotent is False
    # plain functions stay functions
    create = plan.function("billing.services.create_invoice")
    assert create is not None and create.kind == "function" and create.task is None
    # the plan file says so, and reads back the same
    data = json.loads(plan.to_json())
    by_name = {f["name"]: f for f in data["interface_functions"]}
    assert by_name["send_reminder"]["kind"] == "task"
    assert by_name["send_reminder"]["task"]["name"] == "billing.send_reminder"
    assert "kind" not in by_name["create_invoice"]
    assert ExtractionPlan.from_dict(data) == plan
    assert CeleryTask.from_dict(reminder.task.to_dict()) == reminder.task
    text = plan_markdown(plan)
    assert "### task `billing.tasks.send_reminder(invoice_id, subject = 'Reminder')`" in text
    assert "a Celery task (`billing.send_reminder`, bound)" in text
    eps = {e.path: e for e in endpoints(plan)}
    assert eps["/api/v1/tasks/send_reminder"].kind == "task"
    assert eps["/api/v1/tasks/send_reminder"].idempotent is False
    assert eps["/api/v1/tasks/invoice_count"].target == "billing.tasks.invoice_count"


def test_a_decorator_named_task_of_something_else_is_not_a_task(mini: Path) -> None:
    (mini / "billing" / "registry.py").write_text(
        dedent("""
            class Registry:
                def task(self, fn):
                    return fn


            registry = Registry()


            @registry.task
            def remember(x):
                return x
        """).lstrip(),
        encoding="utf-8",
    )
    (mini / "sales" / "jobs.py").write_text(
        (mini / "sales" / "jobs.py").read_text() + "\n\ndef keep():\n    from billing.registry import remember\n\n"
        "    return remember(1)\n",
        encoding="utf-8",
    )
    f = _plan(mini).function("billing.registry.remember")
    assert f is not None and f.kind == "function" and f.task is None


LOCAL = """
    import json, os
    import django
    django.setup()
    from django.conf import settings
    from django.core import mail
    from django.core.management import call_command
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    call_command("migrate", verbosity=0)

    import celery
    from billing.models import Invoice
    from billing import tasks
    from mini.services.billing import invoice_count, send_reminder
    from sales import jobs

    out = {"same_objects": send_reminder is tasks.send_reminder and invoice_count is tasks.invoice_count}
    invoice = Invoice.objects.create(number="INV-1", amount="3.00")
    result = jobs.remind(invoice.pk)
    out["queued"] = [list(x[:3]) for x in celery.SENT]
    jobs.count_later()
    out["options"] = celery.SENT[-1][3]
    ran = send_reminder.apply(args=[invoice.pk])
    out["applied"] = [ran.state, ran.result]
    out["called"] = send_reminder(invoice.pk, subject="Now")
    out["mails"] = [m.subject for m in mail.outbox]
    out["body"] = mail.outbox[0].body
    print(json.dumps(out))
"""


def test_local_mode_hands_out_the_original_task_objects(mini: Path, tmp_path: Path) -> None:
    pytest.importorskip("django")
    plan = _plan(mini)
    changes = rewire(plan, mini).changes
    assert "from mini.services.billing import invoice_count, send_reminder" in changes["sales/jobs.py"]
    client = changes["mini/services/billing.py"]
    assert "def send_reminder" not in client  # no stand-in function taking the bound self
    apply_changes(mini, changes, force=True)
    env = _env(mini, DJANGO_SETTINGS_MODULE="mini.settings", DATABASE_PATH=str(tmp_path / "db.sqlite3"))
    out = _run(LOCAL, mini, env)
    assert out["same_objects"] is True
    assert out["queued"] == [["billing.send_reminder", [1], {"subject": "Please pay"}]]
    assert out["options"] == {"countdown": 5}
    assert out["applied"] == ["SUCCESS", "INV-1"]
    assert out["called"] == "INV-1"
    assert out["mails"] == ["Reminder", "Now"]
    assert out["body"] == "Invoice INV-1 (billing.send_reminder)"  # self is the task, bound where it runs


REMOTE = r"""
    import datetime, json, os, sys, threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits = []
    answers = []

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a): pass
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            hits.append({"path": self.path, "key": self.headers.get("Idempotency-Key"), "body": body})
            status, payload = answers.pop(0) if answers else (202, {"result": {"id": "t-1", "state": "PENDING"}})
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    import django
    from django.conf import settings
    settings.configure(INSTALLED_APPS=["django.contrib.contenttypes"], DECOMPOSE_SERVICES={"billing": {
        "mode": "remote", "token": "s3cret", "url": f"http://127.0.0.1:{server.server_address[1]}",
        "retries": 2, "backoff": 0.01}})
    django.setup()
    from mini.services import exports, runtime
    from mini.services.billing import invoice_count, send_reminder
    out = {"kind": type(send_reminder).__name__, "name": send_reminder.name, "again": send_reminder is
           __import__("mini.services.billing", fromlist=["x"]).send_reminder, "tasks_imported": "billing.tasks" in sys.modules}
    queued = send_reminder.delay(7, subject="Please pay")
    out["queued"] = [queued.id, queued.state, queued.ready()]
    try:
        queued.get()
    except TimeoutError as exc:
        out["get"] = str(exc)
    when = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    invoice_count.apply_async(countdown=5, eta=when, queue="slow")
    answers.append((202, {"result": {"id": "t-2", "state": "SUCCESS", "result": "INV-7"}}))
    out["applied"] = send_reminder.apply(args=[7]).get()
    answers.append((202, {"result": {"id": "t-3", "state": "FAILURE", "error": "no invoice 8", "type": "DoesNotExist"}}))
    try:
        send_reminder.apply(args=[8]).get()
    except runtime.RemoteError as exc:
        out["failure"] = [str(exc), exc.type_name]
    send_reminder.s(9).delay()
    send_reminder.si(10).apply_async(args=[99])
    try:
        send_reminder.apply_async(args=[1], link=object())
    except TypeError as exc:
        out["refused"] = str(exc)
    answers.append((503, {"error": "down"}))  # a task is never retried without Retry-After
    try:
        send_reminder.delay(11)
    except runtime.ServiceUnavailable:
        out["unavailable"] = True
    out["hits"] = hits
    print(json.dumps(out))
"""


def test_remote_mode_posts_the_task_api_calls_without_self(mini: Path) -> None:
    pytest.importorskip("django")
    pytest.importorskip("httpx")
    changes = rewire(_plan(mini), mini).changes
    apply_changes(mini, changes, force=True)
    out = _run(REMOTE, mini, _env(mini))
    assert out["kind"] == "RemoteTask" and out["name"] == "billing.send_reminder"
    assert out["again"] is True  # one stand-in per process
    assert out["tasks_imported"] is False  # remote mode never imports the moved code
    assert out["queued"] == ["t-1", "PENDING", False]
    assert "queued by the billing service" in out["get"]  # type: ignore[operator]
    assert out["applied"] == "INV-7"
    assert out["failure"] == ["billing: no invoice 8 (DoesNotExist)", "DoesNotExist"]
    assert "link cannot be sent to the billing service" in out["refused"]  # type: ignore[operator]
    assert out["unavailable"] is True
    hits = out["hits"]
    assert isinstance(hits, list)
    assert [h["path"] for h in hits] == [
        "/api/v1/tasks/send_reminder",
        "/api/v1/tasks/invoice_count",
        "/api/v1/tasks/send_reminder",
        "/api/v1/tasks/send_reminder",
        "/api/v1/tasks/send_reminder",
        "/api/v1/tasks/send_reminder",
        "/api/v1/tasks/send_reminder",
    ]
    assert [h["body"] for h in hits] == [
        {"args": [7], "kwargs": {"subject": "Please pay"}, "options": {}},
        {"args": [], "kwargs": {}, "options": {"countdown": 5, "eta": "2030-01-02T03:04:05+00:00", "queue": "slow"}},
        {"args": [7], "kwargs": {}, "options": {}, "apply": True},
        {"args": [8], "kwargs": {}, "options": {}, "apply": True},
        {"args": [9], "kwargs": {}, "options": {}},
        {"args": [10], "kwargs": {}, "options": {}},
        {"args": [11], "kwargs": {}, "options": {}},
    ]
    keys = [h["key"] for h in hits]
    assert all(keys) and len(set(keys)) == len(keys)  # every call carries its own Idempotency-Key


SERVICE = """
    import json, os
    import django
    django.setup()
    from django.conf import settings
    from django.core import mail
    from django.core.management import call_command
    from django.test import Client
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    call_command("migrate", verbosity=0)
    import celery
    from billing.models import Invoice

    invoice = Invoice.objects.create(number="INV-5", amount="1.00")
    c = Client(HTTP_HOST="localhost")
    auth = {"HTTP_AUTHORIZATION": "Bearer svc-token-0123456789"}
    def post(path, body, key=None):
        extra = dict(auth, HTTP_IDEMPOTENCY_KEY=key) if key else auth
        r = c.post(path, json.dumps(body), content_type="application/json", **extra)
        return [r.status_code, r.json()]

    out = {}
    out["queued"] = post("/api/v1/tasks/send_reminder", {"args": [invoice.pk], "kwargs": {"subject": "S"},
                         "options": {"countdown": 3, "eta": "2030-01-02T03:04:05+00:00"}}, key="k-1")
    out["repeat"] = post("/api/v1/tasks/send_reminder", {"args": [invoice.pk], "kwargs": {"subject": "S"},
                         "options": {"countdown": 3, "eta": "2030-01-02T03:04:05+00:00"}}, key="k-1")
    out["sent"] = [[n, a, k, sorted(o)] for n, a, k, o in celery.SENT]
    out["eta_type"] = [type(o.get("eta")).__name__ for _n, _a, _k, o in celery.SENT]
    out["applied"] = post("/api/v1/tasks/send_reminder", {"args": [invoice.pk], "apply": True}, key="k-2")
    out["mails"] = [m.body for m in mail.outbox]
    # a None argument is a value (was: 400 "This field may not be null.")
    out["none_kwarg"] = post("/api/v1/tasks/send_reminder", {"args": [invoice.pk], "kwargs": {"subject": None},
                             "apply": True}, key="k-3")[0]
    out["bad_option"] = post("/api/v1/tasks/invoice_count", {"options": {"link": "x"}})[0]
    out["no_token"] = c.post("/api/v1/tasks/invoice_count", "{}", content_type="application/json").status_code

    # fuzz: any body on every task endpoint; each answer recorded for the check against openapi.json
    from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
    values = st.recursive(st.none() | st.booleans() | st.integers(-5, 50) | st.text(max_size=8),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                          max_leaves=6)
    options = st.dictionaries(st.sampled_from(["countdown", "eta", "expires", "queue", "task_id", "link"]), values, max_size=2)
    bodies = st.fixed_dictionaries({}, optional={"args": st.lists(values, max_size=3) | values, "options": options | values,
                                                 "kwargs": st.dictionaries(st.sampled_from(["subject", "x"]), values, max_size=2) | values,
                                                 "apply": st.booleans() | values}) | values
    answers = []
    @hsettings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")), derandomize=True, deadline=None, database=None,
               suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(["/api/v1/tasks/send_reminder", "/api/v1/tasks/invoice_count"]), bodies)
    def fuzz(path, body):
        r = c.post(path, json.dumps(body), content_type="application/json", **auth)
        answers.append([path, r.status_code, r.headers.get("Content-Type", ""), r.content.decode(), json.dumps(body)])
    fuzz()
    out["answers"] = answers
    print(json.dumps(out))
"""


def test_the_service_queues_the_task_itself(mini: Path, tmp_path: Path) -> None:
    pytest.importorskip("rest_framework")
    result = CliRunner().invoke(
        cli, ["extract", str(mini), "--service", "billing", "--apps", "billing", "--out", str(tmp_path / "out"),
              "--no-rewire"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / "billing"
    api = (folder / "billing_service" / "api.py").read_text()
    assert "task_calls.run(billing.tasks.send_reminder, data)" in api
    assert "/api/v1/tasks/send_reminder" in (folder / "billing_service" / "urls.py").read_text() or (
        "api/v1/tasks/send_reminder" in (folder / "billing_service" / "urls.py").read_text()
    )
    doc = json.loads((folder / "openapi.json").read_text())
    op = doc["paths"]["/api/v1/tasks/send_reminder"]["post"]
    assert "202" in op["responses"] and "self" not in json.dumps(op["requestBody"])
    env = _env(
        folder,
        DJANGO_SETTINGS_MODULE="billing_service.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'svc.sqlite3'}",
        DJANGO_SECRET_KEY="tasks-test-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ",
        DECOMPOSE_SERVICE_TOKEN="svc-token-0123456789",
        DECOMPOSE_IDENTITY_KEY="identity-key-for-the-tasks-test-0123456789",
    )
    env["PYTHONPATH"] = os.pathsep.join([str(mini.parent / "site"), str(folder)])
    out = _run(SERVICE, folder, env)
    status, body = out["queued"]  # type: ignore[misc]
    assert status == 202, body
    assert body["result"]["state"] == "PENDING" and body["result"]["id"]
    assert out["repeat"] == out["queued"]  # the same Idempotency-Key: answered again, not queued again
    assert out["sent"] == [["billing.send_reminder", [1], {"subject": "S"}, ["countdown", "eta"]]]
    assert out["eta_type"] == ["datetime"]
    assert out["applied"][0] == 202  # type: ignore[index]
    assert out["applied"][1]["result"]["state"] == "SUCCESS"  # type: ignore[index]
    assert out["applied"][1]["result"]["result"] == "INV-5"  # type: ignore[index]
    assert out["mails"] == ["Invoice INV-5 (billing.send_reminder)"]
    assert out["none_kwarg"] == 202
    assert out["bad_option"] == 400
    assert out["no_token"] == 401
    # every answer of the fuzz is what openapi.json says the task endpoint answers (issue 17)
    contract = Contract(doc)
    for path, status, content_type, text, body in out["answers"]:  # type: ignore[union-attr]
        request = httpx.Request("POST", f"http://localhost{path}", content=body.encode(),
                                headers={"Content-Type": "application/json"})  # fmt: skip
        contract.check(path, httpx.Response(status, content=text.encode(), headers={"Content-Type": content_type},
                                            request=request))  # fmt: skip
    assert not contract.violations, contract.summary() + "\n" + "\n".join(contract.violations[:10])
    assert {p for _m, p, _s in contract.checked} == {"/api/v1/tasks/send_reminder", "/api/v1/tasks/invoice_count"}
    print(contract.summary(), sorted(contract.checked.items()))
