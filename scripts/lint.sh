#!/usr/bin/env bash
# The lint and type gate: ruff (rules in pyproject.toml) on src, tests and benchmarks; mypy on src/
# (strictness in pyproject.toml); the doctests in src/ (examples marked +SKIP stay skipped).
# Every check runs; the exit status is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh test || exit 2
status=0
echo "== ruff check src tests benchmarks"
.venv/bin/ruff check src tests benchmarks || status=1
echo "== mypy src"
.venv/bin/mypy src || status=1
echo "== doctests in src/"
.venv/bin/python -m pytest --doctest-modules src -q -p no:cacheprovider || status=1
exit $status
