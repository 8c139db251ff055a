"""`decompose check` on a hand-written shop (tests/fixtures/check/shop): every contract type, every edge kind.

The fixture has one coupling of each kind, each marked in the source with a comment
("# orm: payments -> orders", ...); expected lines are found from those markers.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from decompose.cli import cli

FIXTURE = Path(__file__).parent / "fixtures" / "check" / "shop"


def line_of(root: Path, rel: str, marker: str) -> int:
    for i, line in enumerate((root / rel).read_text().splitlines(), 1):
        if marker in line:
            return i
    raise AssertionError(f"{marker!r} not in {rel}")


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    dest = tmp_path / "shop"
    shutil.copytree(FIXTURE, dest)
    return dest


def write_contracts(root: Path, body: str) -> None:
    (root / "decompose.toml").write_text("[check]\n" + body)


def check(root: Path, *args: str) -> tuple[int, dict, str]:
    r = CliRunner().invoke(cli, ["check", str(root), "--format", "json", "--no-cache", *args])
    data = json.loads(r.stdout) if r.stdout.strip().startswith("{") else {}
    return r.exit_code, data, r.stderr


def found(data: dict) -> list[tuple[str, str, int, str, str, str]]:
    """(contract, path, line, kind, source, target) of every violation."""
    return [
        (c["name"], v["path"], v["line"], v["kind"], v["source"], v["target"])
        for c in data["contracts"]
        for v in c["violations"]
    ]


# one forbidden contract per edge kind: the fixture's coupling of that kind, and nothing else
KIND_CASES = [
    ("import", "payments", "orders", "payments/services.py", "from orders.models import Order"),
    ("call", "web", "orders", "web/views.py", "# call: web -> orders"),
    ("fk", "orders", "catalog", "orders/models.py", "# fk: orders -> catalog"),
    ("inherit", "catalog", "core", "catalog/models.py", "# inherit: catalog -> core"),
    ("orm", "payments", "orders", "payments/services.py", "# orm: payments -> orders"),
    ("signal", "payments", "orders", "payments/receivers.py", "# signal: payments -> orders"),
    ("url", "web", "payments", "web/urls.py", "# url: web -> payments"),
    ("string_ref", "catalog", "orders", "catalog/services.py", "# string_ref: catalog -> orders"),
    ("migration", "orders", "catalog", "orders/migrations/0001_initial.py", "# migration: orders -> catalog"),
]


@pytest.mark.parametrize(("kind", "src", "dst", "path", "marker"), KIND_CASES, ids=[c[0] for c in KIND_CASES])
def test_every_edge_kind_is_checked(shop: Path, kind: str, src: str, dst: str, path: str, marker: str) -> None:
    write_contracts(
        shop,
        f'[[check.contracts]]\nname = "no {kind}"\ntype = "forbidden"\nfrom = ["{src}"]\nto = ["{dst}"]\n'
        f'kinds = ["{kind}"]\n',
    )
    code, data, _ = check(shop)
    assert code == 1
    hits = found(data)
    assert hits and {h[3] for h in hits} == {kind}
    assert (path, line_of(shop, path, marker)) in {(h[1], h[2]) for h in hits}
    # the same contract over the other kinds only: this coupling is not reported
    others = [
        k for k in ("import", "call", "fk", "inherit", "orm", "signal", "url", "string_ref", "migration") if k != kind
    ]
    write_contracts(
        shop,
        f'[[check.contracts]]\nname = "no {kind}"\ntype = "forbidden"\nfrom = ["{src}"]\nto = ["{dst}"]\n'
        f"kinds = {json.dumps(others)}\n",
    )
    _, data, _ = check(shop)
    assert all(h[3] != kind for h in found(data))


def test_migrations_are_left_out_unless_asked_for(shop: Path) -> None:
    write_contracts(shop, '[[check.contracts]]\nname = "fk"\ntype = "forbidden"\nfrom = ["orders"]\nto = ["catalog"]\n')
    code, data, _ = check(shop)
    assert code == 1
    assert {h[3] for h in found(data)} == {"fk"}  # default kinds: every edge kind, not the migration's


def test_kept_contract_exits_0(shop: Path) -> None:
    write_contracts(
        shop,
        '[[check.contracts]]\nname = "core uses nobody"\ntype = "forbidden"\nfrom = ["core"]\n'
        'to = ["catalog", "orders", "payments", "web"]\n',
    )
    code, data, _ = check(shop)
    assert code == 0
    assert data["summary"] == {"contracts": 1, "broken": 0, "violations": 0, "baselined": 0, "ignored": 0}


def test_layers_open_and_closed(shop: Path) -> None:
    layers = (
        '[[check.contracts]]\nname = "layers"\ntype = "layers"\n'
        'layers = ["web", "payments", "orders", "catalog", "core"]\n'
    )
    write_contracts(shop, layers)
    code, data, _ = check(shop)
    assert code == 1
    # string_ref catalog -> orders goes up a layer; everything else goes down
    assert {(h[3], h[4], h[5]) for h in found(data)} == {("string_ref", "catalog.services", "orders.models")}
    write_contracts(shop, layers + "closed = true\n")
    _, data, _ = check(shop)
    pairs = {(h[4].split(".")[0], h[5].split(".")[0], h[3]) for h in found(data)}
    # closed: web may use only payments; web -> orders skips a layer; orders -> catalog is next door
    assert ("web", "orders", "call") in pairs and ("web", "payments", "url") not in pairs
    assert ("orders", "catalog", "fk") not in pairs
    why = next(v["why"] for c in data["contracts"] for v in c["violations"] if v["source"] == "web.views")
    assert "closed layers" in why


def test_layers_independent_siblings(shop: Path) -> None:
    write_contracts(
        shop,
        '[[check.contracts]]\nname = "l"\ntype = "layers"\nlayers = ["web", "payments | orders", "catalog | core"]\n',
    )
    code, data, _ = check(shop)
    assert code == 1
    pairs = {(h[4], h[5], h[3]) for h in found(data)}
    assert ("payments.services", "orders.models", "orm") in pairs  # siblings
    assert ("catalog.models", "core.models", "inherit") in pairs
    write_contracts(
        shop,
        '[[check.contracts]]\nname = "l"\ntype = "layers"\nlayers = ["web", "payments : orders", "catalog : core"]\n',
    )
    _, data, _ = check(shop)
    assert not any(h[4] == "payments.services" for h in found(data))


def test_independent_direct_and_indirect_chain(shop: Path) -> None:
    write_contracts(shop, '[[check.contracts]]\nname = "i"\ntype = "independent"\nunits = ["web", "catalog"]\n')
    code, data, _ = check(shop)
    assert code == 0  # web -> orders -> catalog is indirect
    write_contracts(
        shop, '[[check.contracts]]\nname = "i"\ntype = "independent"\nunits = ["web", "catalog"]\nindirect = true\n'
    )
    code, data, stderr = check(shop)
    assert code == 1
    v = data["contracts"][0]["violations"][0]
    assert v["chain"] == ["web.views", "orders.services", "orders.models", "catalog.models"]
    assert (v["path"], v["line"]) == ("web/views.py", 1)  # where the chain starts
    r = CliRunner().invoke(cli, ["check", str(shop), "--no-cache"])
    assert "web.views -> orders.services -> orders.models -> catalog.models" in r.stderr


def test_public_api(shop: Path) -> None:
    write_contracts(
        shop,
        '[[check.contracts]]\nname = "orders api"\ntype = "public_api"\napp = "orders"\n'
        'api = ["orders.services", "orders.signals"]\n',
    )
    code, data, _ = check(shop)
    assert code == 1
    hits = {(h[4], h[5], h[3]) for h in found(data)}
    assert ("payments.services", "orders.models", "orm") in hits
    assert ("catalog.services", "orders.models", "string_ref") in hits
    assert not any(h[5] in ("orders.services", "orders.signals") for h in found(data))
    # `from` narrows who is held to it
    write_contracts(
        shop,
        '[[check.contracts]]\nname = "orders api"\ntype = "public_api"\napp = "orders"\n'
        'api = ["orders.services"]\nfrom = ["web"]\n',
    )
    assert check(shop)[0] == 0


def test_acyclic_reports_the_hop_that_closes_a_cycle(shop: Path) -> None:
    write_contracts(shop, '[[check.contracts]]\nname = "dag"\ntype = "acyclic"\n')
    code, data, _ = check(shop)
    assert code == 1  # orders -> catalog (fk) and catalog -> orders (string_ref): the lighter, first by name, is cut
    v = data["contracts"][0]["violations"]
    assert [(x["path"], x["kind"], x["chain"]) for x in v] == [
        ("catalog/services.py", "string_ref", ["catalog", "orders", "catalog"])
    ]
    write_contracts(
        shop,
        '[[check.contracts]]\nname = "dag"\ntype = "acyclic"\n'
        'ignore = [{ from = "catalog", to = "orders", reason = "r" }]\n',
    )
    assert check(shop)[0] == 0
    (shop / "core" / "utils.py").write_text("from web.views import checkout  # back-edge\n")
    code, data, _ = check(shop)
    assert code == 1
    v = data["contracts"][0]["violations"]
    assert [(x["path"], x["line"], x["kind"]) for x in v] == [("core/utils.py", 1, "import")]
    assert v[0]["chain"][0] == v[0]["chain"][-1] and "core" in v[0]["chain"] and "web" in v[0]["chain"]


def test_ignore_entries_need_a_reason_and_say_when_unused(shop: Path) -> None:
    base = '[[check.contracts]]\nname = "f"\ntype = "forbidden"\nfrom = ["payments"]\nto = ["orders"]\n'
    write_contracts(shop, base + 'ignore = [{ from = "payments.receivers", to = "orders" }]\n')
    code, _, err = check(shop)
    assert code == 2 and "reason" in err
    write_contracts(
        shop,
        base
        + 'ignore = [{ from = "payments.receivers", to = "orders", reason = "signal kept until #4" },'
        + ' { from = "payments.services", to = "orders", kinds = ["fk"], reason = "nothing" }]\n',
    )
    code, data, _ = check(shop)
    assert code == 1
    c = data["contracts"][0]
    assert {v["source"] for v in c["violations"]} == {"payments.services"}
    assert c["ignored"] == 2  # the receiver's import and signal
    assert [i["from"] for i in c["unused_ignores"]] == ["payments.services"]


def test_tests_are_checked_only_with_include_tests(shop: Path) -> None:
    body = '[[check.contracts]]\nname = "f"\ntype = "forbidden"\nfrom = ["orders"]\nto = ["payments"]\n'
    write_contracts(shop, body)
    assert check(shop)[0] == 0
    write_contracts(shop, "include_tests = true\n" + body)
    code, data, _ = check(shop)
    assert code == 1 and {h[1] for h in found(data)} == {"orders/tests/test_services.py"}


def test_exclude_and_groups_and_star(shop: Path) -> None:
    write_contracts(
        shop,
        'groups = { money = ["payments"], storefront = ["web", "shop"] }\nexclude = ["web/urls.py"]\n'
        '[[check.contracts]]\nname = "nobody pays"\ntype = "forbidden"\nfrom = ["*"]\nto = ["money"]\n'
        '[[check.contracts]]\nname = "storefront and catalog"\ntype = "independent"\n'
        'units = ["storefront", "catalog"]\n',
    )
    code, data, _ = check(shop)
    assert code == 0  # the only use of payments is web/urls.py's include, excluded
    (shop / "web" / "urls.py").rename(shop / "web" / "routes.py")
    code, data, _ = check(shop)
    assert code == 1 and {h[1] for h in found(data)} == {"web/routes.py"}


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (
            '[[check.contracts]]\ntype = "forbidden"\nfrom = ["payment"]\nto = ["orders"]\n',
            "unknown app or module 'payment'",
        ),
        ('[[check.contracts]]\ntype = "independent"\nunits = ["web", "nowhere.mod"]\n', "'nowhere.mod'"),
        ('[[check.contracts]]\ntype = "layers"\nlayers = ["web", "cor"]\n', "did you mean core"),
        ('[[check.contracts]]\ntype = "public_api"\napp = "orders"\napi = ["payments.services"]\n', "is not part of"),
        ('[[check.contracts]]\ntype = "acyclic"\nignore = [{ from = "x", to = "core", reason = "r" }]\n', "'x'"),
        (
            '[[check.contracts]]\ntype = "forbidden"\nfrom = ["web"]\nto = ["orders"]\nkinds = ["sql"]\n',
            "unknown edge kind",
        ),
        ('[[check.contracts]]\ntype = "sideways"\n', "`type` must be one of"),
        (
            '[[check.contracts]]\ntype = "forbidden"\nfrom = ["web"]\nto = ["orders"]\nunits = ["a"]\n',
            "unknown key `units`",
        ),
        ('[[check.contracts]]\ntype = "forbidden"\nfrom = ["orders"]\nto = ["orders.models"]\n', "overlap"),
        ("", "no contracts"),
    ],
)
def test_config_errors_exit_2_with_one_line(shop: Path, body: str, needle: str) -> None:
    write_contracts(shop, body)
    code, _, err = check(shop)
    assert code == 2, err
    assert needle in err and "Traceback" not in err
    assert err.count("\n") == 1


def test_unknown_name_is_an_error_even_when_the_contract_would_pass(shop: Path) -> None:
    write_contracts(shop, '[[check.contracts]]\ntype = "forbidden"\nfrom = ["core"]\nto = ["orders", "shipping"]\n')
    code, _, err = check(shop)
    assert code == 2 and "'shipping'" in err


def test_graph_json_input_needs_config(shop: Path, tmp_path: Path) -> None:
    write_contracts(
        shop,
        '[[check.contracts]]\nname = "f"\ntype = "forbidden"\nfrom = ["payments"]\nto = ["orders"]\nkinds = ["orm"]\n',
    )
    graph = tmp_path / "graph.json"
    assert CliRunner().invoke(cli, ["analyze", str(shop), "--no-cache", "-o", str(graph), "-q"]).exit_code == 0
    r = CliRunner().invoke(cli, ["check", str(graph)])
    assert r.exit_code == 2 and "contracts" in r.stderr
    r = CliRunner().invoke(cli, ["check", str(graph), "--config", str(shop / "decompose.toml"), "--format", "json"])
    assert r.exit_code == 1
    assert [v["kind"] for v in json.loads(r.stdout)["contracts"][0]["violations"]] == ["orm"]


def test_pyproject_section_is_read(shop: Path) -> None:
    (shop / "pyproject.toml").write_text(
        '[project]\nname = "shop"\n\n[[tool.decompose.check.contracts]]\nname = "f"\ntype = "forbidden"\n'
        'from = ["web"]\nto = ["orders"]\n'
    )
    code, data, _ = check(shop)
    assert code == 1 and data["config"].endswith("pyproject.toml [tool.decompose.check]")


def test_same_input_same_bytes(shop: Path) -> None:
    write_contracts(
        shop,
        '[[check.contracts]]\nname = "dag"\ntype = "layers"\n'
        'layers = ["core", "catalog", "orders", "payments", "web"]\n',
    )
    runs = [CliRunner().invoke(cli, ["check", str(shop), "--format", "json"]).stdout for _ in range(2)]
    assert runs[0] == runs[1] and json.loads(runs[0])["summary"]["violations"] > 3


def test_ignore_limited_to_a_path_and_kinds(shop: Path) -> None:
    base = '[[check.contracts]]\nname = "f"\ntype = "forbidden"\nfrom = ["payments"]\nto = ["orders"]\n'
    write_contracts(
        shop, base + 'ignore = [{ from = "payments", to = "orders", path = "payments/rec*.py", reason = "until #4" }]\n'
    )
    _, data, _ = check(shop)
    assert {h[1] for h in found(data)} == {"payments/services.py"}
    write_contracts(
        shop, base + 'ignore = [{ from = "payments", to = "orders.models", kinds = ["orm"], reason = "read model" }]\n'
    )
    _, data, _ = check(shop)
    assert {(h[1], h[3]) for h in found(data)} == {
        ("payments/services.py", "import"),
        ("payments/receivers.py", "import"),
        ("payments/receivers.py", "signal"),
    }


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ('groups = { orders = ["web"] }\n[[check.contracts]]\ntype = "acyclic"\n', "has the name of an app"),
        (
            'groups = { front = ["web", "nowhere"] }\n'
            '[[check.contracts]]\ntype = "independent"\nunits = ["front", "core"]\n',
            "'nowhere'",
        ),
        ('[[check.contracts]]\ntype = "layers"\nlayers = ["web", "core", "web"]\n', "in two layers"),
        ('[[check.contracts]]\ntype = "layers"\nlayers = ["web", "orders | core : catalog"]\n', "mixes"),
        (
            '[[check.contracts]]\nname = "x"\ntype = "acyclic"\n[[check.contracts]]\nname = "x"\ntype = "acyclic"\n',
            "two contracts",
        ),
        ('[[check.contracts]]\ntype = "forbidden"\nfrom = ["*", "web"]\nto = ["orders"]\n', "stands alone"),
        ("colour = 1\n", "unknown key `colour`"),
    ],
)
def test_more_config_errors(shop: Path, body: str, needle: str) -> None:
    write_contracts(shop, body)
    code, _, err = check(shop)
    assert code == 2 and needle in err, err


def test_exact_module_names(shop: Path) -> None:
    write_contracts(shop, '[[check.contracts]]\nname = "f"\ntype = "forbidden"\nfrom = ["web"]\nto = ["=orders"]\n')
    assert check(shop)[0] == 0  # web uses orders.services, not the orders package's own module
    write_contracts(shop, '[[check.contracts]]\nname = "f"\ntype = "forbidden"\nfrom = ["web"]\nto = ["orders"]\n')
    assert check(shop)[0] == 1
    write_contracts(
        shop, '[[check.contracts]]\nname = "f"\ntype = "forbidden"\nfrom = ["web"]\nto = ["=orders.nothing"]\n'
    )
    code, _, err = check(shop)
    assert code == 2 and "'=orders.nothing'" in err
