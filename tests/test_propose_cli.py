"""`decompose propose` through its click command, on a graph.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from decompose.cli.propose import command
from decompose.graph import dump

from test_propose_pipeline import shop

FIXTURES = Path(__file__).parent / "fixtures" / "cluster"


@pytest.fixture()
def graph_file(tmp_path: Path) -> Path:
    path = tmp_path / "graph.json"
    dump(shop(), path)
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(command, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_table_output_and_proposal_file(graph_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "proposal.json"
    code, stdout, stderr = run(str(graph_file), "--output", str(out))
    assert code == 0, stderr
    assert stdout == ""
    for text in ("Proposed services", "shared kernel", "modularity Q", "Algorithms (best first)", "leiden"):
        assert text in stderr
    data = json.loads(out.read_text())
    assert data["schema"] == "decompose.proposal" and data["shared_kernel"] == ["core"]


def test_json_is_deterministic(graph_file: Path) -> None:
    one = run(str(graph_file), "--format", "json", "--algorithm", "leiden", "--services", "3")[1]
    two = run(str(graph_file), "--format", "json", "--algorithm", "leiden", "--services", "3")[1]
    assert one == two
    data = json.loads(one)
    assert data["algorithm"] == "leiden" and len(data["services"]) == 3 and data["candidates"] == []


def test_evaluate_and_reference(graph_file: Path) -> None:
    ref = FIXTURES / "shop_reference.toml"
    code, stdout, stderr = run(str(graph_file), "--evaluate", str(ref), "--reference", str(ref), "--format", "json")
    assert code == 0, stderr
    data = json.loads(stdout)
    assert data["comparison"]["mojofm"] == 100.0
    assert data["metrics"]["services"] == 2
    code, _, stderr = run(str(graph_file), "--reference", str(ref))
    assert code == 0 and "MoJoFM" in stderr


def test_bad_inputs_are_one_line_errors(graph_file: Path, tmp_path: Path) -> None:
    from decompose.cli import cli

    bad = tmp_path / "bad.toml"
    bad.write_text("[services.x]\napps = ['ghost']\n")
    for args in (
        [str(graph_file), "--services", "zero"],
        [str(graph_file), "--evaluate", str(bad)],
        [str(graph_file), "--reference", str(tmp_path / "missing.toml")],
        [str(tmp_path / "nothing.json")],
    ):
        result = CliRunner().invoke(cli, ["propose", *args])
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith("decompose: error:") and result.stderr.count("\n") == 1, result.stderr


def test_project_config_is_read(tmp_path: Path) -> None:
    for app in ("alpha", "beta", "gamma"):
        (tmp_path / app).mkdir()
        (tmp_path / app / "__init__.py").write_text("")
        (tmp_path / app / "apps.py").write_text(
            f"from django.apps import AppConfig\n\n\nclass Config(AppConfig):\n    name = {app!r}\n"
        )
        (tmp_path / app / "models.py").write_text(
            "from django.db import models\n" + ("from alpha.models import Thing\n" if app != "alpha" else "")
            + f"\n\nclass {app.title()}(models.Model):\n    name = models.CharField(max_length=9)\n"
            + ("\n\nclass Thing(models.Model):\n    pass\n" if app == "alpha" else "")
        )
    (tmp_path / "decompose.toml").write_text('[propose]\nalgorithm = "agglomerative"\nservices = 2\nkernel_ratio = 0\n')
    code, stdout, stderr = run(str(tmp_path), "--format", "json")
    assert code == 0, stderr
    data = json.loads(stdout)
    assert data["algorithm"] == "agglomerative" and len(data["services"]) == 2
    assert data["settings"]["kernel_ratio"] == 0
    (tmp_path / "decompose.toml").write_text("[propose]\nalgorithm = 'kmeans'\n")
    from decompose.cli import cli

    result = CliRunner().invoke(cli, ["propose", str(tmp_path)])
    assert result.exit_code == 2 and "kmeans" in result.stderr


def test_a_graph_file_takes_its_settings_from_config_and_says_when_they_are_not_applied(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    for app in ("alpha", "beta", "gamma"):
        (project / app).mkdir(parents=True)
        (project / app / "__init__.py").write_text("")
        (project / app / "models.py").write_text(
            "from django.db import models\n" + ("from alpha.models import Thing\n" if app != "alpha" else "")
            + f"\n\nclass {app.title()}(models.Model):\n    name = models.CharField(max_length=9)\n"
            + ("\n\nclass Thing(models.Model):\n    pass\n" if app == "alpha" else "")
        )
    (project / "settings.py").write_text('INSTALLED_APPS = ["alpha", "beta", "gamma"]\n')
    (project / "decompose.toml").write_text('[propose]\nalgorithm = "agglomerative"\nservices = 2\nkernel_ratio = 0\n')
    from decompose.analysis import analyze

    graph = tmp_path / "graph.json"
    dump(analyze(project, use_cache=False), graph)
    # from the graph file alone, the project's [propose] is not applied, and the user is told so
    code, stdout, stderr = run(str(graph), "--format", "json", "--algorithm", "louvain")
    assert code == 0 and "decompose.toml" in stderr and "--config" in stderr
    assert json.loads(stdout)["settings"]["kernel_ratio"] != 0
    # --config applies it (and says nothing more)
    code, stdout, stderr = run(str(graph), "--format", "json", "--config", str(project / "decompose.toml"))
    assert code == 0 and "note:" not in stderr, stderr
    data = json.loads(stdout)
    assert data["algorithm"] == "agglomerative" and len(data["services"]) == 2 and data["settings"]["kernel_ratio"] == 0
    # a pyproject.toml is read through its [tool.decompose]
    (tmp_path / "pyproject.toml").write_text('[tool.decompose.propose]\nalgorithm = "agglomerative"\nservices = 3\n')
    code, stdout, _ = run(str(graph), "--format", "json", "--config", str(tmp_path / "pyproject.toml"))
    assert code == 0 and len(json.loads(stdout)["services"]) == 3
    # a missing file is a one-line error
    from decompose.cli import cli

    result = CliRunner().invoke(cli, ["propose", str(graph), "--config", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2 and "nope.toml" in result.stderr and "Traceback" not in result.output
