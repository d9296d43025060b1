#!/usr/bin/env bash
# Set up, then start HubCheck on the bundled sample data.
# With a display: the installer's window (sample data loaded on first run).
# Without one: the same checks on the command line, one verdict per sample job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -f app/__main__.py ] && [ "${HUBCHECK_CLI_DEMO:-0}" != "1" ]; then
  exec .venv/bin/hubcheck-gui --sample "$@"
fi
exec .venv/bin/python scripts/demo.py "$@"
