"""Idempotent intake of a batch of intents: one transaction, one look-up, bulk inserts.

The caller opens the write transaction; this module validates each item, finds every
already-known key with a single ``IN`` query, inserts the new intents and their first
status changes in two bulk statements, and returns per-item verdicts. Only the part that
stores new intents runs under the change-counter lock, which every storing intake queues
for: under load the time spent holding it decides the throughput.

The first state is ``accepted``, or ``waiting`` for an intent with unmet prerequisites or
a pending approval, or ``failed`` when a prerequisite has already failed (see
:mod:`app.backoffice.ordering`). Intents without ``depends_on`` / ``needs_approval`` (an
older laptop) are accepted exactly as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, defer

from app.backoffice.batching import Item, classify, parse_items, resolve_rows
from app.backoffice.models import Intent, StatusChange
from app.backoffice.ordering import foreign_prerequisites, plan_intake, store_order
from app.backoffice.schemas import IntentIn
from app.backoffice.sequence import lock_changes, reserve_changes


def _canonical(key: str) -> str:
    """A key as ``depends_on`` spells it (lower-case UUID), when it is one."""
    try:
        return str(UUID(key))
    except ValueError:
        return key


def _known(session: Session, keys: set[str]) -> dict[str, Intent]:
    """Stored intents with these keys (the payload columns left out: the fingerprint tells a
    replay from a conflict)."""
    return {
        row.idempotency_key: row
        for row in session.scalars(
            select(Intent)
            .options(defer(Intent.body), defer(Intent.duis_xml), defer(Intent.meta))
            .where(Intent.idempotency_key.in_(keys))
        )
    }


def intake_intents(
    session: Session, installer_id: int, raw_items: Sequence[Any], now: datetime
) -> list[Item[IntentIn]]:
    """Store the new intents of the batch as ``accepted``; report every item's outcome."""
    items = parse_items(raw_items, IntentIn, "idempotency_key")
    keys = {item.key for item in items if item.model is not None and item.key is not None}
    if not keys:
        return items
    refused = foreign_prerequisites(session, installer_id, [i.model for i in items if i.model is not None])
    for item in items:
        if item.key in refused:
            item.model, item.error = None, refused[item.key]
    existing = _known(session, keys)
    to_insert = classify(items, existing, lambda r: r.installer_id, lambda r: r.payload_sha256, installer_id)
    if to_insert:
        lock_changes(session)
        # Keys another intake stored between the look-up above and the lock: looked up again
        # now that it has committed, so the race ends here as a replay or a conflict instead of
        # a unique-index failure and a retry (which, with many writers, could lose again).
        late = _known(session, {item.key for item in to_insert if item.key is not None})
        if late:
            existing.update(late)
            to_insert = classify(items, existing, lambda r: r.installer_id, lambda r: r.payload_sha256,
                                 installer_id)
    if to_insert:
        # The change-counter lock serialises every intake that stores something, so it is taken
        # as late as correctness allows: after the key look-up (a concurrent insert of the same
        # key is caught by the unique index, and the retry ends as a replay or a conflict) and
        # before the prerequisites' states are read (so a prerequisite failing at the same time
        # either is seen here, or sees the dependants stored here). A batch of replays takes
        # no lock at all.
        first_seq = reserve_changes(session, len(to_insert))
        models = [item.model for item in to_insert if item.model is not None]
        invalid = {
            _canonical(item.key) for item in items if item.outcome == "invalid" and item.key is not None
        }
        plan = plan_intake(session, installer_id, models, invalid)
        values = []
        for offset, item in enumerate(to_insert):
            model = item.model
            assert model is not None and item.key is not None
            values.append(
                {
                    "idempotency_key": item.key,
                    "installer_id": installer_id,
                    "payload_sha256": item.sha,
                    "srv": model.srv,
                    "command_variant": model.command_variant,
                    "target": model.target,
                    "body": model.body,
                    "duis_xml": model.duis_xml,
                    "install_id": model.install_id,
                    "job_ref": model.job_ref,
                    "created_at": model.created_at,
                    "meta": model.meta,
                    "state": plan.state[item.key],
                    "reason": plan.reason.get(item.key),
                    "accepted_at": now,
                    "accepted_seq": first_seq + offset,
                    "updated_at": now,
                }
            )
        rows = session.scalars(insert(Intent).returning(Intent, sort_by_parameter_order=True), values).all()
        for item, row in zip(to_insert, rows, strict=True):
            item.row = row
        session.execute(
            insert(StatusChange),
            [
                {
                    "seq": row.accepted_seq,
                    "intent_id": row.id,
                    "installer_id": installer_id,
                    "state": row.state,
                    "reason": row.reason,
                    "changed_at": now,
                }
                for row in rows
            ],
        )
        store_order(session, rows, models, now)
        from app.backoffice.review_query import refresh_progress

        refresh_progress(session, [row.install_id for row in rows])  # the review's SR progress
    resolve_rows(items)
    return items
