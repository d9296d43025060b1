"""The back office as an importable ASGI app, configured from the environment.

For operators who run their own server (``uvicorn app.backoffice.asgi:app --workers 4``,
gunicorn with uvicorn workers) and for ``hubcheck-backoffice serve --workers N``, which
starts its workers through this module. Settings:

* ``HUBCHECK_BACKOFFICE_DB`` (required): the database URL or SQLite file;
* ``HUBCHECK_BACKOFFICE_LOG_FORMAT``: ``text`` (default) or ``json`` request lines.

Each worker opens the store with ``upgrade=False``: an empty database is created once under
the migration lock (the first worker creates it, the others wait and find it), and a
database that is not at the newest migration, or differs from the models, stops the worker
with one line naming ``hubcheck-backoffice db upgrade``.
"""

from __future__ import annotations

import logging
import os
import sys

from fastapi import FastAPI

from app.backoffice.db import ENV_DB, StoreError, open_store
from app.backoffice.web.app import create_app
from app.backoffice.web.logging import ENV_LOG_FORMAT, ENV_LOG_LEVEL, LOG_FORMATS, configure_access_log

_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


def app_from_environment() -> FastAPI:
    """Build the app from the environment; exits with one line (code 2) when it cannot."""
    url = os.environ.get(ENV_DB, "")
    log_format = os.environ.get(ENV_LOG_FORMAT, "text").strip().lower() or "text"
    try:
        if not url:
            raise StoreError(f"no database: set {ENV_DB} to the back office's database URL")
        if log_format not in LOG_FORMATS:
            raise StoreError(f"{ENV_LOG_FORMAT}={log_format!r} is not one of {', '.join(LOG_FORMATS)}")
        store = open_store(url, upgrade=False)
    except StoreError as exc:
        print(f"hubcheck-backoffice: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    level = os.environ.get(ENV_LOG_LEVEL, "info").strip().upper() or "INFO"
    configure_access_log(log_format, level=logging.getLevelName(level) if level in _LEVELS else logging.INFO)
    return create_app(store)


app = app_from_environment()
