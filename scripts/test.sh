#!/usr/bin/env bash
# The test suite: lint, types, then pytest against SQLite and against PostgreSQL.
# Needs Redis on 127.0.0.1:6379 and PostgreSQL on 127.0.0.1:5432 (scripts/services.sh starts them).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check coverage workers tests bench
.venv/bin/ruff format --check coverage workers tests bench
.venv/bin/mypy
echo "== rule book: validate payer_rules/ and run its example cases"
.venv/bin/iop-coverage rules check payer_rules
.venv/bin/iop-coverage rules test payer_rules > /dev/null || .venv/bin/iop-coverage rules test payer_rules
echo "== pytest on SQLite"
IOP_COVERAGE_TEST_DATABASE=sqlite .venv/bin/pytest "$@"
echo "== pytest on PostgreSQL"
IOP_COVERAGE_TEST_DATABASE=postgresql .venv/bin/pytest "$@"
