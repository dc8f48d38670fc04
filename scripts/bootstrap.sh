#!/usr/bin/env bash
# Creates .venv and installs the project with its test extras from requirements-test.lock, and
# Debian's chromium for the browser tests (Playwright drives it; it never downloads a browser).
# Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium for the browser tests"
  SUDO=$([ "$(id -u)" -eq 0 ] && echo "" || echo "sudo")
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q chromium >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q chromium >/dev/null; }
fi
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# Every package pinned and hash-checked from the lock (runtime + test extra + build backend), then
# the project itself with that build backend and nothing else (bash scripts/lock.sh updates it).
.venv/bin/python -m pip install --quiet --require-hashes -r requirements-test.lock
.venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
