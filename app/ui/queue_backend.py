"""Worker-side access to recording, the outbox and sync, returning what the queue pane shows.

Runs on worker threads only. Recording and aborting go through ``app.services.installs``,
sync through ``app.sync.engine.sync_once``, the outbox through ``app.services.queue``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from app.services.context import AppContext
from app.ui.models import QueueRow


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    rows: tuple[QueueRow, ...]
    queued: int
    by_state: dict[str, int]


@dataclass(frozen=True, slots=True)
class SyncReport:
    """``status`` as ``app.sync.engine.SyncReport`` gives it: ok, offline, partial, auth_failed,
    not_configured, busy or waiting (a timed pass that left the back office alone because it
    asked to wait)."""

    status: str
    message: str


def snapshot(ctx: AppContext) -> QueueSnapshot:
    from app.domain.catalogue import srv_name
    from app.services.queue import list_intents, queue_counts

    views = list_intents(ctx)
    counts = queue_counts(ctx)
    rows = tuple(
        QueueRow(
            key=v.idempotency_key,
            srv=v.srv,
            name=QCoreApplication.translate("ServiceRequest", srv_name(v.srv, v.kind)),
            target=v.target,
            state=v.state,
            last_error=shown_error(v.state, v.response_code, v.server_reason, v.last_error),
            job_ref=v.job_ref or "",
            created=_short_time(v.created_at),
            install_id=v.install_id or "",
            response_code=v.response_code or "",
        )
        for v in views
    )
    return QueueSnapshot(rows, counts.get("queued", 0), counts)


#: States the back office or the DCC settled against the request: their own answer is the
#: error to show, never a network fault from an earlier attempt that ``last_error`` may keep.
_SETTLED_AGAINST = ("failed", "rejected")


def shown_error(state: str, response_code: str | None, server_reason: str | None, last_error: str | None) -> str:
    """What the Last error column says about one request.

    A request the DCC failed shows the DCC's response code ("DCC response E65") and the back
    office's reason after it when it gave one: the code is what the installer quotes to the
    supplier's support line, and without it a failed join read "—". A failed or rejected
    request shows the server's answer before any older transport error (``last_error`` keeps
    the last 503 or time-out of a retry, which is no longer why it stands where it is).
    Other states keep the last transport error, as before.
    """
    reason = (server_reason or "").strip()
    if state in _SETTLED_AGAINST:
        if response_code:
            code = QCoreApplication.translate("QueueBackend", "DCC response %1").replace("%1", response_code)
            return f"{code}: {reason}" if reason else code
        return reason or last_error or ""
    return last_error or reason


def _short_time(iso: str) -> str:
    return iso.replace("T", " ")[:16] if iso else ""


def queued_count(ctx: AppContext) -> int | None:
    from app.services.queue import queue_counts

    return queue_counts(ctx).get("queued", 0)


def record(ctx: AppContext, request: Any) -> Any:
    from app.services.installs import record_visit

    return record_visit(ctx, request)


def abort(ctx: AppContext, job_ref: str, reason: str, **labels: Any) -> Any:
    from app.services.installs import abort_visit

    return abort_visit(ctx, job_ref, reason, **labels)


#: The engine's messages for these name the command line's setting keys; in the window the
#: installer fixes them on the Settings pane, so say that (keeping the key for support).
_SETTINGS_HINTS = {
    "not_configured": QT_TRANSLATE_NOOP(
        "QueueBackend",
        "Not synced: fill in Back-office address and Back-office token on the Settings pane "
        "(backoffice_url, backoffice_token), then press Sync now. Everything stays queued.",
    ),
    "auth_failed": QT_TRANSLATE_NOOP(
        "QueueBackend",
        "Not synced: the back office refused the token. Check Back-office token on the Settings pane "
        "(backoffice_token), or ask the back office for a new one. Everything stays queued.",
    ),
}


def sync(ctx: AppContext, *, timed: bool = False) -> SyncReport:
    """One sync pass; network faults come back in the report.

    "Sync now" (``timed=False``) sends everything queued at once, backoff or not. The
    window's timer (``timed=True``) sends only what is due and leaves the back office alone
    while a ``Retry-After`` it answered is running (status ``waiting``): only a person may
    skip the wait.
    """
    from app.sync.engine import sync_once

    report = sync_once(ctx, ignore_backoff=not timed)
    hint = _SETTINGS_HINTS.get(report.status)
    message = QCoreApplication.translate("QueueBackend", str(hint)) if hint else report.message
    return SyncReport(report.status, message)


def recover(ctx: AppContext) -> int:
    """Start-up recovery of rows a crash left in flight (-1 while another sync runs)."""
    from app.sync.engine import recover_in_flight

    return recover_in_flight(ctx)
