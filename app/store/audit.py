"""The hash-chained audit journal: who recorded what, in an order nobody can quietly rewrite.

Each entry stores the SHA-256 of the entry before it and its own hash over its content
and that link, so editing, deleting or re-ordering any past entry breaks every hash
after it and :func:`verify_chain` says where. ``prev_hash`` is UNIQUE, so two writers
can never both append after the same entry (the chain cannot fork).

Appends happen inside the caller's transaction (an install, its intents and its audit
entry commit together). The journal never holds install codes or full MPxNs: callers
pass identifiers and summaries only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, text

from app.domain.journal import GENESIS_HASH, entry_hash
from app.domain.journal import canonical as _canonical

_HEAD = "audit_head"
#: The name of the counter every append bumps (the journal's length as written, cut or not).
HEAD_COUNTER = _HEAD


def utc_now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: str
    action: str
    subject: str
    detail: dict[str, Any]
    prev_hash: str
    entry_hash: str


def take_write_lock(conn: Connection) -> None:
    """Make the caller's transaction a write transaction *now*.

    Python's sqlite3 only opens a transaction at the first INSERT/UPDATE, so a SELECT run
    before it would read outside the transaction; writing first means the chain head read
    next is the one this transaction appends to (concurrent writers wait on busy_timeout).
    """
    conn.execute(text("INSERT OR IGNORE INTO outbox_counters (name, value) VALUES (:n, 0)"), {"n": _HEAD})
    conn.execute(text("UPDATE outbox_counters SET value = value WHERE name = :n"), {"n": _HEAD})


def append(conn: Connection, action: str, subject: str, detail: dict[str, Any], at: str | None = None) -> AuditEntry:
    """Append one entry in the caller's transaction and return it."""
    take_write_lock(conn)
    conn.execute(text("UPDATE outbox_counters SET value = value + 1 WHERE name = :n"), {"n": _HEAD})
    head = conn.execute(text("SELECT entry_hash FROM audit_journal ORDER BY id DESC LIMIT 1")).scalar()
    prev = head or GENESIS_HASH
    when = at or utc_now_text()
    detail_json = _canonical(detail)
    digest = entry_hash(prev, when, action, subject, detail_json)
    new_id = conn.execute(
        text(
            "INSERT INTO audit_journal (at, action, subject, detail_json, prev_hash, entry_hash) "
            "VALUES (:at, :action, :subject, :detail, :prev, :hash) RETURNING id"
        ),
        {"at": when, "action": action, "subject": subject, "detail": detail_json, "prev": prev, "hash": digest},
    ).scalar_one()
    return AuditEntry(int(new_id), when, action, subject, detail, prev, digest)


def entries(conn: Connection, subject: str | None = None) -> list[AuditEntry]:
    """Entries oldest first (all, or those about one subject)."""
    sql = "SELECT id, at, action, subject, detail_json, prev_hash, entry_hash FROM audit_journal"
    params: dict[str, Any] = {}
    if subject is not None:
        sql += " WHERE subject = :s"
        params["s"] = subject
    rows = conn.execute(text(sql + " ORDER BY id"), params).all()
    return [AuditEntry(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6]) for r in rows]


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The result of walking the journal: ``ok`` or the first entry that does not fit."""

    ok: bool
    entries: int
    broken_at: int | None = None
    problem: str | None = None


def verify_chain(conn: Connection) -> ChainCheck:
    """Recompute every hash and link, oldest first; report the first break."""
    rows = conn.execute(
        text("SELECT id, at, action, subject, detail_json, prev_hash, entry_hash FROM audit_journal ORDER BY id")
    ).all()
    prev = GENESIS_HASH
    for count, (row_id, at, action, subject, detail_json, prev_hash, digest) in enumerate(rows, start=1):
        if prev_hash != prev:
            return ChainCheck(False, count - 1, row_id, f"entry {row_id} does not follow the entry before it")
        if entry_hash(prev_hash, at, action, subject, detail_json) != digest:
            return ChainCheck(False, count - 1, row_id, f"entry {row_id} was changed after it was written")
        prev = digest
    appended = conn.execute(text("SELECT value FROM outbox_counters WHERE name = :n"), {"n": _HEAD}).scalar()
    if (appended or 0) != len(rows):
        # Every append bumps the head counter in the same transaction: a shortfall means
        # entries were cut off the end, which the links alone cannot show.
        return ChainCheck(False, len(rows), None, f"{appended} entries were written but {len(rows)} remain")
    return ChainCheck(True, len(rows))
