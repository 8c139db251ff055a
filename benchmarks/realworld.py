"""Extraction on the real projects of ``../shared/realworld/``, step by step, with timings (issue 13).

Usage (from the repository root)::

    .venv/bin/python benchmarks/realworld.py                          # the apps CI runs (CHOSEN)
    .venv/bin/python benchmarks/realworld.py --app django-crm:chat --pristine --json out.json

For each app (``PROJECT:APP``), every step runs in its own child process, one after the other, and is
timed (wall and CPU: user + system of the child and its descendants, from ``os.wait4``):

1. ``setup``: ``scripts/realworld.sh setup PROJECT`` (cached: a no-op when nothing changed),
2. ``copy``: a scratch git copy of the pristine project (``scripts/realworld.sh copy``),
3. ``extract``: ``decompose extract PATH --service APP --apps APP --out OUT --apply --force``,
4. the service (``OUT/APP``), in a venv built from its own ``requirements-dev.txt`` (cached by the
   requirement files' hash under the realworld cache): ``manage.py check``, ``migrate``,
   ``makemigrations --check --dry-run``, then its own ``pytest`` (which includes the generated
   ``test_imports.py``),
5. the rewired monolith, in the project's cached venv plus the client runtime's packages (those the
   venv lacks, installed with ``pip install --no-deps --target`` into a cached folder put on
   ``PYTHONPATH``; the cached venv is never changed): ``manage.py check`` in local mode, in remote
   mode with the service configured (URL, token, identity key) and without (must fail), and the
   project's whole suite in local mode (``scripts/realworld.sh test PROJECT --in COPY``), and in remote
   mode with the service under gunicorn on its own database (the requests it answered counted from its
   access log),
6. with ``--pristine``: the pristine project's suite, for comparison.

``tests/test_realworld_e2e.py`` runs the same chain (this module's ``Chain``) as CI's proof, with the
suites in the background; this script runs everything in sequence, so that each figure is one step's.
Failures are compared with the pristine suites' known flaky tests (``FLAKY``, by test id, from
docs/realworld-extraction.md), and every failing step's output is matched against the defects known
to break these runs (``KNOWN_DEFECTS``), so that a failure names its cause.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import fcntl
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from decompose.extract.service import requirements

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "realworld.sh"
CACHE = Path(os.environ.get("DECOMPOSE_REALWORLD_CACHE") or Path.home() / ".cache" / "decompose-realworld")
SOURCE = Path(os.environ.get("DECOMPOSE_REALWORLD_SRC") or REPO.parent / "shared" / "realworld")

#: the secrets the runs configure (test values, never used outside these scratch copies)
TOKEN = "realworld-e2e-token-5c1d"
IDENTITY_KEY = "realworld-e2e-identity-key-0123456789abcdef"
SECRET_KEY = "realworld-e2e-secret-key-0123456789abcdef"

#: import name -> distribution name, where they differ, for the packages the generated client imports
DISTRIBUTIONS = {"jwt": "pyjwt", "yaml": "pyyaml", "dateutil": "python-dateutil"}


@dataclass(frozen=True, slots=True)
class App:
    """One app of one real project, extracted alone."""

    project: str  # the name scripts/realworld.sh knows
    app: str  # the app label, also the service's name
    path: str  # the folder given to `decompose extract`, relative to the project (the one holding manage.py)
    suite_args: tuple[str, ...] = ()  # passed to `scripts/realworld.sh test` (pytest / manage.py test)

    @property
    def key(self) -> str:
        return f"{self.project}:{self.app}"


APPS: dict[str, App] = {
    a.key: a
    for a in (
        App("django-crm", "chat", "."),
        App("django-crm", "voip", "."),
        # pretalx's suite runs in 2 processes (pytest-xdist, in its dev extras), as its README does
        App("pretalx", "mail", "src", ("-n", "2")),
        App("pretalx", "schedule", "src", ("-n", "2")),
    )
}

#: the apps CI runs through the whole chain, one per project (tests/test_realworld_e2e.py); chosen
#: among APPS as those that pass at the last measured commit, see benchmarks/README.md
CHOSEN = ("django-crm:voip", "pretalx:mail")
#: the apps whose whole suite CI also runs in REMOTE mode: those that pass it at the last measured commit
#: (django-crm voip 338/338). pretalx mail's remote run (about 90 %, a listed open defect) takes 15-60 minutes
#: on this 2-core machine and is measured here instead (docs/realworld-extraction.md); any app runs it
#: in the test with DECOMPOSE_REALWORLD_APPS
CHOSEN_REMOTE = ("django-crm:voip",)

#: tests of the PRISTINE suites that fail intermittently before any change (docs/realworld-extraction.md,
#: "Baseline"): a rewired suite may fail these and no other
FLAKY: dict[str, frozenset[str]] = {
    # all assert on mail.outbox, which the project fills from background threads
    "django-crm": frozenset(
        {
            "tests.crm.views.test_request_receiving.TestRequestReceiving.test_the_lead",
            "tests.crm.utils.test_restore_imap_emails.TestRestoreImapEmails.test_restore_inquiry_email",
            "tests.common.test_reminder.TestReminder.test_task_reminder",
            "tests.tasks.test_task.TestTask.test_subtask_completion_notification",
            # failed in the pristine suite run by this benchmark (--pristine, 2026-12-07): `0 != 1` mails
            "tests.common.utils.test_notif_email_sender.TestNotifEmailSender.test_notification_email_sender",
            # crm/site/crmadminsite.py's import view writes the rows from a daemon thread while the test's next
            # request reads them: SQLite's shared in-memory test database answers "database table is locked:
            # crm_company" when the two overlap (2 of 3 remote-mode runs, where pages take longer, 2026-12-07)
            "tests.crm.test_import_export.TestImportExport.test_export_import_company",
            "tests.crm.test_import_export.TestImportExport.test_export_import_contacts",  # the same view, crm_contact
        }
    ),
    # diff_match_patch's 1 s Diff_Timeout runs out on a loaded machine
    "pretalx": frozenset({"src/tests/common/text/test_diff.py::test_render_diff_marks_changes_in_long_text"}),
}

#: defects known to break these runs (issue 13's bullets; docs/realworld-extraction.md): a pattern of a
#: failing step's output, and what it means. The first ones are the specific causes; a line matched by
#: one of them is not matched again by the generic ones below it.
KNOWN_DEFECTS: tuple[tuple[str, str], ...] = (
    (
        r"'function' object has no attribute '(?:apply_async|apply|delay|retry|s|si|MaxRetriesExceededError)'"
        r"|task_\w+\(\) missing \d+ required positional argument",
        "Celery tasks turned into plain functions by the client: the task API (.apply_async, .apply, "
        ".retry, the bound self) is gone (issue 13: misclassification; pretalx mail)",
    ),
    (
        r"partially initialized module|most likely due to a circular import",
        "import cycle: a staying module re-pointed at the client, which imports the moved models eagerly "
        "(issue 13: dangling / label != path; pretalx schedule)",
    ),
    (
        r"rules/predicates\.py.*\n(?:.*\n){0,6}?AttributeError: 'function' object has no attribute 'name'",
        "a django-rules predicate of staying code became a call back (a plain function), so combining it "
        "(`pred & other`) fails (issue 13: classification)",
    ),
    (
        r"StaysInMonolith: \S+ stays in the monolith",
        "the moved code needs staying code that cannot be copied into the service (it uses the monolith's "
        "data) and the service has no call back for it (issue 13: dangling imports / classification)",
    ),
    (
        r"No module named '(?:httpx|pybreaker|stamina|jwt)'",
        "the client runtime's packages are not installed (issue 13: requirements)",
    ),
    (
        r"(?:ModuleNotFoundError|ImportError): No module named '[\w.]+'",
        "dangling import: the module is not there (issue 13: dangling imports)",
    ),
    (
        r"ImportError: cannot import name '\w+' from '[\w.]+'",
        "dangling import: the name is not in that module (issue 13: dangling imports)",
    ),
    (r"NameError: name '\w+' is not defined", "a name used without its import (issue 13: dangling imports)"),
    (
        r"doesn't declare an explicit app_label and isn't in an application in INSTALLED_APPS",
        "a model of an app that is not installed is imported: the service lacks an app the moved code "
        "needs, or staying code imports a moved model in remote mode (issue 13: dangling imports / plan)",
    ),
    (
        r"AttributeError: [\w.]+ from the service has no field '\w+'",
        "staying code uses a moved model's own behaviour (a property, a method) on its remote stand-in, which has "
        "only the model's fields (issue 14: remote ORM)",
    ),
    (
        r"'Settings' object has no attribute '\w+'",
        "a setting the moved code reads is not carried over (issue 13: settings the moved code reads)",
    ),
    (
        r"ResolutionImpossible|No matching distribution found for \S+|"
        r"Could not find a version that satisfies the requirement \S+",
        "the service's requirements cannot be installed (issue 13: requirements)",
    ),
)


# --- running steps ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """One finished step."""

    step: str
    cmd: tuple[str, ...]
    returncode: int  # -9 and timed_out when it was killed at its time limit
    wall: float  # seconds
    cpu: float  # seconds of user + system CPU of the child and its descendants
    log: str  # the file holding its stdout and stderr
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def output(self) -> str:
        return Path(self.log).read_text(encoding="utf-8", errors="replace")


class Running:
    """A step running in the background, in its own process group (killed whole at its time limit)."""

    def __init__(self, step: str, cmd: list[str], *, cwd: Path, env: dict[str, str], log: Path, timeout: float) -> None:
        self.step = step
        self.cmd = tuple(cmd)
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._timed_out = False
        self._result: Outcome | None = None
        self._lock = threading.Lock()
        with log.open("wb") as fh:
            fh.write(f"$ {' '.join(cmd)}\n  (in {cwd})\n".encode())
            fh.flush()
            self._t0 = time.perf_counter()
            self.proc = subprocess.Popen(
                cmd,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._timer = threading.Timer(timeout, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        self._timed_out = True
        self.kill()

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def wait(self) -> Outcome:
        with self._lock:
            if self._result is None:
                _, status, usage = os.wait4(self.proc.pid, 0)
                wall = time.perf_counter() - self._t0
                self._timer.cancel()
                self.proc.returncode = os.waitstatus_to_exitcode(status)
                self.kill()  # whatever the step left running in its group
                self._result = Outcome(
                    self.step,
                    self.cmd,
                    self.proc.returncode,
                    round(wall, 2),
                    round(usage.ru_utime + usage.ru_stime, 2),
                    str(self.log),
                    self._timed_out,
                )
            return self._result


def timeout_for(step: str, default: float) -> float:
    """A step's time limit: ``DECOMPOSE_REALWORLD_TIMEOUT`` scales every default (e.g. 2 on a slow machine)."""
    return default * float(os.environ.get("DECOMPOSE_REALWORLD_TIMEOUT", "1") or 1)


def base_env() -> dict[str, str]:
    """The environment without what configures Django, decompose, pytest or a venv in this process.

    ``CI`` goes too: the projects' suites run their CI-only tests when it is set, and pretalx's fetch
    schemas from raw.githubusercontent.com, which this machine (package registries only) cannot reach;
    the pristine suites the rewired ones are compared with ran without it.
    """
    keep = ("DECOMPOSE_REALWORLD_CACHE", "DECOMPOSE_REALWORLD_SRC")
    drop = ("DJANGO_", "DATABASE_", "MONOLITH_", "DECOMPOSE_", "PYTEST_", "PRETALX_")
    return {
        k: v
        for k, v in os.environ.items()
        if k in keep or not (k.startswith(drop) or k in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "CI"))
    }


def known_defects(text: str) -> list[str]:
    """The known defects a failing step's output shows, each with the line that shows it (where a
    pattern's first match ends; a pattern may span lines). A line is claimed by the first pattern."""
    found: list[str] = []
    claimed: set[int] = set()
    for pattern, meaning in KNOWN_DEFECTS:
        for m in re.finditer(pattern, text, re.M):
            start = text.rfind("\n", 0, m.end() - 1) + 1
            if start in claimed:
                continue
            claimed.add(start)
            end = text.find("\n", start)
            line = text[start : end if end >= 0 else len(text)].strip()
            found.append(f"{meaning}: {line[:300]}")
            break
    return found


def explain(outcome: Outcome, what: str, extra: str = "") -> str:
    """The failure message of a step: what failed, which known defects its output shows, its last lines."""
    text = outcome.output()
    defects = known_defects(text)
    cause = (
        "known defects:\n  - " + "\n  - ".join(defects)
        if defects
        else "no known defect matches this output: a new failure"
    )
    status = "timed out" if outcome.timed_out else f"exit {outcome.returncode}"
    tail = "\n".join(text.rstrip().splitlines()[-40:])
    return f"{what} ({status} after {outcome.wall:.0f} s; log {outcome.log})\n{cause}\n{extra}--- last lines:\n{tail}"


def refused_by_check(text: str) -> bool:
    """Django refused to start because of decompose's generated system check (not a crash)."""
    return "SystemCheckError" in text and "decompose.E0" in text


# --- the projects' suites -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SuiteResult:
    """A suite's summary (scripts/realworld.sh's line) and the ids of the tests that failed."""

    passed: int
    failed: int
    skipped: int
    failures: tuple[str, ...]  # sorted, each once
    named: int  # failure and error reports that name a test (a test can fail and then error in teardown)
    summary: str  # the summary line, or "" when the runner stopped before its summary

    def unexpected(self, project: str) -> tuple[str, ...]:
        return tuple(f for f in self.failures if f not in FLAKY[project])


_SUMMARY = re.compile(r"^realworld \S+: (\d+) passed, (\d+) failed, (\d+) skipped in \d+s$", re.M)
_PYTEST_FAIL = re.compile(r"^(?:FAILED|ERROR) (\S+?)(?: - .*)?$", re.M)
#: a test's name, or a module's dotted name when it failed to import (``ERROR: tests.chat.test_chat
#: (unittest.loader._FailedTest.tests.chat.test_chat)``), then its id
_UNITTEST_FAIL = re.compile(r"^(?:FAIL|ERROR): [\w.]+ \(([\w.]+)\)", re.M)


def parse_suite(text: str) -> SuiteResult:
    found = list(_SUMMARY.finditer(text))
    m = found[-1] if found else None
    reports = _PYTEST_FAIL.findall(text) + _UNITTEST_FAIL.findall(text)
    failures = tuple(sorted(set(reports)))
    if m is None:
        return SuiteResult(0, 0, 0, failures, len(reports), "")
    return SuiteResult(int(m[1]), int(m[2]), int(m[3]), failures, len(reports), m[0])


# --- the chain ----------------------------------------------------------------------------------


def _sha(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _requirement_name(spec: str) -> str:
    return re.split(r"[<>=!~\[ ;@]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def setup(project: str, logs: Path) -> Outcome:
    """``scripts/realworld.sh setup PROJECT``: the cached copy and venv (a no-op when up to date)."""
    return Running(
        "setup",
        ["bash", str(SCRIPT), "setup", project],
        cwd=REPO,
        env=base_env(),
        log=logs / f"setup-{project}.log",
        timeout=timeout_for("setup", 1800),
    ).wait()


def pristine_suite(app: App, logs: Path) -> Running:
    """The pristine project's whole suite, in the cached copy."""
    return Running(
        "suite pristine",
        ["bash", str(SCRIPT), "test", app.project, *app.suite_args],
        cwd=REPO,
        env=base_env(),
        log=logs / f"suite-pristine-{app.project}.log",
        timeout=timeout_for("suite", 7200),
    )


@dataclass(slots=True)
class Chain:
    """The whole chain for one app, in a work folder: scratch copy, extract, service, rewired monolith."""

    app: App
    work: Path
    outcomes: list[Outcome] = field(default_factory=list)
    #: per process of the suite, the loopback port its test support serves the monolith on (the service's
    #: MONOLITH_URL: its call backs, events and queries of staying models reach the running test's data)
    live_ports: dict[int, int] = field(default_factory=dict)

    def live_port(self, worker: int) -> int:
        if worker not in self.live_ports:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                self.live_ports[worker] = sock.getsockname()[1]
        return self.live_ports[worker]

    @property
    def monolith(self) -> Path:
        return self.work / "monolith"

    @property
    def project_dir(self) -> Path:  # the folder decompose extract is given, and manage.py's
        return (self.monolith / self.app.path).resolve() if self.app.path != "." else self.monolith

    @property
    def service(self) -> Path:
        return self.work / "out" / self.app.app

    @property
    def logs(self) -> Path:
        return self.work / "logs"

    def _run(self, step: str, cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> Outcome:
        return self.record(self.start(step, cmd, cwd=cwd, env=env, timeout=timeout).wait())

    def start(self, step: str, cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> Running:
        slug = re.sub(r"[^\w.-]+", "-", step).strip("-")
        return Running(step, cmd, cwd=cwd, env=env, log=self.logs / f"{slug}.log", timeout=timeout)

    def record(self, outcome: Outcome) -> Outcome:
        self.outcomes.append(outcome)
        return outcome

    # -- copy and extract

    def copy(self) -> Outcome:
        self.work.mkdir(parents=True, exist_ok=True)
        return self._run(
            "copy",
            ["bash", str(SCRIPT), "copy", self.app.project, str(self.monolith)],
            cwd=REPO,
            env=base_env(),
            timeout=timeout_for("copy", 900),
        )

    def extract(self) -> Outcome:
        a = self.app
        cmd = [
            sys.executable,
            "-m",
            "decompose",
            "extract",
            a.path,
            "--service",
            a.app,
            "--apps",
            a.app,
            "--out",
            str(self.work / "out"),
            "--apply",
            "--force",
        ]
        return self._run("extract", cmd, cwd=self.monolith, env=base_env(), timeout=timeout_for("extract", 2400))

    # -- the service

    def service_requirements(self) -> str:
        return (self.service / "requirements.txt").read_text(encoding="utf-8", errors="replace")

    def service_todos(self) -> str:
        """The service requirements' TODO lines (what extract could not pin), as a note for failure messages."""
        try:
            lines = [ln for ln in self.service_requirements().splitlines() if "TODO" in ln]
        except OSError:
            return ""
        return "".join(f"service requirements.txt: {ln.strip()}\n" for ln in lines)

    def service_venv(self) -> tuple[Path, Outcome | None]:
        """A venv with the service's requirements-dev.txt, cached by the requirement files' hash.

        Returns the venv and the install step (None when the cache had it). A failed install leaves
        no venv behind; the caller reads the outcome."""
        python = subprocess.run(
            ["bash", str(SCRIPT), "python", self.app.project], capture_output=True, text=True, check=True
        ).stdout.strip()
        files = sorted(self.service.glob("requirements*.txt"))
        key = _sha(python, *(f.name + "\n" + f.read_text(encoding="utf-8") for f in files))
        venv = CACHE / "service-venvs" / key
        with _locked(CACHE / "service-venvs" / f"{key}.lock"):
            if (venv / ".complete").is_file():
                return venv, None
            shutil.rmtree(venv, ignore_errors=True)
            script = (
                f'"{python}" -m venv "{venv}" && "{venv}/bin/python" -m pip install --quiet '
                f'--disable-pip-version-check -r requirements-dev.txt && touch "{venv}/.complete"'
            )
            outcome = self._run(
                "service venv",
                ["bash", "-c", script],
                cwd=self.service,
                env=base_env(),
                timeout=timeout_for("venv", 1800),
            )
            if not outcome.ok:
                shutil.rmtree(venv, ignore_errors=True)
            return venv, outcome

    def service_env(self, database: str = "service.sqlite3") -> dict[str, str]:
        return {
            **base_env(),
            "DJANGO_SECRET_KEY": SECRET_KEY,
            "DECOMPOSE_SERVICE_TOKEN": TOKEN,
            "DECOMPOSE_IDENTITY_KEY": IDENTITY_KEY,
            "DATABASE_URL": f"sqlite:///{self.work / database}",
            "MONOLITH_URL": "http://127.0.0.1:9",
            "MONOLITH_TOKEN": TOKEN,
        }

    def service_manage(self, venv: Path, *args: str, database: str = "service.sqlite3") -> Outcome:
        return self._run(
            f"service {' '.join(args)}",
            [str(venv / "bin" / "python"), "manage.py", *args],
            cwd=self.service,
            env=self.service_env(database),
            timeout=timeout_for("manage", 900),
        )

    @property
    def access_log(self) -> Path:
        return self.logs / "service-access.log"

    @property
    def workers(self) -> int:
        """How many processes run the suite (pytest-xdist's ``-n``): one service each."""
        args = list(self.app.suite_args)
        return int(args[args.index("-n") + 1]) if "-n" in args and args[args.index("-n") + 1].isdigit() else 1

    def added_files(self) -> list[str]:
        """The files the rewire added to the monolith's copy (untracked in its git), relative to it, sorted."""
        listing = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all", "-z"],
            cwd=self.monolith,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return sorted(e[3:] for e in listing.split("\0") if e.startswith("?? "))

    def client_package(self) -> str:
        """The generated client package's dotted name (the folder the rewire added ``testing.py`` to)."""
        found = [rel for rel in self.added_files() if rel.endswith("/testing.py")]
        rel = (self.monolith / found[0]).parent.relative_to(self.project_dir)
        return ".".join(rel.parts)

    def start_service(self, venv: Path, worker: int = 0) -> tuple[Running | None, str, Outcome | None]:
        """The service under gunicorn (two workers) on a free loopback port, on a database of its own migrated
        first (``remote<worker>.sqlite3``), every request in :attr:`access_log`, its data reset after each test
        of the monolith's suite (``DECOMPOSE_TEST_RESET=1``): ``(running, url, None)`` once ``/healthz``
        answers, else ``(None, "", the failed step)``."""
        database = f"remote{worker}.sqlite3"
        migrated = self.service_manage(venv, "migrate", "--noinput", database=database)
        if not migrated.ok:
            return None, "", migrated
        package = json.loads((self.service / "extraction-plan.json").read_text(encoding="utf-8"))["package"]
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if worker == 0:
            self.access_log.unlink(missing_ok=True)
        cmd = [str(venv / "bin" / "gunicorn"), f"{package}.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
        cmd += ["--timeout", "120", "--access-logfile", str(self.access_log)]
        env = {**self.service_env(database), "DECOMPOSE_TEST_RESET": "1",
               "MONOLITH_URL": f"http://127.0.0.1:{self.live_port(worker)}"}  # fmt: skip
        running = self.start(f"service (gunicorn) {worker}", cmd, cwd=self.service, env=env,
                             timeout=timeout_for("suite", 7200))  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if running.proc.poll() is not None:
                return None, "", self.record(running.wait())
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return running, url, None
            time.sleep(0.3)
        running.kill()
        return None, "", self.record(running.wait())

    def start_services(self, venv: Path) -> tuple[list[Running], list[str], Outcome | None]:
        """One service per process of the suite (:attr:`workers`); on a failure, those started are stopped."""
        started: list[Running] = []
        urls: list[str] = []
        for worker in range(self.workers):
            running, url, failed = self.start_service(venv, worker)
            if running is None:
                self.stop_services(started)
                return [], [], failed
            started.append(running)
            urls.append(url)
        return started, urls, None

    def stop_services(self, services: list[Running]) -> None:
        for running in services:
            running.kill()
            self.record(running.wait())

    def service_requests(self) -> dict[str, int]:
        """The requests the service answered (its access log, the start-up's ``/healthz`` probes left out):
        ``"METHOD path-without-query status"`` → count."""
        counts: dict[str, int] = {}
        if not self.access_log.is_file():
            return counts
        for line in self.access_log.read_text(encoding="utf-8", errors="replace").splitlines():
            m = re.search(r'"([A-Z]+) ([^ ?"]+)[^"]*" (\d{3})', line)
            if m is None or m.group(2) in ("/healthz", "/api/v1/_test/reset"):
                continue
            key = f"{m.group(1)} {m.group(2)} {m.group(3)}"
            counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items()))

    def service_pytest(self, venv: Path) -> Outcome:
        return self._run(
            "service pytest",
            [str(venv / "bin" / "python"), "-m", "pytest", "-p", "no:cacheprovider"],
            cwd=self.service,
            env=self.service_env(),
            timeout=timeout_for("pytest", 1800),
        )

    # -- the rewired monolith

    def dependency_files(self) -> list[Path]:
        """The monolith's dependency files: requirements*.txt and pyproject.toml at the root or extract's path."""
        folders = sorted({self.monolith, self.project_dir})
        found = [f for d in folders for f in sorted(d.glob("requirements*.txt"))]
        found += [d / "pyproject.toml" for d in folders if (d / "pyproject.toml").is_file()]
        return found

    def declared(self) -> dict[str, str]:
        """Requirement name → spec, from the rewired monolith's dependency files."""
        specs: dict[str, str] = {}
        for f in self.dependency_files():
            if f.name == "pyproject.toml":
                data = tomllib.loads(f.read_text(encoding="utf-8"))
                lines = list(data.get("project", {}).get("dependencies", []))
            else:
                lines = [ln.split("#", 1)[0].strip() for ln in f.read_text(encoding="utf-8").splitlines()]
            for ln in lines:
                if ln and not ln.startswith("-"):
                    specs.setdefault(_requirement_name(ln), ln)
        return specs

    def client_imports(self) -> dict[str, list[str]]:
        """Third-party distributions the files the rewire ADDED (the client package, migrations) import, each
        with its first importing file: read statically (``ast``), minus the standard library, Django, the
        project's own top-level packages and imports guarded by ``except ImportError``."""
        added = [rel for rel in self.added_files() if rel.endswith(".py")]
        roots = {self.monolith, self.project_dir}
        pins = requirements.monolith_pins(self.project_dir)  # the monolith's own names (i18nfield: django-i18nfield)
        needed: dict[str, list[str]] = {}
        for rel in added:
            tree = ast.parse((self.monolith / rel).read_text(encoding="utf-8"))
            optional = {  # imports under `try: ... except ImportError:` are optional (testing.py's pytest)
                id(inner)
                for node in ast.walk(tree)
                if isinstance(node, ast.Try)
                and any(
                    isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
                    for h in node.handlers
                )
                for stmt in node.body
                for inner in ast.walk(stmt)
            }
            for node in ast.walk(tree):
                if id(node) in optional:
                    continue
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    own = any((r / top).is_dir() or (r / f"{top}.py").is_file() for r in roots)
                    if top in sys.stdlib_module_names or top in ("django", "__future__") or own:
                        continue
                    dist = DISTRIBUTIONS.get(top) or requirements.distribution_for(top, pins, {}) or top
                    dist = dist.lower().replace("_", "-")
                    needed.setdefault(dist, []).append(f"{rel}:{node.lineno}")
        return needed

    def runtime_missing(self) -> dict[str, list[str]]:
        """The client's third-party distributions the rewired monolith's dependency files do not declare."""
        declared = self.declared()
        return {d: where for d, where in self.client_imports().items() if d not in declared}

    def migration_notes(self) -> str:
        """The service's MIGRATION.md (the manual steps the rewire could not do itself), or ""."""
        path = self.service / "MIGRATION.md"
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""

    def runtime_path(self) -> tuple[Path, Outcome | None]:
        """A folder with the client runtime's packages (as declared, else unpinned) that the project's
        cached venv lacks, with their missing dependencies: ``pip install --dry-run --report`` in the
        venv says which, ``pip install --no-deps --target`` puts them in a cached folder."""
        declared = self.declared()
        specs = sorted(declared.get(d, d) for d in self.client_imports())
        venv_python = self.monolith / ".venv" / "bin" / "python"
        stamp = (CACHE / self.app.project / ".realworld-stamp").read_text(encoding="utf-8")
        key = _sha(self.app.project, stamp, *specs)
        target = CACHE / "client-runtime" / key
        with _locked(CACHE / "client-runtime" / f"{key}.lock"):
            if (target / ".complete").is_file():
                return target, None
            shutil.rmtree(target, ignore_errors=True)
            report = self.work / "client-runtime-report.json"
            pip = [str(venv_python), "-m", "pip", "--disable-pip-version-check", "--no-input"]
            outcome = self._run(
                "client runtime (resolve)",
                [*pip, "install", "--dry-run", "--quiet", "--report", str(report), *specs],
                cwd=self.monolith,
                env=base_env(),
                timeout=timeout_for("venv", 900),
            )
            if not outcome.ok:
                return target, outcome
            wanted = [
                f"{i['metadata']['name']}=={i['metadata']['version']}"
                for i in json.loads(report.read_text(encoding="utf-8"))["install"]
            ]
            target.mkdir(parents=True)
            if wanted:
                outcome = self._run(
                    "client runtime",
                    [*pip, "install", "--quiet", "--no-deps", "--target", str(target), *wanted],
                    cwd=self.monolith,
                    env=base_env(),
                    timeout=timeout_for("venv", 900),
                )
            if not outcome.ok:
                shutil.rmtree(target, ignore_errors=True)
                return target, outcome
            (target / ".complete").write_text("".join(f"{w}\n" for w in wanted), encoding="utf-8")
            return target, outcome

    def monolith_env(self, runtime: Path, **extra: str) -> dict[str, str]:
        env = {**base_env(), "PYTHONPATH": str(runtime), **extra}
        if self.app.project == "pretalx":
            env["PRETALX_CONFIG_FILE"] = str(self.monolith / "src" / "tests" / "ci_sqlite.cfg")
        return env

    def remote_env(self, *, configured: bool, url: str = "http://127.0.0.1:9") -> dict[str, str]:
        svc = f"DECOMPOSE_{self.app.app.upper()}"
        env = {f"{svc}_MODE": "remote"}
        if configured:
            env |= {f"{svc}_URL": url, f"{svc}_TOKEN": TOKEN, f"{svc}_IDENTITY_KEY": IDENTITY_KEY}
        return env

    def monolith_check(self, runtime: Path, step: str, **extra: str) -> Outcome:
        return self._run(
            step,
            [str(self.monolith / ".venv" / "bin" / "python"), "manage.py", "check"],
            cwd=self.project_dir,
            env=self.monolith_env(runtime, **extra),
            timeout=timeout_for("manage", 900),
        )

    def start_suite(self, runtime: Path, remote: list[str] | None = None) -> Running:
        """The rewired monolith's whole suite in the background: in local mode, or in remote mode with the
        services at ``remote`` (one URL per process of the suite), reset after each test by the client's test
        support (``<client>.testing``: a pytest plugin, or Django's runner for ``manage.py test``)."""
        cmd = ["bash", str(SCRIPT), "test", self.app.project, "--in", str(self.monolith), *self.app.suite_args]
        if remote is None:
            env = self.monolith_env(runtime)
            return self.start("suite local", cmd, cwd=REPO, env=env, timeout=timeout_for("suite", 7200))
        support = f"{self.client_package()}.testing"
        if self.app.project == "pretalx":
            # the project's testpaths (src/tests) named, as the local run collects them: with a `-p` plugin
            # pytest otherwise fails to import src/tests/conftest.py ("No module named 'tests.conftest'")
            cmd += ["-p", support, "src/tests"]
        else:
            cmd += [f"--testrunner={support}.DiscoverRunner"]
        env = self.monolith_env(runtime, **self.remote_env(configured=True, url=remote[0]))
        env[f"DECOMPOSE_{self.app.app.upper()}_URLS"] = ",".join(remote)
        # the test support serves the monolith to each worker's service at the port the service was started with
        env["DECOMPOSE_MONOLITH_LIVESERVERS"] = ",".join(f"127.0.0.1:{self.live_port(w)}" for w in range(len(remote)))
        env[f"DECOMPOSE_{self.app.app.upper()}_INBOUND_TOKEN"] = TOKEN
        # pytest imports the plugin before it reads the project's pythonpath setting; the project first, so that
        # its own packages (pretalx's src/tests) win over same-named ones of the client runtime's folder
        env["PYTHONPATH"] = os.pathsep.join([str(self.project_dir), env["PYTHONPATH"]])
        return self.start("suite remote", cmd, cwd=REPO, env=env, timeout=timeout_for("suite", 7200))


# --- the benchmark ------------------------------------------------------------------------------


def _row(outcome: Outcome | None, note: str = "") -> dict[str, object]:
    if outcome is None:
        return {"wall": None, "cpu": None, "ok": True, "note": note or "cached"}
    return {"wall": outcome.wall, "cpu": outcome.cpu, "ok": outcome.ok, "note": note}


def _why(outcome: Outcome) -> str:
    """A failed step's cause in one line: the known defects, else the output's last line."""
    defects = known_defects(outcome.output())
    if defects:
        return "; ".join(defects)[:240]
    lines = outcome.output().strip().splitlines()
    return ("new failure: " + (lines[-1].strip() if lines else "no output"))[:240]


def bench_app(app: App, work: Path, pristine: Running | None = None) -> dict[str, dict[str, object]]:
    """Every step of one app in sequence; returns step → wall, CPU, ok, note."""
    chain = Chain(app, work)
    rows: dict[str, dict[str, object]] = {}
    rows["setup"] = _row(setup(app.project, chain.logs))
    rows["copy"] = _row(chain.copy())
    ext = chain.extract()
    rows["extract"] = _row(ext, "" if ext.ok else explain(ext, "extract").splitlines()[1])
    if not ext.ok:
        return rows
    venv, built = chain.service_venv()
    rows["service venv"] = _row(built, "built" if built else "cached")
    if built is None or built.ok:
        for step, args in (
            ("service check", ("check",)),
            ("service migrate", ("migrate", "--noinput")),
            ("service makemigrations --check", ("makemigrations", "--check", "--dry-run")),
        ):
            o = chain.service_manage(venv, *args)
            rows[step] = _row(o, "" if o.ok else _why(o))
        o = chain.service_pytest(venv)
        tail = [ln for ln in o.output().splitlines() if re.search(r"\d+ (passed|failed|error)", ln)]
        rows["service pytest"] = _row(o, tail[-1].strip() if tail else "")
    runtime, installed = chain.runtime_path()
    rows["client runtime"] = _row(installed, "" if installed else "cached")
    missing = chain.runtime_missing()
    for step, extra in (
        ("monolith check (local)", {}),
        ("monolith check (remote, configured)", chain.remote_env(configured=True)),
        ("monolith check (remote, not configured)", chain.remote_env(configured=False)),
    ):
        o = chain.monolith_check(runtime, step, **extra)
        # without URL and token the check must fail, and by decompose's system check, not by a crash
        good = o.ok if "not configured" not in step else not o.ok and refused_by_check(o.output())
        rows[step] = {**_row(o, "" if good else _why(o)), "ok": good}
    if missing:
        rows["monolith check (local)"]["note"] += f" (MIGRATION.md step: add {', '.join(sorted(missing))})"
    suites = {"suite local": chain.start_suite(runtime)}
    if pristine is not None:
        suites["suite pristine"] = pristine
    for name, running in suites.items():
        o = chain.record(running.wait())
        result = parse_suite(o.output())
        unexpected = result.unexpected(app.project)
        note = (result.summary.split(": ", 1)[-1] if result.summary else "no summary") + (
            f"; unexpected failures: {', '.join(unexpected[:5])}" if unexpected else ""
        )
        rows[name] = {
            **_row(o, note),
            "ok": bool(result.summary) and not unexpected and result.failed == result.named,
            "passed": result.passed,
            "failed": result.failed,
            "skipped": result.skipped,
            "failures": list(result.failures),
        }
    if built is None or built.ok:
        rows["suite remote"] = remote_suite(chain, venv, runtime)
    return rows


def remote_suite(chain: Chain, venv: Path, runtime: Path) -> dict[str, object]:
    """The whole suite in remote mode, the service under gunicorn: the figures' row, with the requests the
    service answered (``requests``: total; ``answered``: per method, path and status)."""
    services, urls, failed = chain.start_services(venv)
    if failed is not None:
        return {**_row(failed, "the service did not start: " + _why(failed)), "ok": False}
    try:
        o = chain.record(chain.start_suite(runtime, remote=urls).wait())
    finally:
        chain.stop_services(services)
    result = parse_suite(o.output())
    unexpected = result.unexpected(chain.app.project)
    answered = chain.service_requests()
    note = (result.summary.split(": ", 1)[-1] if result.summary else "no summary") + (
        f"; unexpected failures: {', '.join(unexpected[:5])}" if unexpected else ""
    )
    return {
        **_row(o, note),
        # a failure the output does not name (a test module that failed to import) cannot be told from a flaky one
        "ok": bool(result.summary) and not unexpected and result.failed == result.named and sum(answered.values()) > 0,
        "passed": result.passed,
        "failed": result.failed,
        "skipped": result.skipped,
        "failures": list(result.failures),
        "requests": sum(answered.values()),
        "answered": answered,
    }


def _load() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--app", action="append", choices=sorted(APPS), help="PROJECT:APP (repeatable; default: CHOSEN)")
    ap.add_argument("--pristine", action="store_true", help="also run each project's pristine suite (in sequence)")
    ap.add_argument("--work", type=Path, help="work folder (default: a temporary one, removed after)")
    ap.add_argument("--json", type=Path, help="write the figures as JSON")
    args = ap.parse_args(argv)
    keys = args.app or list(CHOSEN)
    work = args.work or Path(tempfile.mkdtemp(prefix="realworld-bench-"))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout
    meta = {
        "commit": commit.strip(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_start": _load(),
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    results: dict[str, dict[str, dict[str, object]]] = {}
    pristine_done: set[str] = set()
    try:
        for key in keys:
            app = APPS[key]
            pristine = None
            if args.pristine and app.project not in pristine_done:
                pristine_done.add(app.project)
                pristine = pristine_suite(app, work / key.replace(":", "-") / "logs")
            if pristine is not None:  # in sequence: the pristine suite first, alone
                pristine.wait()
            results[key] = bench_app(app, work / key.replace(":", "-"), pristine)
            print(f"{key}: done (load {_load()})", file=sys.stderr, flush=True)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    meta["load_end"] = _load()
    print(
        f"commit {meta['commit']}, Python {meta['python']}, {meta['cpus']} CPUs, "
        f"load {meta['load_start']} -> {meta['load_end']}, {meta['started']}\n"
    )
    print("| app | step | wall s | CPU s | ok | note |\n|---|---|---:|---:|---|---|")
    for key, rows in results.items():
        for i, (step, r) in enumerate(rows.items()):
            wall = "—" if r["wall"] is None else f"{r['wall']:.1f}"
            cpu = "—" if r["cpu"] is None else f"{r['cpu']:.1f}"
            print(f"| {key if i == 0 else ''} | {step} | {wall} | {cpu} | {'yes' if r['ok'] else 'NO'} | {r['note']} |")
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=2, sort_keys=True) + "\n")
    ok = all(bool(r["ok"]) for rows in results.values() for r in rows.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
