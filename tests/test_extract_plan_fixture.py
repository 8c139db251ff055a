"""The extraction plan on a small hand-written Django project (tests/fixtures/extract/shopfix),
and the behaviour of `decompose extract`: errors, --plan, --dry-run, --force, atomic writing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from decompose.cli import cli
from decompose.errors import InputError, UnknownNameError
from decompose.extract import changeset
from decompose.extract.api_spec import endpoints
from decompose.extract.plan import CodeIndex, ExtractionPlan, apps_from_proposal, build_plan
from decompose.extract.plan.index import index_project
from decompose.graph import AppInfo, DependencyGraph

FIXTURE = Path(__file__).parent / "fixtures" / "extract" / "shopfix"
APPS = ("core", "orders", "payments", "notifications")


def graph() -> CodeIndex:
    """The analysed fixture (discovery finds the apps and settings; no cache written into the fixture)."""
    return index_project(FIXTURE, use_cache=False)


@pytest.fixture(scope="module")
def payments() -> ExtractionPlan:
    return build_plan(graph(), "payments", ["payments"])


@pytest.fixture(scope="module")
def notifications() -> ExtractionPlan:
    return build_plan(graph(), "notifications", ["notifications"])


def test_what_moves(payments: ExtractionPlan) -> None:
    assert payments.apps == ("payments",)
    assert "payments.services" in payments.moved_modules and "orders.services" not in payments.moved_modules
    assert "payments/migrations/0001_initial.py" in payments.moved_files
    assert "payments/tests/test_services.py" in payments.moved_files
    assert all(f.startswith("payments/") for f in payments.moved_files)


def test_interface_function_with_signature_and_call_site(payments: ExtractionPlan) -> None:
    [charge] = payments.interface_functions
    assert charge.qualname == "payments.services.charge"
    assert [(p.name, p.annotation, p.default, p.model) for p in charge.params] == [
        ("order", "Order", None, "orders.Order"),
        ("amount", "Decimal", None, None),
        ("currency", "str", "'EUR'", None),
    ]
    assert charge.returns_model == "payments.Payment"
    assert charge.raises == ("payments.exceptions.PaymentDeclined",)
    assert not charge.idempotent
    assert [str(e) for e in charge.call_sites] == ["orders/services.py:14"]


def test_interface_model_fields_and_lookups(payments: ExtractionPlan) -> None:
    [payment] = payments.interface_models
    assert payment.label == "payments.Payment" and payment.table == "payments_payment"
    assert payment.lookups == ("order_id", "status")
    assert "status" in payment.fields_read
    assert payment.fields == ("id", "created", "order_id", "amount", "currency", "status")


def test_dependencies_are_classified(payments: ExtractionPlan) -> None:
    cls = {(d.module, d.symbol): d.classification for d in payments.dependencies}
    assert cls[("core.money", "quantize")] == "shared_kernel"
    assert cls[("core.models", "TimeStamped")] == "shared_kernel"
    assert cls[("orders.models", "Order")] == "cut"
    assert payments.kernel_apps == ("core",)


def test_data_cut(payments: ExtractionPlan) -> None:
    [fk] = payments.fk_cuts
    assert (fk.direction, fk.model, fk.field, fk.target, fk.column) == (
        "from_moved", "payments.Payment", "order", "orders.Order", "order_id"
    )
    assert "payments_payment" in payments.tables["service"] and "orders_order" in payments.tables["monolith"]
    saga = [s for s in payments.manual_steps if s.pattern == "saga"]
    assert [(s.path, s.line) for s in saga] == [("orders/services.py", 12)]


def test_signal_bridge_and_event_endpoint(notifications: ExtractionPlan) -> None:
    [bridge] = notifications.signal_bridges
    assert bridge.signal == "orders.signals.order_placed"
    assert bridge.sender_side == "monolith"
    assert bridge.receivers == ("notifications.receivers.on_order_placed",)
    assert bridge.arguments == ("email", "order_id")
    paths = {(e.method, e.path) for e in endpoints(notifications)}
    assert ("POST", "/api/v1/events/order_placed") in paths
    assert ("GET", "/api/v1/notifications/notifications/{id}/") in paths


def test_endpoint_conventions(payments: ExtractionPlan) -> None:
    eps = {e.name: e for e in endpoints(payments)}
    assert eps["services_charge"].method == "POST" and eps["services_charge"].path == "/api/v1/services/charge"
    assert eps["payments_payment_list"].filters == ("order_id", "status")
    assert eps["payments_payment_retrieve"].django_route == "api/v1/payments/payments/<int:id>/"


def test_plan_json_round_trip(payments: ExtractionPlan) -> None:
    again = ExtractionPlan.from_dict(json.loads(payments.to_json()))
    assert again == payments
    assert again.to_json() == payments.to_json()


def test_selection_errors() -> None:
    g = graph()
    with pytest.raises(UnknownNameError, match="unknown app 'nope'"):
        build_plan(g, "svc", ["nope"])
    with pytest.raises(InputError, match="only whole apps"):
        build_plan(g, "svc", ["payments.services"])
    with pytest.raises(InputError, match="empty selection"):
        build_plan(g, "svc", [" ", ""])
    with pytest.raises(InputError, match="invalid service name"):
        build_plan(g, "Bad-Name", ["payments"])
    with pytest.raises(InputError, match="nothing would stay"):
        build_plan(g, "svc", list(APPS))


def test_proposal_selection() -> None:
    g = DependencyGraph.empty(root=str(FIXTURE), apps=tuple(AppInfo(a, a, a) for a in APPS), settings_module="shop.settings")
    g.add_module("payments.models", app="payments", path="payments/models.py")
    g.add_module("payments.services", app="payments", path="payments/services.py")
    assert apps_from_proposal({"services": {"pay": ["payments"]}}, "pay", g) == ("payments",)
    assert apps_from_proposal({"services": [{"name": "pay", "modules": ["payments.models", "payments.services"]}]}, "pay", g) == (
        "payments",
    )
    with pytest.raises(InputError, match="part of app 'payments'"):
        apps_from_proposal({"services": {"pay": ["payments.models"]}}, "pay", g)
    with pytest.raises(UnknownNameError, match="unknown service 'x'"):
        apps_from_proposal({"services": {"pay": ["payments"]}}, "x", g)
    with pytest.raises(InputError, match="not a proposal"):
        apps_from_proposal([1, 2], "pay", g)


def _invoke(*args: str):
    return CliRunner().invoke(cli, ["extract", str(FIXTURE), *args])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--service", "payments", "--apps", "nope"], "unknown app 'nope'"),
        (["--service", "payments", "--apps", "payments.models"], "only whole apps"),
        (["--service", "payments", "--apps", ","], "empty selection"),
        (["--service", "Pay", "--apps", "payments"], "invalid service name"),
        (["--service", "payments"], "exactly one of --apps"),
        (["--service", "payments", "--proposal", "/nonexistent.json"], "no such file"),
    ],
)
def test_cli_errors_are_one_line_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = _invoke(*args, "--out", str(tmp_path))
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_cli_proposal_file(tmp_path: Path) -> None:
    proposal = tmp_path / "proposal.json"
    proposal.write_text(json.dumps({"services": {"pay": ["payments"]}}))
    result = _invoke("--service", "pay", "--proposal", str(proposal), "--plan", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["apps"] == ["payments"]
    missing = _invoke("--service", "other", "--proposal", str(proposal), "--out", str(tmp_path / "o"))
    assert missing.exit_code == 2 and "unknown service 'other'" in missing.output


def test_plan_prints_and_writes_nothing(tmp_path: Path) -> None:
    result = _invoke("--service", "payments", "--apps", "payments", "--plan", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "# Extraction plan: service `payments`" in result.output
    assert "orders/services.py:14" in result.output
    assert list(tmp_path.iterdir()) == []


def test_dry_run_lists_files_and_writes_nothing(tmp_path: Path) -> None:
    result = _invoke("--service", "payments", "--apps", "payments", "--dry-run", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert f"would write {tmp_path / 'payments' / 'manage.py'}" in result.output
    assert "+++ b/payments_service/api.py" in result.output
    assert list(tmp_path.iterdir()) == []


def test_existing_folder_needs_force(tmp_path: Path) -> None:
    assert _invoke("--service", "payments", "--apps", "payments", "--out", str(tmp_path)).exit_code == 0
    marker = tmp_path / "payments" / "local-note.txt"
    marker.write_text("mine")
    again = _invoke("--service", "payments", "--apps", "payments", "--out", str(tmp_path))
    assert again.exit_code == 2 and "already exists" in again.output and "--force" in again.output
    assert marker.exists()
    forced = _invoke("--service", "payments", "--apps", "payments", "--out", str(tmp_path), "--force", "--no-rewire")
    assert forced.exit_code == 0
    assert not marker.exists() and (tmp_path / "payments" / "manage.py").exists()
    # a dry run against the current folder shows no difference
    dry = _invoke("--service", "payments", "--apps", "payments", "--out", str(tmp_path), "--dry-run", "--no-rewire")
    assert "+++" not in dry.output


def test_writing_is_all_or_nothing(tmp_path: Path) -> None:
    target = tmp_path / "svc"
    changeset.write_tree(target, {"a.txt": "old\n"})
    # "a.txt/b.txt" cannot be staged (a.txt is a file): nothing of the new folder may appear
    with pytest.raises(OSError):
        changeset.write_tree(target, {"a.txt": "new\n", "a.txt/b.txt": "x\n"}, force=True)
    with pytest.raises(OSError):
        changeset.write_tree(tmp_path / "fresh", {"a.txt": "new\n", "a.txt/b.txt": "x\n"})
    assert (target / "a.txt").read_text() == "old\n" and sorted(p.name for p in target.iterdir()) == ["a.txt"]
    assert not (tmp_path / "fresh").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["svc"]


def test_apply_changes_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.py").write_text("a = 1\n")
    (tmp_path / "b.py").write_text("b = 1\n")
    real_replace = changeset.os.replace
    calls = {"n": 0}

    def flaky(src: object, dst: object) -> None:
        if str(dst).endswith(".py"):
            calls["n"] += 1
            if calls["n"] == 2:
                raise OSError("interrupted")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(changeset.os, "replace", flaky)
    with pytest.raises(OSError):
        changeset.apply_changes(tmp_path, {"a.py": "a = 2\n", "b.py": "b = 2\n"}, force=True)
    monkeypatch.setattr(changeset.os, "replace", real_replace)
    assert (tmp_path / "a.py").read_text() == "a = 1\n" and (tmp_path / "b.py").read_text() == "b = 1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py", "b.py"]
    changeset.apply_changes(tmp_path, {"a.py": "a = 3\n", "b.py": None, "c/d.py": "d = 1\n"}, force=True)
    assert (tmp_path / "a.py").read_text() == "a = 3\n" and not (tmp_path / "b.py").exists()
    assert (tmp_path / "c" / "d.py").read_text() == "d = 1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py", "c"]


def test_refuses_paths_outside_the_target(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="outside"):
        changeset.write_tree(tmp_path / "svc", {"../evil.txt": "x"})
    assert not (tmp_path / "evil.txt").exists()


def test_unknown_project_folder_is_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["extract", str(tmp_path / "missing"), "--service", "x", "--apps", "a"])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_fixture_copy_is_not_modified(tmp_path: Path) -> None:
    """Extraction reads the project only: the source tree is byte-identical afterwards."""
    copy = tmp_path / "proj"
    shutil.copytree(FIXTURE, copy)
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    result = CliRunner().invoke(
        cli, ["extract", str(copy), "--service", "payments", "--apps", "payments", "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    after = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    assert before == after


def test_cli_architect_toml_proposal(tmp_path: Path) -> None:
    toml = tmp_path / "decomposition.toml"
    toml.write_text('[shared_kernel]\napps = ["core"]\n\n[services.pay]\napps = ["payments"]\n\n[services.notes]\napps = ["notifications"]\n')
    result = _invoke("--service", "notes", "--proposal", str(toml), "--plan", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["apps"] == ["notifications"]
    bad = tmp_path / "bad.toml"
    bad.write_text("[services.pay\n")
    broken = _invoke("--service", "pay", "--proposal", str(bad), "--plan")
    assert broken.exit_code == 2 and "invalid TOML" in broken.output
