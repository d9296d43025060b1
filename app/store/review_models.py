"""The review index: one row per install visit with what the analyst filters and sorts by.

Why a table of its own, kept by triggers:

* A visit's Service Request progress (failed, waiting, done…) is an aggregate of its intents;
  computing it for every visit to filter or sort a page would read every intent. The index
  keeps the counts and the rank, so a filter or a sort walks one index and stops at a page.
* The triggers live in the database, so every writer (recording a visit, the sync worker
  moving an intent on, a withdrawal) keeps the index right without knowing it exists, and a
  crash can never leave the two apart: a trigger runs in the writer's own transaction.
* A visit's reason codes are rows of ``review_visit_reasons`` (code, started_at), so "every
  visit with this reason, newest first" is one index range, not a JSON scan of each visit.

Schema step 6 creates both tables on an older database and fills them from its visits; a new
database gets them from ``create_all`` (the ``after_create`` hooks below add the triggers).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Index, Integer, String, Table, event
from sqlalchemy.orm import Mapped, mapped_column

from app.domain.review import SR_FAILED_STATES, SR_WAITING_STATES, sr_rank_sql, states_sql, verdict_rank_sql
from app.store.models import Base


class ReviewVisitRow(Base):
    """A visit's filter and sort keys (the visit itself stays in ``install_visits``)."""

    __tablename__ = "review_visits"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    started_at: Mapped[str] = mapped_column(String(40))
    job_ref: Mapped[str] = mapped_column(String(64))
    ppmid: Mapped[str | None] = mapped_column(String(23), nullable=True)
    hub: Mapped[str | None] = mapped_column(String(23), nullable=True)
    meter: Mapped[str | None] = mapped_column(String(23), nullable=True)
    verdict_level: Mapped[str] = mapped_column(String(8))
    verdict_rank: Mapped[int] = mapped_column(Integer)
    overridden: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    scenario: Mapped[str] = mapped_column(String(40), default="", server_default="")
    withdrawn: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sr_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sr_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sr_failed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sr_waiting: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sr_withdrawn: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sr_rank: Mapped[int] = mapped_column(Integer, default=4, server_default="4")

    __table_args__ = (
        Index("ix_review_started", "started_at", "id"),
        Index("ix_review_job", "job_ref", "started_at", "id"),
        Index("ix_review_verdict", "verdict_rank", "started_at", "id"),
        Index("ix_review_sr", "sr_rank", "started_at", "id"),
        Index("ix_review_overridden", "overridden", "started_at", "id"),
        Index("ix_review_scenario", "scenario", "started_at", "id"),
        Index("ix_review_ppmid", "ppmid"),
        Index("ix_review_hub", "hub"),
        Index("ix_review_meter", "meter"),
    )


class ReviewReasonRow(Base):
    """One reason code of one visit, with the visit's start so a code's visits come newest first."""

    __tablename__ = "review_visit_reasons"

    visit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[str] = mapped_column(String(40))

    __table_args__ = (Index("ix_review_reason_code", "code", "started_at", "visit_id"),)


_VERDICT_RANK_SQL = verdict_rank_sql("{v}")

#: Recount one visit's intents and re-rank it; ``{id}`` is the visit id expression.
_RECOUNT = (
    "UPDATE review_visits SET (sr_total, sr_done, sr_failed, sr_waiting, sr_withdrawn) = ("
    "SELECT COUNT(*), COALESCE(SUM(state = 'succeeded'), 0), "
    f"COALESCE(SUM(state IN {states_sql(SR_FAILED_STATES)}), 0), "
    f"COALESCE(SUM(state IN {states_sql(SR_WAITING_STATES)}), 0), "
    "COALESCE(SUM(state = 'withdrawn'), 0) FROM outbox_intents WHERE install_id = {id}) WHERE id = {id}; "
    "UPDATE review_visits SET sr_rank = "
    + sr_rank_sql("sr_failed", "sr_waiting", "(withdrawn = 1 OR sr_withdrawn > 0)", "sr_total")
    + " WHERE id = {id};"
)

_VISIT_VALUES = (
    "{p}.id, {p}.started_at, {p}.job_ref, {p}.ppmid, {p}.hub, {p}.meter, {p}.verdict_level, "
    + _VERDICT_RANK_SQL.format(v="{p}.verdict_level")
    + ", ({p}.override_reason IS NOT NULL AND {p}.override_reason <> ''), "
    "COALESCE(json_extract({p}.meta_json, '$.scenario'), ''), ({p}.withdrawn_at IS NOT NULL)"
)
_VISIT_COLUMNS = (
    "id, started_at, job_ref, ppmid, hub, meter, verdict_level, verdict_rank, overridden, scenario, withdrawn"
)
_REASONS_OF = (
    "SELECT {p}.id, json_extract(j.value, '$.code'), {p}.started_at FROM json_each({p}.reasons_json) j "
    "WHERE json_extract(j.value, '$.code') IS NOT NULL"
)

TRIGGERS: dict[str, str] = {
    "review_visit_added": (
        "CREATE TRIGGER IF NOT EXISTS review_visit_added AFTER INSERT ON install_visits BEGIN "
        f"INSERT OR REPLACE INTO review_visits ({_VISIT_COLUMNS}) SELECT {_VISIT_VALUES.format(p='NEW')}; "
        f"INSERT OR IGNORE INTO review_visit_reasons (visit_id, code, started_at) {_REASONS_OF.format(p='NEW')}; "
        + _RECOUNT.format(id="NEW.id")
        + " END"
    ),
    "review_visit_changed": (
        "CREATE TRIGGER IF NOT EXISTS review_visit_changed AFTER UPDATE OF withdrawn_at, override_reason, "
        "verdict_level ON install_visits BEGIN "
        "UPDATE review_visits SET withdrawn = (NEW.withdrawn_at IS NOT NULL), "
        "overridden = (NEW.override_reason IS NOT NULL AND NEW.override_reason <> ''), "
        f"verdict_level = NEW.verdict_level, verdict_rank = {_VERDICT_RANK_SQL.format(v='NEW.verdict_level')} "
        "WHERE id = NEW.id; " + _RECOUNT.format(id="NEW.id") + " END"
    ),
    "review_visit_removed": (
        "CREATE TRIGGER IF NOT EXISTS review_visit_removed AFTER DELETE ON install_visits BEGIN "
        "DELETE FROM review_visit_reasons WHERE visit_id = OLD.id; DELETE FROM review_visits WHERE id = OLD.id; END"
    ),
    "review_intent_added": (
        "CREATE TRIGGER IF NOT EXISTS review_intent_added AFTER INSERT ON outbox_intents "
        "WHEN NEW.install_id IS NOT NULL BEGIN " + _RECOUNT.format(id="NEW.install_id") + " END"
    ),
    "review_intent_moved": (
        "CREATE TRIGGER IF NOT EXISTS review_intent_moved AFTER UPDATE OF state ON outbox_intents "
        "WHEN NEW.install_id IS NOT NULL AND NEW.state IS NOT OLD.state BEGIN "
        + _RECOUNT.format(id="NEW.install_id")
        + " END"
    ),
}


def create_triggers(conn: Connection) -> None:
    for ddl in TRIGGERS.values():
        conn.exec_driver_sql(ddl)


def drop_triggers(conn: Connection) -> None:
    """For a bulk load (the benchmark): load, then :func:`rebuild` and :func:`create_triggers`."""
    for name in TRIGGERS:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")


def rebuild(conn: Connection) -> None:
    """Fill the index from every visit and intent (schema step 6, or after a bulk load)."""
    conn.exec_driver_sql("DELETE FROM review_visit_reasons")
    conn.exec_driver_sql("DELETE FROM review_visits")
    conn.exec_driver_sql(
        f"INSERT INTO review_visits ({_VISIT_COLUMNS}) SELECT {_VISIT_VALUES.format(p='v')} FROM install_visits v"
    )
    conn.exec_driver_sql(
        "INSERT OR IGNORE INTO review_visit_reasons (visit_id, code, started_at) "
        + _REASONS_OF.format(p="v").replace("FROM json_each", "FROM install_visits v, json_each")
    )
    conn.exec_driver_sql(
        "UPDATE review_visits SET (sr_total, sr_done, sr_failed, sr_waiting, sr_withdrawn) = ("
        "SELECT COUNT(*), COALESCE(SUM(state = 'succeeded'), 0), "
        f"COALESCE(SUM(state IN {states_sql(SR_FAILED_STATES)}), 0), "
        f"COALESCE(SUM(state IN {states_sql(SR_WAITING_STATES)}), 0), "
        "COALESCE(SUM(state = 'withdrawn'), 0) FROM outbox_intents i WHERE i.install_id = review_visits.id)"
    )
    conn.exec_driver_sql(
        "UPDATE review_visits SET sr_rank = "
        + sr_rank_sql("sr_failed", "sr_waiting", "(withdrawn = 1 OR sr_withdrawn > 0)", "sr_total")
    )


def create_support_indexes(conn: Connection) -> None:
    """Indexes on existing tables the review's look-ups need (the journal entry of a visit)."""
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_audit_subject ON audit_journal (subject, id)")


def _after_create(_target: Any, connection: Connection, **_kw: Any) -> None:
    """After ``create_all`` (a fresh database, schema step 6, or the final pass of an upgrade):
    when the triggers are missing, add the journal's index, fill the review index from the
    visits and add the triggers. Once they exist this does nothing, so it runs once."""
    names = {
        str(row[0])
        for row in connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
    }
    needed = {"install_visits", "outbox_intents", "audit_journal", "review_visits", "review_visit_reasons"}
    if not needed <= names or set(TRIGGERS) <= names:
        return
    create_support_indexes(connection)
    rebuild(connection)
    create_triggers(connection)


event.listen(Base.metadata, "after_create", _after_create)

#: The tables this module adds (schema step 6 creates them).
REVIEW_TABLES: list[Table] = [ReviewVisitRow.__table__, ReviewReasonRow.__table__]  # type: ignore[list-item]
