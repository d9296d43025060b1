"""Monotonic counters: the status-change cursor and the DCC RequestID counter.

Both are rows in ``bo_counters`` bumped with ``UPDATE … RETURNING``. The row lock the
update takes is held until commit, so a later number can never become visible before
an earlier one: a laptop that pulled up to cursor N will never later find a change
below N appear (PostgreSQL sequences do not promise that; this does).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.backoffice.db import CHANGE_COUNTER
from app.backoffice.models import Counter


def _ensure(session: Session, name: str, start: int = 0) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(Counter).values(name=name, value=start).on_conflict_do_nothing())
    else:
        session.execute(sqlite.insert(Counter).values(name=name, value=start).on_conflict_do_nothing())


def lock_changes(session: Session) -> None:
    """Take the change-counter lock now (PostgreSQL), so the whole transaction runs in order.

    Intake calls it once it knows it has new intents to store, before reading their
    prerequisites' states; a concurrent insert of the same key is caught by the unique index.
    On SQLite the write transaction's ``BEGIN IMMEDIATE`` already serialises writers.
    """
    session.execute(select(Counter.value).where(Counter.name == CHANGE_COUNTER).with_for_update())


def reserve_changes(session: Session, count: int) -> int:
    """Reserve ``count`` consecutive change numbers; returns the first one."""
    if count <= 0:
        return 0
    stmt = (
        update(Counter)
        .where(Counter.name == CHANGE_COUNTER)
        .values(value=Counter.value + count)
        .returning(Counter.value)
    )
    last = session.execute(stmt).scalar_one_or_none()
    if last is None:  # a database created before the counter row existed
        _ensure(session, CHANGE_COUNTER)
        last = session.execute(stmt).scalar_one()
    return int(last) - count + 1


def current_change(session: Session) -> int:
    """The last change number handed out (0 before any)."""
    value = session.scalar(select(Counter.value).where(Counter.name == CHANGE_COUNTER))
    return int(value or 0)


def next_request_counter(session: Session, originator: str, now: datetime) -> int:
    """The next OriginatorCounter for ``originator``: above every earlier one and ≥ epoch-ms.

    Epoch milliseconds are what DCC Boxed uses, so counters stay above any a fresh
    database or another tool might have sent from the same originator.
    """
    name = f"request_counter:{originator}"
    _ensure(session, name)
    now_ms = int(now.timestamp() * 1000)
    bumped = Counter.value + 1
    stmt = (
        update(Counter)
        .where(Counter.name == name)
        .values(value=case((bumped > literal(now_ms), bumped), else_=literal(now_ms)))
        .returning(Counter.value)
    )
    return int(session.execute(stmt).scalar_one())
