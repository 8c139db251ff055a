#!/usr/bin/env bash
# The whole test suite: system packages, the venv with test extras, the lint and type gate
# (scripts/lint.sh: ruff, mypy, doctests), then the sample monolith's own suite and decompose's suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
bash scripts/bootstrap.sh test
export DECOMPOSE_REQUIRE_TOOLS="${CI:-}"
status=0
bash scripts/lint.sh || status=$?
.venv/bin/python -m pytest -q -c sample_monolith/pytest.ini --rootdir sample_monolith sample_monolith "$@" || status=$?
.venv/bin/python -m pytest -q tests "$@" || status=$?
exit $status
