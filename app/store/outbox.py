"""The outbox: queued intents and install records, and every state change they go through.

DOMAIN A4: ``queued → sent → [waiting →] accepted → submitted → succeeded | failed``, plus ``rejected``,
and ``queued → withdrawn`` when the installer undoes a visit before any of it was sent.
Why each rule here:

* Each function is one short statement or a handful, run in the caller's transaction;
  the sync worker commits after each state change so a crash loses at most the change
  in flight, never a queued intent.
* A row is marked ``sent`` *before* its HTTP request; a crash leaves it ``sent`` and
  :func:`recover_in_flight` puts it back to ``queued``. Re-sending is safe because the
  back office de-duplicates on the idempotency key made when the intent was queued.
* States only move forward (:data:`RANK`): a late HTTP answer or an old status change
  can never pull an intent back from ``submitted`` to ``accepted``.
* Nothing here deletes a row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, text


class IntentState(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    #: The back office has it but holds it back: a prerequisite (e.g. the 8.11 before the joins)
    #: has not succeeded yet, or it waits for a back-office approval (an 8.4 remedy).
    WAITING = "waiting"
    ACCEPTED = "accepted"
    SUBMITTED = "submitted"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REJECTED = "rejected"
    #: The installer withdrew the visit before any of its requests was sent; final, never sent.
    WITHDRAWN = "withdrawn"

    def __str__(self) -> str:
        return self.value


#: How far along each state is; a change is applied only when it moves an intent forward.
#: ``waiting`` comes before ``accepted``: the back office releases a waiting intent to
#: ``accepted`` (then the DCC) once its prerequisites have succeeded, never the other way.
RANK: dict[str, int] = {
    "queued": 0,
    "sent": 1,
    "waiting": 2,
    "accepted": 3,
    "submitted": 4,
    "succeeded": 5,
    "failed": 5,
    "rejected": 5,
    "withdrawn": 5,
}
SERVER_STATES = frozenset({"waiting", "accepted", "submitted", "succeeded", "failed", "rejected"})
FINAL_STATES = frozenset({"succeeded", "failed", "rejected", "withdrawn"})
_RANK_SQL = (
    "CASE state WHEN 'queued' THEN 0 WHEN 'sent' THEN 1 WHEN 'waiting' THEN 2 WHEN 'accepted' THEN 3 "
    "WHEN 'submitted' THEN 4 ELSE 5 END"
)

#: Where a visit record goes when its upload is handed back (a fault, or a crash while it was
#: ``sent``): ``queued`` to try again, unless the visit was withdrawn meanwhile, whose record
#: then stays on the laptop (``withdrawn``) instead of reaching the back office as a live install.
_VISIT_BACK = "CASE WHEN withdrawn_at IS NULL THEN 'queued' ELSE 'withdrawn' END"

#: Counter names in ``outbox_counters``.
EXPORT_COUNTER = "duis_request_counter"
STATUS_CURSOR = "status_cursor"
#: Unix time (whole seconds) before which timed syncs leave one back office alone because it
#: answered ``Retry-After``; 0 = no wait. Per back office, so it survives a restart.
SYNC_NOT_BEFORE = "sync_not_before"


# --------------------------------------------------------------------------- writing a visit


@dataclass(frozen=True, slots=True)
class VisitValues:
    """An install visit row as :func:`insert_visit` stores it."""

    id: str
    job_ref: str
    ppmid: str | None
    hub: str | None
    meter: str | None
    meter_type: str | None
    verdict_level: str
    regime: str
    regime_source: str
    reasons: Sequence[dict[str, Any]]
    override_reason: str | None
    outcome: str
    abort_reason: str | None
    meta: dict[str, Any]
    started_at: str
    finished_at: str | None


@dataclass(frozen=True, slots=True)
class NewIntent:
    """An intent ready to queue: rendered, validated, with its idempotency key."""

    idempotency_key: str
    kind: str
    srv: str
    command_variant: int
    target: str
    critical: bool
    payload: dict[str, Any]
    duis_xml: str
    #: Idempotency keys of the intents this one waits for (DOMAIN A5: the joins wait for the 8.11).
    depends_on: tuple[str, ...] = ()
    #: The back office must approve it before it goes to the DCC (the 8.4 remedy).
    needs_approval: bool = False


def insert_visit(conn: Connection, visit: VisitValues) -> None:
    conn.execute(
        text(
            "INSERT INTO install_visits (id, job_ref, ppmid, hub, meter, meter_type, verdict_level, regime, "
            "regime_source, reasons_json, override_reason, outcome, abort_reason, meta_json, started_at, "
            "finished_at, sync_state, sync_attempts, next_attempt_at) VALUES (:id, :job_ref, :ppmid, :hub, "
            ":meter, :meter_type, :verdict_level, :regime, :regime_source, :reasons, :override_reason, "
            ":outcome, :abort_reason, :meta, :started_at, :finished_at, 'queued', 0, 0)"
        ),
        {
            "id": visit.id,
            "job_ref": visit.job_ref,
            "ppmid": visit.ppmid,
            "hub": visit.hub,
            "meter": visit.meter,
            "meter_type": visit.meter_type,
            "verdict_level": visit.verdict_level,
            "regime": visit.regime,
            "regime_source": visit.regime_source,
            "reasons": json.dumps(list(visit.reasons), ensure_ascii=False),
            "override_reason": visit.override_reason,
            "outcome": visit.outcome,
            "abort_reason": visit.abort_reason,
            "meta": json.dumps(visit.meta, ensure_ascii=False, sort_keys=True),
            "started_at": visit.started_at,
            "finished_at": visit.finished_at,
        },
    )


def insert_intents(
    conn: Connection, intents: Sequence[NewIntent], *, install_id: str | None, job_ref: str | None, now: str
) -> None:
    """Queue the intents (state ``queued``, due at once) in the caller's transaction."""
    if not intents:
        return
    conn.execute(
        text(
            "INSERT INTO outbox_intents (idempotency_key, install_id, position, job_ref, kind, srv, "
            "command_variant, target, critical, payload_json, duis_xml, state, attempts, next_attempt_at, "
            "created_at, updated_at) VALUES (:key, :install_id, :position, :job_ref, :kind, :srv, :cv, "
            ":target, :critical, :payload, :xml, 'queued', 0, 0, :now, :now)"
        ),
        [
            {
                "key": intent.idempotency_key,
                "install_id": install_id,
                "position": position,
                "job_ref": job_ref,
                "kind": intent.kind,
                "srv": intent.srv,
                "cv": intent.command_variant,
                "target": intent.target,
                "critical": intent.critical,
                "payload": json.dumps(intent.payload, ensure_ascii=False, sort_keys=True),
                "xml": intent.duis_xml,
                "now": now,
            }
            for position, intent in enumerate(intents)
        ],
    )
    insert_orders(conn, intents)


def insert_orders(conn: Connection, intents: Sequence[NewIntent]) -> None:
    """Store each intent's prerequisites and approval need (in the caller's transaction)."""
    links = [
        {"key": intent.idempotency_key, "requires": requires, "position": position}
        for intent in intents
        for position, requires in enumerate(intent.depends_on)
    ]
    if links:
        conn.execute(
            text(
                "INSERT INTO intent_prerequisites (intent_key, prerequisite_key, position) "
                "VALUES (:key, :requires, :position)"
            ),
            links,
        )
    approvals = [{"key": intent.idempotency_key} for intent in intents if intent.needs_approval]
    if approvals:
        conn.execute(text("INSERT INTO intent_approvals (intent_key, needs_approval) VALUES (:key, 1)"), approvals)


def orders_for(conn: Connection, keys: Sequence[str]) -> dict[str, tuple[tuple[str, ...], bool]]:
    """``{key: (depends_on, needs_approval)}`` for the intents among ``keys`` that have either.

    One statement per table whatever the number of keys (they travel as one JSON parameter).
    """
    if not keys:
        return {}
    wanted = json.dumps(list(keys))
    found: dict[str, tuple[list[str], bool]] = {}
    for key, requires in conn.execute(
        text(
            "SELECT intent_key, prerequisite_key FROM intent_prerequisites "
            "WHERE intent_key IN (SELECT value FROM json_each(:keys)) ORDER BY intent_key, position, id"
        ),
        {"keys": wanted},
    ).all():
        found.setdefault(str(key), ([], False))[0].append(str(requires))
    for (key,) in conn.execute(
        text(
            "SELECT intent_key FROM intent_approvals "
            "WHERE needs_approval AND intent_key IN (SELECT value FROM json_each(:keys))"
        ),
        {"keys": wanted},
    ).all():
        found[str(key)] = (found.get(str(key), ([], False))[0], True)
    return {key: (tuple(requires), approval) for key, (requires, approval) in found.items()}


# --------------------------------------------------------------------------- sync: intents


@dataclass(frozen=True, slots=True)
class ClaimedIntent:
    """An intent the sync worker has just marked ``sent`` and is about to POST."""

    id: int
    idempotency_key: str
    install_id: str | None
    job_ref: str | None
    kind: str
    srv: str
    command_variant: int
    target: str
    critical: bool
    payload_json: str
    duis_xml: str
    created_at: str
    attempts: int
    #: Idempotency keys of the intents it waits for, and whether the back office must approve it.
    depends_on: tuple[str, ...] = ()
    needs_approval: bool = False


_CLAIM_COLUMNS = (
    "id, idempotency_key, install_id, job_ref, kind, srv, command_variant, target, critical, "
    "payload_json, duis_xml, created_at, attempts"
)


def claim_due(conn: Connection, *, now: float, now_text: str, limit: int, ignore_backoff: bool = False) -> list[ClaimedIntent]:
    """Mark up to ``limit`` due ``queued`` intents ``sent`` (oldest first) and return them.

    One statement, so two sync workers can never claim the same row.
    """
    due = "" if ignore_backoff else "AND next_attempt_at <= :now"
    rows = conn.execute(
        text(
            "UPDATE outbox_intents SET state = 'sent', attempts = attempts + 1, sent_at = :t, updated_at = :t "
            f"WHERE id IN (SELECT id FROM outbox_intents WHERE state = 'queued' {due} ORDER BY id LIMIT :n) "
            f"RETURNING {_CLAIM_COLUMNS}"
        ),
        {"now": now, "t": now_text, "n": limit},
    ).all()
    claimed = [
        ClaimedIntent(r[0], r[1], r[2], r[3], r[4], r[5], int(r[6]), r[7], bool(r[8]), r[9], r[10], r[11], int(r[12]))
        for r in rows
    ]
    claimed.sort(key=lambda c: c.id)
    orders = orders_for(conn, [c.idempotency_key for c in claimed])
    if orders:
        claimed = [
            replace(c, depends_on=orders[c.idempotency_key][0], needs_approval=orders[c.idempotency_key][1])
            if c.idempotency_key in orders
            else c
            for c in claimed
        ]
    return claimed


@dataclass(frozen=True, slots=True)
class ServerAnswer:
    """What the back office said about one intent (batch result or status change)."""

    state: str
    request_id: str | None = None
    response_code: str | None = None
    reason: str | None = None
    seq: int | None = None


def record_answers(conn: Connection, answers: Iterable[tuple[int, ServerAnswer]], now_text: str) -> int:
    """Apply the back office's verdict on sent intents, moving each one forward only."""
    params = [
        {
            "id": row_id,
            "state": a.state,
            "rank": RANK[a.state],
            "rid": a.request_id,
            "code": a.response_code,
            "reason": a.reason,
            "seq": a.seq,
            "t": now_text,
            "err": a.reason if a.state == "rejected" else None,
        }
        for row_id, a in answers
    ]
    if not params:
        return 0
    result = conn.execute(
        text(
            "UPDATE outbox_intents SET state = :state, updated_at = :t, "
            "accepted_at = CASE WHEN :state = 'rejected' THEN accepted_at ELSE COALESCE(accepted_at, :t) END, request_id = COALESCE(:rid, request_id), "
            "response_code = COALESCE(:code, response_code), server_reason = COALESCE(:reason, server_reason), "
            "server_seq = COALESCE(:seq, server_seq), last_error = COALESCE(:err, last_error) "
            f"WHERE id = :id AND {_RANK_SQL} < :rank"
        ),
        params,
    )
    return int(result.rowcount or 0)


def release(conn: Connection, retries: Iterable[tuple[int, float]], error: str, now_text: str) -> int:
    """Put sent intents back to ``queued`` after a transient fault, each with its next attempt time."""
    params = [{"id": row_id, "next": next_at, "err": error[:2000], "t": now_text} for row_id, next_at in retries]
    if not params:
        return 0
    result = conn.execute(
        text(
            "UPDATE outbox_intents SET state = 'queued', next_attempt_at = :next, last_error = :err, "
            "updated_at = :t WHERE id = :id AND state = 'sent'"
        ),
        params,
    )
    return int(result.rowcount or 0)


def recover_in_flight(conn: Connection) -> int:
    """Rows a crash left ``sent`` go back to ``queued``, due at once (their next send is a safe replay).

    Only call this while no other sync worker is running (the sync lock guarantees it).
    """
    intents = conn.execute(
        text("UPDATE outbox_intents SET state = 'queued', next_attempt_at = 0 WHERE state = 'sent'")
    ).rowcount
    visits = conn.execute(
        text(
            f"UPDATE install_visits SET sync_state = {_VISIT_BACK}, next_attempt_at = 0 WHERE sync_state = 'sent'"
        )
    ).rowcount
    return int(intents or 0) + int(visits or 0)


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    idempotency_key: str
    answer: ServerAnswer


def apply_status_changes(conn: Connection, changes: Sequence[StatusUpdate], now_text: str) -> int:
    """Apply pulled status changes (forward moves only); returns how many rows changed."""
    if not changes:
        return 0
    params = [
        {
            "key": c.idempotency_key,
            "state": c.answer.state,
            "rank": RANK[c.answer.state],
            "rid": c.answer.request_id,
            "code": c.answer.response_code,
            "reason": c.answer.reason,
            "seq": c.answer.seq,
            "t": now_text,
            "err": c.answer.reason if c.answer.state in ("rejected", "failed") else None,
        }
        for c in changes
        if c.answer.state in RANK
    ]
    result = conn.execute(
        text(
            "UPDATE outbox_intents SET state = :state, updated_at = :t, "
            "accepted_at = CASE WHEN :state = 'rejected' THEN accepted_at ELSE COALESCE(accepted_at, :t) END, request_id = COALESCE(:rid, request_id), "
            "response_code = COALESCE(:code, response_code), server_reason = COALESCE(:reason, server_reason), "
            "server_seq = :seq, last_error = COALESCE(:err, last_error) "
            f"WHERE idempotency_key = :key AND {_RANK_SQL} < :rank"
        ),
        params,
    )
    return int(result.rowcount or 0)


# --------------------------------------------------------------------------- sync: visit records


@dataclass(frozen=True, slots=True)
class ClaimedVisit:
    id: str
    job_ref: str
    ppmid: str | None
    hub: str | None
    meter: str | None
    meter_type: str | None
    verdict_level: str
    regime: str
    regime_source: str
    reasons_json: str
    override_reason: str | None
    outcome: str
    abort_reason: str | None
    meta_json: str
    started_at: str
    finished_at: str | None
    attempts: int


def claim_due_visits(conn: Connection, *, now: float, limit: int, ignore_backoff: bool = False) -> list[ClaimedVisit]:
    due = "" if ignore_backoff else "AND next_attempt_at <= :now"
    rows = conn.execute(
        text(
            "UPDATE install_visits SET sync_state = 'sent', sync_attempts = sync_attempts + 1 WHERE id IN "
            f"(SELECT id FROM install_visits WHERE sync_state = 'queued' {due} ORDER BY started_at LIMIT :n) "
            "RETURNING id, job_ref, ppmid, hub, meter, meter_type, verdict_level, regime, regime_source, "
            "reasons_json, override_reason, outcome, abort_reason, meta_json, started_at, finished_at, sync_attempts"
        ),
        {"now": now, "n": limit},
    ).all()
    return [
        ClaimedVisit(
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15],
            int(r[16]),
        )
        for r in rows
    ]


def finish_visits(conn: Connection, results: Iterable[tuple[str, str, str | None]]) -> int:
    """Set each sent visit's upload state: ``accepted`` or ``rejected`` (with the reason)."""
    params = [{"id": vid, "s": state, "err": err} for vid, state, err in results]
    if not params:
        return 0
    result = conn.execute(
        text(
            "UPDATE install_visits SET sync_state = :s, last_error = COALESCE(:err, last_error) "
            "WHERE id = :id AND sync_state = 'sent'"
        ),
        params,
    )
    return int(result.rowcount or 0)


def release_visits(conn: Connection, retries: Iterable[tuple[str, float]], error: str) -> int:
    params = [{"id": vid, "next": next_at, "err": error[:2000]} for vid, next_at in retries]
    if not params:
        return 0
    result = conn.execute(
        text(
            f"UPDATE install_visits SET sync_state = {_VISIT_BACK}, next_attempt_at = :next, last_error = :err "
            "WHERE id = :id AND sync_state = 'sent'"
        ),
        params,
    )
    return int(result.rowcount or 0)


# --------------------------------------------------------------------------- counters


def next_counter(conn: Connection, name: str, floor: int = 0) -> int:
    """The next value of a persisted monotonic counter: above every earlier one and at least ``floor``.

    Never reused, even after a crash: the bump commits with whatever used the number.
    """
    conn.execute(text("INSERT OR IGNORE INTO outbox_counters (name, value) VALUES (:n, 0)"), {"n": name})
    return int(
        conn.execute(
            text("UPDATE outbox_counters SET value = MAX(value + 1, :floor) WHERE name = :n RETURNING value"),
            {"n": name, "floor": floor},
        ).scalar_one()
    )


def read_counter(conn: Connection, name: str) -> int:
    value = conn.execute(text("SELECT value FROM outbox_counters WHERE name = :n"), {"n": name}).scalar()
    return int(value or 0)


def set_counter(conn: Connection, name: str, value: int) -> None:
    """Set a stored number outright, up or down (the sync's "not before" time, which a newer
    answer of the back office replaces and a good pass clears)."""
    conn.execute(
        text("INSERT INTO outbox_counters (name, value) VALUES (:n, :v) ON CONFLICT (name) DO UPDATE SET value = :v"),
        {"n": name, "v": value},
    )


def raise_counter(conn: Connection, name: str, value: int) -> None:
    """Move a counter up to ``value`` (never down): the status cursor only advances."""
    conn.execute(text("INSERT OR IGNORE INTO outbox_counters (name, value) VALUES (:n, 0)"), {"n": name})
    conn.execute(text("UPDATE outbox_counters SET value = MAX(value, :v) WHERE name = :n"), {"n": name, "v": value})


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class IntentView:
    """One queued intent as the queue screen and ``hubcheck queue list`` show it (no personal data)."""

    id: int
    srv: str
    target: str
    state: str
    attempts: int
    last_error: str | None
    created_at: str
    idempotency_key: str
    kind: str = ""
    command_variant: int = 0
    critical: bool = False
    job_ref: str | None = None
    install_id: str | None = None
    next_attempt_at: float = 0.0
    request_id: str | None = None
    response_code: str | None = None
    server_reason: str | None = None
    updated_at: str = ""
    #: Idempotency keys of the intents this one waits for (DOMAIN A5), and the approval need.
    depends_on: tuple[str, ...] = ()
    needs_approval: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "idempotency_key": self.idempotency_key,
            "srv": self.srv,
            "kind": self.kind,
            "command_variant": self.command_variant,
            "critical": self.critical,
            "target": self.target,
            "state": self.state,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "next_attempt_at": self.next_attempt_at or None,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "job_ref": self.job_ref,
            "install_id": self.install_id,
            "request_id": self.request_id,
            "response_code": self.response_code,
            "server_reason": self.server_reason,
            "depends_on": list(self.depends_on),
            "needs_approval": self.needs_approval,
        }


_VIEW_COLUMNS = (
    "id, srv, target, state, attempts, last_error, created_at, idempotency_key, kind, command_variant, "
    "critical, job_ref, install_id, next_attempt_at, request_id, response_code, server_reason, updated_at"
)


def _view(r: Any) -> IntentView:
    return IntentView(
        int(r[0]), r[1], r[2], r[3], int(r[4]), r[5], r[6], r[7], r[8], int(r[9]), bool(r[10]), r[11], r[12],
        float(r[13] or 0.0), r[14], r[15], r[16], r[17],
    )


def list_intents(
    conn: Connection,
    *,
    states: Iterable[str] | None = None,
    install_id: str | None = None,
    limit: int | None = None,
) -> list[IntentView]:
    """Intents in queue order, optionally only some states or one visit's."""
    where: list[str] = []
    params: dict[str, Any] = {}
    if states is not None:
        wanted = sorted(set(states))
        names = [f":s{i}" for i in range(len(wanted))]
        where.append(f"state IN ({', '.join(names) or 'NULL'})")
        params.update({f"s{i}": s for i, s in enumerate(wanted)})
    if install_id is not None:
        where.append("install_id = :install")
        params["install"] = install_id
    sql = f"SELECT {_VIEW_COLUMNS} FROM outbox_intents"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id"
    if limit is not None:
        sql += " LIMIT :limit"
        params["limit"] = limit
    views = [_view(r) for r in conn.execute(text(sql), params).all()]
    orders = orders_for(conn, [v.idempotency_key for v in views])
    return [
        replace(v, depends_on=orders[v.idempotency_key][0], needs_approval=orders[v.idempotency_key][1])
        if v.idempotency_key in orders
        else v
        for v in views
    ]


def counts_by_state(conn: Connection) -> dict[str, int]:
    rows = conn.execute(text("SELECT state, COUNT(*) FROM outbox_intents GROUP BY state")).all()
    return {str(state): int(n) for state, n in rows}


def earliest_due(conn: Connection) -> float | None:
    """When the next queued intent or visit record is due (epoch seconds), or None if none is queued."""
    a = conn.execute(text("SELECT MIN(next_attempt_at) FROM outbox_intents WHERE state = 'queued'")).scalar()
    b = conn.execute(text("SELECT MIN(next_attempt_at) FROM install_visits WHERE sync_state = 'queued'")).scalar()
    values = [float(v) for v in (a, b) if v is not None]
    return min(values) if values else None


def payload_for(conn: Connection, intent_id: int) -> dict[str, Any] | None:
    raw = conn.execute(text("SELECT payload_json FROM outbox_intents WHERE id = :i"), {"i": intent_id}).scalar()
    return json.loads(raw) if raw is not None else None
