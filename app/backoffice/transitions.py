"""The intent state machine: the one code path every state change goes through.

waiting → accepted → submitted → succeeded | failed, and rejected (a permanent refusal)
from waiting, accepted or submitted. A real DCC adapter, the admin event endpoint and the
DCC simulator all call these functions, so each change is recorded the same way: the
intent row is updated and a ``StatusChange`` row with the next cursor number is added.

Order (DOMAIN A5): an intent that names prerequisites (``depends_on``) or needs an approval
is ``waiting`` and is never handed to the DCC. When an intent ends, :func:`settle_dependants`
moves the intents waiting on it: to ``accepted`` once every prerequisite has succeeded (and
the approval, if one is needed, is given), or to ``failed`` with a reason naming the failed
prerequisite, and on down the chain.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.backoffice.models import Intent, IntentApproval, IntentPrerequisite, StatusChange
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
    from app.backoffice.review_query import refresh_progress

    refresh_progress(session, [intent.install_id])  # the review's SR progress, in the same transaction
    return change


def lock_intent(session: Session, key: str) -> Intent | None:
    """Load one intent by key, locked against concurrent transitions (PostgreSQL)."""
    return session.scalar(select(Intent).where(Intent.idempotency_key == key).with_for_update())


def submit(session: Session, intent: Intent, now: datetime) -> Intent:
    """Hand the intent to the DCC: its RequestID counter is assigned here, strictly rising."""
    if intent.state == "waiting":
        raise TransitionError(
            f"intent {intent.idempotency_key} is waiting for its prerequisites or an approval; "
            "it goes to the DCC only when they are met"
        )
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
    if intent.state in FINAL_STATES:
        settle_dependants(session, intent, now)
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
    settle_dependants(session, intent, now)
    return intent


def fail_waiting(session: Session, intent: Intent, reason: str, now: datetime) -> Intent:
    """A waiting intent that will never go (a prerequisite failed, its approval was refused)."""
    if intent.state != "waiting":
        raise TransitionError(f"intent {intent.idempotency_key} is {intent.state}, not waiting")
    intent.state = "failed"
    intent.reason = reason
    record_change(session, intent, now)
    settle_dependants(session, intent, now)
    return intent


def prerequisite_failure(
    srv: str, key: str, state: str, response_code: str | None, reason: str | None
) -> str:
    """Why a dependant of a failed prerequisite is failed: it names the prerequisite's SRV and key."""
    if state == "failed" and response_code and response_code not in (SUCCESS_CODE, ACK_CODE):
        how = f"failed with DCC response {response_code}"
    elif state == "rejected":
        how = f"was rejected ({reason})" if reason else "was rejected"
    else:
        how = f"failed ({reason})" if reason else "failed"
    return f"not sent to the DCC: its prerequisite {srv} ({key}) {how}"


def is_ready(session: Session, intent: Intent) -> bool:
    """Every prerequisite has arrived and succeeded, and the approval (if needed) is given."""
    keys = session.scalars(
        select(IntentPrerequisite.prerequisite_key).where(IntentPrerequisite.intent_id == intent.id)
    ).all()
    if keys:
        succeeded = session.scalar(
            select(func.count())
            .select_from(Intent)
            .where(
                Intent.idempotency_key.in_(keys),
                Intent.installer_id == intent.installer_id,
                Intent.state == "succeeded",
            )
        )
        if int(succeeded or 0) != len(set(keys)):
            return False
    decision = session.scalar(select(IntentApproval.decision).where(IntentApproval.intent_id == intent.id))
    return decision in (None, "approved")


def release_if_ready(session: Session, intent: Intent, now: datetime) -> bool:
    """Move a waiting intent to ``accepted`` (the DCC may have it) when it is ready."""
    if intent.state != "waiting" or not is_ready(session, intent):
        return False
    intent.state = "accepted"
    record_change(session, intent, now)
    return True


def settle_dependants(session: Session, intent: Intent, now: datetime) -> None:
    """``intent`` has ended: release or fail the same installer's intents waiting on it, down the chain."""
    ended = [intent]
    while ended:
        done = ended.pop(0)
        if done.state not in FINAL_STATES:
            continue
        dependants = session.scalars(
            select(Intent)
            .join(IntentPrerequisite, IntentPrerequisite.intent_id == Intent.id)
            .where(
                IntentPrerequisite.prerequisite_key == done.idempotency_key,
                Intent.installer_id == done.installer_id,
                Intent.state == "waiting",
            )
            .order_by(Intent.id)
            .with_for_update()
        ).all()
        for dependant in dependants:
            if done.state == "succeeded":
                release_if_ready(session, dependant, now)
                continue
            dependant.state = "failed"
            dependant.reason = prerequisite_failure(
                done.srv, done.idempotency_key, done.state, done.response_code, done.reason
            )
            record_change(session, dependant, now)
            ended.append(dependant)
