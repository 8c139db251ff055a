"""Helpers the tests share: write a small hand-written project, find a free loopback port, run a generated service.

Tests import them by module name (``from projects import write_project``): pytest puts ``tests/`` first
on ``sys.path`` (rootdir-relative test modules without ``__init__.py``).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from click.testing import CliRunner

from decompose.cli import cli

#: ``manage.py`` of a hand-written project whose settings module is ``proj.settings``
MANAGE_PY = """
    import os
    import sys

    if __name__ == "__main__":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
"""


def served_monolith(secret: str, apps: list[str]) -> dict[str, str]:
    """The files a hand-written monolith run beside its service (:func:`monolith_and_service`) starts from:
    ``manage.py``, ``proj/settings.py`` (contenttypes, auth and ``apps``; its database at ``$MONOLITH_DB``) and an
    empty ``proj/urls.py``. A test adds its apps' files to them."""
    installed = ", ".join(f'"{a}"' for a in ["django.contrib.contenttypes", "django.contrib.auth", *apps])
    settings = f"""
        import os

        SECRET_KEY = "{secret}"
        DEBUG = False
        ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
        INSTALLED_APPS = [{installed}]
        ROOT_URLCONF = "proj.urls"
        DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["MONOLITH_DB"]}}}}
        DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
        USE_TZ = True
    """
    return {
        "manage.py": MANAGE_PY,
        "proj/__init__.py": "",
        "proj/settings.py": settings,
        "proj/urls.py": "urlpatterns = []\n",
    }


def write_project(root: Path, files: Mapping[str, str | bytes], *, dedent: bool = True) -> Path:
    """Write ``files`` (path relative to ``root`` → text or bytes) under ``root`` and return it. Text is
    dedented and loses its leading newline (``dedent=False`` writes it as given) and is written as UTF-8;
    bytes are written as they are."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n") if dedent else content, encoding="utf-8")
    return root


def extract_applied(mono: Path, service: str, *, out: Path | None = None) -> Path:
    """``decompose extract --apply --force`` of the app ``service`` of ``mono`` (made a git repository first) into
    ``out`` (``mono``'s sibling ``out/`` by default): the service's folder."""
    subprocess.run(["git", "init", "-q", str(mono)], check=True)
    out = out if out is not None else mono.parent / "out"
    args = ["extract", str(mono), "--service", service, "--apps", service, "--out", str(out), "--apply", "--force"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out / service


def migrate(folder: Path, env: Mapping[str, str]) -> None:
    """``manage.py migrate`` of a project or service folder with ``env``; its output when it fails."""
    done = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=folder, env=dict(env),
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]


def run_json_script(folder: Path, name: str, script: str, env: Mapping[str, str], *, also: Path | None = None) -> Any:
    """``script`` written to ``folder/name`` and run there with ``env``: what it printed, parsed as JSON. When it
    fails, its error output and the end of the log ``also`` (the service's, say)."""
    (folder / name).write_text(script, encoding="utf-8")
    done = subprocess.run([sys.executable, name], cwd=folder, env=dict(env), capture_output=True, text=True,
                          timeout=600, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:] + (also.read_text()[-2000:] if also is not None else "")
    return json.loads(done.stdout)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the OS's pick; a server started right after gets it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env() -> dict[str, str]:
    """This process's environment without the settings of Django, decompose, a database or pytest."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DATABASE_", "MONOLITH_", "DECOMPOSE_", "PYTEST_"))}  # fmt: skip


class RunningService:
    """A generated service (its folder, as ``decompose extract`` wrote it) migrated on its own SQLite database in
    ``tmp`` and served by ``runserver`` on a free loopback port while the ``with`` block runs.
    :meth:`monolith_env` is the environment of the rewired monolith with that service remote."""

    TOKEN = "test-service-token-0123456789abcdef"
    IDENTITY_KEY = "test-identity-key-0123456789abcdef0123"

    def __init__(self, folder: Path, tmp: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"{folder.name}-service.log"
        self.env = {**clean_env(), "DATABASE_URL": f"sqlite:///{tmp / (folder.name + '-service.sqlite3')}",
                    "DECOMPOSE_SERVICE_TOKEN": self.TOKEN, "DJANGO_SECRET_KEY": "test-secret-key-0123456789abcdef",
                    "DECOMPOSE_IDENTITY_KEY": self.IDENTITY_KEY, "MONOLITH_URL": "http://127.0.0.1:9",
                    "MONOLITH_TOKEN": self.TOKEN, "PYTHONDONTWRITEBYTECODE": "1"}  # fmt: skip
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> RunningService:
        migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=self.folder, env=self.env,
                                 capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
        assert migrate.returncode == 0, migrate.stderr[-2000:]
        with self.log.open("w") as log:
            self.proc = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
                                         cwd=self.folder, env=self.env, stdout=log, stderr=log)  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise AssertionError(self.log.read_text()[-3000:])
            time.sleep(0.2)

    def monolith_env(self, service: str) -> dict[str, str]:
        prefix = "DECOMPOSE_" + service.upper().replace("-", "_")
        return {**clean_env(), f"{prefix}_MODE": "remote", f"{prefix}_URL": self.url, f"{prefix}_TOKEN": self.TOKEN,
                f"{prefix}_IDENTITY_KEY": self.IDENTITY_KEY}  # fmt: skip

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _serve(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{url}: the server exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not start")


@contextmanager
def monolith_and_service(mono: Path, service: Path, name: str, tmp: Path, *, token: str, identity_key: str,
                         secret: str) -> Iterator[dict[str, object]]:  # fmt: skip
    """A rewired hand-written monolith (its database ``MONOLITH_DB``) with ``name`` remote and its service, each
    migrated and served by ``runserver`` on its own loopback port, each knowing the other, while the block runs:
    ``mono_env``, ``svc_env``, ``mono_url``, ``mono_log``, ``svc_log``, ``db`` (the monolith's), ``svc_db``."""
    mono_port, svc_port = free_port(), free_port()
    prefix = "DECOMPOSE_" + name.upper().replace("-", "_")
    mono_env = {**clean_env(), "MONOLITH_DB": str(tmp / "mono.sqlite3"), "PYTHONDONTWRITEBYTECODE": "1",
                f"{prefix}_MODE": "remote", f"{prefix}_URL": f"http://127.0.0.1:{svc_port}", f"{prefix}_TOKEN": token,
                f"{prefix}_INBOUND_TOKEN": token, f"{prefix}_IDENTITY_KEY": identity_key}  # fmt: skip
    svc_env = {**clean_env(), "DATABASE_URL": f"sqlite:///{tmp / 'svc.sqlite3'}", "DECOMPOSE_SERVICE_TOKEN": token,
               "DJANGO_SECRET_KEY": secret, "DECOMPOSE_IDENTITY_KEY": identity_key,
               "MONOLITH_URL": f"http://127.0.0.1:{mono_port}", "MONOLITH_TOKEN": token, "PYTHONDONTWRITEBYTECODE": "1",
               "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost"}  # fmt: skip
    for folder, env in ((mono, mono_env), (service, svc_env)):
        run = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=folder, env=env,
                             capture_output=True, text=True, timeout=300)  # fmt: skip
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    mono_log, svc_log = tmp / "mono.log", tmp / "svc.log"
    procs: list[subprocess.Popen[str]] = []
    try:
        for folder, env, port, log in ((mono, mono_env, mono_port, mono_log), (service, svc_env, svc_port, svc_log)):
            with log.open("a") as handle:
                proc = subprocess.Popen(
                    [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                    cwd=folder, env=env, stdout=handle, stderr=handle, text=True,
                )  # fmt: skip
            procs.append(proc)
            _serve(f"http://127.0.0.1:{port}/", proc)
        yield {"mono_env": mono_env, "svc_env": svc_env, "mono_url": f"http://127.0.0.1:{mono_port}",
               "mono_log": mono_log, "svc_log": svc_log, "db": tmp / "mono.sqlite3", "svc_db": tmp / "svc.sqlite3"}  # fmt: skip
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
