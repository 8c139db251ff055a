"""`decompose graph` end to end: formats, options, errors, and the sample monolith."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pydot
import pytest
from click.testing import CliRunner

from decompose.cli import cli

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pydot's parser on pyparsing 3.2

FIXTURE = Path(__file__).parent / "fixtures" / "render" / "minishop.graph.json"


def need_graphviz() -> None:
    """Skip without Graphviz, except in CI (scripts/test.sh installs it), where it is a failure."""
    if shutil.which("dot") is None:
        if os.environ.get("CI"):
            pytest.fail("Graphviz's dot is missing; scripts/test.sh installs it")
        pytest.skip("Graphviz not installed")
SAMPLE = Path(__file__).resolve().parent.parent / "sample_monolith"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["graph", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_dot_from_graph_json_to_stdout_and_file(tmp_path):
    code, out, _ = run(str(FIXTURE), "-o", "-", "--kinds", "fk", "--hide-external")
    assert code == 0
    d = pydot.graph_from_dot_data(out)[0]
    kinds = {e.get("kind") for e in d.get_edges()}
    assert kinds == {"fk"}
    target = tmp_path / "g.gv"
    code, _, err = run(str(FIXTURE), "-o", str(target), "--level", "module", "--focus", "cart")
    assert code == 0 and "wrote" in err
    text = target.read_text()
    assert text.startswith("digraph") and "subgraph cluster_" in text and '"cart.services"' in text
    assert '"accounts.views"' not in text  # outside cart's neighbourhood


def test_html_from_graph_json(tmp_path):
    target = tmp_path / "g.html"
    code, _, _ = run(str(FIXTURE), "-o", str(target), "--min-weight", "2")
    assert code == 0
    html = target.read_text()
    data = json.loads(html.split('id="decompose-data">', 1)[1].split("</script>", 1)[0])
    assert {(e["s"], e["t"], e["k"]) for e in data["edges"]} == {("cart", "catalog", "orm"), ("orders", "payments", "call")}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "g.txt"], "cannot tell the format"),
        (["-o", "-", "--format", "svg"], "only DOT and JSON can be written to stdout"),
        (["-o", "g.dot", "--kinds", "import,nope"], "unknown edge kind"),
        (["-o", "g.dot", "--focus", "nope"], "no such app"),
    ],
)
def test_user_mistakes_give_one_line_and_exit_2(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(str(FIXTURE), *args)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_missing_graphviz_exits_2_with_install_hint(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PATH"}
    env["PATH"] = ""
    proc = subprocess.run(
        [sys.executable, "-m", "decompose", "graph", str(FIXTURE), "-o", str(tmp_path / "g.svg")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "apt-get install graphviz" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "g.svg").exists()


@pytest.mark.e2e
@pytest.mark.graphviz
@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_sample_monolith_images(tmp_path, fmt):
    need_graphviz()
    target = tmp_path / f"sample.{fmt}"
    code, _, err = run(str(SAMPLE), "-o", str(target), "--hide-external")
    assert code == 0, err
    data = target.read_bytes()
    if fmt == "png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
    else:
        text = data.decode()
        for app in ("orders", "payments", "catalog", "accounts"):
            assert f"<title>{app}</title>" in text
    if fmt == "svg":  # module level, one cluster per app (a PNG of it takes long to draw)
        code, _, err = run(str(SAMPLE), "-o", str(tmp_path / "modules.svg"), "--level", "module", "--hide-external")
        assert code == 0, err
        text = (tmp_path / "modules.svg").read_text()
        assert '<g id="clust' in text and "<title>orders.services</title>" in text


@pytest.mark.e2e
def test_sample_monolith_dot_is_deterministic(tmp_path):
    a, b = tmp_path / "a.dot", tmp_path / "b.dot"
    assert run(str(SAMPLE), "-o", str(a), "--level", "module")[0] == 0
    assert run(str(SAMPLE), "-o", str(b), "--level", "module")[0] == 0
    assert a.read_bytes() == b.read_bytes()
    # (pydot's parser takes seconds on a graph this size: read the cluster labels directly)
    labels = set(re.findall(r'subgraph cluster_\w+ \{\nlabel="?([^";\n]+)"?;', a.read_text()))
    assert {"orders", "payments", "catalog", "accounts"} <= labels


def test_proposal_groups_modules_by_service(tmp_path):
    from decompose.cluster.proposal import Proposal, dump_proposal

    proposal = tmp_path / "proposal.json"
    dump_proposal(
        Proposal(level="app", services={"commerce": ("cart", "orders", "payments"), "catalog": ("catalog",)}, shared_kernel=("accounts",)),
        proposal,
    )
    target = tmp_path / "g.dot"
    code, _, err = run(str(FIXTURE), "-o", str(target), "--level", "module", "--proposal", str(proposal), "--hide-external")
    assert code == 0, err
    d = pydot.graph_from_dot_data(target.read_text())[0]
    clusters = {sg.get("label").strip('"'): {n.get_name().strip('"') for n in sg.get_nodes()} for sg in d.get_subgraphs()}
    assert set(clusters) == {"commerce", "catalog", "(shared kernel)", "(unassigned)"}
    assert "payments.gateway" in clusters["commerce"] and "accounts.models" in clusters["(shared kernel)"]
    code, _, err = run(str(FIXTURE), "-o", str(target), "--proposal", str(tmp_path / "missing.json"))
    assert code == 2 and "missing.json" in err
