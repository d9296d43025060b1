"""Clock helpers: every stored instant is timezone-aware UTC; "today" is GB civil time.

Regime dates are GB calendar dates, so "the regime in force now" is decided on the
Europe/London date, not the UTC one (they differ for an hour each summer night).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    GB_ZONE: ZoneInfo | None = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError:  # a machine without tz data: UTC is the closest honest answer
    GB_ZONE = None


def utcnow() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """An aware datetime converted to UTC; a naive one is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def gb_today(now: datetime | None = None) -> date:
    """The GB calendar date at ``now`` (default: the current instant)."""
    instant = as_utc(now) if now is not None else utcnow()
    return instant.astimezone(GB_ZONE).date() if GB_ZONE is not None else instant.date()


def iso(value: datetime | None) -> str | None:
    """ISO-8601 UTC text with a ``Z`` suffix, the one spelling the API uses."""
    if value is None:
        return None
    return as_utc(value).isoformat().replace("+00:00", "Z")
