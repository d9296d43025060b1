"""Reading the audit journal: its entries, and whether the hash chain still holds.

A back-office analyst or a support engineer asks "has anything in this laptop's record of
visits been changed or cut since it was written?"; ``verify_journal`` answers from the
chain alone (see ``app.store.audit``), without trusting any other table.
"""

from __future__ import annotations

from app.services.context import AppContext
from app.store import audit
from app.store.audit import AuditEntry, ChainCheck


def verify_journal(ctx: AppContext) -> ChainCheck:
    with ctx.engine.connect() as conn:
        return audit.verify_chain(conn)


def journal_entries(ctx: AppContext, subject: str | None = None) -> list[AuditEntry]:
    """Entries oldest first: all of them, or those about one subject (a job reference or visit)."""
    with ctx.engine.connect() as conn:
        return audit.entries(conn, subject)
