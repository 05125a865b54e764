#!/usr/bin/env bash
# Set up (first run only) and start the web chat on the default corpus.
# Extra arguments go to `assistant serve` (e.g. --port 8000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/assistant serve "$@"
