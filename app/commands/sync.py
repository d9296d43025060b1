"""``hubcheck sync [--once]``: send queued intents to the back office and pull their states back.

The first pass is a person's "Sync now": everything queued is sent at once, backoff or
not, even while the back office's ``Retry-After`` runs (the message says when it asked to
wait). Without ``--once`` the passes that follow are timed ones: they wait out each
intent's backoff and the back office's ``Retry-After`` until nothing is left to send or
``--timeout`` passes. Exit codes: 0 everything sent; 1 some intents stay queued (back office
unreachable, failing or asking to wait: they will be retried); 2 not configured or the
token was refused.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from app.commands.common import EXIT_PARTIAL, EXIT_USAGE, open_context, print_json


def register(subparsers: Any) -> None:
    sync = subparsers.add_parser("sync", help="send queued Service Requests to the back office")
    sync.add_argument("--once", action="store_true", help="one pass, then stop")
    sync.add_argument("--timeout", type=float, default=300.0, metavar="S", help="give up after S seconds (300)")
    sync.add_argument("--batch-size", type=int, default=500, metavar="N", help="intents per request (1-500)")
    sync.add_argument("--json", action="store_true", help="print the last pass's report as JSON")
    sync.set_defaults(handler=_sync)


class _Progress:
    """On a terminal, how many intents went so far, across passes (a big queue takes a while)."""

    def __init__(self) -> None:
        self.before = 0  # sent by the passes that ended
        self.shown = False

    def __call__(self, _step: str, sent: int) -> None:
        print(f"\r  {self.before + sent:,} intents sent…", end="", file=sys.stderr, flush=True)
        self.shown = True

    def pass_ended(self, sent: int) -> None:
        self.before += sent

    def done(self) -> None:
        if self.shown:
            print(file=sys.stderr)


def _exit_code(status: str, left: int) -> int:
    if status in ("not_configured", "auth_failed"):
        return EXIT_USAGE
    if status != "ok" or left:
        return EXIT_PARTIAL
    return 0


def _sync(args: argparse.Namespace) -> int:
    from app.sync.engine import sync_once

    if not 1 <= args.batch_size <= 500:
        from app.commands.common import CliError

        raise CliError("--batch-size must be from 1 to 500")
    ctx = open_context(args)
    progress = _Progress() if sys.stderr.isatty() else None
    deadline = time.monotonic() + max(0.0, args.timeout)
    report = sync_once(
        ctx, ignore_backoff=True, batch_size=args.batch_size, max_seconds=args.timeout, progress=progress
    )
    while not args.once and report.status not in ("not_configured", "auth_failed"):
        left = report.queued_left + report.in_flight_left
        if left == 0 and report.status == "ok":
            break
        now = time.monotonic()
        if now >= deadline:
            break
        due = report.next_due_at
        if report.not_before is not None:  # the back office asked to wait: no pass before then
            due = max(due or 0.0, report.not_before)
        if report.status == "busy":
            wait = 0.5
        elif due is not None:
            wait = max(0.05, due - time.time())
        else:
            wait = 1.0
        if wait >= deadline - now:  # nothing may be sent before --timeout ends: say so now
            break
        time.sleep(wait)
        if progress is not None:
            progress.pass_ended(report.sent)
        report = sync_once(
            ctx, batch_size=args.batch_size, max_seconds=max(0.1, deadline - time.monotonic()), progress=progress
        )
    if progress is not None:
        progress.done()
    if args.json:
        print_json(report.to_json())
    else:
        print(report.message)
        if report.regime:
            print(f"regime: {report.regime} (from the back office{', changed' if report.regime_changed else ''})")
        for error in report.errors[-3:]:
            print(f"  {error}")
    return _exit_code(report.status, report.queued_left + report.in_flight_left)
