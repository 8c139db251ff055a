#!/usr/bin/env bash
# Regenerate the images README.md shows, from the sample monolith:
#   docs/sample-app-graph.svg, docs/sample-app-graph.png   `decompose graph` defaults, app level
#   docs/html-screenshot.png                                the HTML page, "orders" searched and selected
# Needs .venv (scripts/bootstrap.sh test), Graphviz and /usr/bin/chromium (scripts/system-deps.sh).
# Same inputs give the same SVG; PNGs depend on the installed Graphviz/Chromium fonts.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
dc=.venv/bin/decompose
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
$dc analyze sample_monolith --no-cache --quiet --output "$tmp/graph.json"
$dc graph "$tmp/graph.json" -o docs/sample-app-graph.svg
$dc graph "$tmp/graph.json" -o docs/sample-app-graph.png
$dc graph "$tmp/graph.json" -o "$tmp/graph.html"
$py scripts/docs_screenshot.py "$tmp/graph.html" docs/html-screenshot.png --search orders
