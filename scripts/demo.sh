#!/usr/bin/env bash
# The main job on the sample monolith: install decompose into .venv, then
# see (analyze, graph), decide (propose) and plan the cut (extract --plan).
# Outputs go to out/ (git-ignored). Idempotent; a second run is fast.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh django
dc=.venv/bin/decompose
mkdir -p out
echo "== see: analyze" >&2
$dc analyze sample_monolith --output out/graph.json
echo "== see: graph (out/app-graph.svg, out/graph.html)" >&2
if command -v dot >/dev/null 2>&1; then
  $dc graph out/graph.json -o out/app-graph.svg
else
  echo "(Graphviz not installed: writing DOT only; apt-get install graphviz for SVG/PNG)" >&2
  $dc graph out/graph.json -o out/app-graph.dot
fi
$dc graph out/graph.json --level module --hide-external -o out/graph.html
echo "== decide: propose (out/proposal.json)" >&2
$dc propose sample_monolith --output out/proposal.json --reference sample_monolith/decomposition.toml
echo "== do: extract --plan for payments" >&2
$dc extract sample_monolith --service payments --apps payments --plan
echo "== done: open out/graph.html in a browser; see README.md for extract --out / --apply" >&2
