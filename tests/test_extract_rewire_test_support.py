"""The monolith's test support that imports moved models is rewired through the client (issue 14, remote suites).

pretalx mail: ``src/tests/factories/mail.py`` (factory_boy factories of the moved ``MailTemplate`` and
``QueuedMail``, loaded by ``src/tests/conftest.py`` for the whole suite) imports the moved models and the
monolith's own test helpers (``EventFactory``), so the plan keeps it with the monolith, listed among the moved
app's tests that stay; the rewire left those files alone, so in remote mode (the app not installed) the suite
could not start: "QueuedMail doesn't declare an explicit app_label".

Now a staying test file that is test *support* (no test in it: factories, fixtures, ``conftest.py``) is rewired
like other staying code; the moved app's test modules that stay are left alone, and under the client's pytest
plugin (``<client>.testing``) a remote service's such test module is not imported but reported as one skipped
test with the plan's reason (it tests the moved code in-process, which runs in the service).
"""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from textwrap import dedent

import pytest

from decompose.extract.changeset import apply_changes
from decompose.extract.plan import build_plan
from decompose.extract.plan.index import index_project
from decompose.extract.rewire import is_test_support, rewire

FIXTURE = Path(__file__).parent / "fixtures" / "rewire" / "mini"

FILES = {
    "tests/__init__.py": "",
    "tests/factories/__init__.py": "",
    "tests/factories/sales.py": """
        from sales.models import Order


        class OrderFactory:
            model = Order
    """,
    # imports the moved model and only the monolith's test helpers: kept with the monolith, listed as a test of
    # the moved app that stays
    "tests/factories/billing.py": """
        from billing.models import Invoice
        from tests.factories.sales import OrderFactory


        class InvoiceFactory:
            model = Invoice
            order = OrderFactory
    """,
    "tests/conftest.py": """
        import django

        django.setup()

        from billing.models import Invoice  # noqa: E402
        from tests.factories.sales import OrderFactory  # noqa: E402

        MODELS = (Invoice, OrderFactory.model)
    """,
    # a test of the moved app that needs the monolith's test helpers: it stays, left as it is
    "tests/billing/__init__.py": "",
    "tests/billing/test_invoice.py": """
        from billing.models import Invoice
        from billing.services import create_invoice
        from tests.factories.billing import InvoiceFactory


        def test_create_invoice():
            assert isinstance(create_invoice("A-1", 5), Invoice)
            assert InvoiceFactory.model is Invoice
    """,
}


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    root = tmp_path / "mini"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(dedent(text).lstrip(), encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_staying_test_support_is_rewired_and_the_moved_apps_tests_are_not(mini: Path) -> None:
    plan = build_plan(index_project(mini, use_cache=False), "billing", ["billing"])
    # the plan keeps these with the monolith (they use its test helpers)
    assert {"tests/factories/billing.py", "tests/conftest.py", "tests/billing/test_invoice.py"} <= set(
        plan.staying_tests
    )
    changes = rewire(plan, mini).effective()
    # before: neither support file was changed, and remote mode could not import them
    assert "from mini.services.billing import Invoice" in changes["tests/factories/billing.py"]
    assert "from mini.services.billing import Invoice" in changes["tests/conftest.py"]
    assert "tests/billing/test_invoice.py" not in changes  # the app's test: left alone
    assert "tests/factories/sales.py" not in changes
    apply_changes(mini, changes, force=True)
    subprocess.run(["git", "add", "-A"], cwd=mini, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "rewired"], cwd=mini,
                   check=True)  # fmt: skip
    again = rewire(plan, mini).effective()  # a second run changes nothing there
    assert not {"tests/factories/billing.py", "tests/conftest.py"} & set(again)


def test_in_remote_mode_the_suite_starts_and_the_apps_staying_tests_are_skipped(mini: Path) -> None:
    pytest.importorskip("django")
    pytest.importorskip("httpx")
    plan = build_plan(index_project(mini, use_cache=False), "billing", ["billing"])
    apply_changes(mini, rewire(plan, mini).changes, force=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DECOMPOSE_", "DATABASE_", "PYTEST_"))}
    env.update(PYTHONPATH=str(mini), PYTHONDONTWRITEBYTECODE="1", DJANGO_SETTINGS_MODULE="mini.settings",
               DECOMPOSE_BILLING_MODE="remote", DECOMPOSE_BILLING_URL="http://127.0.0.1:9",
               DECOMPOSE_BILLING_TOKEN="t", DATABASE_PATH=str(mini / "db.sqlite3"))  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "mini.services.testing", "-rs", "-q",
         "tests/billing"],
        cwd=mini, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    # before: the conftest failed to import ("Invoice doesn't declare an explicit app_label ...")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "1 skipped" in done.stdout
    assert "tests the moved code in-process, which runs in its remote service (billing service:" in done.stdout
    # in local mode the same test runs (and imports the moved app directly, as before)
    env["DECOMPOSE_BILLING_MODE"] = "local"
    local = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "mini.services.testing", "-q", "--co",
         "tests/billing"],
        cwd=mini, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert "test_invoice.py::test_create_invoice" in local.stdout, local.stdout[-3000:] + local.stderr[-3000:]


def test_under_djangos_runner_the_apps_staying_tests_are_skipped_too(mini: Path) -> None:
    """django-crm (``manage.py test``): its ``tests/chat/test_chat.py`` imports the moved ``chat.models`` and builds
    the moved admin at module level; in remote mode Django's runner failed to import it (one error, the tests not
    run). Through the client's DiscoverRunner it is one skipped test with the plan's reason, as under pytest, and
    the service is not reset after it (it ran nothing); it is after the test that ran."""
    pytest.importorskip("django")
    pytest.importorskip("httpx")
    resets: list[str] = []

    class Service(http.server.BaseHTTPRequestHandler):  # answers the test support's resets, counting them
        def do_POST(self) -> None:
            resets.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Service)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    (mini / "tests/billing/test_invoice_case.py").write_text(
        dedent("""
            from django.test import SimpleTestCase

            from billing.models import Invoice
            from tests.factories.billing import InvoiceFactory


            class InvoiceTests(SimpleTestCase):
                def test_factory(self):
                    self.assertIs(InvoiceFactory.model, Invoice)
        """).lstrip(),
        encoding="utf-8",
    )
    (mini / "tests/sales").mkdir()
    (mini / "tests/sales/__init__.py").write_text("", encoding="utf-8")
    (mini / "tests/sales/test_order.py").write_text(
        dedent("""
            from django.test import SimpleTestCase

            from sales.models import Order


            class OrderTests(SimpleTestCase):
                def test_label(self):
                    self.assertEqual(Order._meta.app_label, "sales")
        """).lstrip(),
        encoding="utf-8",
    )
    plan = build_plan(index_project(mini, use_cache=False), "billing", ["billing"])
    assert "tests/billing/test_invoice_case.py" in plan.staying_tests
    apply_changes(mini, rewire(plan, mini).changes, force=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DECOMPOSE_", "DATABASE_", "PYTEST_"))}
    env.update(PYTHONPATH=str(mini), PYTHONDONTWRITEBYTECODE="1", DJANGO_SETTINGS_MODULE="mini.settings",
               DECOMPOSE_BILLING_MODE="remote", DECOMPOSE_BILLING_URL=url,
               DECOMPOSE_BILLING_TOKEN="t", DECOMPOSE_BILLING_IDENTITY_KEY="k" * 32,
               DATABASE_PATH=str(mini / "db.sqlite3"))  # fmt: skip
    cmd = [sys.executable, "manage.py", "test", "--noinput", "-v", "2",
           "--testrunner=mini.services.testing.DiscoverRunner", "tests/"]  # fmt: skip
    try:
        done = subprocess.run(cmd, cwd=mini, env=env, capture_output=True, text=True, timeout=300, check=False)
    finally:
        server.shutdown()
        server.server_close()
    out = done.stdout + done.stderr
    # before: "ERROR: tests.billing.test_invoice_case (unittest.loader._FailedTest...)", "FAILED (errors=1)"
    assert done.returncode == 0, out[-3000:]
    assert "_FailedTest" not in out
    assert "test_label (tests.sales.test_order.OrderTests.test_label) ... ok" in out  # the rest runs
    assert "tests the moved code in-process, which runs in its remote service (billing service:" in out
    # both of the app's staying test modules (test_invoice.py has pytest functions only: nothing to run here)
    assert "OK (skipped=2)" in out
    assert resets == ["/api/v1/_test/reset"]  # after test_label, not after the skipped module
    # in local mode the module runs as before
    env["DECOMPOSE_BILLING_MODE"] = "local"
    local = subprocess.run(cmd, cwd=mini, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert "test_factory (tests.billing.test_invoice_case.InvoiceTests.test_factory) ... ok" in local.stderr, (
        local.stdout[-3000:] + local.stderr[-3000:]
    )


@pytest.mark.parametrize(
    ("rel", "source", "support"),
    [
        ("tests/factories/mail.py", "class MailTemplateFactory:\n    pass\n", True),
        ("tests/conftest.py", "import pytest\n\n@pytest.fixture\ndef event():\n    return 1\n", True),
        ("tests/helpers.py", "def test_helper():\n    pass\n", False),  # defines a test
        ("tests/helpers.py", "class TestMail:\n    pass\n", False),
        ("tests/mail/test_models.py", "X = 1\n", False),  # named as a test module
        ("tests/mail/models_test.py", "X = 1\n", False),
        ("tests/broken.py", "def (:\n", False),
        ("tests/missing.py", None, False),
    ],
)
def test_which_test_files_are_support(rel: str, source: str | None, support: bool) -> None:
    assert is_test_support(rel, source) is support
