#!/usr/bin/env bash
# Set up (first run only), then lint and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
.venv/bin/ruff check assistant ui tests benchmarks
.venv/bin/ruff format --check assistant ui tests benchmarks
exec .venv/bin/python -m pytest "$@"
