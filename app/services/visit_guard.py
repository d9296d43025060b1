"""Guard the record of an install visit: undo it before anything left, show each job's state,
name the first record when a job is recorded twice.

Why each rule:

* **Withdrawal only while nothing has left the laptop.** Once an intent was sent (``sent``
  or later), or sent once and handed back after a fault (the back office may hold it: the
  answer was lost, not necessarily the request), or exported as a DUIS file for an offline
  hand-off, someone else may act on it; withdrawing it here would only hide it. The refusal
  names the request that went, so the window can say "too late: 8.11 already sent".
* **One transaction, under the write lock.** The intents become ``withdrawn``, the visit is
  marked with the reason and time, and the audit journal gets an ``install.withdrawn``
  entry, together or not at all. The sync worker picks intents with one ``UPDATE … WHERE
  state = 'queued'`` that needs the same lock, so a withdrawn intent is never picked, even
  by a pass running at that moment.
* **The visit record stays on the laptop.** The back office's install intake
  (``InstallIn`` in ``app/backoffice/schemas.py``) knows only the outcomes ``recorded`` and
  ``aborted`` and keeps each record unchanged once received (a different payload for the
  same ``install_id`` is a conflict). Telling it about a withdrawal would need a schema
  change there, so a record that has not been uploaded yet is never uploaded (sync state
  ``withdrawn``), and one the back office already has stays there as first sent: the
  outcome says which (``record``), so the window can tell the installer to let the office know.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection

from app.domain.errors import DomainInputError
from app.services.context import AppContext
from app.store.outbox import IntentState

__all__ = [
    "MIN_REASON_CHARS",
    "AlreadySent",
    "JobState",
    "NoSuchVisit",
    "PreviousRecord",
    "SentRequest",
    "WithdrawError",
    "WithdrawOutcome",
    "job_states",
    "previous_record",
    "withdraw_visit",
]

#: The shortest withdrawal reason accepted: the same minimum the window asks of an override
#: reason (``MIN_OVERRIDE_CHARS`` in ``app/ui/record_panel.py``), so "x" is not a reason.
MIN_REASON_CHARS = 5


class WithdrawError(DomainInputError):
    """The visit cannot be withdrawn as asked (no reason, unknown or already withdrawn)."""


class NoSuchVisit(WithdrawError):
    """No recorded visit matches the install id (or the job has none to withdraw)."""


@dataclass(frozen=True, slots=True)
class SentRequest:
    """One request of the visit that already left the laptop, and how."""

    srv: str
    target: str
    state: str
    idempotency_key: str
    how: str  # "sent" | "sent_before" (handed back after a fault) | "exported" (a DUIS file)

    def describe(self) -> str:
        if self.how == "sent":
            return f"{self.srv} already sent ({self.state})"
        if self.how == "sent_before":
            return f"{self.srv} already sent once (its answer was lost; the back office may have it)"
        return f"{self.srv} already exported as a DUIS file for hand-off"

    def to_json(self) -> dict[str, str]:
        return {
            "srv": self.srv,
            "target": self.target,
            "state": self.state,
            "idempotency_key": self.idempotency_key,
            "how": self.how,
        }


class AlreadySent(WithdrawError):
    """Too late to withdraw: at least one of the visit's requests already left the laptop.

    ``sent`` lists them in the order the visit queued them; the message names the first.
    """

    def __init__(self, install_id: str, sent: tuple[SentRequest, ...]) -> None:
        first = sent[0].describe()
        more = f", and {len(sent) - 1} more" if len(sent) > 1 else ""
        super().__init__(f"too late to withdraw: {first}{more}")
        self.install_id = install_id
        self.sent = sent


@dataclass(frozen=True, slots=True)
class WithdrawOutcome:
    """What a withdrawal did.

    ``record``: where the visit record itself is: ``kept`` (it never left the laptop and
    never will), ``at_backoffice`` (already uploaded, stays there as first sent),
    ``in_flight`` (being uploaded right now: kept if that fails, at the back office if it
    succeeds) or ``refused`` (the back office refused it earlier).
    """

    install_id: str
    job_ref: str
    outcome: str  # the withdrawn visit's: recorded | aborted
    reason: str
    withdrawn_at: datetime
    intents: tuple[tuple[str, str], ...]  # (idempotency key, SRV) of each intent withdrawn
    record: str
    audit_hash: str

    def to_json(self) -> dict[str, Any]:
        return {
            "install_id": self.install_id,
            "job_ref": self.job_ref,
            "outcome": self.outcome,
            "withdrawn": True,
            "reason": self.reason,
            "withdrawn_at": self.withdrawn_at.isoformat(),
            "record": self.record,
            "audit_hash": self.audit_hash,
            "intents": [{"idempotency_key": k, "srv": s, "state": "withdrawn"} for k, s in self.intents],
        }


_RECORD_AFTER = {"withdrawn": "kept", "accepted": "at_backoffice", "sent": "in_flight", "rejected": "refused"}


def _gone(conn: Connection, install_id: str) -> tuple[SentRequest, ...]:
    from app.store import visit_repo

    gone: list[SentRequest] = []
    for i in visit_repo.visit_intents(conn, install_id):
        if i.state not in ("queued", "withdrawn"):
            how = "sent"
        elif i.state == "queued" and i.attempts > 0:
            how = "sent_before"
        elif i.exported:
            how = "exported"
        else:
            continue
        gone.append(SentRequest(i.srv, i.target, i.state, i.idempotency_key, how))
    return tuple(gone)


def withdraw_visit(ctx: AppContext, install_id: str, reason: str, *, job_ref: str | None = None) -> WithdrawOutcome:
    """Withdraw a recorded visit (install or abort) whose requests are all still queued.

    Raises :class:`WithdrawError` for no or too short a reason or a visit already withdrawn,
    :class:`NoSuchVisit` for an unknown id (or one of another job than ``job_ref``, when
    given) and :class:`AlreadySent` when any request already left the laptop; in every
    refusal nothing changes.
    """
    from app.store import audit, visit_repo

    why = " ".join((reason or "").split())
    if len(why) < MIN_REASON_CHARS:
        raise WithdrawError(f"say why the visit is withdrawn (at least {MIN_REASON_CHARS} characters)")
    wanted = (install_id or "").strip()
    if not wanted:
        raise NoSuchVisit("give the install id of the visit to withdraw")
    now = audit.utc_now_text()
    with ctx.engine.begin() as conn:
        audit.take_write_lock(conn)  # from here until commit no sync pass can pick an intent
        row = visit_repo.visit(conn, wanted)
        if row is None:
            raise NoSuchVisit(f"no recorded visit has install id {wanted}")
        if job_ref is not None and row.job_ref != job_ref.strip():
            raise NoSuchVisit(f"visit {wanted} belongs to job {row.job_ref}, not {job_ref.strip()}")
        if row.withdrawn_at is not None:
            raise WithdrawError(f"visit {wanted} was already withdrawn at {row.withdrawn_at}: {row.withdraw_reason}")
        gone = _gone(conn, wanted)
        if gone:
            raise AlreadySent(wanted, gone)
        intents = visit_repo.visit_intents(conn, wanted)
        count, record_state = visit_repo.withdraw(conn, wanted, why, now)
        if count != len(intents):  # pragma: no cover - the lock makes this impossible; never half-withdraw
            raise WithdrawError(f"visit {wanted} changed while it was being withdrawn; try again")
        entry = audit.append(
            conn,
            "install.withdrawn",
            wanted,
            {
                "job_ref": row.job_ref,
                "outcome": row.outcome,
                "reason": why,
                "record": record_state,
                "intents": [{"key": i.idempotency_key, "srv": i.srv, "target": i.target} for i in intents],
            },
            at=now,
        )
    return WithdrawOutcome(
        install_id=wanted,
        job_ref=row.job_ref,
        outcome=row.outcome,
        reason=why,
        withdrawn_at=datetime.fromisoformat(now),
        intents=tuple((i.idempotency_key, i.srv) for i in intents),
        record=_RECORD_AFTER.get(record_state, record_state),
        audit_hash=entry.entry_hash,
    )


# --------------------------------------------------------------------------- job states


class JobState(StrEnum):
    """Where a job stands on this laptop, decided by its newest standing (not withdrawn) visit.

    * ``to_do``: no visit recorded.
    * ``recorded``: an install is recorded and something of it (the record or a request)
      has not reached the back office yet.
    * ``synced``: an install is recorded, the back office accepted its record and none of its
      requests is still ``queued`` or ``sent`` on the laptop. What the DCC later said
      (succeeded, failed) or a request the back office rejected does not change this: the
      queue screen shows those; this state answers "is anything of this job still only here?".
    * ``aborted``: the newest standing visit ended without an install.
    * ``withdrawn``: every visit of the job was withdrawn, so the job is to do again. It is
      kept apart from ``to_do`` so the list can say a record existed and was undone (the
      installer who withdrew by mistake sees it, and the window can offer "record again").

    A withdrawal undoes one record, not an earlier one: when a job's newer install is
    withdrawn and an older one stands, the older one decides (its requests are on their
    way; calling the job "to do" would invite a third visit).
    """

    TO_DO = "to_do"
    RECORDED = "recorded"
    ABORTED = "aborted"
    SYNCED = "synced"
    WITHDRAWN = "withdrawn"

    def __str__(self) -> str:
        return self.value


def job_states(ctx: AppContext, refs: Iterable[str]) -> dict[str, JobState]:
    """The state of each job in ``refs`` (every one is in the answer), in ONE query."""
    from app.store import visit_repo

    wanted = list(dict.fromkeys(refs))
    with ctx.engine.connect() as conn:
        found = visit_repo.latest_visits(conn, wanted)
    states: dict[str, JobState] = {}
    for ref in wanted:
        fact = found.get(ref)
        if fact is None:
            states[ref] = JobState.TO_DO
        elif fact.withdrawn:
            states[ref] = JobState.WITHDRAWN
        elif fact.outcome == "aborted":
            states[ref] = JobState.ABORTED
        elif fact.sync_state == "accepted" and fact.pending == 0:
            states[ref] = JobState.SYNCED
        else:
            states[ref] = JobState.RECORDED
    return states


# --------------------------------------------------------------------------- previous record


@dataclass(frozen=True, slots=True)
class PreviousRecord:
    """A job's standing record, as the window names it when the job is recorded again.

    ``outcome`` is ``recorded`` (an install) or ``aborted``; ``states`` counts its requests
    by state, in the order of :class:`IntentState`.
    """

    install_id: str
    job_ref: str
    outcome: str
    recorded_at: datetime
    ppmid: str | None
    hub: str | None
    meter: str | None
    verdict_level: str
    record_sync: str
    states: dict[str, int] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return sum(self.states.values())

    @property
    def summary(self) -> str:
        """e.g. ``6 requests: 4 queued, 2 accepted`` or ``no requests``."""
        if not self.requests:
            return "no requests"
        parts = ", ".join(f"{n} {state}" for state, n in self.states.items())
        return f"{self.requests} request{'s' if self.requests != 1 else ''}: {parts}"

    def describe(self) -> str:
        what = "install" if self.outcome == "recorded" else "aborted visit"
        devices = ", ".join(f"{k} {v}" for k, v in (("PPMID", self.ppmid), ("hub", self.hub)) if v)
        when = self.recorded_at.strftime("%Y-%m-%d %H:%M UTC")
        return f"{what} {self.install_id} recorded {when}" + (f" ({devices})" if devices else "") + f"; {self.summary}"

    def to_json(self) -> dict[str, Any]:
        return {
            "install_id": self.install_id,
            "job_ref": self.job_ref,
            "outcome": self.outcome,
            "recorded_at": self.recorded_at.isoformat(),
            "ppmid": self.ppmid,
            "hub": self.hub,
            "meter": self.meter,
            "verdict_level": self.verdict_level,
            "record_sync": self.record_sync,
            "requests": self.requests,
            "states": dict(self.states),
            "summary": self.summary,
        }


def previous_in(conn: Connection, job_ref: str, *, installs_only: bool = False) -> PreviousRecord | None:
    """:func:`previous_record` inside the caller's transaction (recording checks it under the lock)."""
    from app.store import visit_repo

    row = visit_repo.latest_standing(conn, job_ref.strip(), installs_only=installs_only)
    if row is None:
        return None
    found = visit_repo.intent_states(conn, row.id)
    ordered = {s.value: found[s.value] for s in IntentState if found.get(s.value)}
    ordered.update({s: n for s, n in found.items() if s not in ordered})
    return PreviousRecord(
        install_id=row.id,
        job_ref=row.job_ref,
        outcome=row.outcome,
        recorded_at=datetime.fromisoformat(row.recorded_at),
        ppmid=row.ppmid,
        hub=row.hub,
        meter=row.meter,
        verdict_level=row.verdict_level,
        record_sync=row.sync_state,
        states=ordered,
    )


def previous_record(ctx: AppContext, job_ref: str, *, installs_only: bool = False) -> PreviousRecord | None:
    """The job's newest standing (not withdrawn) visit, or None.

    ``installs_only``: only a recorded install counts (what recording the job again is asked
    about, and what :class:`~app.services.installs.RepeatVisit` carries); otherwise an
    aborted visit counts too.
    """
    with ctx.engine.connect() as conn:
        return previous_in(conn, job_ref, installs_only=installs_only)
