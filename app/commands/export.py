"""``hubcheck export``: this laptop's install records as CSV or PDF visit certificates.

    hubcheck export --format csv|pdf [--redact] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json] OUT

Dates are GB calendar days, both inclusive, on the day each visit started. ``--format``
may be left out when OUT ends in ``.csv`` or ``.pdf``. Exit codes: 0 the file was written
(an export with no records is a file too: a header-only CSV, a one-page PDF saying so); 2
bad input, a database that cannot be read, or a file that cannot be written (nothing is
left behind, an earlier file of that name is kept). ``--json`` prints ``file``,
``format``, ``records`` and ``redacted``.

``hubcheck-backoffice export`` takes the same options (``add_export_arguments``) for the
records of every installer; the columns are listed in docs/EXPORTS.md.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from app.commands.common import EXIT_OK, CliError, open_context, print_json


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write this laptop's install records as CSV or PDF visit certificates",
        description="Write this laptop's install records as CSV (one row per visit) or PDF (one visit "
        "certificate per page, with a QR code that hubcheck decode reads back).",
    )
    add_export_arguments(parser)
    parser.set_defaults(handler=_export)


def parse_day(text: str) -> date:
    """An argparse type: a YYYY-MM-DD date, with a message naming the form when it is not one."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: give YYYY-MM-DD, e.g. 2025-03-01") from None


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    """The options both command lines' ``export`` take (one definition, so they never drift)."""
    parser.add_argument(
        "--format", dest="fmt", choices=("csv", "pdf"), default=None,
        help="csv (one row per visit) or pdf (one certificate page per visit); default: from OUT's suffix",
    )
    parser.add_argument(
        "--redact", action="store_true", help="mask the MPxN, address and postcode (a copy to hand out)"
    )
    parser.add_argument(
        "--from", dest="date_from", type=parse_day, default=None, metavar="DATE",
        help="first day, YYYY-MM-DD (GB date the visit started, inclusive)",
    )
    parser.add_argument(
        "--to", dest="date_to", type=parse_day, default=None, metavar="DATE",
        help="last day, YYYY-MM-DD (inclusive)",
    )
    parser.add_argument("--json", action="store_true", help="print what was written as JSON")
    parser.add_argument("out", metavar="OUT", help="the file to write (.csv or .pdf)")


def export_options(args: argparse.Namespace) -> tuple[Any, str]:
    """The filter and format the options ask for; ExportError (one sentence) when they clash."""
    from app.services.review.contract import ReviewFilter
    from app.services.review.export import ExportError

    if args.date_from is not None and args.date_to is not None and args.date_to < args.date_from:
        raise ExportError(f"--to {args.date_to} is before --from {args.date_from}: give the earlier day first")
    fmt = args.fmt
    if fmt is None:
        suffix = str(args.out).rsplit(".", 1)[-1].lower() if "." in str(args.out) else ""
        if suffix not in ("csv", "pdf"):
            raise ExportError("give --format csv or --format pdf (OUT does not end in .csv or .pdf)")
        fmt = suffix
    return ReviewFilter(date_from=args.date_from, date_to=args.date_to), fmt


class _Progress:
    """On a terminal, how many records are written so far: a back office's export of every
    installer's visits runs for minutes, and a silent command looks hung."""

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        of = f" of {total:,}" if total else ""
        print(f"\r  {done:,}{of} records written…", end="", file=sys.stderr, flush=True)
        self.shown = True

    def done(self) -> None:
        if self.shown:
            print(file=sys.stderr)


def run_export(args: argparse.Namespace, source: Any, flt: Any, fmt: str) -> int:
    """Write the export and say what was written; ExportError propagates to the caller's CLI."""
    from app.services.review.export import export_records

    progress = _Progress() if sys.stderr.isatty() else None
    try:
        result = export_records(source, flt, fmt, args.redact, args.out, progress=progress)
    finally:
        if progress is not None:
            progress.done()
    if args.json:
        print_json({"file": str(result.path), "format": result.fmt.value, "records": result.records,
                    "redacted": result.redacted})
    else:
        kind = "visit certificates (PDF)" if result.fmt.value == "pdf" else "rows (CSV)"
        redacted = ", redacted" if result.redacted else ""
        print(f"{result.path}: {result.records} install record{'s' if result.records != 1 else ''} as {kind}{redacted}")
    sys.stdout.flush()
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    from app.services.review.export import ExportError
    from app.services.review.local import LocalReviewSource

    try:
        flt, fmt = export_options(args)
    except ExportError as exc:
        raise CliError(str(exc)) from None
    ctx = open_context(args)
    source = LocalReviewSource(ctx)
    try:
        return run_export(args, source, flt, fmt)
    except ExportError as exc:
        raise CliError(str(exc)) from None
    finally:
        source.close()
