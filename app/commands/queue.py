"""``hubcheck queue list|export``: what is waiting to sync, and DUIS files for an offline hand-off."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.commands.common import CliError, open_context, print_json

STATES = ("queued", "sent", "waiting", "accepted", "submitted", "succeeded", "failed", "rejected", "withdrawn")


def register(subparsers: Any) -> None:
    queue = subparsers.add_parser("queue", help="the queued Service Requests (intents)")
    sub = queue.add_subparsers(dest="queue_command", metavar="ACTION", parser_class=type(queue))
    sub.required = True
    lst = sub.add_parser("list", help="every intent with its state, attempts and last error")
    lst.add_argument("--state", action="append", choices=STATES, default=None, help="only this state (repeatable)")
    lst.add_argument("--json", action="store_true", help="print one JSON object")
    lst.set_defaults(handler=_list)
    exp = sub.add_parser("export", help="write each queued intent as one DUIS XML file")
    exp.add_argument("--format", choices=("duis",), default="duis", help="file format (only DUIS XML)")
    exp.add_argument("directory", type=Path, metavar="DIR")
    exp.add_argument("--json", action="store_true")
    exp.set_defaults(handler=_export)


def _list(args: argparse.Namespace) -> int:
    from app.services.queue import list_intents, queue_counts

    ctx = open_context(args)
    views = list_intents(ctx, states=args.state)
    counts = queue_counts(ctx)
    if args.json:
        print_json({"counts": counts, "intents": [v.to_json() for v in views]})
        return 0
    print("  ".join(f"{state}: {n}" for state, n in counts.items()))
    for v in views:
        error = f"  ({v.last_error})" if v.last_error else ""
        waits = f"  waits for {len(v.depends_on)}" if v.depends_on else ""
        approval = "  needs approval" if v.needs_approval else ""
        print(
            f"{v.id:>6} {v.srv:<7} {v.state:<9} tries {v.attempts:<3} {v.target}  {v.idempotency_key}"
            f"{waits}{approval}{error}"
        )
    return 0


def _export(args: argparse.Namespace) -> int:
    from app.services.queue import QueueError, export_duis

    ctx = open_context(args)
    try:
        report = export_duis(ctx, args.directory)
    except QueueError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot write to {args.directory}: {exc.strerror or exc}") from None
    if args.json:
        print_json(report.to_json())
    else:
        print(f"wrote {len(report.files)} DUIS file(s) to {report.directory}")
        for f in report.files:
            print(f"  {f.path.name}  RequestID {f.request_id}")
    return 0
