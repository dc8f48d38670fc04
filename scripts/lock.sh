#!/usr/bin/env bash
# Writes the lock files from pyproject.toml: every package pinned, with the hashes of all its files
# (wheels for every platform and the sdist), resolved for CPython 3.11 on Linux x86_64.
# requirements.lock: runtime + ops (the Docker image); requirements-test.lock: runtime + test
# (scripts/bootstrap.sh, so CI). Both carry the build backend. Run after editing dependencies: it
# keeps the versions already locked where they still fit; `bash scripts/lock.sh --upgrade` takes
# the newest of everything.
set -euo pipefail
cd "$(dirname "$0")/.."
for target in "ops:requirements.lock" "test:requirements-test.lock"; do
  .venv/bin/uv pip compile pyproject.toml --extra "${target%%:*}" --group build --generate-hashes \
    --python-version 3.11 --python-platform x86_64-unknown-linux-gnu --quiet \
    --custom-compile-command "bash scripts/lock.sh" --output-file "${target#*:}" "$@"
done
