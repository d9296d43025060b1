"""The install log: idempotent intake of install records and the review screen's queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.backoffice.batching import Item, classify, parse_items, resolve_rows
from app.backoffice.models import InstallRecord
from app.backoffice.schemas import InstallIn


def intake_installs(
    session: Session, installer_id: int, raw_items: Sequence[Any], now: datetime
) -> list[Item[InstallIn]]:
    """Store new install records; a repeated install_id with the same payload is a replay."""
    items = parse_items(raw_items, InstallIn, "install_id")
    keys = {item.key for item in items if item.model is not None and item.key is not None}
    if not keys:
        return items
    existing = {
        row.install_id: row
        for row in session.scalars(select(InstallRecord).where(InstallRecord.install_id.in_(keys)))
    }
    to_insert = classify(items, existing, lambda r: r.installer_id, lambda r: r.payload_sha256, installer_id)
    if to_insert:
        from app.backoffice.models import Installer
        from app.backoffice.review_query import refresh_progress, review_values, store_reasons

        installer = session.scalar(select(Installer.name).where(Installer.id == installer_id)) or ""
        values = []
        for item in to_insert:
            model = item.model
            assert model is not None
            values.append(
                {
                    "install_id": item.key,
                    "installer_id": installer_id,
                    "payload_sha256": item.sha,
                    "job_ref": model.job_ref,
                    "ppmid": model.ppmid,
                    "hub": model.hub,
                    "meter": model.meter,
                    "verdict_level": model.verdict_level,
                    "reasons": [r.model_dump() for r in model.reasons],
                    "override_reason": model.override_reason,
                    "outcome": model.outcome,
                    "started_at": model.started_at,
                    "finished_at": model.finished_at,
                    "received_at": now,
                    "meta": model.meta,
                    **review_values(model.meta, model.override_reason, model.verdict_level, installer),
                }
            )
        rows = session.scalars(
            insert(InstallRecord).returning(InstallRecord, sort_by_parameter_order=True), values
        ).all()
        for item, row in zip(to_insert, rows, strict=True):
            item.row = row
        # The review's keys: reason rows, and the progress of intents that arrived before the record.
        store_reasons(session, rows)
        refresh_progress(session, [row.install_id for row in rows])
        # A manual inventory change the installer asked for waits for a person's decision.
        from app.backoffice.install_approvals import store_install_approvals

        store_install_approvals(session, rows)
    resolve_rows(items)
    return items


@dataclass(frozen=True)
class InstallQuery:
    """Filters of ``GET /v1/installs``; None means "any"."""

    installer_id: int | None = None
    job_ref: str | None = None
    started_from: datetime | None = None
    started_to: datetime | None = None
    outcome: str | None = None
    verdict_level: str | None = None
    limit: int = 100
    offset: int = 0


def query_installs(session: Session, query: InstallQuery) -> tuple[list[InstallRecord], int]:
    """The page of matching records (newest start first) and the total number matching."""
    conditions = []
    if query.installer_id is not None:
        conditions.append(InstallRecord.installer_id == query.installer_id)
    if query.job_ref is not None:
        conditions.append(InstallRecord.job_ref == query.job_ref)
    if query.started_from is not None:
        conditions.append(InstallRecord.started_at >= query.started_from)
    if query.started_to is not None:
        conditions.append(InstallRecord.started_at < query.started_to)
    if query.outcome is not None:
        conditions.append(InstallRecord.outcome == query.outcome)
    if query.verdict_level is not None:
        conditions.append(InstallRecord.verdict_level == query.verdict_level)
    total = session.scalar(select(func.count()).select_from(InstallRecord).where(*conditions)) or 0
    rows = session.scalars(
        select(InstallRecord)
        .where(*conditions)
        .order_by(InstallRecord.started_at.desc(), InstallRecord.id.desc())
        .limit(query.limit)
        .offset(query.offset)
    ).all()
    return list(rows), int(total)
