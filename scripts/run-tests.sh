#!/usr/bin/env bash
# Set up, then run every check CI runs: ruff, mypy --strict on the whole of app/, and the
# whole test suite, slow tests included, with the back-office tests on SQLite and on a
# real PostgreSQL (installed and started here when missing; CI=true makes a PostgreSQL
# that cannot be reached fail those tests instead of skipping them).
# Last, the program built for installers' laptops is checked (packaging/check.sh).
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
.venv/bin/python -m pytest -q --slow --durations=15 -m "not xserver" "$@" || status=$?

# The tests marked xserver need real X key events (xdotool into HubCheck's window): a
# second pass under Xvfb on the xcb platform. With no xvfb-run and no display they run
# offscreen, where they skip saying why (and fail in CI).
# The window must fit the laptops installers carry: each pass runs on one screen size
# (1366x768 and 1280x720 at 100% text; 1920x1080, where the tests also try 150%).
echo "== pytest under a real X server (xvfb-run, QT_QPA_PLATFORM=xcb): the tests marked xserver"
xstatus=0
if command -v xvfb-run >/dev/null 2>&1; then
  for screen in 1366x768x24 1280x720x24 1920x1080x24; do
    echo "-- screen $screen"
    one=0
    xvfb-run -a -s "-screen 0 $screen" env QT_QPA_PLATFORM=xcb .venv/bin/python -m pytest -q -m xserver "$@" || one=$?
    if [ "$xstatus" = 0 ] || [ "$xstatus" = 5 ]; then xstatus=$one; fi
  done
elif [ -n "${DISPLAY:-}" ]; then
  QT_QPA_PLATFORM=xcb .venv/bin/python -m pytest -q -m xserver "$@" || xstatus=$?
else
  .venv/bin/python -m pytest -q -m xserver "$@" || xstatus=$?
fi
# Exit 5 is "no tests selected": fine for one pass when the other ran some (a selection
# may hold only one kind), a failure when neither ran anything.
if [ "$xstatus" = 5 ] && [ "$status" != 5 ]; then
  echo "[tests] X server pass: no xserver tests among the ones asked for"; xstatus=0
else
  echo "[tests] X server pass: pytest exit $xstatus"
  if [ "$status" = 5 ] && [ "$xstatus" != 5 ]; then status=0; fi
fi
if [ "$status" = 0 ]; then status=$xstatus; fi

# The program installers' laptops get: built with PyInstaller, unpacked into an empty folder
# and checked there with no virtual environment and an empty HOME (packaging/check.sh, about
# 2 minutes). Skipped when pytest arguments narrow the run; HUBCHECK_PACKAGING_CHECK=1 or 0
# forces it either way.
if [ "${HUBCHECK_PACKAGING_CHECK:-$([ $# = 0 ] && echo 1 || echo 0)}" = 1 ]; then
  echo "== the packaged build (packaging/check.sh: build, unpack, self-test without the virtual environment)"
  # It needs binutils (strip), Python's shared library (PyInstaller bundles it; Debian ships
  # it apart from python3) and PyInstaller (pyproject's packaging extra).
  libpython=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_config_var("INSTSONAME") or "")')
  libdir=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR") or "")')
  wanted=()
  command -v strip >/dev/null 2>&1 || wanted+=(binutils)
  if [ -n "$libpython" ] && [ ! -e "$libdir/$libpython" ] && ! ldconfig -p | grep -qF "$libpython"; then
    wanted+=("$(.venv/bin/python -c 'import sys; print("libpython%d.%d" % sys.version_info[:2])')")
  fi
  if [ "${#wanted[@]}" -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[tests] installing for the packaged build: ${wanted[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null; }
  fi
  .venv/bin/python -c 'import PyInstaller' 2>/dev/null || .venv/bin/python -m pip install -q -e ".[packaging]"
  pstatus=0
  bash packaging/check.sh || pstatus=$?
  echo "[tests] packaged build check: exit $pstatus"
  if [ "$status" = 0 ] && [ "$pstatus" != 0 ]; then status=$pstatus; fi
else
  echo "[tests] packaged build check skipped (pytest arguments given; HUBCHECK_PACKAGING_CHECK=1 runs it)"
fi
echo "[tests] finished in $(( $(date +%s) - started )) s (set-up included), pytest exit $status"
exit "$status"
