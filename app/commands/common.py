"""Helpers every command group shares: the context from ``--data-dir`` and JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.services.context import AppContext

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
        raise CliError(f"cannot open the HubCheck database in {ctx.data_dir}: {exc}") from None
    return ctx
