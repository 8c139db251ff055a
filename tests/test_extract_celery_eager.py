"""The service runs Celery tasks eagerly where the monolith's settings do (issue 14).

pretalx sets ``CELERY_TASK_ALWAYS_EAGER = True`` when no broker is configured (an ``else`` branch): its test
suite runs tasks in the calling process. The extracted schedule service had no such setting, so in the monolith's
suite in remote mode a moved task the service queued went to a broker that was not there (``amqp ... Connection
refused``, 15 failing tests of three files). Now the monolith's settings are read (as text) for an eager setting
set to True, and the service's settings set it too: always when the monolith's settings module does so
unconditionally, else when the service was started for the monolith's test suite (``DECOMPOSE_TEST_RESET=1``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from projects import MANAGE_PY, clean_env, write_project

from decompose.cli import cli

SETTINGS = """
    import os

    SECRET_KEY = "celery-eager-secret"
    INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "core", "billing"]
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
    DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
"""

#: the settings' Celery part (pretalx's shape: eager when no broker is configured) → the service's eager setting
#: started for the monolith's test suite, and otherwise
CASES = {
    "conditional": (
        """
        if os.environ.get("BROKER"):
            CELERY_BROKER_URL = os.environ["BROKER"]
            CELERY_TASK_ALWAYS_EAGER = False
        else:
            CELERY_TASK_ALWAYS_EAGER = True
        """,
        [True, False],
    ),
    "always": ("CELERY_TASK_ALWAYS_EAGER = True\nCELERY_TASK_EAGER_PROPAGATES = True\n", [True, True]),
    "never": ('CELERY_BROKER_URL = "redis://localhost"\n', [None, None]),
}

PROJECT = {
    "manage.py": MANAGE_PY,
    "proj/__init__.py": "",
    "core/__init__.py": "",
    "core/models.py": "",
    "core/jobs.py": """
        from billing.tasks import count_invoices


        def count_later():
            return count_invoices.delay()
    """,
    "billing/__init__.py": "",
    "billing/models.py": """
        from django.db import models


        class Invoice(models.Model):
            number = models.CharField(max_length=20)
    """,
    "billing/migrations/__init__.py": "",
    "billing/tasks.py": """
        from celery import shared_task

        from billing.models import Invoice


        @shared_task
        def count_invoices():
            return Invoice.objects.count()
    """,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_service_runs_tasks_eagerly_where_the_monolith_does(case: str, tmp_path: Path) -> None:
    pytest.importorskip("rest_framework")
    celery, expected = CASES[case]
    settings = textwrap.dedent(SETTINGS).lstrip("\n") + textwrap.dedent(celery).lstrip("\n")
    mono = write_project(tmp_path / "mono", {**PROJECT, "proj/settings.py": settings})
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["extract", str(mono), "--service", "billing", "--apps", "billing", "--out", str(out), "--no-rewire"]
    )
    assert result.exit_code == 0, result.output
    service = out / "billing"
    text = (service / "billing_service" / "settings.py").read_text()
    if case == "conditional":  # where the monolith's value comes from, for the reader
        assert "# the monolith: proj/settings.py:" in text
    probe = (
        "import json; from django.conf import settings\n"
        "print(json.dumps([getattr(settings, 'CELERY_TASK_ALWAYS_EAGER', None),"
        " getattr(settings, 'CELERY_TASK_EAGER_PROPAGATES', None)]))"
    )
    values = []
    for reset in ("1", "0"):
        env = {**clean_env(), "DJANGO_SETTINGS_MODULE": "billing_service.settings", "DECOMPOSE_TEST_RESET": reset,
               "DJANGO_SECRET_KEY": "celery-eager-secret-key-0123456789", "PYTHONDONTWRITEBYTECODE": "1",
               "DATABASE_URL": f"sqlite:///{tmp_path / 'svc.sqlite3'}", "PYTHONPATH": os.pathsep.join([str(service)])}  # fmt: skip
        run = subprocess.run([sys.executable, "-c", probe], cwd=service, env=env, capture_output=True, text=True,
                             timeout=120)  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        values.append(json.loads(run.stdout.strip().splitlines()[-1]))
    started_for_tests, otherwise = values
    assert [started_for_tests[0], otherwise[0]] == expected
    if case == "always":
        assert started_for_tests[1] is True and otherwise[1] is True
