"""The ratchet (`check --update-baseline`) and the output formats (text, json, github)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from decompose.cli import cli

FIXTURE = Path(__file__).parent / "fixtures" / "check" / "shop"
CONTRACT = (
    '[check]\n[[check.contracts]]\nname = "orders api"\ntype = "public_api"\napp = "orders"\n'
    'api = ["orders.services", "orders.signals"]\n'
)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    dest = tmp_path / "shop"
    shutil.copytree(FIXTURE, dest)
    (dest / "decompose.toml").write_text(CONTRACT)
    return dest


def run(root: Path, *args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, ["check", str(root), "--no-cache", *args])
    return r.exit_code, r.stdout, r.stderr


def test_ratchet_tolerates_old_reports_new_and_fixed(shop: Path) -> None:
    code, _, _ = run(shop)
    assert code == 1
    code, _, err = run(shop, "--update-baseline")
    assert code == 0 and "decompose-baseline.json" in err
    text = (shop / "decompose-baseline.json").read_text()
    assert json.loads(text)["schema"] == "decompose.check-baseline"
    assert (
        run(shop, "--update-baseline")[0] == 0 and (shop / "decompose-baseline.json").read_text() == text
    )  # same bytes
    code, out, _ = run(shop, "--format", "json")
    assert code == 0
    assert json.loads(out)["summary"]["baselined"] == 3  # payments' import and orm, catalog's string_ref
    # a new violation elsewhere: only it is reported
    (shop / "web" / "orders_page.py").write_text(
        "from orders.models import Order\n\n\ndef n():\n    return Order.objects.count()\n"
    )
    code, out, _ = run(shop, "--format", "json")
    assert code == 1
    v = json.loads(out)["contracts"][0]["violations"]
    assert {(x["path"], x["line"], x["kind"]) for x in v} == {
        ("web/orders_page.py", 1, "import"),
        ("web/orders_page.py", 5, "orm"),
    }
    # moving a tolerated violation down a few lines is not new
    p = shop / "payments" / "services.py"
    p.write_text("\n\n\n" + p.read_text())
    (shop / "web" / "orders_page.py").unlink()
    assert run(shop)[0] == 0
    # fixing one: reported as fixed, not failing; --update-baseline shrinks the file
    p.write_text("def pay(order_id):\n    return None\n")
    code, _, err = run(shop)
    assert code == 0 and "fixed since the baseline" in err and "payments.services -> orders.models" in err
    code, out, _ = run(shop, "--format", "json")
    fixed = json.loads(out)["contracts"][0]["fixed"]
    assert {(f["kind"], f["count"]) for f in fixed} == {("import", 1), ("orm", 1)}
    run(shop, "--update-baseline")
    assert len(json.loads((shop / "decompose-baseline.json").read_text())["entries"]) == 1


def test_a_tolerated_key_that_grows_reports_all_its_occurrences(shop: Path) -> None:
    run(shop, "--update-baseline")
    p = shop / "payments" / "services.py"
    p.write_text(p.read_text() + "\n\ndef again(order_id):\n    return Order.objects.get(id=order_id)\n")
    code, out, err = run(shop, "--format", "json")
    assert code == 1
    v = json.loads(out)["contracts"][0]["violations"]
    assert [x["kind"] for x in v] == ["orm", "orm"]
    code, _, err = run(shop)
    assert "2 now, the baseline tolerates 1" in err


def test_no_baseline_and_explicit_baseline_file(shop: Path, tmp_path: Path) -> None:
    run(shop, "--update-baseline")
    assert run(shop)[0] == 0
    assert run(shop, "--no-baseline")[0] == 1
    assert run(shop, "--baseline", str(tmp_path / "missing.json"))[0] == 2
    (tmp_path / "bad.json").write_text("{not json")
    code, _, err = run(shop, "--baseline", str(tmp_path / "bad.json"))
    assert code == 2 and "not a baseline file" in err
    # configured location
    (shop / "decompose.toml").write_text(CONTRACT.replace("[check]\n", '[check]\nbaseline = "ci/todo.json"\n'))
    (shop / "ci").mkdir()
    run(shop, "--update-baseline")
    assert (shop / "ci" / "todo.json").is_file() and run(shop)[0] == 0


def test_text_output_groups_by_contract_with_path_line(shop: Path) -> None:
    (shop / "decompose.toml").write_text(
        CONTRACT + '[[check.contracts]]\nname = "no fk"\ntype = "forbidden"\nfrom = ["orders"]\nto = ["catalog"]\n'
        'kinds = ["fk"]\n'
    )
    code, out, err = run(shop)
    assert code == 1 and out == ""
    assert "public_api contract 'orders api': 3 violations" in err
    assert "forbidden contract 'no fk': 1 violation" in err
    assert "/orders/models.py:5  fk  orders.models -> catalog.models Product" in err
    assert err.rstrip().endswith("decompose: error: 4 violations of the boundary contracts")


def test_json_output_schema(shop: Path) -> None:
    code, out, _ = run(shop, "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert set(data) == {
        "schema",
        "version",
        "root",
        "config",
        "baseline",
        "stale_baseline_contracts",
        "summary",
        "contracts",
    }
    assert data["schema"] == "decompose.check" and data["version"] == 1
    c = data["contracts"][0]
    assert set(c) == {"name", "type", "kinds", "kept", "violations", "baselined", "ignored", "unused_ignores", "fixed"}
    v = c["violations"][0]
    assert set(v) >= {"path", "line", "kind", "source", "target", "symbol", "why"}
    assert v == {
        "path": "catalog/services.py",
        "line": 5,
        "kind": "string_ref",
        "source": "catalog.services",
        "target": "orders.models",
        "symbol": "Order",
        "why": "orders is used only through orders.services, orders.signals",
    }


def test_github_annotations(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(shop.parent)
    r = CliRunner().invoke(cli, ["check", "shop", "--no-cache", "--format", "github"])
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    errors = [x for x in lines if x.startswith("::error ")]
    assert len(errors) == 3
    assert errors[0].startswith(
        "::error file=shop/catalog/services.py,line=5,title=decompose check%3A orders api::string_ref "
    )
    assert lines[-1] == "decompose check: 3 violations of 1 of 1 contracts"


def test_a_kept_result_is_reused_only_for_the_same_graph_contracts_and_baseline(shop: Path) -> None:
    """With the analysis cache, an unchanged run reads its result back; any change is checked anew."""

    def cached(*args: str) -> tuple[int, str]:
        r = CliRunner().invoke(cli, ["check", str(shop), "--format", "json", *args])
        return r.exit_code, r.stdout

    first = cached()
    assert first[0] == 1 and cached() == first
    # the contracts change: a narrower api, one violation more
    (shop / "decompose.toml").write_text(CONTRACT.replace('"orders.signals"', '"orders.models"'))
    code, out = cached()
    assert code == 1 and json.loads(out)["summary"]["violations"] == 2
    # the baseline changes
    assert CliRunner().invoke(cli, ["check", str(shop), "--update-baseline"]).exit_code == 0
    assert cached()[0] == 0
    (shop / "decompose-baseline.json").unlink()
    assert cached()[0] == 1
    # the code changes: the receiver (both violations) goes
    (shop / "payments" / "receivers.py").write_text("def on_order_placed(sender, **kwargs):\n    return None\n")
    code, out = cached()
    assert code == 0 and json.loads(out)["summary"]["violations"] == 0


def test_baseline_entries_of_a_removed_contract_tolerate_nothing_and_are_named(shop: Path) -> None:
    run(shop, "--update-baseline")
    (shop / "decompose.toml").write_text(CONTRACT.replace('name = "orders api"', 'name = "orders public api"'))
    code, out, _ = run(shop, "--format", "json")
    assert code == 1 and json.loads(out)["stale_baseline_contracts"] == ["orders api"]
    _, _, err = run(shop)
    assert "contract 'orders api', which is no longer configured" in err
