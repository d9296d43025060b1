"""``hubcheck-backoffice export``: every installer's install records as CSV or PDF certificates.

    hubcheck-backoffice --db URL export --format csv|pdf [--redact] [--from DATE] [--to DATE] [--json] OUT

The same options, output and exit codes as the laptop's ``hubcheck export`` (the options
are defined once, in ``app.commands.export``); the records come from the back office's
database through ``BackofficeDbReviewSource``, so the columns and certificates are the
same as a laptop's. Exit codes: 0 written, 2 bad input, a database or file problem.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

SubParser = Callable[..., argparse.ArgumentParser]


def register(commands: Any, sub: SubParser) -> None:
    from app.commands.export import add_export_arguments

    parser = sub(
        commands,
        "export",
        "write every installer's install records as CSV (one row per visit) or PDF visit certificates",
        cmd_export,
    )
    add_export_arguments(parser)


def cmd_export(args: argparse.Namespace) -> int:
    from app.backoffice.cli import CliError, _open
    from app.commands.export import export_options, run_export
    from app.services.review.export import ExportError

    try:
        flt, fmt = export_options(args)
    except ExportError as exc:
        raise CliError(str(exc)) from None
    try:
        from app.backoffice.review_query import BackofficeDbReviewSource
    except ImportError:  # a build without the review queries
        raise CliError("this back office cannot export install records (its review queries are missing)") from None
    store = _open(args)
    try:
        return run_export(args, BackofficeDbReviewSource(store), flt, fmt)
    except ExportError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.dispose()
