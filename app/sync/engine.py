"""One sync pass: recover, push visit records, push intents in batches, pull status, adopt the regime,
send the journal, learn decisions on manual inventory changes.

Durability rules (why the pass is shaped like this):

* Only one worker per data folder runs a pass (:class:`~app.sync.lock.SyncLock`), so the
  recovery at its start — every ``sent`` row back to ``queued`` — never touches another
  worker's rows in flight.
* Rows are marked ``sent`` in their own committed transaction *before* the POST, and the
  answer is written in another right after it. A crash between the two leaves them ``sent``;
  the next pass re-queues and re-sends them, and the back office answers ``replayed``.
* A transient fault puts the batch back to ``queued`` with exponential backoff and stops
  pushing for this pass (the network is likely down; hammering it helps nobody). A
  refused token stops the pass and leaves every intent queued: nothing is lost or rejected
  because of a laptop's configuration.
* Nothing is deleted.

Two kinds of pass (``ignore_backoff``):

* a *timed* pass (the window's timer, the CLI's follow-up passes, a tray worker) sends only
  the intents and visits whose next attempt is due, and does not contact the back office
  at all while a ``Retry-After`` it answered is still running (status ``waiting``). That
  "not before" time is stored in the data folder per back office, so a restart honours it;
* a person's "Sync now" (button, F5, ``hubcheck sync``) sends everything queued and contacts
  the back office even inside such a wait; if the back office asks again, the report's
  message says so and until when.

Once the back office has asked to wait, the rest of that pass leaves it alone (no status
pull, no regime), and a pass that ends ``ok`` clears the wait.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from app.domain.journal import LinkedEntry
from app.store import inventory_decisions, journal_sync, outbox
from app.sync.backoff import CAP_SECONDS, backoff_delay
from app.sync.client import (
    AuthError,
    BackofficeCaError,
    BackofficeClient,
    BatchTooLarge,
    ItemResult,
    JournalUnsupported,
    TransientError,
    plain_http_refusal,
)
from app.sync.lock import SyncLock

if TYPE_CHECKING:  # the context is only passed through; sync depends on store, not services
    from app.services.context import AppContext

DEFAULT_BATCH = 500
STATUS_PAGE = 1000
#: Journal entries per upload; one upload per pass (one more when the back office asks for a
#: resend), after everything else, so the journal never holds up a Service Request.
JOURNAL_BATCH = 500
#: Visits asked about per pass (``GET /v1/installs/{id}`` each, oldest first) for the decision on
#: their manual inventory change; a laptop has a handful, the cap keeps one pass short whatever.
DECISIONS_PER_PASS = 50
JOURNAL_ACKED = "journal_acked"
JOURNAL_REPORTED = "journal_reported"

Progress = Callable[[str, int], None]


@dataclass(slots=True)
class SyncReport:
    """What one pass did, for the status bar, the log and ``hubcheck sync --json``.

    ``status``: ``ok`` (everything reachable), ``offline`` (back office unreachable),
    ``partial`` (some calls failed and were put back for later), ``auth_failed``,
    ``not_configured`` (no URL or token), ``busy`` (another sync is running) or ``waiting``
    (a timed pass that did not contact the back office because it asked to wait).

    ``retry_after``: the seconds the back office asked to wait during this pass (its
    ``Retry-After``), if it did. ``not_before``: Unix time before which timed passes leave the
    back office alone (None: no wait in force).
    """

    status: str = "ok"
    message: str = ""
    started_at: str = ""
    duration_s: float = 0.0
    recovered: int = 0
    visits_sent: int = 0
    visits_accepted: int = 0
    visits_rejected: int = 0
    batches: int = 0
    sent: int = 0
    created: int = 0
    replayed: int = 0
    rejected: int = 0
    retried: int = 0
    status_changes: int = 0
    status_applied: int = 0
    cursor: int = 0
    regime: str | None = None
    regime_source: str | None = None
    regime_changed: bool = False
    queued_left: int = 0
    in_flight_left: int = 0
    next_due_at: float | None = None
    retry_after: float | None = None
    not_before: float | None = None
    errors: list[str] = field(default_factory=list)
    #: The audit journal's upload this pass: entries sent, entries still to send, and what the
    #: back office said of this laptop's chain (``journal_intact`` None: not asked this pass).
    journal_sent: int = 0
    journal_left: int = 0
    journal_intact: bool | None = None
    journal_problem: str | None = None
    #: Decisions (approved or refused) on this laptop's manual inventory changes learnt this pass.
    inventory_decisions: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__slots__}
        data["errors"] = list(self.errors)
        return data


def _iso(moment: float | None = None) -> str:
    return datetime.fromtimestamp(moment if moment is not None else time.time(), UTC).isoformat(
        timespec="microseconds"
    )


def intent_item(claimed: outbox.ClaimedIntent) -> dict[str, Any]:
    """The wire form of one intent (IntentIn). Built only from stored columns, so a resend is
    identical to the first send and the back office recognises it as a replay."""
    payload = json.loads(claimed.payload_json)
    # The order fields travel only when set: a request without prerequisites is sent exactly as
    # before (a back office from before them accepts it; a resend stays a replay).
    order: dict[str, Any] = {}
    if claimed.depends_on:
        order["depends_on"] = list(claimed.depends_on)
    if claimed.needs_approval:
        order["needs_approval"] = True
    return {
        **order,
        "idempotency_key": claimed.idempotency_key,
        "srv": claimed.srv,
        "command_variant": claimed.command_variant,
        "target": claimed.target,
        "body": payload.get("body", {}),
        "duis_xml": claimed.duis_xml,
        "install_id": claimed.install_id,
        "job_ref": claimed.job_ref or None,
        "created_at": claimed.created_at,
        "meta": {"kind": claimed.kind, "format": payload.get("format"), "critical": claimed.critical},
    }


def visit_item(visit: outbox.ClaimedVisit) -> dict[str, Any]:
    """The wire form of one visit record (InstallIn), built only from stored columns."""
    meta = json.loads(visit.meta_json or "{}")
    meta.update(
        {
            "meter_type": visit.meter_type,
            "regime": visit.regime,
            "regime_source": visit.regime_source,
            "abort_reason": visit.abort_reason,
        }
    )
    reasons = [
        {"code": r["code"], "severity": r["severity"], "message": str(r.get("message", ""))[:2000]}
        for r in json.loads(visit.reasons_json or "[]")
    ]
    return {
        "install_id": visit.id,
        "job_ref": visit.job_ref,
        "ppmid": visit.ppmid,
        "hub": visit.hub,
        "meter": visit.meter,
        "verdict_level": visit.verdict_level,
        "reasons": reasons,
        "override_reason": visit.override_reason,
        "outcome": visit.outcome,
        "started_at": visit.started_at,
        "finished_at": visit.finished_at,
        "meta": meta,
    }


_Row = TypeVar("_Row")


def _readable(
    rows: list[_Row], build: Callable[[_Row], dict[str, Any]]
) -> tuple[list[_Row], list[dict[str, Any]], list[tuple[_Row, str]]]:
    """Split claimed rows into (sendable rows, their wire items, unreadable rows with the reason).

    A row whose stored JSON cannot be read (a damaged database) would otherwise fail every
    pass and hold back every row behind it; it is set aside as rejected, kept and shown in
    the queue with the reason, so the rest of the visit's work still reaches the back office.
    """
    good: list[_Row] = []
    items: list[dict[str, Any]] = []
    bad: list[tuple[_Row, str]] = []
    for row in rows:
        try:
            items.append(build(row))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            bad.append((row, f"the stored record cannot be read and was not sent ({type(exc).__name__}: {exc}); "
                              "ask the back office to re-create this request"))
        else:
            good.append(row)
    return good, items, bad


def _answer(result: ItemResult) -> outbox.ServerAnswer:
    if result.outcome in ("created", "replayed") and result.state in outbox.SERVER_STATES:
        return outbox.ServerAnswer(
            state=result.state or "accepted",
            request_id=result.request_id,
            response_code=result.response_code,
            reason=result.reason,
        )
    why = result.error or f"refused by the back office ({result.outcome})"
    return outbox.ServerAnswer(state="rejected", reason=why)


def cursor_name(url: str, token: str) -> str:
    """The status cursor belongs to one back office and one installer (token)."""
    digest = hashlib.sha256(f"{url}\n{token}".encode()).hexdigest()[:16]
    return f"{outbox.STATUS_CURSOR}:{digest}"


def journal_counter_names(url: str, token: str) -> tuple[str, str]:
    """(last entry id the back office acknowledged, last head count reported), per back office
    and installer like the status cursor: a new token starts again from the first entry, which
    the back office takes as replays."""
    digest = hashlib.sha256(f"{url}\n{token}".encode()).hexdigest()[:16]
    return f"{JOURNAL_ACKED}:{digest}", f"{JOURNAL_REPORTED}:{digest}"


def journal_item(entry: LinkedEntry) -> dict[str, Any]:
    """The wire form of one journal entry: every hashed field exactly as stored."""
    return {
        "id": entry.id,
        "at": entry.at,
        "action": entry.action,
        "subject": entry.subject,
        "detail_json": entry.detail_json,
        "prev_hash": entry.prev_hash,
        "entry_hash": entry.entry_hash,
    }


def not_before_name(url: str) -> str:
    """A back office's "not before" time is keyed by its address alone: pointing the laptop at
    another back office starts without a wait; a new token for the same one does not (the
    wait is the server's, not the installer's)."""
    digest = hashlib.sha256(url.rstrip("/").encode()).hexdigest()[:16]
    return f"{outbox.SYNC_NOT_BEFORE}:{digest}"


def waiting_until(ctx: AppContext, url: str, now: float | None = None) -> float | None:
    """The stored time before which timed passes must not contact ``url``; None when none is
    in force. A stored time further ahead than any wait the engine keeps (the laptop's clock
    was moved back) is ignored rather than silencing sync for hours."""
    moment = time.time() if now is None else now
    with ctx.engine.connect() as conn:
        stored = outbox.read_counter(conn, not_before_name(url))
    if stored <= moment or stored > moment + CAP_SECONDS + 60:
        return None
    return float(stored)


def _summarise(ctx: AppContext, report: SyncReport, url: str) -> None:
    with ctx.engine.connect() as conn:
        counts = outbox.counts_by_state(conn)
        report.next_due_at = outbox.earliest_due(conn)
    report.queued_left = counts.get("queued", 0)
    report.in_flight_left = counts.get("sent", 0)
    token = str(ctx.setting("backoffice_token") or "")
    if token:
        with ctx.engine.connect() as conn:
            acked = outbox.read_counter(conn, journal_counter_names(url, token)[0])
            report.journal_left = journal_sync.count_after(conn, acked)
    report.not_before = waiting_until(ctx, url)


class _Pass:
    """The state of one pass; methods are the pass's steps, in order."""

    def __init__(
        self,
        ctx: AppContext,
        client: BackofficeClient,
        report: SyncReport,
        *,
        ignore_backoff: bool,
        batch_size: int,
        deadline: float | None,
        progress: Progress | None,
    ) -> None:
        self.ctx, self.client, self.report = ctx, client, report
        self.engine = ctx.engine
        self.ignore_backoff = ignore_backoff
        #: The back office answered ``Retry-After`` during this pass: contact it no more.
        self.asked_to_wait = False
        self.batch_size = max(1, min(batch_size, DEFAULT_BATCH))
        self.deadline = deadline
        self.progress = progress

    def _time_left(self) -> bool:
        return self.deadline is None or time.monotonic() < self.deadline

    def _fault(self, exc: TransientError) -> None:
        self.report.errors.append(str(exc))
        self.report.status = "offline" if exc.offline else "partial"
        if exc.retry_after is not None:
            self._asked_to_wait(exc.retry_after)

    def _asked_to_wait(self, seconds: float) -> None:
        """Keep the back office's ``Retry-After`` (capped like any backoff) where the next
        timed pass, in this process or after a restart, finds it."""
        self.report.retry_after = max(self.report.retry_after or 0.0, seconds)
        wait = min(seconds, CAP_SECONDS)
        if wait <= 0:
            return
        until = math.ceil(time.time() + wait)
        with self.engine.begin() as conn:
            outbox.set_counter(conn, not_before_name(self.client.base_url), until)
        self.asked_to_wait = True

    def _shrink_batch(self, exc: BatchTooLarge) -> bool:
        """Halve the batch after a 413; False (stop pushing this pass) when one item alone is too
        large, so the pass ends instead of re-sending that item for ever."""
        if self.batch_size == 1:
            self.report.errors.append(str(exc))
            self.report.status = "partial"
            return False
        self.batch_size = max(1, self.batch_size // 2)
        return True

    def recover(self) -> None:
        with self.engine.begin() as conn:
            self.report.recovered = outbox.recover_in_flight(conn)

    def push_visits(self) -> bool:
        while self._time_left():
            now = time.time()
            with self.engine.begin() as conn:
                visits = outbox.claim_due_visits(
                    conn, now=now, limit=self.batch_size, ignore_backoff=self.ignore_backoff
                )
            if not visits:
                return True
            visits, items, unreadable = _readable(visits, visit_item)
            if unreadable:
                with self.engine.begin() as conn:
                    outbox.finish_visits(conn, [(v.id, "rejected", why) for v, why in unreadable])
                self.report.visits_rejected += len(unreadable)
            if not visits:
                continue
            try:
                results = self.client.post_installs(items)
            except TransientError as exc:
                self._fault(exc)
                retries = [(v.id, now + backoff_delay(v.attempts, retry_after=exc.retry_after)) for v in visits]
                with self.engine.begin() as conn:
                    outbox.release_visits(conn, retries, str(exc))
                return False
            except (AuthError, BatchTooLarge) as exc:
                with self.engine.begin() as conn:
                    outbox.release_visits(conn, [(v.id, now) for v in visits], str(exc))
                if isinstance(exc, AuthError):
                    raise
                if not self._shrink_batch(exc):
                    return False
                continue
            except BaseException as exc:
                with self.engine.begin() as conn:
                    outbox.release_visits(conn, [(v.id, now) for v in visits], f"{type(exc).__name__}: {exc}")
                raise
            outcome = []
            for visit, result in zip(visits, results, strict=True):
                ok = result.outcome in ("created", "replayed")
                outcome.append((visit.id, "accepted" if ok else "rejected", None if ok else result.error))
                self.report.visits_accepted += ok
                self.report.visits_rejected += not ok
            self.report.visits_sent += len(visits)
            with self.engine.begin() as conn:
                outbox.finish_visits(conn, outcome)
        return True

    def push_intents(self) -> bool:
        while self._time_left():
            now = time.time()
            with self.engine.begin() as conn:
                claimed = outbox.claim_due(
                    conn, now=now, now_text=_iso(now), limit=self.batch_size, ignore_backoff=self.ignore_backoff
                )
            if not claimed:
                return True
            claimed, items, unreadable = _readable(claimed, intent_item)
            if unreadable:
                with self.engine.begin() as conn:
                    outbox.record_answers(
                        conn, [(c.id, outbox.ServerAnswer(state="rejected", reason=why)) for c, why in unreadable], _iso()
                    )
                self.report.rejected += len(unreadable)
            if not claimed:
                continue
            try:
                results = self.client.post_intents(items)
            except TransientError as exc:
                self._fault(exc)
                self.report.retried += len(claimed)
                retries = [(c.id, now + backoff_delay(c.attempts, retry_after=exc.retry_after)) for c in claimed]
                with self.engine.begin() as conn:
                    outbox.release(conn, retries, str(exc), _iso())
                return False
            except (AuthError, BatchTooLarge) as exc:
                with self.engine.begin() as conn:
                    outbox.release(conn, [(c.id, now) for c in claimed], str(exc), _iso())
                if isinstance(exc, AuthError):
                    raise
                if not self._shrink_batch(exc):
                    return False
                continue
            except BaseException as exc:
                # A bug or an interrupt: hand the rows back now rather than at the next start-up.
                with self.engine.begin() as conn:
                    outbox.release(conn, [(c.id, now) for c in claimed], f"{type(exc).__name__}: {exc}", _iso())
                raise
            answers = [(c.id, _answer(r)) for c, r in zip(claimed, results, strict=True)]
            with self.engine.begin() as conn:
                outbox.record_answers(conn, answers, _iso())
            self.report.batches += 1
            self.report.sent += len(claimed)
            self.report.created += sum(r.outcome == "created" for r in results)
            self.report.replayed += sum(r.outcome == "replayed" for r in results)
            self.report.rejected += sum(a.state == "rejected" for _, a in answers)
            if self.progress is not None:
                self.progress("sent", self.report.sent)
        return True

    def pull_status(self, name: str) -> None:
        with self.engine.connect() as conn:
            cursor = outbox.read_counter(conn, name)
        while True:
            page = self.client.pull_status(cursor, STATUS_PAGE)
            updates = [
                outbox.StatusUpdate(
                    c.idempotency_key,
                    outbox.ServerAnswer(c.state, c.request_id, c.response_code, c.reason, c.seq),
                )
                for c in page.changes
                if c.state in outbox.RANK
            ]
            with self.engine.begin() as conn:
                self.report.status_applied += outbox.apply_status_changes(conn, updates, _iso())
                outbox.raise_counter(conn, name, page.cursor)
            self.report.status_changes += len(page.changes)
            cursor = max(cursor, page.cursor)
            self.report.cursor = cursor
            if not page.more or not page.changes:
                return

    def adopt_regime(self) -> None:
        from app.store import audit

        answer = self.client.get_regime()
        settings = self.ctx.settings
        values = settings.load().values
        self.report.regime = answer.regime
        self.report.regime_source = "backoffice"
        if values.get("regime") == answer.regime and values.get("regime_source") == "backoffice":
            return
        since = answer.effective_from or _iso()
        settings.set_many({"regime": answer.regime, "regime_source": "backoffice", "regime_since": since})
        self.report.regime_changed = True
        with self.engine.begin() as conn:
            audit.append(
                conn,
                "regime.adopted",
                answer.regime,
                {
                    "from": values.get("regime"),
                    "from_source": values.get("regime_source"),
                    "effective_from": answer.effective_from,
                    "backoffice_source": answer.source,
                },
            )

    def push_journal(self, token: str) -> None:
        """Send the journal entries the back office has not acknowledged: one upload, oldest first.

        The acknowledged id moves only on the back office's answer, so a failure (or a crash)
        leaves the entries to be sent again, and a resend is answered as replays. When the back
        office holds less than the laptop believed (restored from a backup), it says from where
        to send again, and that is done at once with a second upload.
        """
        acked_name, reported_name = journal_counter_names(self.client.base_url, token)
        laptop_id = journal_sync.ensure_laptop_id(self.engine, self.ctx.settings)
        for _attempt in range(2):
            with self.engine.connect() as conn:
                acked = outbox.read_counter(conn, acked_name)
                reported = outbox.read_counter(conn, reported_name)
                batch = journal_sync.pending_entries(conn, acked, JOURNAL_BATCH)
            if not batch.entries and (batch.written is None or batch.written == reported):
                break  # nothing new, and the head count the back office has is current
            receipt = self.client.post_journal(
                laptop_id, [journal_item(e) for e in batch.entries], written=batch.written, after=acked
            )
            self.report.journal_intact, self.report.journal_problem = receipt.intact, receipt.first_broken
            with self.engine.begin() as conn:
                if receipt.resend_after is not None:
                    outbox.set_counter(conn, acked_name, receipt.resend_after)
                    continue
                if batch.entries:
                    outbox.set_counter(conn, acked_name, batch.entries[-1].id)
                if batch.written is not None:
                    outbox.set_counter(conn, reported_name, batch.written)
            self.report.journal_sent += len(batch.entries)
            break

    def learn_decisions(self) -> None:
        """Ask the back office how each of this laptop's manual inventory changes was decided.

        Only visits whose record it accepted and with no final decision kept yet, oldest first,
        at most :data:`DECISIONS_PER_PASS`. An approval or a refusal is kept with its journal
        entry in one transaction per visit; a pending one, an unknown record (404) or an answer
        without the decision (an older back office) keeps nothing and is asked again next pass.
        A network fault stops the step and reaches the report like any other: what was kept
        stays kept, the rest is asked next pass.
        """
        with self.engine.connect() as conn:
            waiting = inventory_decisions.awaiting(conn, DECISIONS_PER_PASS)
        for visit_id in waiting:
            if not self._time_left():
                return
            change = self.client.get_inventory_change(visit_id)
            if change is None or change.decision not in inventory_decisions.FINAL_DECISIONS:
                continue
            decided_at = change.decided_at.isoformat(timespec="microseconds") if change.decided_at else None
            with self.engine.begin() as conn:
                kept = inventory_decisions.store_decision(
                    conn, visit_id, change.decision, reason=change.reason, decided_by=change.decided_by,
                    decided_at=decided_at, learned_at=_iso(),
                )
            self.report.inventory_decisions += kept

    def summarise(self) -> None:
        url = self.client.base_url
        if self.report.status == "ok":  # the back office took everything: any earlier wait is over
            name = not_before_name(url)
            with self.engine.begin() as conn:
                if outbox.read_counter(conn, name):
                    outbox.set_counter(conn, name, 0)
        _summarise(self.ctx, self.report, url)


def sync_once(
    ctx: AppContext,
    *,
    ignore_backoff: bool = False,
    batch_size: int = DEFAULT_BATCH,
    client: BackofficeClient | None = None,
    max_seconds: float | None = None,
    pull_status: bool = True,
    adopt_regime: bool = True,
    progress: Progress | None = None,
    http_timeout: float | None = None,
    push_journal: bool = True,
) -> SyncReport:
    """Run one sync pass now, in the calling thread (the UI calls it from a worker thread).

    ``ignore_backoff``: a person's "Sync now": send queued intents and visits even if their
    next attempt is not due yet, and contact the back office even while a ``Retry-After`` it
    answered is still running. Without it (a timed pass) only due work is sent, and while
    such a wait runs the pass returns ``waiting`` without any network call. Never raises for
    network or server faults: they are in the report; the intents stay queued.
    ``http_timeout`` (seconds) replaces the client's default of 30 s read / 5 s connect.
    ``push_journal``: send the audit journal's next entries at the end of a pass that reached
    the back office without trouble (one upload; see :meth:`_Pass.push_journal`). Such a pass
    then asks how this laptop's manual inventory changes were decided (see
    :meth:`_Pass.learn_decisions`; no request when none waits).
    """
    started = time.monotonic()
    report = SyncReport(started_at=_iso())
    url = str(ctx.setting("backoffice_url") or "")
    token = str(ctx.setting("backoffice_token") or "")
    if client is None and (not url or not token):
        report.status = "not_configured"
        report.message = "set backoffice_url and backoffice_token to sync (hubcheck settings set KEY VALUE)"
        return report
    refusal = plain_http_refusal(url) if client is None else None
    if refusal is not None:  # the settings check refuses it too; a hand-edited file must not leak the token
        report.status = "not_configured"
        report.message = refusal
        return report
    ca_file = str(ctx.setting("backoffice_ca") or "") or None
    if not ignore_backoff:
        base_url = client.base_url if client is not None else url.rstrip("/")
        if waiting_until(ctx, base_url) is not None:
            report.status = "waiting"
            _summarise(ctx, report, base_url)
            report.message = _message(report)
            report.duration_s = round(time.monotonic() - started, 3)
            return report
    lock = SyncLock(ctx.data_dir)
    if not lock.acquire():
        report.status = "busy"
        report.message = "another sync is running for this data folder"
        return report
    own_client = client is None
    try:
        http = client or (
            BackofficeClient(url, token, timeout=http_timeout, ca_file=ca_file)
            if http_timeout
            else BackofficeClient(url, token, ca_file=ca_file)
        )
    except BackofficeCaError as exc:
        lock.release()
        report.status = "not_configured"
        report.message = str(exc)
        return report
    deadline = started + max_seconds if max_seconds is not None else None
    step = _Pass(
        ctx, http, report, ignore_backoff=ignore_backoff, batch_size=batch_size, deadline=deadline, progress=progress
    )
    try:
        step.recover()
        try:
            if step.push_visits():
                step.push_intents()
            if pull_status and not step.asked_to_wait:
                step.pull_status(cursor_name(http.base_url, token))
            if adopt_regime and not step.asked_to_wait:
                step.adopt_regime()
            if push_journal and report.status == "ok" and not step.asked_to_wait:
                try:  # last, after everything a Service Request needs; one upload per pass
                    step.push_journal(token)
                except JournalUnsupported:
                    pass  # an older back office: the journal stays on the laptop, nothing is lost
                except BatchTooLarge as exc:
                    report.errors.append(str(exc))
            if report.status == "ok" and not step.asked_to_wait:
                # After the journal: a record the back office cannot answer never holds the journal up.
                step.learn_decisions()
        except AuthError as exc:
            report.status = "auth_failed"
            report.errors.append(str(exc))
        except TransientError as exc:
            step._fault(exc)
        step.summarise()
    finally:
        if own_client:
            http.close()
        lock.release()
    if not report.message:
        report.message = _message(report)
    report.duration_s = round(time.monotonic() - started, 3)
    return report


def _clock(moment: float) -> str:
    """A local wall-clock time the installer can compare with the laptop's clock."""
    return datetime.fromtimestamp(moment).astimezone().strftime("%H:%M")


def _span(seconds: float) -> str:
    return f"{math.ceil(seconds)} s" if seconds < 90 else f"{math.ceil(seconds / 60)} min"


def _message(report: SyncReport) -> str:
    if report.status == "waiting" and report.not_before is not None:
        return f"not synced: the back office asked HubCheck to wait until {_clock(report.not_before)}; " \
            f"{report.queued_left} requests stay queued (Sync now sends them at once)"
    if report.retry_after is not None and report.status in ("partial", "offline"):
        until = f" (until {_clock(report.not_before)})" if report.not_before is not None else ""
        return f"the back office is busy and asked HubCheck to wait {_span(report.retry_after)}{until}; " \
            f"{report.queued_left} requests stay queued and timed syncs try again then (Sync now tries at once)"
    if report.status == "ok":
        decided = ""
        if report.inventory_decisions:
            changes = "change" if report.inventory_decisions == 1 else "changes"
            decided = f"; the back office decided {report.inventory_decisions} manual inventory {changes}"
        return f"synced: {report.created} new, {report.replayed} already there, {report.rejected} rejected; " \
            f"{report.queued_left} still queued{decided}"
    if report.status == "auth_failed":
        return "the back office refused the token: check backoffice_token; nothing was lost, everything stays queued"
    if report.status == "offline":
        return f"the back office cannot be reached; {report.queued_left} requests stay queued and will be retried"
    return f"some calls failed and will be retried: {report.errors[-1] if report.errors else ''}"


def recover_in_flight(ctx: AppContext) -> int:
    """Start-up recovery for the app: rows a crash left ``sent`` go back to ``queued``.

    Returns -1 without touching anything when a sync worker is running right now.
    """
    lock = SyncLock(ctx.data_dir)
    if not lock.acquire():
        return -1
    try:
        with ctx.engine.begin() as conn:
            return outbox.recover_in_flight(conn)
    finally:
        lock.release()
