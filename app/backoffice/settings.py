"""Supplier-wide settings kept in the database, so every service process agrees on them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.backoffice.models import Setting
from app.domain.ids import parse_device_id

ORIGINATOR_KEY = "business_originator_id"
#: The DCC Boxed test supplier (certificate GITTESTSUPPLIER); production sets its own.
DEFAULT_ORIGINATOR = "90-B3-D5-1F-30-01-00-00"


def get_originator(session: Session) -> str:
    """The supplier's BusinessOriginatorID (canonical EUI-64)."""
    row = session.get(Setting, ORIGINATOR_KEY)
    return row.value if row is not None else DEFAULT_ORIGINATOR


def set_originator(session: Session, text: str) -> str:
    """Store the BusinessOriginatorID given in any EUI-64 notation; returns the canonical form."""
    value = parse_device_id(text).value
    row = session.get(Setting, ORIGINATOR_KEY)
    if row is None:
        session.add(Setting(key=ORIGINATOR_KEY, value=value))
    else:
        row.value = value
    return value
