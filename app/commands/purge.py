"""``hubcheck purge --older-than DAYS [--dry-run] [--json]``: forget old, settled customers' personal data.

The rules are in ``app.services.retention``; this only reads the options and prints.
Exit 0 when the purge ran (or the dry run counted); 2 for bad options or an unusable
database, as every command.
"""

from __future__ import annotations

import argparse
from typing import Any

from app.commands.common import EXIT_OK, open_context, print_json

#: The longest retention accepted (about 100 years): a typo of extra digits is refused.
MAX_DAYS = 36_500


def _days(text: str) -> int:
    value = text.strip()
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_DAYS):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days from 1 to {MAX_DAYS}")
    return int(value)


def register(subparsers: Any) -> None:
    purge = subparsers.add_parser(
        "purge",
        help="remove personal data (MPxN, address, postcode) of visits older than DAYS whose requests are all final",
    )
    purge.add_argument("--older-than", type=_days, required=True, metavar="DAYS", help="visits older than this")
    purge.add_argument("--dry-run", action="store_true", help="say what would go (counts, job refs); change nothing")
    purge.add_argument("--json", action="store_true", help="print one JSON object")
    purge.set_defaults(handler=_purge)


def _purge(args: argparse.Namespace) -> int:
    from app.services.retention import purge_personal_data

    report = purge_personal_data(open_context(args), args.older_than, dry_run=args.dry_run)
    if args.json:
        print_json(report.to_json())
    else:
        print(report.sentence())
    return EXIT_OK
