"""`check --init` then `check` on the sample monolith; a new cross-app ORM query fails it.

Also the contracts written for others: from a proposal, after an extraction (extraction_contract +
merge_contracts), and the import-linter / tach exports.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from decompose.check import extraction_contract, merge_contracts
from decompose.cli import cli

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_monolith"
SHOP = Path(__file__).parent / "fixtures" / "check" / "shop"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("sample") / "sample_monolith"
    shutil.copytree(SAMPLE, dest, ignore=shutil.ignore_patterns(".decompose-cache", "__pycache__", "*.sqlite3"))
    return dest


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, ["check", *args])
    return r.exit_code, r.stdout, r.stderr


def test_init_then_check_passes_and_a_new_orm_query_fails(sample: Path) -> None:
    code, _, err = run(str(sample), "--init")
    assert code == 0, err
    assert "they hold today" in err
    config = tomllib.loads((sample / "decompose.toml").read_text())
    types = {c["type"] for c in config["check"]["contracts"]}
    assert types == {"public_api", "layers", "acyclic"}
    code, _, err = run(str(sample))
    assert code == 0, err
    # a second --init refuses to overwrite
    code, _, err = run(str(sample), "--init")
    assert code == 2 and "already configured" in err
    # catalog (a low layer) queries the orders app's models
    services = sample / "catalog" / "services.py"
    original = services.read_text()
    services.write_text(
        original + "\n\ndef times_ordered(product_id):\n    from orders.models import OrderLine\n\n"
        "    return OrderLine.objects.filter(product_id=product_id).count()\n"
    )
    try:
        line = (
            services.read_text()
            .splitlines()
            .index("    return OrderLine.objects.filter(product_id=product_id).count()")
            + 1
        )
        code, out, _ = run(str(sample), "--format", "json")
        assert code == 1
        data = json.loads(out)
        orm = [(c["name"], v) for c in data["contracts"] for v in c["violations"] if v["kind"] == "orm"]
        assert orm and all((v["path"], v["line"]) == ("catalog/services.py", line) for _, v in orm)
        assert {v["target"] for _, v in orm} == {"orders.models"}
        assert "layers: dependency order" in {name for name, _ in orm}
        code, _, err = run(str(sample))
        assert code == 1 and f"catalog/services.py:{line}  orm  catalog.services -> orders.models OrderLine" in err
    finally:
        services.write_text(original)


def test_init_from_a_proposal(sample: Path, tmp_path: Path) -> None:
    target = tmp_path / "contracts.toml"
    code, _, err = run(str(sample), "--init", "--proposal", str(SAMPLE / "decomposition.toml"), "--config", str(target))
    assert code == 0, err
    config = tomllib.loads(target.read_text())["check"]
    assert config["groups"]["ordering"] == ["cart", "orders"] and config["groups"]["shared_kernel"] == ["core"]
    apis = {c["app"] for c in config["contracts"] if c["type"] == "public_api"}
    assert {"ordering", "service_payments", "shared_kernel"} <= apis  # a service named like an app gets a prefix
    acyclic = next(c for c in config["contracts"] if c["type"] == "acyclic")
    assert "ordering" in acyclic["units"]
    assert run(str(sample), "--config", str(target))[0] == 0
    code, out, _ = run(str(sample), "--init", "--print", "--proposal", str(SAMPLE / "decomposition.toml"))
    assert code == 0 and "[[check.contracts]]" in out


def test_extraction_contract_merges_deterministically_and_gates(tmp_path: Path) -> None:
    c = extraction_contract("payments", ["payments"], "web.urls")
    assert c["type"] == "forbidden" and c["from"] == ["*"] and c["to"] == ["payments"] and c["allow"] == ["web.urls"]
    pyproject = '[project]\nname = "shop"  # keep me\n\n[tool.ruff]\nline-length = 100\n'
    merged = merge_contracts(pyproject, [c], pyproject=True)
    assert merged.startswith(pyproject) and "# keep me" in merged
    assert merge_contracts(merged, [c], pyproject=True) == merged  # idempotent
    assert merge_contracts(pyproject, [c], pyproject=True) == merged  # deterministic
    other = extraction_contract("catalog", ["catalog"], "web.catalog_client")
    both = merge_contracts(merged, [other], pyproject=True)
    names = [x["name"] for x in tomllib.loads(both)["tool"]["decompose"]["check"]["contracts"]]
    assert names == [c["name"], other["name"]]
    # it gates: the shop reaches payments only through web.urls
    shop = tmp_path / "shop"
    shutil.copytree(SHOP, shop)
    (shop / "decompose.toml").write_text(merge_contracts("", [c], pyproject=False))
    assert run(str(shop), "--no-cache")[0] == 0
    (shop / "web" / "views.py").write_text(
        (shop / "web" / "views.py").read_text() + "\nfrom payments.models import Payment\n"
    )
    code, out, _ = run(str(shop), "--no-cache", "--format", "json")
    assert code == 1
    assert [(v["path"], v["kind"]) for v in json.loads(out)["contracts"][0]["violations"]] == [
        ("web/views.py", "import")
    ]


def test_exports_say_what_they_cannot_express(tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    shutil.copytree(SHOP, shop)
    (shop / "decompose.toml").write_text(
        "[check]\n"
        '[[check.contracts]]\nname = "orders api"\ntype = "public_api"\napp = "orders"\napi = ["orders.services"]\n'
        '[[check.contracts]]\nname = "dag"\ntype = "acyclic"\n'
        '[[check.contracts]]\nname = "no fk"\ntype = "forbidden"\nfrom = ["orders"]\nto = ["catalog"]\nkinds = ["fk"]\n'
    )
    r = CliRunner().invoke(cli, ["check", str(shop), "--no-cache", "--export", "import-linter"])
    assert r.exit_code == 0, r.stderr
    il = tomllib.loads(r.stdout)["tool"]["importlinter"]
    assert il["root_packages"] == ["catalog", "core", "orders", "payments", "shop", "web"]
    assert [c["name"] for c in il["contracts"]] == ["orders api"]
    assert il["contracts"][0]["type"] == "protected" and "orders.models" in il["contracts"][0]["protected_modules"]
    assert "orders.services" not in il["contracts"][0]["protected_modules"]
    assert "'no fk' (forbidden): checks no imports (fk); left out" in r.stderr
    assert "acyclic" in r.stderr and "imports only are exported" in r.stderr
    out = tmp_path / "tach.toml"
    r = CliRunner().invoke(cli, ["check", str(shop), "--no-cache", "--export", "tach", "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    tach = tomllib.loads(out.read_text())
    assert tach["forbid_circular_dependencies"] is True
    assert tach["interfaces"] == [{"expose": [r"services(\..*)?"], "from": ["orders"]}]


@pytest.mark.e2e
def test_extraction_contract_holds_after_extract_apply_and_catches_recoupling(tmp_path: Path) -> None:
    """The contract `extract --apply` is to add: kept by the rewired monolith, broken by a new ORM query."""
    project = tmp_path / "sample_monolith"
    shutil.copytree(SAMPLE, project, ignore=shutil.ignore_patterns(".decompose-cache", "__pycache__", "*.sqlite3"))
    r = CliRunner().invoke(
        cli,
        [
            "extract",
            str(project),
            "--service",
            "payments",
            "--apps",
            "payments",
            "--apply",
            "--force",
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert r.exit_code == 0, r.output
    contract = extraction_contract(
        "payments", ["payments"], "shop.services", settings_modules=["shop.settings"], urlconf="shop.urls"
    )
    (project / "decompose.toml").write_text(merge_contracts("", [contract], pyproject=False))
    code, _, err = run(str(project), "--no-cache")
    assert code == 0, err
    views = project / "web" / "views.py"
    views.write_text(
        views.read_text() + "\n\ndef latest_payments():\n    from payments.models import Payment\n\n"
        "    return list(Payment.objects.order_by('-id')[:5])\n"
    )
    line = views.read_text().splitlines().index("    return list(Payment.objects.order_by('-id')[:5])") + 1
    code, out, _ = run(str(project), "--no-cache", "--format", "json")
    assert code == 1
    found = {(v["path"], v["line"], v["kind"]) for v in json.loads(out)["contracts"][0]["violations"]}
    assert found == {("web/views.py", line - 2, "import"), ("web/views.py", line, "orm")}


def test_init_from_a_module_level_proposal_names_modules_exactly(sample: Path, tmp_path: Path) -> None:
    """A module-level proposal may split a package (web.management.commands in another service than web)."""
    proposal = tmp_path / "modules.json"
    r = CliRunner().invoke(cli, ["propose", str(sample), "--level", "module", "-o", str(proposal), "--format", "json"])
    assert r.exit_code == 0, r.stderr
    target = tmp_path / "module-contracts.toml"
    code, _, err = run(str(sample), "--init", "--proposal", str(proposal), "--config", str(target))
    assert code == 0, err
    groups = tomllib.loads(target.read_text())["check"]["groups"]
    exact = [m for members in groups.values() for m in members if m.startswith("=")]
    assert exact, "a package split across services is named module by module"
    code, _, err = run(str(sample), "--config", str(target))
    assert code == 0, err
    # --force replaces the groups too: none of the module-level proposal's is left behind
    code, _, err = run(
        str(sample), "--init", "--force", "--proposal", str(SAMPLE / "decomposition.toml"), "--config", str(target)
    )
    assert code == 0, err
    assert set(tomllib.loads(target.read_text())["check"]["groups"]) == {
        "identity",
        "service_catalog",
        "service_inventory",
        "ordering",
        "service_payments",
        "fulfilment",
        "service_notifications",
        "service_reviews",
        "service_reporting",
        "storefront",
        "shared_kernel",
    }
