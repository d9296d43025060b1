"""The status pull: an installer's intent state changes after a cursor, oldest first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.backoffice.models import Intent, StatusChange
from app.backoffice.schemas import StatusChangeOut, StatusPage


def changes_since(session: Session, installer_id: int, since: int, limit: int) -> StatusPage:
    """Up to ``limit`` changes with ``seq > since``; ``cursor`` is the last one returned."""
    rows = session.execute(
        select(StatusChange, Intent.idempotency_key, Intent.srv, Intent.install_id)
        .join(Intent, Intent.id == StatusChange.intent_id)
        .where(StatusChange.installer_id == installer_id, StatusChange.seq > since)
        .order_by(StatusChange.seq)
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    changes = [
        StatusChangeOut(
            seq=change.seq,
            idempotency_key=key,
            state=change.state,  # type: ignore[arg-type]
            request_id=change.request_id,
            response_code=change.response_code,
            reason=change.reason,
            changed_at=change.changed_at,
            srv=srv,
            install_id=install_id,
        )
        for change, key, srv, install_id in rows[:limit]
    ]
    cursor = changes[-1].seq if changes else since
    return StatusPage(changes=changes, cursor=cursor, more=more)
