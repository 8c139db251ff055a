"""The client module imports nothing of the moved code until a name is asked for (issue 13).

pretalx schedule: a staying *model* module (``submission/models/submission.py``) imported a moved
model; the rewire re-pointed that import at the client module, which imported every moved model at
module level, among them the one whose module was still being imported: a circular import, and
the rewired monolith did not start even in local mode. The client now looks each name up on first
use (PEP 562), importing only its defining module, as the original line did.

pretalx mail: a default copied into a client signature without its import
(``timeout=socket._GLOBAL_DEFAULT_TIMEOUT``) was a NameError when the client was imported: such a
default is left to the called code (``exports.UNSET``), in-process and over HTTP.

The monolith is tests/fixtures/rewire/mini (billing moves out, sales stays), changed into that shape.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest

from decompose.extract.changeset import apply_changes
from decompose.extract.client.exports import portable_default
from decompose.extract.plan import build_plan
from decompose.extract.plan.index import index_project
from decompose.extract.rewire import rewire

FIXTURE = Path(__file__).parent / "fixtures" / "rewire" / "mini"

FILES = {
    # billing's models become a package whose first model module imports staying code at import time
    "billing/models/__init__.py": """
        from billing.models.invoice import Invoice
        from billing.models.credit import Credit

        __all__ = ["Credit", "Invoice"]
    """,
    "billing/models/invoice.py": """
        from django.db import models

        from sales.helpers import credit_label


        class Invoice(models.Model):
            number = models.CharField(max_length=20, unique=True)
            amount = models.DecimalField(max_digits=10, decimal_places=2)
            paid = models.BooleanField(default=False)

            class Meta:
                app_label = "billing"

            def label(self):
                return credit_label(self.pk)
    """,
    "billing/models/credit.py": """
        from django.db import models


        class Credit(models.Model):
            invoice_id = models.BigIntegerField()
            amount = models.DecimalField(max_digits=10, decimal_places=2)

            class Meta:
                app_label = "billing"
    """,
    # a staying module that the moved models import, and that imports a moved model itself
    "sales/helpers.py": """
        from billing.models.credit import Credit
        from billing.smtp import connect


        def credit_label(invoice_id):
            return f"{Credit.objects.filter(invoice_id=invoice_id).count()} credit(s)"


        def reach(host):
            return connect(host)
    """,
    # a moved function whose default names a module the client does not import
    "billing/smtp.py": """
        import socket


        def connect(host: str, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, retries=3, *, label=("a", 1)):
            return {"host": host, "default_timeout": timeout is socket._GLOBAL_DEFAULT_TIMEOUT,
                    "timeout": None if timeout is socket._GLOBAL_DEFAULT_TIMEOUT else timeout,
                    "retries": retries, "label": list(label)}
    """,
}


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    root = tmp_path / "mini"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    (root / "billing" / "models.py").unlink()
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(dedent(text).lstrip(), encoding="utf-8")
    return root


def _rewired(root: Path) -> dict[str, str]:
    plan = build_plan(index_project(root, use_cache=False), "billing", ["billing"])
    changes = rewire(plan, root).changes
    apply_changes(root, changes, force=True)
    return changes


def _env(root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DECOMPOSE_", "DATABASE_"))}
    env.update(PYTHONPATH=str(root), PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


def _python(script: str, root: Path, env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", dedent(script)], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_rewired_monolith_starts_when_a_model_module_imports_the_client(mini: Path, tmp_path: Path) -> None:
    pytest.importorskip("django")
    changes = _rewired(mini)
    assert "from mini.services.billing import Credit" in changes["sales/helpers.py"]
    env = _env(mini, DATABASE_PATH=str(tmp_path / "db.sqlite3"))
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=mini, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]  # before: ImportError, a circular import
    assert "no issues" in done.stdout
    tree = ast.parse(changes["mini/services/billing.py"])
    top_imports = [
        n.module if isinstance(n, ast.ImportFrom) else n.names[0].name
        for n in tree.body
        if isinstance(n, (ast.Import, ast.ImportFrom))
    ]
    assert not [m for m in top_imports if m and m.split(".")[0] in ("billing", "sales")]  # nothing moved, eagerly
    assert not [n for n in tree.body if isinstance(n, ast.If)]  # no "if local: from billing... import ..." block


LAZY = """
    import json, sys
    import django
    from django.conf import settings
    settings.configure(INSTALLED_APPS=["django.contrib.contenttypes"], DECOMPOSE_SERVICES={"billing": {"mode": "local"}})
    django.setup()
    from mini.services import billing as client
    out = {"imported": sorted(m for m in sys.modules if m.split(".")[0] in ("billing", "sales")),
           "models": sorted(client.MODELS)}
    try:
        client.Nothing
    except AttributeError as exc:
        out["missing"] = str(exc)
    print(json.dumps(out))
"""

LOCAL = """
    import json, socket, sys
    import django
    django.setup()
    from mini.services.billing import MODELS, Credit, connect
    import billing.models.credit as defining
    out = {"same": Credit is defining.Credit and MODELS["billing.Credit"] is Credit,
           "default": connect("h"), "given": connect("h", timeout=5, retries=1, label=("b", 2))}
    print(json.dumps(out))
"""


def test_names_are_looked_up_on_use_and_defaults_stay_with_the_called_code(mini: Path, tmp_path: Path) -> None:
    pytest.importorskip("django")
    changes = _rewired(mini)
    out = _python(LAZY, mini, _env(mini))  # before: the client imported every moved model (here: a cycle)
    assert out["imported"] == []  # importing the client imported no moved (or staying) module
    assert out["models"] == ["billing.Credit", "billing.Invoice"]
    assert "has no attribute 'Nothing'" in out["missing"]  # type: ignore[operator]
    out = _python(LOCAL, mini, _env(mini, DJANGO_SETTINGS_MODULE="mini.settings",
                                    DATABASE_PATH=str(tmp_path / "db.sqlite3")))  # fmt: skip
    assert out["same"] is True
    assert out["default"] == {"host": "h", "default_timeout": True, "timeout": None, "retries": 3, "label": ["a", 1]}
    assert out["given"] == {"host": "h", "default_timeout": False, "timeout": 5, "retries": 1, "label": ["b", 2]}
    assert "timeout=exports.UNSET, retries=3, *, label=('a', 1)" in changes["mini/services/billing.py"]


REMOTE = r"""
    import json, sys, threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    bodies = []

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a): pass
        def do_POST(self):
            bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            data = json.dumps({"result": None}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    import django
    from django.conf import settings
    settings.configure(INSTALLED_APPS=["django.contrib.contenttypes"], DECOMPOSE_SERVICES={"billing": {
        "mode": "remote", "token": "t", "url": f"http://127.0.0.1:{server.server_address[1]}"}})
    django.setup()
    from mini.services.billing import MODELS, Credit, connect
    connect("h")
    connect("h", timeout=2.5)
    print(json.dumps({"credit": [c.__name__ for c in Credit.__mro__], "same": MODELS["billing.Credit"] is Credit,
                      "bodies": bodies, "imported": sorted(m for m in sys.modules if m.split(".")[0] == "billing")}))
"""


def test_remote_mode_sends_only_the_defaults_the_client_can_carry(mini: Path) -> None:
    pytest.importorskip("httpx")
    _rewired(mini)
    out = _python(REMOTE, mini, _env(mini))
    assert "RemoteInstance" in out["credit"]  # type: ignore[operator]  # the remote ORM's stand-in
    assert out["same"] is True  # made once
    assert out["imported"] == []
    assert out["bodies"] == [
        {"host": "h", "retries": 3, "label": ["a", 1]},
        {"host": "h", "timeout": 2.5, "retries": 3, "label": ["a", 1]},
    ]


@pytest.mark.parametrize(
    ("default", "portable"),
    [
        (None, True),
        ("None", True),
        ("-1", True),
        ("('a', 1)", True),
        ("{'k': [1, 2.5]}", True),
        ("socket._GLOBAL_DEFAULT_TIMEOUT", False),
        ("settings.TIMEOUT", False),
        ("Mode.HTML", False),
        ("object()", False),
        ("dict", False),
    ],
)
def test_which_defaults_the_client_carries(default: str | None, portable: bool) -> None:
    assert portable_default(default) is portable
