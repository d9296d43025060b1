"""``hubcheck-backoffice audit verify`` and ``hubcheck-backoffice purge``: thin faces of the use cases.

    hubcheck-backoffice --db URL audit verify [--installer NAME] [--json]
    hubcheck-backoffice --db URL purge --older-than DAYS [--dry-run] [--by NAME] [--json]

Kept beside ``cli.py`` (which registers them) so the journal and retention commands read
as one piece; the rules live in ``app.backoffice.journal`` and ``app.backoffice.retention``.
"""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Callable
from typing import Any

EXIT_OK = 0
EXIT_BROKEN = 1
#: The longest retention a purge accepts (about 100 years): a typo of extra digits is refused.
MAX_DAYS = 36_500

SubParser = Callable[..., argparse.ArgumentParser]


def _days(text: str) -> int:
    value = text.strip()
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_DAYS):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days from 1 to {MAX_DAYS}")
    return int(value)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from app.backoffice.cli import _print_json, _session
    from app.backoffice.journal import describe, verify_chains

    with _session(args, write=False) as session:
        verdicts = verify_chains(session, args.installer)
    broken = [v for v in verdicts if not v.intact]
    if args.json:
        _print_json({
            "ok": not broken,
            "chains": [
                {"installer": v.installer, "laptop": v.laptop, "entries": v.entries, "intact": v.intact,
                 "first_broken": v.first_broken,
                 "last_synced": v.last_synced.isoformat() if v.last_synced else None}
                for v in verdicts
            ],
        })
    else:
        if not verdicts:
            who = f" of {args.installer}" if args.installer else ""
            print(f"no laptop journal{who} has been synced yet")
        for line in describe(verdicts):
            print(line)
    return EXIT_BROKEN if broken else EXIT_OK


def cmd_purge(args: argparse.Namespace) -> int:
    from app.backoffice.cli import _open, _print_json
    from app.backoffice.retention import purge_personal_data
    from app.backoffice.timeutil import utcnow

    store = _open(args)
    try:
        report = purge_personal_data(
            store, older_than_days=args.older_than, now=utcnow(), dry_run=args.dry_run,
            by=args.by or _operator(),
        )
    finally:
        store.dispose()
    if args.json:
        _print_json(report.to_json())
    else:
        print(report.sentence())
    return EXIT_OK


def _operator() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (a container): still say it was the command line
        return "operator"


def register(commands: Any, sub: SubParser) -> None:
    """Add ``audit`` and ``purge`` to the back office's command line."""
    audit = sub(commands, "audit", "laptops' audit journals as synced to the back office")
    audit_cmds = audit.add_subparsers(dest="audit_command", metavar="ACTION", parser_class=type(audit))
    audit_cmds.required = True
    verify = sub(
        audit_cmds, "verify",
        "recompute every laptop's journal from the stored entries; name the first broken link "
        "(exit 1 when any chain is broken)",
        cmd_audit_verify,
    )
    verify.add_argument("--installer", default=None, metavar="NAME", help="only this installer's laptops")
    verify.add_argument("--json", action="store_true", help="print one JSON object")

    purge = sub(
        commands, "purge",
        "remove personal data (MPxN, address, postcode) from install records older than DAYS "
        "whose Service Requests are all final; everything else is kept",
        cmd_purge,
    )
    purge.add_argument("--older-than", type=_days, required=True, metavar="DAYS", help="records older than this")
    purge.add_argument("--dry-run", action="store_true", help="say what would go (counts, job refs); change nothing")
    purge.add_argument("--by", default=None, metavar="NAME", help="who purges, for the audit log (default: login)")
    purge.add_argument("--json", action="store_true", help="print one JSON object")
