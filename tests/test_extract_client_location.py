"""Where the rewire puts the monolith's client package (issue 13): a real package of the project that
git does not ignore (so committing the rewiring keeps it), never inside a settings package, and
configurable with ``[tool.decompose.extract] client_package``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from decompose.errors import ConfigError, InputError
from decompose.extract.plan import build_plan
from decompose.extract.plan.index import index_project
from decompose.extract.rewire import rewire

FIXTURE = Path(__file__).parent / "fixtures" / "rewire" / "mini"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    root = tmp_path / "mini"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    return root


def _rewire(root: Path, client_package: str | None = None):  # type: ignore[no-untyped-def]
    plan = build_plan(index_project(root, use_cache=False), "billing", ["billing"])
    return rewire(plan, root, client_package)


def _client_files(changes: dict[str, str]) -> set[str]:
    return {rel for rel in changes if rel.endswith(("/runtime.py", "/checks.py", "/billing.py", ".plan.json"))}


def test_by_default_next_to_the_settings_module(mini: Path) -> None:
    r = _rewire(mini)
    assert r.client is not None and (r.client.package, r.client.folder) == ("mini.services", "mini/services")
    assert r.client.reason == "next to the settings module"
    assert _client_files(r.changes) == {"mini/services/runtime.py", "mini/services/checks.py",
                                        "mini/services/billing.py", "mini/services/billing.plan.json"}
    assert "the client package is mini.services (mini/services/: next to the settings module)" in r.notes


def test_a_settings_package_is_skipped(mini: Path) -> None:
    settings = (mini / "mini" / "settings.py").read_text(encoding="utf-8")
    (mini / "mini" / "settings.py").unlink()
    (mini / "mini" / "settings").mkdir()
    (mini / "mini" / "settings" / "__init__.py").write_text("", encoding="utf-8")
    (mini / "mini" / "settings" / "dev.py").write_text(settings.replace("parent.parent", "parent.parent.parent"),
                                                       encoding="utf-8")
    manage = (mini / "manage.py").read_text(encoding="utf-8")
    (mini / "manage.py").write_text(manage.replace('"mini.settings"', '"mini.settings.dev"'), encoding="utf-8")
    r = _rewire(mini)
    assert r.client is not None and r.client.package == "mini.services"
    assert "mini/settings/services/runtime.py" not in r.changes and "mini/services/runtime.py" in r.changes
    assert 'INSTALLED_APPS = [' in r.changes["mini/settings/dev.py"] and '] + ["mini.services"]' in \
        r.changes["mini/settings/dev.py"]


def test_a_place_git_ignores_is_not_used(mini: Path) -> None:
    subprocess.run(["git", "init", "-q", str(mini)], check=True)
    (mini / ".gitignore").write_text("/mini/services/\n", encoding="utf-8")
    r = _rewire(mini)
    assert r.client is not None and (r.client.package, r.client.folder) == ("services", "services")
    assert r.client.reason == "at the import root; not mini.services (ignored by git)"
    assert "services/runtime.py" in r.changes and not any(rel.startswith("mini/services/") for rel in r.changes)
    assert '] + ["services"]' in r.changes["mini/settings.py"]
    assert "from services.billing import create_invoice, invoice_total" in r.changes["sales/services.py"]


def test_every_place_ignored_is_an_error_naming_each(mini: Path) -> None:
    subprocess.run(["git", "init", "-q", str(mini)], check=True)
    (mini / ".gitignore").write_text("services/\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"no place for the client package: mini.services \(ignored by git\), "
                                         r"services \(ignored by git\); set \[tool.decompose.extract\] client_package"):
        _rewire(mini)


def test_configured_in_pyproject(mini: Path) -> None:
    (mini / "pyproject.toml").write_text('[tool.decompose.extract]\nclient_package = "mini.clients"\n',
                                         encoding="utf-8")
    r = _rewire(mini)
    assert r.client is not None and r.client.reason == "client_package in pyproject.toml [tool.decompose]"
    assert "mini/clients/billing.py" in r.changes and "mini/clients/checks.py" in r.changes
    assert "from mini.clients.billing import create_invoice, invoice_total" in r.changes["sales/services.py"]
    assert '] + ["mini.clients"]' in r.changes["mini/settings.py"]
    assert 'name = "mini.clients"' in r.changes["mini/clients/apps.py"]
    assert 'include("mini.clients.urls")' in r.changes["mini/urls.py"]


def test_the_argument_wins_and_an_ignored_choice_is_an_error(mini: Path) -> None:
    r = _rewire(mini, "sales.clients")
    assert r.client is not None and (r.client.folder, r.client.reason) == ("sales/clients", "--client-package")
    subprocess.run(["git", "init", "-q", str(mini)], check=True)
    (mini / ".gitignore").write_text("sales/clients/\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"^--client-package: sales.clients \(sales/clients/\) is ignored by git"):
        _rewire(mini, "sales.clients")


def test_a_bad_configured_name_is_a_config_error(mini: Path) -> None:
    (mini / "pyproject.toml").write_text('[tool.decompose.extract]\nclient_package = "mini/clients"\n',
                                         encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[extract\] `client_package` must be a dotted module name"):
        _rewire(mini)


def test_the_cli_option_places_the_clients_and_a_bad_name_is_a_usage_error(mini: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from decompose.cli import cli

    bad = CliRunner().invoke(cli, ["extract", str(mini), "--service", "billing", "--apps", "billing",
                                   "--out", str(tmp_path / "out"), "--client-package", "mini/x"])
    assert bad.exit_code == 2 and "--client-package 'mini/x': not a dotted module name" in bad.output
    ok = CliRunner().invoke(cli, ["extract", str(mini), "--service", "billing", "--apps", "billing",
                                  "--out", str(tmp_path / "out"), "--client-package", "mini.clients"])
    assert ok.exit_code == 0, ok.output
    diff = (tmp_path / "out" / "billing.monolith.diff").read_text(encoding="utf-8")
    assert "+++ b/mini/clients/billing.py" in diff and "mini/services/" not in diff
    migration = (tmp_path / "out" / "billing" / "MIGRATION.md").read_text(encoding="utf-8")
    assert "through `mini.clients.billing`" in migration
