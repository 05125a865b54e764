#!/usr/bin/env bash
# Set up (first run only), then lint and run the whole test suite.
# Pytest options pass through: scripts/test.sh -m unit (seconds), -m integration, -m system
# (the tiers: docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
.venv/bin/ruff check assistant ui tests benchmarks eval scripts
.venv/bin/ruff format --check assistant ui tests benchmarks eval scripts
exec .venv/bin/python -m pytest "$@"
