#!/usr/bin/env bash
# Build HubCheck for Linux laptops: dist/hubcheck/ (hubcheck, hubcheck-gui, hubcheck-backoffice,
# plus share/ with the desktop entry, AppStream metainfo and icons) and
# dist/hubcheck-<version>-linux-x86_64.tar.gz. Needs the project's virtual environment
# (scripts/setup.sh) and the system's libzbar0, which the build carries along.
#
#   bash packaging/build-linux.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
started=$(date +%s)

version=$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
metainfo=packaging/uk.hubcheck.HubCheck.metainfo.xml
if ! grep -q "<release version=\"$version\"" "$metainfo"; then
  echo "[build] $metainfo has no <release version=\"$version\">: add this release to it" >&2
  exit 1
fi
if command -v appstreamcli >/dev/null 2>&1; then
  appstreamcli validate --no-net "$metainfo"
else
  echo "[build] appstreamcli not found (Debian: apt-get install appstream): metainfo not validated" >&2
fi
if ! "$PY" -c 'import PyInstaller' 2>/dev/null; then
  "$PY" -m pip install -q -e ".[packaging]"
fi
if ! ldconfig -p | grep 'libzbar\.so\.0' >/dev/null; then
  echo "[build] the zbar library is missing: apt-get install --no-install-recommends libzbar0" >&2
  exit 1
fi

rm -rf dist/hubcheck build/pyinstaller
nice "$PY" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
  packaging/hubcheck.spec

# What a desktop needs to show HubCheck in its menus: copy share/ into ~/.local/share or /usr/local/share.
share=dist/hubcheck/share
install -Dm644 packaging/hubcheck.desktop "$share/applications/hubcheck.desktop"
install -Dm644 "$metainfo" "$share/metainfo/uk.hubcheck.HubCheck.metainfo.xml"
for size in 16 24 32 48 64 128 256; do
  install -Dm644 "resources/icons/hubcheck-$size.png" "$share/icons/hicolor/${size}x${size}/apps/hubcheck.png"
done
install -Dm644 resources/icons/hubcheck.svg "$share/icons/hicolor/scalable/apps/hubcheck.svg"

archive="dist/hubcheck-$version-linux-x86_64.tar.gz"
# The same files give the same archive: names sorted, owner root, every date the last
# commit's (SOURCE_DATE_EPOCH when set), no name or date in the gzip header; gzip -9.
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
tar -C dist --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -cf - hubcheck |
  gzip -9 -n > "$archive"
echo "[build] dist/hubcheck: $(du -sm dist/hubcheck | cut -f1) MB; $archive: $(du -m "$archive" | cut -f1) MB;" \
     "$(( $(date +%s) - started )) s"
