#!/usr/bin/env bash
# The main job on the sample monolith: install decompose into .venv, then
# analyse sample_monolith/ (and, as the stages land, draw, propose, extract).
# Outputs go to out/ (git-ignored). Idempotent; a second run is fast.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh django
dc=.venv/bin/decompose
mkdir -p out
$dc analyze sample_monolith --output out/graph.json
