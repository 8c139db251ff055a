"""The Proposal value and its two file formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from decompose.cluster.proposal import Explanation, Proposal, Tie, dump_proposal, load_proposal
from decompose.errors import GraphFormatError, InputError

FIXTURES = Path(__file__).parent / "fixtures" / "cluster"


def test_toml_reads_services_kernel_and_reasons() -> None:
    p = load_proposal(FIXTURES / "decomposition.toml")
    assert p.level == "app"
    assert p.services == {"shop": ("catalog", "orders"), "payments": ("payments",)}
    assert p.shared_kernel == ("core",)
    assert p.service_of("orders") == "shop"
    assert p.service_of("core") is None and p.is_shared("core")
    assert p.service_of("nope") is None
    assert p.reasons["payments"] == "PCI scope"
    assert p.reasons["shared_kernel"] == "used by every app"


def test_json_round_trip_is_byte_identical(tmp_path: Path) -> None:
    p = Proposal(
        level="module",
        services={"b": ("x.b", "x.a"), "a": ("y.c",)},
        shared_kernel=("core.utils",),
        algorithm="louvain",
        seed=7,
        metrics={"modularity": 0.4123456789, "services": 2},
        explanations=(Explanation("y.c", "a", 0.0, 2.5, "b", (), (Tie("x.a", 2.5),), True, None, "no tie inside"),),
    )
    one, two = tmp_path / "1.json", tmp_path / "2.json"
    dump_proposal(p, one)
    q = load_proposal(one)
    dump_proposal(q, two)
    assert one.read_bytes() == two.read_bytes()
    assert q.services == {"a": ("y.c",), "b": ("x.a", "x.b")}
    assert q.explanation("y.c").weak is True


@pytest.mark.parametrize(
    ("name", "text", "error"),
    [
        ("bad.json", '{"schema": "other"}', GraphFormatError),
        ("old.json", '{"schema": "decompose.proposal", "version": 99, "services": {}}', GraphFormatError),
        ("dup.json", '{"schema": "decompose.proposal", "version": 1, "services": {"a": ["x"], "b": ["x"]}}', GraphFormatError),
        ("broken.toml", "[services.a\napps=", GraphFormatError),
        ("empty.toml", "title = 'x'", GraphFormatError),
        ("mixed.toml", "[services.a]\napps=['x']\n[services.b]\nmodules=['y.z']", GraphFormatError),
        ("noapps.toml", "[services.a]\nreason='r'", GraphFormatError),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path: Path, name: str, text: str, error: type) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(error) as info:
        load_proposal(path)
    assert "\n" not in str(info.value)


def test_missing_file_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        load_proposal(tmp_path / "absent.json")


def test_member_in_kernel_and_service_is_refused() -> None:
    with pytest.raises(InputError):
        Proposal(level="app", services={"a": ("core",)}, shared_kernel=("core",))
