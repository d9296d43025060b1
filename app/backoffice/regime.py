"""The supplier's regime schedule: which rules laptops apply, from which GB date.

Laptops adopt the answer of ``GET /v1/regime`` on sync. With nothing set, the answer is
``tactical``, the cautious default (DOMAIN.md A1).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.backoffice.models import RegimeEntry
from app.backoffice.schemas import RegimeOut, ScheduledRegime
from app.domain.smets import DEFAULT_REGIME, parse_regime


def set_regime(session: Session, regime_text: str, effective_from: date, now: datetime) -> RegimeEntry:
    """Schedule ``regime`` from ``effective_from``; a second entry for the same date replaces it."""
    regime = parse_regime(regime_text)
    entry = session.scalar(select(RegimeEntry).where(RegimeEntry.effective_from == effective_from))
    if entry is None:
        entry = RegimeEntry(regime=regime.value, effective_from=effective_from, set_at=now)
        session.add(entry)
    else:
        entry.regime, entry.set_at = regime.value, now
    session.flush()
    return entry


def regime_on(session: Session, today: date) -> RegimeOut:
    """The regime in force on ``today`` and the next scheduled change after it."""
    current = session.scalar(
        select(RegimeEntry)
        .where(RegimeEntry.effective_from <= today)
        .order_by(RegimeEntry.effective_from.desc())
        .limit(1)
    )
    upcoming = session.scalar(
        select(RegimeEntry)
        .where(RegimeEntry.effective_from > today)
        .order_by(RegimeEntry.effective_from)
        .limit(1)
    )
    scheduled = (
        ScheduledRegime(regime=upcoming.regime, effective_from=upcoming.effective_from)  # type: ignore[arg-type]
        if upcoming is not None
        else None
    )
    if current is None:
        return RegimeOut(
            regime=DEFAULT_REGIME.value,
            effective_from=None,
            source="default",
            today=today,
            scheduled=scheduled,
        )
    return RegimeOut(
        regime=current.regime,  # type: ignore[arg-type]
        effective_from=current.effective_from,
        source="schedule",
        today=today,
        scheduled=scheduled,
    )
