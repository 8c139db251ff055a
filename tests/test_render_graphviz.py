"""Module-level SVG/PNG through Graphviz: on the installed Graphviz (2.43 here) and, should the
clustered layout fail as 2.43's ranking does ("trouble in init_rank"), drawn without the cluster
boxes with a warning. Checked on the sample monolith and on a 40-app synthetic graph."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from decompose.cluster.synthetic import synthetic_graph
from decompose.render import ViewOptions, build_view, to_dot
from decompose.render.dot import render_view

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_monolith"


def need_graphviz() -> None:
    """Skip without Graphviz, except in CI (scripts/test.sh installs it), where it is a failure."""
    if shutil.which("dot") is None:
        if os.environ.get("CI"):
            pytest.fail("Graphviz's dot is missing; scripts/test.sh installs it")
        pytest.skip("Graphviz not installed")


def forty_apps():
    graph, _planted = synthetic_graph(n_modules=200, modules_per_app=5, seed=3)
    assert len(graph.apps) == 41  # 40 apps and core
    return graph


def test_clustered_dot_has_no_unconstrained_edges():
    """constraint=false across clusters is what breaks Graphviz 2.43's ranking; app level keeps it."""
    view = build_view(forty_apps(), ViewOptions(level="module"))
    assert view.feedback  # the synthetic graph has app cycles, so cut edges exist
    clustered = to_dot(view)
    assert "subgraph cluster_" in clustered and "constraint=false" not in clustered
    flat = to_dot(view, clusters=False)
    assert "subgraph cluster_" not in flat and "constraint=false" in flat
    app_level = to_dot(build_view(forty_apps()))
    assert "constraint=false" in app_level


def test_forty_app_module_graph_draws_with_clusters():
    need_graphviz()
    view = build_view(forty_apps(), ViewOptions(level="module"))
    svg, warning = render_view(view, "svg")
    assert warning == ""
    groups = {n.group for n in view.nodes if n.type != "external"}
    assert len(groups) >= 41 and svg.lstrip().startswith(b"<?xml") and svg.count(b'class="cluster"') == len(groups)


@pytest.mark.parametrize("extra", [[], ["--proposal", "PROPOSAL"]])
@pytest.mark.parametrize("suffix", ["svg", "png"])
def test_sample_module_level_image(tmp_path, extra, suffix):
    need_graphviz()
    dc = [sys.executable, "-m", "decompose"]
    graph = tmp_path / "graph.json"
    subprocess.run([*dc, "analyze", str(SAMPLE), "-o", str(graph), "-q"], check=True, timeout=300)
    if extra:
        proposal = tmp_path / "proposal.json"
        cmd = [*dc, "propose", str(graph), "--level", "module", "--services", "8", "-o", str(proposal)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=300)
        extra = ["--proposal", str(proposal)]
    out = tmp_path / f"modules.{suffix}"
    run = subprocess.run(
        [*dc, "graph", str(graph), "--level", "module", "-o", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "warning" not in run.stderr
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG") if suffix == "png" else b'class="cluster"' in data


def _failing_dot(tmp_path: Path) -> str:
    """A `dot` that fails like Graphviz 2.43 on any clustered input and draws the rest."""
    script = tmp_path / "dot"
    script.write_text(
        "#!/bin/sh\n"
        f'tmp="{tmp_path}/in.dot"\n'
        'cat > "$tmp"\n'
        'if grep -q "subgraph cluster_" "$tmp"; then echo "Error: trouble in init_rank" >&2; exit 1; fi\n'
        f'exec {shutil.which("dot")} "$@" < "$tmp"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_a_failing_clustered_layout_falls_back_without_boxes(tmp_path):
    need_graphviz()
    view = build_view(forty_apps(), ViewOptions(level="module"))
    out = tmp_path / "g.svg"
    svg, warning = render_view(view, "svg", out, program=_failing_dot(tmp_path))
    assert "trouble in init_rank" in warning and "without" in warning
    assert out.read_bytes() == svg and b'class="cluster"' not in svg
    assert re.search(rb"<title>app0000\.models</title>", svg)  # every module still drawn


def test_other_graphviz_errors_are_not_hidden(tmp_path):
    need_graphviz()
    script = tmp_path / "dot"
    script.write_text("#!/bin/sh\ncat >/dev/null\necho 'Error: syntax error in line 1' >&2\nexit 1\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    from decompose.errors import InputError

    with pytest.raises(InputError, match="syntax error"):
        render_view(build_view(forty_apps(), ViewOptions(level="module")), "svg", program=str(script))
