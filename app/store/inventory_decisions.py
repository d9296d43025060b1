"""Decisions on manual inventory changes, as the laptop learnt them from the back office.

A visit whose PPMID was pre-notified for the wrong SMETS generation may ask, instead of an
8.4 remedy, for a manual inventory change (DOMAIN A5): the laptop queues nothing for it and
records the choice in the visit's meta (``remedy_detail``, ``kind: manual-inventory-change``,
``needs_approval: true``). An admin at the back office approves or refuses it. A sync pass
asks the back office about each such visit it has accepted and keeps a *final* decision here
(approved or refused; a pending one is not kept), in one transaction with an
``inventory.decided`` journal entry. The visit's own row, meta included, is never changed:
what was recorded stays as it was recorded.

Schema step 7 creates the table on an older database; a new one gets it from ``create_all``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, ForeignKey, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.store import audit
from app.store.models import Base

#: The decisions that end the wait; a ``pending`` answer is not kept.
FINAL_DECISIONS = ("approved", "refused")
#: The laptop's journal action of a decision learnt from the back office.
DECIDED_ACTION = "inventory.decided"

#: A visit (``install_visits``, aliased ``v``) that asks for a manual inventory change. The
#: LIKE reads no JSON for the many visits that do not; ``json_valid`` keeps a damaged meta from
#: failing the whole query.
ASKS_FOR_CHANGE_SQL = (
    "v.meta_json LIKE '%manual-inventory-change%' AND json_valid(v.meta_json) "
    "AND json_extract(v.meta_json, '$.remedy_detail.kind') = 'manual-inventory-change' "
    "AND json_extract(v.meta_json, '$.remedy_detail.needs_approval') = 1"
)
#: No final decision is kept yet for the visit ``v``.
UNDECIDED_SQL = (
    "NOT EXISTS (SELECT 1 FROM inventory_decisions d WHERE d.visit_id = v.id "
    "AND d.decision IN ('approved', 'refused'))"
)


class InventoryDecisionRow(Base):
    """The back office's final decision on one visit's manual inventory change, and when the
    laptop learnt it (instants are ISO-8601 UTC text, as everywhere on the laptop)."""

    __tablename__ = "inventory_decisions"

    visit_id: Mapped[str] = mapped_column(String(36), ForeignKey("install_visits.id"), primary_key=True)
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    decided_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    learned_at: Mapped[str] = mapped_column(String(40))


#: The table this module adds (schema step 7 creates it on an older database).
DECISION_TABLES: list[Table] = [InventoryDecisionRow.__table__]  # type: ignore[list-item]


@dataclass(frozen=True, slots=True)
class StoredDecision:
    decision: str
    reason: str | None
    decided_by: str | None
    decided_at: str | None
    learned_at: str


def awaiting(conn: Connection, limit: int) -> list[str]:
    """Visits to ask the back office about, oldest first, at most ``limit``: recorded, not
    withdrawn, asking for a manual inventory change, accepted by the back office (it knows the
    record), and with no final decision kept yet."""
    rows = conn.execute(
        text(
            "SELECT v.id FROM install_visits v WHERE v.outcome = 'recorded' AND v.withdrawn_at IS NULL "
            f"AND v.sync_state = 'accepted' AND {ASKS_FOR_CHANGE_SQL} AND {UNDECIDED_SQL} "
            "ORDER BY COALESCE(v.finished_at, v.started_at), v.id LIMIT :n"
        ),
        {"n": max(0, limit)},
    ).all()
    return [str(row[0]) for row in rows]


def decision_of(conn: Connection, visit_id: str) -> StoredDecision | None:
    """The final decision kept for the visit, or None."""
    row = conn.execute(
        text(
            "SELECT decision, reason, decided_by, decided_at, learned_at FROM inventory_decisions "
            "WHERE visit_id = :i AND decision IN ('approved', 'refused')"
        ),
        {"i": visit_id},
    ).first()
    if row is None:
        return None
    return StoredDecision(str(row[0]), row[1], row[2], row[3], str(row[4]))


def store_decision(
    conn: Connection,
    visit_id: str,
    decision: str,
    *,
    reason: str | None,
    decided_by: str | None,
    decided_at: str | None,
    learned_at: str,
) -> bool:
    """Keep a final decision with its ``inventory.decided`` journal entry, in the caller's
    transaction; False (nothing written) when one is already kept for the visit."""
    if decision not in FINAL_DECISIONS:
        raise ValueError(f"only a final decision is kept, not {decision!r}")
    audit.take_write_lock(conn)  # the check below and the insert see the same database
    if decision_of(conn, visit_id) is not None:
        return False
    conn.execute(
        text(
            "INSERT INTO inventory_decisions (visit_id, decision, reason, decided_by, decided_at, learned_at) "
            "VALUES (:i, :d, :r, :b, :a, :l)"
        ),
        {"i": visit_id, "d": decision, "r": reason, "b": decided_by, "a": decided_at, "l": learned_at},
    )
    audit.append(
        conn,
        DECIDED_ACTION,
        visit_id,
        {"decision": decision, "reason": reason, "decided_by": decided_by, "decided_at": decided_at},
        at=learned_at,
    )
    return True
