#!/usr/bin/env bash
# Set up, then run every check CI runs: ruff, mypy --strict on the whole of app/, and the
# whole test suite, slow tests included, with the back-office tests on SQLite and on a
# real PostgreSQL (installed and started here when missing; CI=true makes a PostgreSQL
# that cannot be reached fail those tests instead of skipping them).
#
#   bash scripts/run-tests.sh [PYTEST ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
bash scripts/setup.sh
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"

if [ -z "${HUBCHECK_TEST_PG_URL:-}" ]; then
  if pg_env=$(bash scripts/ci-postgres.sh); then
    eval "$pg_env"
  else
    echo "[tests] PostgreSQL could not be started (ci-postgres.sh said why, above)" >&2
  fi
fi
if [ -n "${HUBCHECK_TEST_PG_URL:-}" ]; then
  where="SQLite and PostgreSQL (${HUBCHECK_TEST_PG_URL##*@})"
elif [ -n "${CI:-}" ] && [ "${CI}" != "0" ] && [ "${CI}" != "false" ]; then
  where="SQLite only: no PostgreSQL, so in CI every PostgreSQL test FAILS"
else
  where="SQLite only: the PostgreSQL tests skip (start one: eval \"\$(bash scripts/ci-postgres.sh)\")"
fi
echo "[tests] back-office tests will run on: $where"

echo "== ruff" && .venv/bin/ruff check app tests benchmarks scripts
echo "== mypy --strict app/ (settings in pyproject.toml)" && .venv/bin/mypy
echo "== pytest (slow tests included; the 15 slowest are listed)"
status=0
.venv/bin/python -m pytest -q --slow --durations=15 "$@" || status=$?
echo "[tests] finished in $(( $(date +%s) - started )) s (set-up included), pytest exit $status"
exit "$status"
