"""A DCC stand-in for testers: answers accepted intents after a delay, by rules.

Each tick submits every accepted intent (assigning its RequestID) and answers every
submitted one whose delay has passed, through ``transitions`` — the same functions a
real DCC adapter calls — so the laptop sees exactly the state sequence it would see
in production: accepted → submitted → succeeded | failed.

Rules (``--dcc-rule``, first match wins, default answer ``I0``)::

    srv=8.11:E081101       exact SRV (a trailing * matches a prefix: srv=8.7*:E65)
    target=CDEF:E65        target whose hex digits end with CDEF (dashes ignored)
    cv=4:I99               CommandVariant 4 is only acknowledged (stays submitted)
    job_ref=J-1:reject     the back office refuses it (state rejected)
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.exc import SQLAlchemyError

from app.backoffice.db import Store
from app.backoffice.models import Intent
from app.backoffice.timeutil import utcnow
from app.backoffice.transitions import ACK_CODE, record_response, reject, submit

log = logging.getLogger(__name__)

RULE_FIELDS = ("srv", "target", "cv", "job_ref")
REJECT = "reject"
_CODE = re.compile(r"^[IEW][0-9]{1,8}$")
_RULE = re.compile(r"^(?P<field>[a-z_]+)=(?P<value>[^:]+):(?P<code>[A-Za-z0-9]+)$")


class RuleError(ValueError):
    """A ``--dcc-rule`` that cannot be read; the message shows the accepted forms."""


@dataclass(frozen=True)
class DccRule:
    """``field=value:code``: intents matching ``field=value`` get ``code`` (or are rejected)."""

    field: str
    value: str
    code: str

    def matches(self, intent: Intent) -> bool:
        if self.field == "srv":
            if self.value.endswith("*"):
                return intent.srv.startswith(self.value[:-1])
            return intent.srv == self.value
        if self.field == "target":
            wanted = re.sub(r"[\s\-:]", "", self.value).upper()
            return intent.target.replace("-", "").endswith(wanted)
        if self.field == "cv":
            return str(intent.command_variant) == self.value
        return intent.job_ref == self.value


def parse_rule(text: str) -> DccRule:
    match = _RULE.match(text.strip())
    if not match:
        raise RuleError(f"{text!r} is not a DCC rule; write FIELD=VALUE:CODE, e.g. srv=8.11:E081101")
    field, value, code = match["field"], match["value"], match["code"]
    if field not in RULE_FIELDS:
        raise RuleError(f"{text!r}: the field must be one of {', '.join(RULE_FIELDS)}")
    if code.lower() == REJECT:
        code = REJECT
    elif not _CODE.match(code.upper()):
        raise RuleError(f"{text!r}: the code must be a DUIS response code such as I0, I99, E65, or 'reject'")
    else:
        code = code.upper()
    return DccRule(field, value, code)


@dataclass
class DccSimulator:
    """Moves intents along on each ``step``; ``start`` runs steps on a background thread."""

    store: Store
    delay: float = 2.0
    rules: Sequence[DccRule] = ()
    default_code: str = "I0"
    clock: Callable[[], datetime] = utcnow
    batch: int = 200

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def decide(self, intent: Intent) -> str:
        for rule in self.rules:
            if rule.matches(intent):
                return rule.code
        return self.default_code

    def _has_work(self, due: datetime) -> bool:
        with self.store.read() as session:
            return bool(
                session.scalar(
                    select(
                        exists().where(
                            or_(
                                Intent.state == "accepted",
                                (Intent.state == "submitted")
                                & Intent.response_code.is_(None)
                                & (Intent.submitted_at <= due),
                            )
                        )
                    )
                )
            )

    def step(self, now: datetime | None = None) -> int:
        """One tick: submit what is accepted, answer what is due; returns the changes made."""
        now = now or self.clock()
        due = now - timedelta(seconds=self.delay)
        if not self._has_work(due):
            return 0
        made = 0
        with self.store.write() as session:
            accepted = session.scalars(
                select(Intent)
                .where(Intent.state == "accepted")
                .order_by(Intent.id)
                .limit(self.batch)
                .with_for_update(skip_locked=True)
            ).all()
            for intent in accepted:
                if self.decide(intent) == REJECT:
                    reject(session, intent, "refused by the DCC simulator (rule)", now)
                else:
                    submit(session, intent, now)
                made += 1
            answerable = session.scalars(
                select(Intent)
                .where(
                    Intent.state == "submitted",
                    Intent.response_code.is_(None),
                    Intent.submitted_at <= due,
                )
                .order_by(Intent.id)
                .limit(self.batch)
                .with_for_update(skip_locked=True)
            ).all()
            for intent in answerable:
                code = self.decide(intent)
                if code == REJECT:
                    code = ACK_CODE  # unreachable in practice: rejected before submission
                record_response(session, intent, code, now)
                made += 1
        return made

    def _run(self) -> None:
        interval = min(max(self.delay / 4, 0.05), 1.0)
        while not self._stop.is_set():
            try:
                self.step()
            except SQLAlchemyError:
                log.warning("DCC simulator tick failed; retrying", exc_info=True)
            self._stop.wait(interval)

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="dcc-simulator", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
