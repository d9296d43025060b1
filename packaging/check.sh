#!/usr/bin/env bash
# Build HubCheck (build-linux.sh), unpack the archive into an empty folder and run its
# self-test as an installer's laptop would: no project virtual environment, no Python on
# PATH that the program could lean on, HOME an empty folder, a minimal environment (env -i).
# Then the window once on a real X server (xvfb-run, the xcb plugin), and the back office's
# migrations on a new SQLite database. Exit 0 only when all of that worked.
#
#   bash packaging/check.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != "--no-build" ]; then
  bash packaging/build-linux.sh
fi
version=$(.venv/bin/python -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
archive="$PWD/dist/hubcheck-$version-linux-x86_64.tar.gz"

work=$(mktemp -d /tmp/hubcheck-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/home" "$work/run"
tar -C "$work" -xzf "$archive"
app="$work/hubcheck"
bare=(env -i "HOME=$work/home" "PATH=/usr/bin:/bin" "LANG=C.UTF-8")

status=0
step() { echo "== $1"; shift; ( cd "$work/run" && "$@" ) || { echo "[check] FAILED: exit $?"; status=1; }; }

step "hubcheck-gui --self-test" "${bare[@]}" "$app/hubcheck-gui" --self-test
step "hubcheck --self-test" "${bare[@]}" "$app/hubcheck" --self-test
step "hubcheck-backoffice db upgrade (new SQLite database)" \
  "${bare[@]}" "$app/hubcheck-backoffice" --db "sqlite:///$work/run/backoffice.db" db upgrade
if command -v xvfb-run >/dev/null 2>&1; then
  step "hubcheck-gui --smoke on an X server (xcb)" xvfb-run -a -s "-screen 0 1366x768x24" \
    bash -c 'exec env -i HOME="$1" PATH=/usr/bin:/bin LANG=C.UTF-8 DISPLAY="$DISPLAY" XAUTHORITY="$XAUTHORITY" \
             QT_QPA_PLATFORM=xcb "$2/hubcheck-gui" --smoke --data-dir "$1/data"' _ "$work/home" "$app"
else
  echo "== xvfb-run not found: the xcb platform was not tried"
fi
if [ -n "$(ls -A "$work/home" | grep -v '^data$' || true)" ]; then
  echo "[check] the programs wrote into HOME: $(ls -A "$work/home")"; status=1
fi
echo "[check] $([ $status = 0 ] && echo passed || echo FAILED)"
exit $status
