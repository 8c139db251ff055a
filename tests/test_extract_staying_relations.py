"""Staying models' foreign keys to a moved model (issue 13: the rewired monolith passes its suite in local mode).

Extracting the sample's ``catalog`` cuts nine relations of staying models to ``catalog.Product`` /
``catalog.Category`` (prices, stock, cart and order lines, reviews...). They used to become bare
``<name>_id`` integer fields in the monolith's source, so even LOCAL mode broke: Meta ``ordering`` and
admin options named a field that was gone (``manage.py check`` failed), and every
``filter(product=...)``, ``line.product`` and ``select_related("product")`` of staying code failed
(``FieldError: Cannot resolve keyword 'product'``). Now each is the client's ``ServiceForeignKey``: the
relation without its database constraint when local, the id (read from the service on access) when remote.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from projects import free_port

from decompose.cli import cli

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.e2e


def _env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "DECOMPOSE_", "PYTEST_"))}
    return {**base, **extra}


@pytest.fixture(scope="module")
def monolith(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("staying-relations")
    root = tmp / "monolith"
    shutil.copytree(ROOT / "sample_monolith", root, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    result = CliRunner().invoke(
        cli, ["extract", str(root), "--service", "catalog", "--apps", "catalog", "--out", str(tmp / "out"),
              "--apply", "--force"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    yield root


def _run(root: Path, args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=root, env=_env(**env), capture_output=True, text=True,
                          timeout=600, check=False)  # fmt: skip


def test_the_relations_become_service_relations_with_one_data_safe_migration(monolith: Path) -> None:
    models = (monolith / "pricing" / "models.py").read_text(encoding="utf-8")
    assert 'product = ServiceForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="prices", ' \
        'service="catalog")' in models
    migration = (monolith / "pricing" / "migrations" / "0002_decompose_cut_catalog.py").read_text(encoding="utf-8")
    assert "migrations.AlterField(" in migration and "RemoveField" not in migration and "DeleteModel" not in migration


def test_local_mode_starts_has_no_pending_migration_and_passes_the_whole_suite(monolith: Path) -> None:
    check = _run(monolith, ["manage.py", "check"])
    assert check.returncode == 0, check.stderr[-3000:]
    pending = _run(monolith, ["manage.py", "makemigrations", "--check", "--dry-run"])
    assert pending.returncode == 0 and "No changes detected" in pending.stdout, pending.stdout + pending.stderr
    suite = _run(monolith, ["-m", "pytest", "-q", "-p", "no:cacheprovider"])
    assert suite.returncode == 0, suite.stdout[-4000:]  # joins, select_related("product"), line.product: as before


class _FakeCatalog(BaseHTTPRequestHandler):
    """The catalog service's query endpoint: every read answers one product; the requests are recorded."""

    seen: list[tuple[str, dict[str, object]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.seen.append((self.path, body))
        data = json.dumps({"result": {"id": 7, "name": "Mug", "sku": "MUG-1"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


REMOTE_SCRIPT = """
import django
from types import SimpleNamespace

django.setup()
from django.core.exceptions import FieldError
from pricing.models import ProductPrice

print("SQL", str(ProductPrice.objects.filter(product=SimpleNamespace(pk=5)).query))
price = ProductPrice(product=SimpleNamespace(pk=7))
print("ID", price.product_id)
print("NAME", price.product.name, price.product.name)
try:
    str(ProductPrice.objects.filter(product__name="Mug").query)
except FieldError as exc:
    print("JOIN", exc)
"""


def test_remote_mode_holds_the_id_and_reads_the_object_from_the_service(monolith: Path) -> None:
    _FakeCatalog.seen = []
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), _FakeCatalog)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        out = _run(
            monolith, ["-c", REMOTE_SCRIPT], DJANGO_SETTINGS_MODULE="shop.settings", DECOMPOSE_CATALOG_MODE="remote",
            DECOMPOSE_CATALOG_URL=f"http://127.0.0.1:{port}", DECOMPOSE_CATALOG_TOKEN="t0ken",
            DECOMPOSE_CATALOG_IDENTITY_KEY="k" * 32,
        )  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    assert out.returncode == 0, out.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines() if " " in line)
    assert '"pricing_productprice"."product_id" = 5' in lines["SQL"]
    assert lines["ID"] == "7"
    assert lines["NAME"] == "Mug Mug"
    assert [path for path, _body in _FakeCatalog.seen] == ["/api/v1/query/catalog/Product"]  # once, then cached
    assert lines["JOIN"] == (  # a join into the moved model: a FieldError naming it, never a wrong answer
        "pricing.ProductPrice.product holds the id of catalog.Product, whose rows live in the catalog service: "
        "'product__name' would join its table, which is not in this database (read the ids here, then ask the service)"
    )
