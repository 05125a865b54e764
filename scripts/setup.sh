#!/usr/bin/env bash
# Set up everything the assistant needs, idempotently:
#   .venv with the CPU build of torch and every dependency, the built-in embedding model
#   (converted once into the user cache) and, for tests, headless Chromium with CJK fonts.
# Usage: scripts/setup.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1
PY=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.installed

say() { printf '[setup] %s\n' "$*" >&2; }

# 1. Python environment. The stamp records what was installed, so a second run does nothing.
extras=""; [ $want_test = 1 ] && extras="[test,mcp,cluster]"  # tests also run the MCP server and Ray
fingerprint=$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)$extras
if [ ! -x $VENV/bin/python ]; then
  say "creating $VENV"
  $PY -m venv $VENV
fi
if [ "$(cat $STAMP 2>/dev/null)" != "$fingerprint" ] && ! { [ -z "$extras" ] && [ "$(cat $STAMP 2>/dev/null)" = "${fingerprint}[test,mcp,cluster]" ]; }; then
  say "installing dependencies (CPU torch pinned by constraints.txt)"
  $VENV/bin/python -m pip install --quiet --upgrade pip
  # torch first, from the pin, so nothing later pulls a CUDA build.
  $VENV/bin/python -m pip install --quiet -c constraints.txt torch
  $VENV/bin/python -m pip install --quiet -c constraints.txt -e ".$extras"
  echo "$fingerprint" > $STAMP
fi

# 2. The built-in embedding model (built once into the cache; checked at every load).
$VENV/bin/python -c "
import logging; logging.basicConfig(level=logging.INFO, format='[setup] %(message)s')
logging.getLogger('sentence_transformers').setLevel(logging.WARNING)
from assistant.encoding.models import build_default_model; print('[setup] model ready:', build_default_model())
"

# 3. For tests: a real headless browser and fonts that show Japanese.
if [ $want_test = 1 ]; then
  if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -i "noto.*cjk" >/dev/null; then
    say "installing chromium and CJK fonts (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt_get() { if [ "$(id -u)" = 0 ]; then apt-get "$@"; else sudo apt-get "$@"; fi; }
    apt_get update -qq
    apt_get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
  fi
fi
