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

# The build carries no PostgreSQL driver: one plain line and exit 2, never a traceback.
no_pg() {
  local err rc=0
  err=$("${bare[@]}" "$app/hubcheck-backoffice" --db postgresql://hub@localhost/hubcheck db upgrade 2>&1) || rc=$?
  echo "$err"
  [ "$rc" = 2 ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] && [[ $err == *"no PostgreSQL driver"* ]]
}
step "hubcheck-backoffice with a PostgreSQL URL: one line, exit 2" no_pg

# A visit from the sample labels: recorded (DUIS requests built and validated with lxml),
# exported as a PDF certificate (QPdfWriter) and read back with each decoder (QtPdf).
visit() {
  local hc=("${bare[@]}" "$app/hubcheck" --data-dir "$work/run/laptop") sample="$app/_internal/resources/sample"
  "${hc[@]}" cpl import "$sample/cpl.csv" >/dev/null && "${hc[@]}" jobs import "$sample/jobpack.json" >/dev/null &&
  "${hc[@]}" install record --job J-000101 --ppmid 'Z:0A1B2C0000000014$I:30313233343536373839414243444546F596' \
    --hub 0A-1B-2C-00-00-00-00-12 --meter 0A-1B-2C-00-00-00-00-10 >/dev/null &&
  "${hc[@]}" export "$work/run/certificates.pdf" || return 1
  local out decoder
  for decoder in zxing zbar; do
    # (not tee /dev/stderr: that reopens a log file stderr points to and empties it)
    out=$("${hc[@]}" decode --decoder "$decoder" "$work/run/certificates.pdf") || return 1
    echo "$out"
    [[ $out == *"page 1: visit certificate"* ]] || { echo "$decoder did not read the certificate"; return 1; }
  done
}
step "a visit recorded, its PDF certificate exported and read back (zxing, zbar)" visit

# Every library in the folder finds what it links to, in the folder or on any desktop
# (OpenGL; Wayland's own libraries on a Wayland desktop). A part dropped too many shows here.
links() {
  local missing
  missing=$(find "$app/_internal" -type f -name '*.so*' -exec env -i PATH=/usr/bin:/bin ldd {} + 2>/dev/null |
            awk '/:$/ {file=$1} /not found/ && $1 !~ /^lib(wayland-|EGL|GL)/ {print file, $1}')
  [ -z "$missing" ] || { echo "$missing"; return 1; }
}
step "every bundled library's links resolve (ldd)" links
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
