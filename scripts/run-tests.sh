#!/usr/bin/env bash
# Set up, then run every check CI runs: ruff, mypy --strict on the domain, the test suite
# (back-office tests against SQLite and a real PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
if [ -f scripts/ci-postgres.sh ] && [ -z "${HUBCHECK_TEST_PG_URL:-}" ]; then
  if pg_env=$(bash scripts/ci-postgres.sh); then
    eval "$pg_env"
  else
    echo "[tests] PostgreSQL could not be started; back-office tests run on SQLite only" >&2
  fi
fi
echo "== ruff" && .venv/bin/ruff check app tests benchmarks scripts
echo "== mypy --strict app/domain" && .venv/bin/mypy --strict app/domain
echo "== pytest" && .venv/bin/python -m pytest -q "$@"
