"""``hubcheck-backoffice installs``: decide a visit's manual inventory change, like ``intents approve|refuse``.

    hubcheck-backoffice --db URL installs pending
    hubcheck-backoffice --db URL installs approve INSTALL_ID --by NAME [--reason TEXT]
    hubcheck-backoffice --db URL installs refuse INSTALL_ID --by NAME --reason TEXT

Each decision is the same audited action as ``POST /v1/admin/installs/{install_id}/approve|refuse``
(the audit log says "command line"). Deciding one already decided, or a visit that asked for
no manual inventory change, is refused in one line with exit code 2, as ``intents`` does.
The rules live in :mod:`app.backoffice.install_approvals`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any
from uuid import UUID

EXIT_OK = 0

SubParser = Callable[..., argparse.ArgumentParser]


def _install_id(text: str) -> str:
    try:
        return str(UUID(text.strip()))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an install record id (a UUID such as 6f1c2b1e-1d2a-4c55-9a3e-0b7d9f5e2a10)"
        ) from None


def cmd_installs_pending(args: argparse.Namespace) -> int:
    from app.backoffice.cli import _print_json, _session
    from app.backoffice.install_approvals import install_approval_view, pending_install_approvals

    with _session(args, write=False) as session:
        result = [
            install_approval_view(session, record).model_dump(mode="json")
            for record, _name in pending_install_approvals(session)
        ]
    _print_json({"installs": result})
    return EXIT_OK


def cmd_installs_approve(args: argparse.Namespace) -> int:
    from app.backoffice.cli import CLI_VIA, _print_json, _session
    from app.backoffice.install_approvals import approve_install, install_approval_view
    from app.backoffice.timeutil import utcnow

    with _session(args, write=True) as session:
        record = approve_install(session, args.install_id, args.by, CLI_VIA, utcnow(), args.reason)
        result = install_approval_view(session, record).model_dump(mode="json")
    _print_json(result)
    return EXIT_OK


def cmd_installs_refuse(args: argparse.Namespace) -> int:
    from app.backoffice.cli import CLI_VIA, _print_json, _session
    from app.backoffice.install_approvals import install_approval_view, refuse_install
    from app.backoffice.timeutil import utcnow

    with _session(args, write=True) as session:
        record = refuse_install(session, args.install_id, args.by, args.reason, CLI_VIA, utcnow())
        result = install_approval_view(session, record).model_dump(mode="json")
    _print_json(result)
    return EXIT_OK


def register(commands: Any, sub: SubParser) -> None:
    """Add ``installs pending|approve|refuse`` to the back office's command line."""
    installs = sub(commands, "installs", "install records: decide a visit's manual inventory change")
    actions = installs.add_subparsers(dest="installs_command", metavar="ACTION", parser_class=type(installs))
    actions.required = True
    sub(actions, "pending", "visits whose manual inventory change waits for a decision, oldest first (JSON)",
        cmd_installs_pending)
    approve = sub(
        actions, "approve",
        "approve a visit's manual inventory change (the supplier then asks the DCC for it)",
        cmd_installs_approve,
    )
    approve.add_argument("install_id", type=_install_id, metavar="INSTALL_ID")
    approve.add_argument("--by", required=True, help="who approves (kept in the audit log)")
    approve.add_argument("--reason", default=None, help="why (optional; kept in the audit log)")
    refuse = sub(actions, "refuse", "refuse a visit's manual inventory change, saying why", cmd_installs_refuse)
    refuse.add_argument("install_id", type=_install_id, metavar="INSTALL_ID")
    refuse.add_argument("--by", required=True, help="who refuses (kept in the audit log)")
    refuse.add_argument("--reason", required=True, help="why (kept in the audit log)")
