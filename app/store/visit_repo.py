"""Install visits by job and by id: the latest record of a job, its requests' states, withdrawal.

Why these are SQL and not loops in a service:

* The job list shows a state for every row, so :func:`latest_visits` answers for any number
  of jobs in ONE statement (the references travel as one JSON parameter, so there is no
  limit on how many and no statement text built per call).
* Withdrawing happens under the audit write lock, and the sync worker's pick
  (:func:`app.store.outbox.claim_due`) is one ``UPDATE … WHERE state = 'queued'``: the two
  are serialised by SQLite's single writer, so a withdrawn intent can never be picked, and an
  intent the worker picked first is seen as ``sent`` here and stops the withdrawal.

"Standing" below means not withdrawn. Times are the ISO-8601 UTC text the rows hold, which
sorts in time order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text

#: Newest first, standing visits before withdrawn ones (a withdrawal undoes one record, not the
#: job's earlier standing one).
_LATEST_ORDER = "(withdrawn_at IS NOT NULL), COALESCE(finished_at, started_at) DESC, rowid DESC"


@dataclass(frozen=True, slots=True)
class VisitRow:
    """One install visit row, without its personal data (no MPxN, no install code)."""

    id: str
    job_ref: str
    outcome: str  # recorded | aborted
    recorded_at: str
    ppmid: str | None
    hub: str | None
    meter: str | None
    verdict_level: str
    override_reason: str | None
    abort_reason: str | None
    sync_state: str
    withdrawn_at: str | None
    withdraw_reason: str | None


_VISIT_COLUMNS = (
    "id, job_ref, outcome, COALESCE(finished_at, started_at), ppmid, hub, meter, verdict_level, "
    "override_reason, abort_reason, sync_state, withdrawn_at, withdraw_reason"
)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _visit(r: Sequence[object]) -> VisitRow:
    return VisitRow(
        str(r[0]), str(r[1]), str(r[2]), str(r[3]), _text(r[4]), _text(r[5]), _text(r[6]), str(r[7]),
        _text(r[8]), _text(r[9]), str(r[10]), _text(r[11]), _text(r[12]),
    )


def visit(conn: Connection, install_id: str) -> VisitRow | None:
    row = conn.execute(
        text(f"SELECT {_VISIT_COLUMNS} FROM install_visits WHERE id = :i"), {"i": install_id}
    ).first()
    return _visit(row) if row is not None else None


def latest_standing(conn: Connection, job_ref: str, *, installs_only: bool = False) -> VisitRow | None:
    """The job's newest visit that was not withdrawn (only recorded installs if asked), or None."""
    only = "AND outcome = 'recorded'" if installs_only else ""
    row = conn.execute(
        text(
            f"SELECT {_VISIT_COLUMNS} FROM install_visits WHERE job_ref = :j AND withdrawn_at IS NULL {only} "
            f"ORDER BY {_LATEST_ORDER} LIMIT 1"
        ),
        {"j": job_ref},
    ).first()
    return _visit(row) if row is not None else None


def intent_states(conn: Connection, install_id: str) -> dict[str, int]:
    """How many of the visit's intents are in each state."""
    rows = conn.execute(
        text("SELECT state, COUNT(*) FROM outbox_intents WHERE install_id = :i GROUP BY state"), {"i": install_id}
    ).all()
    return {str(state): int(n) for state, n in rows}


@dataclass(frozen=True, slots=True)
class VisitIntent:
    """One intent of a visit as the withdrawal check needs it."""

    id: int
    idempotency_key: str
    srv: str
    target: str
    state: str
    attempts: int
    exported: bool


def visit_intents(conn: Connection, install_id: str) -> list[VisitIntent]:
    """The visit's intents in the order they were queued, with whether each was ever exported."""
    rows = conn.execute(
        text(
            "SELECT i.id, i.idempotency_key, i.srv, i.target, i.state, i.attempts, "
            "EXISTS (SELECT 1 FROM outbox_exports e WHERE e.intent_id = i.id) "
            "FROM outbox_intents i WHERE i.install_id = :i ORDER BY i.position, i.id"
        ),
        {"i": install_id},
    ).all()
    return [VisitIntent(int(r[0]), r[1], r[2], r[3], r[4], int(r[5]), bool(r[6])) for r in rows]


def withdraw(conn: Connection, install_id: str, reason: str, now_text: str) -> tuple[int, str]:
    """Mark the visit withdrawn and every one of its still-queued intents ``withdrawn``.

    Run under the write lock, after the caller checked that no intent left the laptop.
    Returns (intents withdrawn, the visit record's sync state afterwards): a record still
    ``queued`` becomes ``withdrawn`` (it will never be uploaded); one already ``sent``,
    ``accepted`` or ``rejected`` keeps its state (see :data:`app.store.outbox._VISIT_BACK`
    for a record whose upload is in flight).
    """
    changed = conn.execute(
        text(
            "UPDATE outbox_intents SET state = 'withdrawn', updated_at = :t "
            "WHERE install_id = :i AND state = 'queued'"
        ),
        {"i": install_id, "t": now_text},
    ).rowcount
    state = conn.execute(
        text(
            "UPDATE install_visits SET withdrawn_at = :t, withdraw_reason = :r, "
            "sync_state = CASE WHEN sync_state = 'queued' THEN 'withdrawn' ELSE sync_state END "
            "WHERE id = :i AND withdrawn_at IS NULL RETURNING sync_state"
        ),
        {"i": install_id, "t": now_text, "r": reason},
    ).scalar_one()
    return int(changed or 0), str(state)


@dataclass(frozen=True, slots=True)
class JobVisitState:
    """The facts a job's state is decided from: its deciding visit, if any."""

    job_ref: str
    install_id: str
    outcome: str
    sync_state: str
    withdrawn: bool
    pending: int  # intents still queued or sent (not yet with the back office)


def latest_visits(conn: Connection, job_refs: Sequence[str]) -> dict[str, JobVisitState]:
    """For each job that has visits, its deciding visit in ONE statement.

    The deciding visit is the newest standing one, or, when every visit was withdrawn, the
    newest withdrawn one. Jobs without visits are absent from the result.
    """
    if not job_refs:
        return {}
    rows = conn.execute(
        text(
            "WITH ranked AS (SELECT id, job_ref, outcome, sync_state, withdrawn_at, "
            f"ROW_NUMBER() OVER (PARTITION BY job_ref ORDER BY {_LATEST_ORDER}) AS n "
            "FROM install_visits WHERE job_ref IN (SELECT value FROM json_each(:refs))) "
            "SELECT r.job_ref, r.id, r.outcome, r.sync_state, r.withdrawn_at IS NOT NULL, "
            "(SELECT COUNT(*) FROM outbox_intents i WHERE i.install_id = r.id AND i.state IN ('queued', 'sent')) "
            "FROM ranked r WHERE r.n = 1"
        ),
        {"refs": json.dumps(sorted(set(job_refs)))},
    ).all()
    return {
        str(r[0]): JobVisitState(str(r[0]), str(r[1]), str(r[2]), str(r[3]), bool(r[4]), int(r[5])) for r in rows
    }
