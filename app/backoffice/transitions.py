"""The intent state machine: the one code path every state change goes through.

accepted → submitted → succeeded | failed, and rejected (a permanent refusal) from
accepted or submitted. A real DCC adapter, the admin event endpoint and the DCC
simulator all call these functions, so each change is recorded the same way: the
intent row is updated and a ``StatusChange`` row with the next cursor number is added.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.backoffice.models import Intent, StatusChange
from app.backoffice.sequence import next_request_counter, reserve_changes
from app.backoffice.settings import get_originator

SUCCESS_CODE = "I0"
ACK_CODE = "I99"
FINAL_STATES = frozenset({"succeeded", "failed", "rejected"})


class TransitionError(Exception):
    """The change is not allowed from the intent's current state; the message says why."""


def record_change(session: Session, intent: Intent, now: datetime) -> StatusChange:
    """Append the intent's current state to the change log under the next cursor number."""
    change = StatusChange(
        seq=reserve_changes(session, 1),
        intent_id=intent.id,
        installer_id=intent.installer_id,
        state=intent.state,
        response_code=intent.response_code,
        reason=intent.reason,
        request_id=intent.request_id,
        changed_at=now,
    )
    session.add(change)
    intent.updated_at = now
    session.flush()
    return change


def lock_intent(session: Session, key: str) -> Intent | None:
    """Load one intent by key, locked against concurrent transitions (PostgreSQL)."""
    return session.scalar(select(Intent).where(Intent.idempotency_key == key).with_for_update())


def submit(session: Session, intent: Intent, now: datetime) -> Intent:
    """Hand the intent to the DCC: its RequestID counter is assigned here, strictly rising."""
    if intent.state != "accepted":
        raise TransitionError(
            f"intent {intent.idempotency_key} is {intent.state}; only an accepted one can be submitted"
        )
    originator = get_originator(session)
    counter = next_request_counter(session, originator, now)
    intent.originator = originator
    intent.counter = counter
    intent.request_id = f"{originator}:{intent.target}:{counter}"
    intent.state = "submitted"
    intent.submitted_at = now
    record_change(session, intent, now)
    return intent


def record_response(
    session: Session, intent: Intent, code: str, now: datetime, reason: str | None = None
) -> Intent:
    """Record the DCC's response code: I0 succeeds, I99 (acknowledged) waits, anything else fails."""
    if intent.state != "submitted":
        raise TransitionError(
            f"intent {intent.idempotency_key} is {intent.state}; a DCC response needs a submitted intent"
        )
    intent.response_code = code
    if reason is not None:
        intent.reason = reason
    if code == ACK_CODE:
        pass  # the real answer arrives later; the laptop still sees the acknowledgement
    elif code == SUCCESS_CODE:
        intent.state = "succeeded"
    else:
        intent.state = "failed"
    record_change(session, intent, now)
    return intent


def reject(session: Session, intent: Intent, reason: str, now: datetime) -> Intent:
    """Refuse the intent for good (it will never be sent, or sending is abandoned)."""
    if intent.state in FINAL_STATES:
        raise TransitionError(f"intent {intent.idempotency_key} is already {intent.state}")
    if not reason.strip():
        raise TransitionError("a rejection needs a reason")
    intent.state = "rejected"
    intent.reason = reason
    record_change(session, intent, now)
    return intent
