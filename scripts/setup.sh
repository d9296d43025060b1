#!/usr/bin/env bash
# Set HubCheck up on a fresh Debian 12 / Ubuntu 22.04+ machine: system libraries (when
# root), a virtual environment in .venv, and HubCheck itself with its test tools.
# Safe to run again: it skips what is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages, from docs/PLATFORM measurements: Qt offscreen + QtMultimedia + zbar,
# plus Xvfb and the xcb libraries for a real window on a virtual display.
APT_PACKAGES=(
  libegl1 libgl1 libx11-6 libdbus-1-3 libfontconfig1 libfreetype6 libglib2.0-0 libxkbcommon0
  libpulse0 libxrandr2 libzbar0
  xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
  libxcb-render0 libxcb-shape0 libxcb-util1 libxcb-xkb1 libxkbcommon-x11-0
  xdotool
)

log() { printf '[setup] %s\n' "$*" >&2; }

pick_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

missing_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  echo "${missing[@]:-}"
}

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  wanted=("${APT_PACKAGES[@]}")
  if ! pick_python >/dev/null; then wanted+=(python3.11 python3.11-venv); fi
  missing=$(missing_packages "${wanted[@]}")
  if [ -n "$missing" ]; then
    log "installing Debian packages: $missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
elif command -v apt-get >/dev/null 2>&1; then
  missing=$(missing_packages "${APT_PACKAGES[@]}")
  [ -z "$missing" ] || log "not root: please install these Debian packages first: sudo apt-get install --no-install-recommends $missing"
fi

PYTHON=$(pick_python) || { log "HubCheck needs Python 3.11 or newer"; exit 1; }
if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      apt-get install -y -qq --no-install-recommends python3-venv "$(basename "$PYTHON")-venv" >/dev/null 2>&1 || true
      rm -rf .venv
      "$PYTHON" -m venv .venv
    else
      log "cannot create a virtual environment: install the python3-venv package"; exit 1
    fi
  fi
fi

stamp=.venv/.hubcheck-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing HubCheck and its Python packages into .venv"
  if ! { .venv/bin/python -m pip install -q --upgrade pip && .venv/bin/python -m pip install -q -e ".[dev]"; } \
       >.venv/pip.log 2>&1; then
    tail -n 30 .venv/pip.log >&2
    log "pip install failed (full log: .venv/pip.log)"; exit 1
  fi
  echo "$want" > "$stamp"
fi
