"""The proof: the rewired sample monolith passes its whole remaining test suite while the
moved apps run as separate processes behind HTTP; the moved apps' own view tests pass in the
monolith, their requests forwarded to the services by the generated proxy; a stopped service
fails fast.

Copies sample_monolith to a temporary folder, rewires it for both services
(`decompose extract ... --apply`), starts each service as extracted/<name> is generated (from
the untouched sample, generated afresh so it matches this code) as its own process with its own SQLite database on a free loopback port,
switches the monolith to `remote` by environment, and runs the monolith's test suite (without
the moved apps' folders: their tests moved to the services) as a pytest subprocess.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from projects import free_port

from decompose.cli import cli

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("payments", "notifications")
TOKEN = "e2e-token-7f3a"
#: the key the monolith signs identity assertions with, shared with each service (DECOMPOSE_IDENTITY_KEY)
IDENTITY_KEY = "e2e-identity-key-0123456789-abcdefghijkl"

pytestmark = pytest.mark.e2e


def _base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DATABASE_", "MONOLITH_", "DECOMPOSE_", "PYTEST_"))}


def _rewire(monolith: Path, out: Path, services: tuple[str, ...]) -> None:
    subprocess.run(["git", "init", "-q", str(monolith)], check=True)
    for name in services:
        result = CliRunner().invoke(
            cli, ["extract", str(monolith), "--service", name, "--apps", name, "--out", str(out), "--apply", "--force"]
        )
        assert result.exit_code == 0, result.output


def _generate(services: tuple[str, ...], out: Path) -> None:
    """Each service as extracted/<name> is generated (from the untouched sample: what CI regenerates and compares)."""
    for name in services:
        result = CliRunner().invoke(
            cli, ["extract", str(ROOT / "sample_monolith"), "--service", name, "--apps", name, "--out", str(out), "--no-rewire"]
        )
        assert result.exit_code == 0, result.output


class Service:
    def __init__(self, name: str, tmp: Path, monolith_url: str) -> None:
        self.name = name
        self.folder = tmp / f"svc-{name}"
        # extracted/<name> as `decompose extract sample_monolith --service <name>` generates it now
        shutil.copytree(tmp / "services" / name, self.folder, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
        self.db = self.folder / "db.sqlite3"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**_base_env(), "DATABASE_URL": f"sqlite:///{self.db}", "DECOMPOSE_SERVICE_TOKEN": TOKEN,
                    "DJANGO_SECRET_KEY": "e2e-secret-key-0123456789", "DECOMPOSE_IDENTITY_KEY": IDENTITY_KEY, "MONOLITH_URL": monolith_url, "MONOLITH_TOKEN": TOKEN, "MONOLITH_TIMEOUT": "10",
                    "DECOMPOSE_TEST_RESET": "1"}  # the monolith's suite resets it after each test (shop.services.testing)
        migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=self.folder, env=self.env,
                                 capture_output=True, text=True, timeout=300, check=False)
        assert migrate.returncode == 0, migrate.stderr[-2000:]
        self.proc: subprocess.Popen[str] | None = None
        #: runserver's access log: one line per request the service served
        self.log = self.folder / "requests.log"

    def api_requests(self) -> int:
        """Requests to the service's API (not /healthz) logged so far: remote mode that calls nothing fails."""
        if not self.log.exists():
            return 0
        return sum(1 for ln in self.log.read_text(errors="replace").splitlines()
                   if ('"GET /api/' in ln or '"POST /api/' in ln) and "/api/v1/_test/" not in ln)  # resets are not calls

    def resets(self) -> int:
        """Resets of the service's data logged so far (shop.services.testing, after each test of the monolith)."""
        if not self.log.exists():
            return 0
        return self.log.read_text(errors="replace").count('"POST /api/v1/_test/reset HTTP/1.1" 200')

    def proxied(self) -> list[str]:
        """``METHOD path status`` of each request the service served for a page (not /api/v1/, not /healthz):
        what the monolith's proxy forwarded."""
        if not self.log.exists():
            return []
        out = []
        for m in re.finditer(r'"([A-Z]+) (\S+) HTTP/[\d.]+" (\d{3})', self.log.read_text(errors="replace")):
            method, target, status = m.groups()
            if not target.startswith(("/api/v1/", "/healthz")):
                out.append(f"{method} {target} {status}")
        return out

    def start(self) -> None:
        log = self.log.open("a")
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            cwd=self.folder, env=self.env, stdout=log, stderr=log, text=True,
        )
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"service {self.name} did not start on {self.url}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str], dict[str, Service]]]:
    tmp = tmp_path_factory.mktemp("e2e-remote")
    monolith = tmp / "monolith"
    shutil.copytree(ROOT / "sample_monolith", monolith, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    _rewire(monolith, tmp / "out", SERVICES)
    _generate(SERVICES, tmp / "services")
    live_port = free_port()
    services = {name: Service(name, tmp, f"http://127.0.0.1:{live_port}") for name in SERVICES}
    # the client's test support serves the monolith to the services there (their call backs and events)
    env = {**_base_env(), "DECOMPOSE_MONOLITH_LIVESERVER": f"127.0.0.1:{live_port}"}
    for name, s in services.items():
        env[f"DECOMPOSE_{name.upper()}_MODE"] = "remote"
        env[f"DECOMPOSE_{name.upper()}_URL"] = s.url
        env[f"DECOMPOSE_{name.upper()}_TOKEN"] = TOKEN
        env[f"DECOMPOSE_{name.upper()}_INBOUND_TOKEN"] = TOKEN  # the service's MONOLITH_TOKEN (its own setting)
        env[f"DECOMPOSE_{name.upper()}_IDENTITY_KEY"] = IDENTITY_KEY  # signs the user for the service's pages
    try:
        for s in services.values():
            s.start()
        yield monolith, env, services
    finally:
        for s in services.values():
            s.stop()


def _pytest(monolith: Path, env: dict[str, str], *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    ignore = [f"--ignore={name}" for name in SERVICES]
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-c", "pytest.ini", "-q", "-p", "shop.services.testing",
         "-p", "no:randomly", *ignore, *args],
        cwd=monolith, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )


def _failed(output: str) -> set[str]:
    return {ln.split(" ", 2)[1] for ln in output.splitlines() if ln.startswith(("FAILED ", "ERROR ")) and "::" in ln}


def _passed(output: str) -> int:
    summary = output[-4000:]
    assert " passed" in summary, summary
    return int(summary.rsplit(" passed", 1)[0].split()[-1])


def _installed_apps(monolith: Path, env: dict[str, str]) -> str:
    check = subprocess.run([sys.executable, "-c", "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','shop.settings');"
                            " django.setup(); from django.conf import settings; print(sorted(settings.INSTALLED_APPS))"],
                           cwd=monolith, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert check.returncode == 0, check.stderr[-2000:]
    return check.stdout


@pytest.mark.parametrize("remote", [("payments",), ("notifications",), ("payments", "notifications")], ids="+".join)
def test_the_whole_remaining_suite_passes_with_services_remote_over_http(
    deployed: tuple[Path, dict[str, str], dict[str, Service]], remote: tuple[str, ...],
) -> None:
    """Every test of the monolith that stayed passes, each remote service called over HTTP: no failure, none skipped."""
    monolith, env, services = deployed
    env = {**env, **{f"DECOMPOSE_{name.upper()}_MODE": "local" for name in SERVICES if name not in remote}}
    before = {name: services[name].api_requests() for name in remote}
    resets_before = {name: services[name].resets() for name in remote}
    installed = _installed_apps(monolith, env)
    assert "'shop.services'" in installed
    for name in SERVICES:  # remote mode removed the app (its label or its AppConfig path); local mode keeps it
        assert (f"'{name}'" in installed or f"'{name}.apps." in installed) == (name not in remote), installed
    collected = _pytest(monolith, env, "--collect-only", "-q")
    assert collected.returncode == 0, collected.stdout[-4000:]
    per_file = [ln.rsplit(": ", 1) for ln in collected.stdout.splitlines() if ln.endswith(tuple("0123456789")) and ": " in ln]
    count = sum(int(n) for _, n in per_file)  # "-q -q" lists "path: n" per file
    assert count >= 90, collected.stdout[-4000:]
    result = _pytest(monolith, env, "-rfEs")
    assert result.returncode == 0 and not _failed(result.stdout), result.stdout[-4000:]
    assert " skipped" not in result.stdout[-4000:], result.stdout[-4000:]
    assert _passed(result.stdout) == count, result.stdout[-4000:]  # the whole remaining suite ran and passed
    served = {name: services[name].api_requests() - before[name] for name in remote}
    print(f"API requests served during the remote run: {served}")
    assert all(n > 0 for n in served.values()), served  # remote mode went over HTTP, for every remote service
    resets = {name: services[name].resets() - resets_before[name] for name in remote}
    assert all(n >= count for n in resets.values()), (resets, count)  # each test left the services empty
    for name in remote:  # the reset needs the service token
        refused = httpx.post(f"{services[name].url}/api/v1/_test/reset", timeout=10)
        assert refused.status_code in (401, 403), refused.text


def test_the_moved_apps_view_tests_pass_in_the_monolith_through_the_proxy(
    deployed: tuple[Path, dict[str, str], dict[str, Service]],
) -> None:
    """The moved apps' own view tests (the monolith's test client and fixtures only) run in the monolith with
    both services remote: each request goes through the generated URL mirrors and proxy to the service, with
    the user as a signed assertion, and passes as it did in-process; the services' logs show the pages."""
    monolith, env, services = deployed
    tests = sorted(str(p.relative_to(monolith)) for name in SERVICES for p in (monolith / name / "tests").glob("test_views*.py"))
    assert "payments/tests/test_views.py" in tests
    before = {name: len(s.proxied()) for name, s in services.items()}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", "pytest.ini", "-q", "-rfEs", "-p", "shop.services.testing", "-p", "no:randomly", *tests],
        cwd=monolith, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0 and not _failed(result.stdout), result.stdout[-4000:]
    assert " skipped" not in result.stdout[-4000:], result.stdout[-4000:]
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", "pytest.ini", "-q", "--collect-only", *tests],
        cwd=monolith, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    count = sum(1 for ln in collected.stdout.splitlines() if "::" in ln)
    assert count >= 1 and _passed(result.stdout) == count, result.stdout[-4000:]
    proxied = {name: s.proxied()[before[name]:] for name, s in services.items()}
    print(f"pages proxied to the services during the moved apps' view tests: { {k: len(v) for k, v in proxied.items()} }")
    pay = proxied["payments"]
    # payments/tests/test_views.py: the order's payments, a capture refused to a customer (302 to the login),
    # the capture and the refund by staff; each one through the proxy, with the status the view gave
    assert [p.split(" ", 1)[0] for p in pay] == ["GET", "POST", "POST", "POST"], pay
    assert re.fullmatch(r"GET /api/payments/orders/\d+/ 200", pay[0]), pay
    assert re.fullmatch(r"POST /api/payments/\d+/capture/ 302", pay[1]), pay
    assert re.fullmatch(r"POST /api/payments/\d+/capture/ 200", pay[2]), pay
    assert re.fullmatch(r"POST /api/payments/\d+/refund/ 201", pay[3]), pay


def test_every_moved_url_name_reverses_to_the_same_path_in_remote_mode(
    deployed: tuple[Path, dict[str, str], dict[str, Service]],
) -> None:
    """In remote mode every moved URL name stays reversible to the path it has in local mode."""
    monolith, env, _ = deployed
    probe = (
        "import os, django\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shop.settings')\n"
        "django.setup()\n"
        "from django.urls import reverse\n"
        "print(reverse('payments:order_payments', args=[7]), reverse('payments:capture', args=[3]),"
        " reverse('payments:refund', kwargs={'payment_id': 3}), reverse('notifications:list'),"
        " reverse('notifications:read', args=[2]), reverse('notifications:read_all'))\n"
    )
    paths = "/api/payments/orders/7/ /api/payments/3/capture/ /api/payments/3/refund/ /api/notifications/ " \
            "/api/notifications/2/read/ /api/notifications/read-all/"
    for mode in ("local", "remote"):
        switched = {**env, **{f"DECOMPOSE_{name.upper()}_MODE": mode for name in SERVICES}}
        done = subprocess.run([sys.executable, "-c", probe], cwd=monolith, env=switched, capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.split() == paths.split(), (mode, done.stdout)


ADMIN_PROBE = """
import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_admin_through_the_services(admin_client):
    index = admin_client.get("/admin/")
    assert index.status_code == 200
    apps = {a["app_label"]: a for a in index.context["app_list"]}
    print("APPS", sorted(apps))
    print("PAYMENTS", sorted((m["object_name"], m["admin_url"], m["add_url"]) for m in apps["payments"]["models"]))
    print("NOTIFICATIONS", sorted(m["object_name"] for m in apps["notifications"]["models"]))
    print("REVERSE", reverse("admin:payments_payment_changelist"), reverse("admin:payments_refund_change", args=[4]),
          reverse("admin:app_list", kwargs={"app_label": "notifications"}))
    from django.contrib.auth.models import Permission
    print("PERMS", sorted(Permission.objects.filter(content_type__app_label="payments").values_list("codename", flat=True)))
    for path in ("/admin/payments/payment/", "/admin/payments/refund/add/", "/admin/notifications/"):
        page = admin_client.get(path)
        print("PAGE", path, page.status_code, page.headers.get("X-Frame-Options", ""))
"""


def test_the_admin_lists_and_serves_the_moved_models_through_their_services(
    deployed: tuple[Path, dict[str, str], dict[str, Service]],
) -> None:
    """Remote mode: the monolith's admin index lists the moved models as before (the services' admins build the
    entries for the signed-in user), their URL names reverse to the same paths, and their pages are the
    services' admin pages, forwarded by the monolith (issue 14, item 5)."""
    monolith, env, services = deployed
    probe = monolith / "test_admin_probe.py"
    probe.write_text(ADMIN_PROBE, encoding="utf-8")
    before = {name: len(s.proxied()) for name, s in services.items()}
    try:
        result = _pytest(monolith, env, "-s", "-rfE", str(probe.name), timeout=300)
    finally:
        probe.unlink()
    assert result.returncode == 0, result.stdout[-4000:]
    lines = {ln.split(" ", 1)[0]: ln.split(" ", 1)[1] for ln in result.stdout.splitlines() if ln.startswith(
        ("APPS ", "PAYMENTS ", "NOTIFICATIONS ", "REVERSE ", "PERMS "))}  # fmt: skip
    assert "'payments'" in lines["APPS"] and "'notifications'" in lines["APPS"] and "'orders'" in lines["APPS"]
    assert "('Payment', '/admin/payments/payment/', '/admin/payments/payment/add/')" in lines["PAYMENTS"]
    assert "'Refund'" in lines["PAYMENTS"]
    assert lines["NOTIFICATIONS"] == "['Notification', 'NotificationPreference', 'OutboxMessage']"
    assert lines["REVERSE"] == "/admin/payments/payment/ /admin/payments/refund/4/change/ /admin/notifications/"
    # the monolith keeps the moved models' permissions though the app is not installed here (groups hold them)
    assert "'add_payment'" in lines["PERMS"] and "'view_refund'" in lines["PERMS"], lines["PERMS"]
    assert "'view_gatewaytransaction'" in lines["PERMS"], lines["PERMS"]
    pages = [ln.split()[1:3] for ln in result.stdout.splitlines() if ln.startswith("PAGE ")]
    assert pages == [["/admin/payments/payment/", "200"], ["/admin/payments/refund/add/", "200"],
                     ["/admin/notifications/", "200"]], result.stdout[-3000:]  # fmt: skip
    served = {name: [p for p in s.proxied()[before[name]:] if "/_decompose/" not in p] for name, s in services.items()}
    assert served["payments"] == ["GET /admin/payments/payment/ 200", "GET /admin/payments/refund/add/ 200"], served
    assert served["notifications"] == ["GET /admin/notifications/ 200"], served
    for name, s in services.items():  # the index asked each service for its entries
        assert '"GET /_decompose/admin/admin/apps' in s.log.read_text(errors="replace"), name


def test_rolled_back_to_local_the_rewired_monolith_passes_its_whole_suite(
    deployed: tuple[Path, dict[str, str], dict[str, Service]],
) -> None:
    """The cut-over is rolled back by configuration: every service local, the moved apps' own tests included."""
    monolith, _, _ = deployed
    env = {**_base_env()}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", "pytest.ini", "-q", "-rfE", "-p", "no:randomly"],
        cwd=monolith, env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    assert result.returncode == 0 and not _failed(result.stdout), result.stdout[-4000:]
    assert _passed(result.stdout) >= 110, result.stdout[-4000:]


def test_a_stopped_service_fails_fast_with_service_unavailable(deployed: tuple[Path, dict[str, str], dict[str, Service]]) -> None:
    monolith, env, services = deployed
    services["payments"].stop()
    probe = (
        "import os, time, django\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shop.settings')\n"
        "django.setup()\n"
        "from shop.services.payments import payment_status\n"
        "from shop.services.runtime import ServiceUnavailable\n"
        "start = time.monotonic()\n"
        "try:\n"
        "    payment_status(1)\n"
        "except ServiceUnavailable as exc:\n"
        "    print('UNAVAILABLE', round(time.monotonic() - start, 2), exc)\n"
    )
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", probe], cwd=monolith, env={**env, "DECOMPOSE_PAYMENTS_CONNECT_TIMEOUT": "1"},
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("UNAVAILABLE"), result.stdout
    assert "service 'payments' unavailable" in result.stdout
    assert float(result.stdout.split()[1]) < 5.0  # retries are bounded: no hang
    assert time.monotonic() - started < 60
