"""Order and approval (DOMAIN A5): which state an intent starts in, and a person's approval.

An intent may name prerequisites (``depends_on``: idempotency keys of the same installer's
intents) and may need a back-office approval (``needs_approval``, an 8.4 remedy). Until
every prerequisite has succeeded and the approval is given it stays ``waiting`` and the DCC
never sees it. :mod:`app.backoffice.transitions` releases or fails waiting intents when a
prerequisite ends; this module decides the state at intake and applies approvals and
refusals, each written to the audit log (:class:`~app.backoffice.models.AuditEntry`) in the
same transaction as the change it causes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, defer

from app.backoffice.models import AuditEntry, Intent, IntentApproval, IntentPrerequisite
from app.backoffice.schemas import ApprovalOut, AuditOut, IntentIn, ItemError
from app.backoffice.sequence import lock_changes
from app.backoffice.transitions import (
    TransitionError,
    fail_waiting,
    lock_intent,
    prerequisite_failure,
    release_if_ready,
    settle_dependants,
)

APPROVED = "intent.approved"
REFUSED = "intent.refused"
_PERSON = re.compile(r"^[^\x00-\x1f\x7f]{1,100}$")


class ApprovalError(TransitionError):
    """An approval or refusal that cannot be done as asked; the message says why."""


class UnknownIntent(ApprovalError):
    """No intent has that key."""


# --------------------------------------------------------------------------- intake


@dataclass(frozen=True)
class _Known:
    """What intake needs to know about a prerequisite already stored."""

    installer_id: int
    state: str
    srv: str
    response_code: str | None
    reason: str | None


@dataclass
class IntakePlan:
    """The starting state (and failure reason) of each new intent, by key."""

    state: dict[str, str] = field(default_factory=dict)
    reason: dict[str, str] = field(default_factory=dict)


def foreign_prerequisites(
    session: Session, installer_id: int, models: Iterable[IntentIn]
) -> dict[str, ItemError]:
    """Items naming another installer's intent as a prerequisite, with the refusal for each."""
    wanted = {str(key) for model in models for key in model.depends_on}
    if not wanted:
        return {}
    owners: dict[str, int] = {
        key: owner
        for key, owner in session.execute(
            select(Intent.idempotency_key, Intent.installer_id).where(Intent.idempotency_key.in_(wanted))
        )
    }
    refused: dict[str, ItemError] = {}
    for model in models:
        for key in map(str, model.depends_on):
            if key in owners and owners[key] != installer_id:
                refused[str(model.idempotency_key)] = ItemError(
                    code="invalid",
                    message=f"depends_on: {key} is not one of this installer's requests",
                )
                break
    return refused


def plan_intake(
    session: Session, installer_id: int, new: Sequence[IntentIn], refused_keys: Iterable[str]
) -> IntakePlan:
    """The state each new intent starts in: ``accepted``, ``waiting`` or ``failed``.

    ``failed`` when a prerequisite has already failed or been rejected, or was refused as
    invalid in this same batch (the laptop will not send it again unchanged); ``waiting``
    while a prerequisite has not arrived or not succeeded, or an approval is needed. A
    prerequisite later in the same batch counts like one stored already (it arrives now).
    """
    plan = IntakePlan()
    wanted = {str(key) for model in new for key in model.depends_on}
    known: dict[str, _Known] = {}
    if wanted:
        for key, owner, state, srv, code, reason in session.execute(
            select(
                Intent.idempotency_key,
                Intent.installer_id,
                Intent.state,
                Intent.srv,
                Intent.response_code,
                Intent.reason,
            ).where(Intent.idempotency_key.in_(wanted))
        ):
            known[key] = _Known(owner, state, srv, code, reason)
    batch = {str(model.idempotency_key): model for model in new}
    refused = set(refused_keys) - set(known) - set(batch)

    def decide(model: IntentIn) -> tuple[str, str | None]:
        waits = bool(model.needs_approval)
        for key in map(str, model.depends_on):
            if key in refused:
                return "failed", f"not sent to the DCC: its prerequisite {key} was refused by the back office"
            if key in batch:
                if plan.state.get(key) == "failed":
                    first = batch[key]
                    return "failed", prerequisite_failure(
                        first.srv, key, "failed", None, plan.reason.get(key)
                    )
                waits = True
                continue
            found = known.get(key)
            if found is None or found.installer_id != installer_id:
                waits = True  # not arrived yet: it may come in a later batch
            elif found.state in ("failed", "rejected"):
                return "failed", prerequisite_failure(
                    found.srv, key, found.state, found.response_code, found.reason
                )
            elif found.state != "succeeded":
                waits = True
        return ("waiting" if waits else "accepted"), None

    # A prerequisite later in the batch may fail on a later round; a few rounds settle it
    # (each round can only turn more intents to failed, so this ends).
    for _ in range(len(new) + 1):
        changed = False
        for model in new:
            key = str(model.idempotency_key)
            state, reason = decide(model)
            if plan.state.get(key) != state:
                plan.state[key] = state
                changed = True
            if reason is not None:
                plan.reason[key] = reason
        if not changed:
            break
    return plan


def store_order(session: Session, rows: Sequence[Intent], models: Sequence[IntentIn], now: datetime) -> None:
    """Keep the new intents' prerequisites and approvals; then let intents already stored that
    were waiting on one of them move on (one that started ``failed`` fails its dependants)."""
    prerequisites = [
        {"intent_id": row.id, "prerequisite_key": str(key), "position": position}
        for row, model in zip(rows, models, strict=True)
        for position, key in enumerate(model.depends_on)
    ]
    if prerequisites:
        session.execute(insert(IntentPrerequisite), prerequisites)
    approvals = [
        {"intent_id": row.id, "decision": "pending"}
        for row, model in zip(rows, models, strict=True)
        if model.needs_approval
    ]
    if approvals:
        session.execute(insert(IntentApproval), approvals)
    for row in rows:
        if row.state == "failed":
            settle_dependants(session, row, now)


# --------------------------------------------------------------------------- approval


def _person(by: str) -> str:
    name = by.strip()
    if not _PERSON.match(name):
        raise ApprovalError("--by must name the person deciding: 1-100 characters, no control characters")
    return name


def _approval(session: Session, key: str) -> tuple[Intent, IntentApproval]:
    # Every state change holds the change-counter lock from before it looks for waiting
    # intents until it commits; taking it first means a prerequisite succeeding at this very
    # moment either sees this approval or is seen by it (never neither, which would leave the
    # intent waiting for ever).
    lock_changes(session)
    intent = lock_intent(session, key)
    if intent is None:
        raise UnknownIntent(f"no intent with the key {key}")
    approval = session.scalar(
        select(IntentApproval).where(IntentApproval.intent_id == intent.id).with_for_update()
    )
    if approval is None:
        raise ApprovalError(f"intent {key} ({intent.srv}) does not need an approval")
    if approval.decision != "pending":
        raise ApprovalError(
            f"intent {key} was already {approval.decision} by {approval.decided_by} "
            f"at {approval.decided_at:%Y-%m-%d %H:%M} UTC"
        )
    if intent.state != "waiting":
        raise ApprovalError(f"intent {key} is {intent.state}; there is nothing left to approve or refuse")
    return intent, approval


def _audit(
    session: Session, now: datetime, by: str, via: str, action: str, intent: Intent, **detail: object
) -> None:
    session.add(
        AuditEntry(
            at=now,
            actor=by,
            via=via,
            action=action,
            subject=intent.idempotency_key,
            detail={"srv": intent.srv, "target": intent.target, "install_id": intent.install_id, **detail},
        )
    )
    session.flush()


def approve(session: Session, key: str, by: str, via: str, now: datetime, reason: str | None = None) -> Intent:
    """Approve a waiting intent; it goes to the DCC now if its prerequisites have succeeded.

    ``reason`` (optional: the review window asks for one) is kept in the audit entry's detail.
    """
    name = _person(by)
    why = (reason or "").strip()
    if len(why) > 2000:
        raise ApprovalError("--reason is too long (at most 2000 characters)")
    intent, approval = _approval(session, key)
    approval.decision, approval.decided_by, approval.decided_at = "approved", name, now
    released = release_if_ready(session, intent, now)
    _audit(session, now, name, via, APPROVED, intent, released=released, **({"reason": why} if why else {}))
    return intent


def refuse(session: Session, key: str, by: str, reason: str, via: str, now: datetime) -> Intent:
    """Refuse a waiting intent: it fails with the reason, and so does every intent waiting on it."""
    name = _person(by)
    why = reason.strip()
    if not why:
        raise ApprovalError("--reason must say why the request is refused")
    if len(why) > 2000:
        raise ApprovalError("--reason is too long (at most 2000 characters)")
    intent, approval = _approval(session, key)
    approval.decision, approval.decided_by, approval.decided_at, approval.reason = "refused", name, now, why
    _audit(session, now, name, via, REFUSED, intent, reason=why)
    fail_waiting(session, intent, f"refused by {name}: {why}", now)
    return intent


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class OrderFacts:
    depends_on: list[str]
    approval: ApprovalOut | None


def order_facts(session: Session, intent_ids: Iterable[int]) -> dict[int, OrderFacts]:
    """Each intent's prerequisites (in the order sent) and approval, in two queries."""
    ids = set(intent_ids)
    if not ids:
        return {}
    depends: dict[int, list[str]] = {}
    for intent_id, key in session.execute(
        select(IntentPrerequisite.intent_id, IntentPrerequisite.prerequisite_key)
        .where(IntentPrerequisite.intent_id.in_(ids))
        .order_by(IntentPrerequisite.intent_id, IntentPrerequisite.position)
    ):
        depends.setdefault(intent_id, []).append(key)
    approvals = {
        row.intent_id: ApprovalOut(
            decision=row.decision,  # type: ignore[arg-type]
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            reason=row.reason,
        )
        for row in session.scalars(select(IntentApproval).where(IntentApproval.intent_id.in_(ids)))
    }
    return {i: OrderFacts(depends.get(i, []), approvals.get(i)) for i in ids}


def audit_entries(session: Session, subject: str | None = None, limit: int = 500) -> list[AuditOut]:
    """The audit log, oldest first (one intent's entries when ``subject`` is given)."""
    query = select(AuditEntry).order_by(AuditEntry.id).limit(limit)
    if subject is not None:
        query = query.where(AuditEntry.subject == subject)
    return [
        AuditOut(at=e.at, actor=e.actor, via=e.via, action=e.action, subject=e.subject, detail=dict(e.detail))
        for e in session.scalars(query)
    ]


def find_intents(
    session: Session, *, state: str | None = None, awaiting_approval: bool = False, limit: int = 100
) -> list[Intent]:
    """Intents newest first; the bulky columns (body, DUIS XML) are not loaded."""
    query = (
        select(Intent)
        .options(defer(Intent.body), defer(Intent.duis_xml), defer(Intent.meta))
        .order_by(Intent.id.desc())
        .limit(limit)
    )
    if state is not None:
        query = query.where(Intent.state == state)
    if awaiting_approval:
        query = query.join(IntentApproval, IntentApproval.intent_id == Intent.id).where(
            IntentApproval.decision == "pending", Intent.state == "waiting"
        )
    return list(session.scalars(query))
