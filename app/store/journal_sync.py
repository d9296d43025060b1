"""What the laptop needs to send its audit journal to the back office: who it is, and what is not yet there.

* **The laptop's id** (settings key ``laptop_id``): the back office files each laptop's
  journal under (installer, laptop), so the id must never change. It is made once, on
  first use, and written into the journal itself (a ``laptop.identity`` entry) as well as
  the settings: a settings file lost or set aside after damage gets the same id back from
  the journal, and a hand-edited setting is put back to it. The first such entry is made
  under the journal's write lock, so two processes starting at once agree on one id.
* **The entries still to send**: those after the last id the back office acknowledged,
  oldest first, with the journal's head counter (how many entries were ever appended) when
  the batch reaches the newest entry, so a cut end shows at the back office.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from app.domain.journal import LinkedEntry
from app.store import audit
from app.store.settings import SettingsStore

IDENTITY_ACTION = "laptop.identity"


def _journal_id(conn: Connection) -> str | None:
    found = conn.execute(
        text("SELECT subject FROM audit_journal WHERE action = :a ORDER BY id LIMIT 1"), {"a": IDENTITY_ACTION}
    ).scalar()
    if found is None:
        return None
    try:
        return str(uuid.UUID(str(found)))
    except ValueError:
        return None


def ensure_laptop_id(engine: Engine, settings: SettingsStore) -> str:
    """The laptop's id: the journal's, else the setting's, else a new one; both kept in step."""
    configured = str(settings.get("laptop_id") or "")
    with engine.connect() as conn:
        recorded = _journal_id(conn)
    if recorded is None:
        with engine.begin() as conn:
            audit.take_write_lock(conn)
            recorded = _journal_id(conn)  # another process may have made it meanwhile
            if recorded is None:
                recorded = configured or str(uuid.uuid4())
                audit.append(
                    conn, IDENTITY_ACTION, recorded, {"source": "settings" if configured else "new"}
                )
    if configured != recorded:
        settings.set("laptop_id", recorded)
    return recorded


@dataclass(frozen=True, slots=True)
class PendingJournal:
    """The next batch to send: ``written`` is set only when the batch reaches the newest entry."""

    entries: list[LinkedEntry]
    written: int | None
    more: bool


def pending_entries(conn: Connection, after: int, limit: int) -> PendingJournal:
    """Entries with an id above ``after``, oldest first, at most ``limit`` of them.

    The head counter is read first: an entry appended between the two reads only makes the
    batch end past the count, never before it (which would look like a cut end).
    """
    written = int(
        conn.execute(text("SELECT value FROM outbox_counters WHERE name = :n"), {"n": audit.HEAD_COUNTER}).scalar()
        or 0
    )
    rows = conn.execute(
        text(
            "SELECT id, at, action, subject, detail_json, prev_hash, entry_hash FROM audit_journal "
            "WHERE id > :after ORDER BY id LIMIT :limit"
        ),
        {"after": after, "limit": limit + 1},
    ).all()
    more = len(rows) > limit
    entries = [LinkedEntry(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows[:limit]]
    return PendingJournal(entries, None if more else written, more)


def count_after(conn: Connection, after: int) -> int:
    """How many entries the back office has not acknowledged yet."""
    return int(conn.execute(text("SELECT COUNT(*) FROM audit_journal WHERE id > :a"), {"a": after}).scalar() or 0)
