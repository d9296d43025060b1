"""The laptop's review queries: filter, sort and page install visits in SQL, one page at a time.

Why this shape:

* Every filter and sort reads ``review_visits`` (see ``app.store.review_models``), whose
  indexes start with the sort key and end with ``started_at, id``: a page is one index range
  walked until it holds ``limit`` rows, whatever the number of visits.
* Pages are keyset pages: the caller passes the last row's key (the sort value, then
  ``started_at`` and ``id`` so ties on the sort value still have one order) and the next page
  is the rows strictly after it, compared as one row value. No offset: page 500 costs what
  page 1 costs, and a visit recorded meanwhile never shifts or repeats a row.
* Every value travels as a bound parameter; only fixed column names are put in the text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from app.domain.review import SR_FAILED_STATES, states_sql

#: Sort column -> the review_visits columns of its key, before ``started_at, id``.
SORT_KEYS: dict[str, tuple[str, ...]] = {
    "started_at": (),
    "installer": (),  # one installer per laptop: its order is the start order
    "job_ref": ("job_ref",),
    "verdict_level": ("verdict_rank",),
    "sr_state": ("sr_rank",),
}

ROW_COLUMNS = (
    "r.id, r.started_at, r.job_ref, r.ppmid, r.hub, v.regime, v.regime_source, r.verdict_level, v.outcome, "
    "r.overridden, r.scenario, r.sr_rank, r.sr_total, r.sr_done, r.sr_failed, r.verdict_rank"
)


@dataclass(frozen=True)
class VisitQuery:
    """A filter in the laptop's own terms (instants as stored text, ranks as numbers)."""

    started_from: str | None = None
    started_before: str | None = None
    verdict_level: str | None = None
    reason_code: str | None = None
    overridden: bool | None = None
    sr_rank: int | None = None
    job_prefixes: Sequence[str] = ()
    device_prefixes: Sequence[str] = ()
    nothing: bool = False  # e.g. another installer's name: no row can match


def _upper_bound(prefix: str) -> str:
    return prefix + "\U0010ffff"


def _where(query: VisitQuery, params: dict[str, Any]) -> list[str]:
    where: list[str] = []
    if query.nothing:
        where.append("0")
    if query.started_from is not None:
        where.append("r.started_at >= :started_from")
        params["started_from"] = query.started_from
    if query.started_before is not None:
        where.append("r.started_at < :started_before")
        params["started_before"] = query.started_before
    if query.verdict_level is not None:
        where.append("r.verdict_level = :verdict_level")
        params["verdict_level"] = query.verdict_level
    if query.reason_code is not None:
        where.append(
            "EXISTS (SELECT 1 FROM review_visit_reasons rr WHERE rr.visit_id = r.id AND rr.code = :reason_code)"
        )
        params["reason_code"] = query.reason_code
    if query.overridden is not None:
        where.append("r.overridden = :overridden")
        params["overridden"] = 1 if query.overridden else 0
    if query.sr_rank is not None:
        where.append("r.sr_rank = :sr_rank")
        params["sr_rank"] = query.sr_rank
    matches: list[str] = []
    for n, prefix in enumerate(query.job_prefixes):
        params[f"jlo{n}"], params[f"jhi{n}"] = prefix, _upper_bound(prefix)
        matches.append(f"(r.job_ref >= :jlo{n} AND r.job_ref < :jhi{n})")
    for n, prefix in enumerate(query.device_prefixes):
        params[f"dlo{n}"], params[f"dhi{n}"] = prefix, _upper_bound(prefix)
        for column in ("ppmid", "hub", "meter"):
            matches.append(f"(r.{column} >= :dlo{n} AND r.{column} < :dhi{n})")
    if matches:
        where.append("(" + " OR ".join(matches) + ")")
    return where


def page(
    conn: Connection,
    query: VisitQuery,
    sort: str,
    descending: bool,
    after: Sequence[Any] | None,
    limit: int,
) -> list[Any]:
    """Up to ``limit`` rows (``ROW_COLUMNS``) after the key ``after``, in the sort's order.

    The reason filter with the start order is read from the reasons' own index (code, then
    newest first), which keeps "every visit with this rare reason" as fast as a common one.
    """
    params: dict[str, Any] = {"limit": limit}
    where = _where(query, params)
    key = [f"r.{c}" for c in SORT_KEYS[sort]] + ["r.started_at", "r.id"]
    source = "review_visits r"
    if query.reason_code is not None and not SORT_KEYS[sort]:
        # Drive from the reason's index: its (code, started_at, visit_id) is the page order.
        where = [w for w in where if "review_visit_reasons" not in w]
        source = "review_visit_reasons rr JOIN review_visits r ON r.id = rr.visit_id"
        where.append("rr.code = :reason_code")
        key = ["rr.started_at", "rr.visit_id"]
    if after is not None:
        names = [f":k{n}" for n in range(len(after))]
        params.update({f"k{n}": value for n, value in enumerate(after)})
        where.append(f"({', '.join(key)}) {'<' if descending else '>'} ({', '.join(names)})")
    direction = " DESC" if descending else ""
    # A text filter is answered from the prefix indexes (an OR of ranges), then sorted: walking the
    # sort's index instead would read most of the table when the matches are old. SQLite's unary
    # "+" keeps a key column out of the index choice for the order without changing the value.
    order = [f"+{k}" if query.job_prefixes or query.device_prefixes else k for k in key]
    outer = [f"r.{c}" for c in SORT_KEYS[sort]] + ["r.started_at", "r.id"]
    # The page is chosen on the review index alone (only ids go through a sort); only its rows are
    # joined to their review keys and visits.
    sql = (
        f"SELECT {ROW_COLUMNS} FROM (SELECT r.id AS page_id FROM {source}"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY "
        + ", ".join(k + direction for k in order)
        + " LIMIT :limit) p JOIN review_visits r ON r.id = p.page_id JOIN install_visits v ON v.id = r.id ORDER BY "
        + ", ".join(k + direction for k in outer)
    )
    return list(conn.execute(text(sql), params).all())


def key_of(row: Sequence[Any], sort: str) -> list[Any]:
    """The keyset key of a ``ROW_COLUMNS`` row for the sort (what :func:`page` takes as ``after``)."""
    values = {"job_ref": row[2], "verdict_rank": row[15], "sr_rank": row[11]}
    return [values[c] for c in SORT_KEYS[sort]] + [row[1], row[0]]


def visit_detail(conn: Connection, visit_id: str) -> dict[str, Any] | None:
    """The visit's stored columns, its review row, its job's personal data and its journal hash."""
    row = conn.execute(
        text(
            f"SELECT {ROW_COLUMNS}, v.meter, v.reasons_json, v.override_reason, v.abort_reason, v.meta_json, "
            "j.personal_mpxn, j.personal_address_lines, j.personal_postcode "
            "FROM review_visits r JOIN install_visits v ON v.id = r.id "
            "LEFT JOIN jobs j ON j.job_ref = v.job_ref WHERE r.id = :i"
        ),
        {"i": visit_id},
    ).first()
    if row is None:
        return None
    audit_hash = conn.execute(
        text(
            "SELECT entry_hash FROM audit_journal WHERE subject = :i "
            "AND action IN ('install.recorded', 'install.aborted') ORDER BY id LIMIT 1"
        ),
        {"i": visit_id},
    ).scalar()
    intents = conn.execute(
        text(
            "SELECT idempotency_key, srv, kind, target, state, request_id, response_code, server_reason, "
            "created_at, sent_at, accepted_at, updated_at FROM outbox_intents "
            "WHERE install_id = :i ORDER BY position, id"
        ),
        {"i": visit_id},
    ).all()
    from app.store.inventory_decisions import decision_of

    return {
        "row": tuple(row[:16]),
        "meter": row[16],
        "reasons": json.loads(row[17] or "[]"),
        "override_reason": row[18],
        "abort_reason": row[19],
        "meta": json.loads(row[20] or "{}"),
        "mpxn": row[21] or None,
        "address": json.loads(row[22] or "[]") if row[22] else [],
        "postcode": row[23] or None,
        "audit_hash": audit_hash,
        "intents": [tuple(i) for i in intents],
        "inventory_decision": decision_of(conn, visit_id),
    }


def summary(conn: Connection, query: VisitQuery) -> dict[str, Any]:
    """The dashboard's raw figures for the filter, grouped by UTC hour so the caller can count GB days."""
    params: dict[str, Any] = {}
    where = _where(query, params)
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    hours = conn.execute(
        text(
            "SELECT substr(r.started_at, 1, 13) AS hour, r.verdict_level, COUNT(*) "
            f"FROM review_visits r{cond} GROUP BY hour, r.verdict_level ORDER BY hour"
        ),
        params,
    ).all()
    overrides = conn.execute(
        text(
            "SELECT COALESCE(SUM(r.overridden), 0), COUNT(*) FROM review_visits r "
            f"JOIN install_visits v ON v.id = r.id{cond}{' AND' if cond else ' WHERE'} v.outcome = 'recorded'"
        ),
        params,
    ).one()
    failures = conn.execute(
        text(
            "SELECT i.srv, COALESCE(i.response_code, ''), COUNT(*) FROM review_visits r "
            f"JOIN outbox_intents i ON i.install_id = r.id{cond}{' AND' if cond else ' WHERE'} "
            f"r.sr_failed > 0 AND i.state IN {states_sql(SR_FAILED_STATES)} GROUP BY i.srv, i.response_code"
        ),
        params,
    ).all()
    regimes = conn.execute(
        text(
            "SELECT substr(r.started_at, 1, 13) AS hour, v.regime, MIN(r.started_at) AS first FROM review_visits r "
            f"JOIN install_visits v ON v.id = r.id{cond} GROUP BY hour, v.regime ORDER BY first"
        ),
        params,
    ).all()
    return {
        "hours": [(str(h), str(level), int(n)) for h, level, n in hours],
        "overrides": (int(overrides[0]), int(overrides[1])),
        "failures": [(str(srv), str(code), int(n)) for srv, code, n in failures],
        "regimes": [(str(h), str(regime or "")) for h, regime, _first in regimes],
    }


def pending_approvals(conn: Connection) -> list[Any]:
    """The laptop's 8.4 remedies still waiting for the back office's approval (not final yet);
    the last column is the intent's stored payload (its body names the device the 8.4 changes)."""
    return list(
        conn.execute(
            text(
                "SELECT i.idempotency_key, i.install_id, i.job_ref, i.srv, i.kind, i.target, i.created_at, "
                "i.payload_json "
                "FROM intent_approvals a JOIN outbox_intents i ON i.idempotency_key = a.intent_key "
                "WHERE a.needs_approval AND i.state IN ('queued', 'sent', 'waiting') ORDER BY i.id"
            )
        ).all()
    )


def pending_inventory_changes(conn: Connection) -> list[Any]:
    """Recorded, not withdrawn visits that ask the back office for a manual inventory change
    (their meta's ``remedy_detail``): ``(id, job_ref, ppmid, meta_json, finished_at, started_at)``,
    oldest first. A visit whose approval or refusal a sync brought back
    (``app.store.inventory_decisions``) waits no more and is not listed; every other one is."""
    from app.store.inventory_decisions import ASKS_FOR_CHANGE_SQL, UNDECIDED_SQL

    return list(
        conn.execute(
            text(
                "SELECT v.id, v.job_ref, v.ppmid, v.meta_json, v.finished_at, v.started_at FROM install_visits v "
                f"WHERE v.outcome = 'recorded' AND v.withdrawn_at IS NULL AND {ASKS_FOR_CHANGE_SQL} "
                f"AND {UNDECIDED_SQL} ORDER BY COALESCE(v.finished_at, v.started_at), v.id"
            )
        ).all()
    )
