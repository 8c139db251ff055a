"""The couplings table in sample_monolith/README.md must describe code that exists.

A documentation check of the sample as committed (not application behaviour, so it is not
part of the sample's own suite, which extraction rewrites and must keep passing)."""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "sample_monolith"
KINDS = {"import", "call", "fk", "inherit", "orm", "signal", "url", "string_ref"}


def table_rows() -> list[dict[str, str]]:
    text = (ROOT / "README.md").read_text()
    block = text.split("<!-- couplings:start -->", 1)[1].split("<!-- couplings:end -->", 1)[0]
    lines = [line for line in block.strip().splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header == ["kind", "from module", "to module", "file", "symbol"]
    return [dict(zip(header, (c.strip() for c in line.strip("|").split("|")), strict=True)) for line in lines[2:]]


def module_file(module: str) -> Path:
    return ROOT / (module.replace(".", "/") + ".py")


def top_level_names(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


ROWS = table_rows()


def test_table_is_large_and_covers_every_kind():
    assert len(ROWS) >= 40
    counts = {kind: sum(row["kind"] == kind for row in ROWS) for kind in KINDS}
    assert set(counts) == KINDS and min(counts.values()) >= 3, counts
    assert {row["kind"] for row in ROWS} <= KINDS
    assert len({tuple(row.values()) for row in ROWS}) == len(ROWS)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r['kind']}:{r['from module']}->{r['to module']}:{r['symbol']}")
def test_row_matches_the_source(row):
    source_path = ROOT / row["file"]
    assert source_path.is_file()
    assert module_file(row["from module"]) == source_path
    assert module_file(row["to module"]).is_file()
    assert row["from module"].split(".")[0] != row["to module"].split(".")[0], "not a cross-app coupling"
    source = source_path.read_text()
    symbol, kind = row["symbol"], row["kind"]
    target_names = top_level_names(module_file(row["to module"]))
    if kind in {"import", "call", "inherit", "orm"}:
        assert symbol in target_names
        pattern = {
            "import": rf"import [^\n]*\b{symbol}\b",
            "call": rf"\b{symbol}\(",
            "inherit": rf"class \w+\([^)]*\b{symbol}\b",
            "orm": rf"\b{symbol}\.objects\b",
        }[kind]
        assert re.search(pattern, source), pattern
    elif kind == "fk":
        assert re.search(rf"(ForeignKey|OneToOneField|ManyToManyField)\(\s*\"?{re.escape(symbol)}\b", source)
        assert symbol.split(".")[-1] in target_names or symbol == "settings.AUTH_USER_MODEL"
    elif kind == "signal":
        assert symbol in target_names
        assert re.search(rf"@receiver\([^)]*\b{symbol}\b", source)
    elif kind == "url":
        assert f'include("{symbol}")' in source and symbol == row["to module"]
    elif kind == "string_ref":
        if symbol.count(".") == 1:  # apps.get_model(app_label, Model)
            label, model = symbol.split(".")
            assert f'apps.get_model("{label}", "{model}")' in source and model in target_names
        else:
            assert f'"{symbol}"' in source
            module, _, name = symbol.rpartition(".")
            assert module == row["to module"] and name in target_names
