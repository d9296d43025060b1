"""Helpers every command group shares: the context from ``--data-dir`` and JSON output."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from app.services.context import AppContext

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_USAGE = 2


class CliError(Exception):
    """A user-facing failure: printed as one line on stderr (exit code 2 unless told otherwise)."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def context(args: argparse.Namespace) -> AppContext:
    return AppContext(getattr(args, "data_dir", None))


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def open_context(args: argparse.Namespace) -> AppContext:
    """A context whose database is open, with start-up failures turned into one clear line."""
    from app.store.migrations import SchemaTooNewError

    ctx = context(args)
    try:
        ctx.engine  # noqa: B018 - opens and migrates the database now, where errors are reported
    except SchemaTooNewError as exc:
        raise CliError(str(exc)) from None
    except Exception as exc:  # sqlite3/SQLAlchemy errors: a damaged or unreadable file
        raise CliError(storage_message(exc, ctx.data_dir)) from None
    return ctx


def storage_message(exc: BaseException, data_dir: Path) -> str:
    """One plain line for a storage failure: what is wrong, what the file still holds (read
    read-only; a damaged file is copied first), and the next step; never SQL or a traceback."""
    from app.services.storage_errors import explain_storage_error, keep_what_was_queued, short_cause

    problem = keep_what_was_queued(explain_storage_error(exc, data_dir, "command"))
    log.error("storage problem (%s): %s", problem.kind, short_cause(exc))
    return problem.message
