"""``hubcheck audit verify|list``: is the journal of what was recorded intact, and what does it say."""

from __future__ import annotations

import argparse
from typing import Any

from app.commands.common import EXIT_OK, EXIT_PARTIAL, open_context, print_json


def register(subparsers: Any) -> None:
    group = subparsers.add_parser("audit", help="the hash-chained journal of recorded visits and syncs")
    sub = group.add_subparsers(dest="audit_command", metavar="ACTION", parser_class=type(group))
    sub.required = True
    verify = sub.add_parser("verify", help="recompute every link of the journal (exit 1 if it was changed or cut)")
    verify.add_argument("--json", action="store_true", help="print one JSON object")
    verify.set_defaults(handler=_verify)
    lst = sub.add_parser("list", help="the journal's entries, oldest first")
    lst.add_argument("--subject", default=None, help="only entries about this subject (a visit's ID, as the list shows it)")
    lst.add_argument("--json", action="store_true", help="print one JSON object")
    lst.set_defaults(handler=_list)


def _verify(args: argparse.Namespace) -> int:
    from app.services.audit import verify_journal

    check = verify_journal(open_context(args))
    if args.json:
        print_json({"ok": check.ok, "entries": check.entries, "broken_at": check.broken_at, "problem": check.problem})
    elif check.ok:
        print(f"audit journal intact: {check.entries} {'entry' if check.entries == 1 else 'entries'}")
    else:
        print(f"audit journal broken after {check.entries} good entries: {check.problem}")
    return EXIT_OK if check.ok else EXIT_PARTIAL


def _list(args: argparse.Namespace) -> int:
    from app.services.audit import journal_entries

    rows = journal_entries(open_context(args), args.subject)
    if args.json:
        print_json({"entries": [
            {"id": e.id, "at": e.at, "action": e.action, "subject": e.subject, "detail": e.detail,
             "entry_hash": e.entry_hash}
            for e in rows
        ]})
        return EXIT_OK
    for e in rows:
        print(f"{e.id:>6} {e.at}  {e.action:<22} {e.subject}")
    return EXIT_OK
