"""A background sync worker for a process without Qt: a timer, "Sync now", and "the network is back".

Plain Python threads, for a headless helper (a tray process, a kiosk) and its tests. The
window does not use it: in the window there is one way to run background work, its task
runner, whose ``sync`` pool runs the window's passes (``app.ui.tasks``). Why three triggers:

* the timer keeps the queue draining with nobody watching, honouring each intent's backoff
  and the back office's ``Retry-After`` (``app.sync.engine``: a timed pass);
* "Sync now" is a person asking: it skips the backoff wait and the ``Retry-After``;
* when the back office was unreachable the worker probes ``/v1/health`` every
  ``probe_interval`` seconds (cheap, no token) and, as soon as it answers, runs a timed
  pass at once rather than at the next tick — intents queued in a signal dead-spot leave
  as soon as they are due once the van reaches coverage. :meth:`SyncService.network_changed`
  (the operating system's reachability notice) does the same. Only a person skips the wait.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.sync.client import BackofficeCaError, BackofficeClient
from app.sync.engine import DEFAULT_BATCH, SyncReport, sync_once

if TYPE_CHECKING:
    from app.services.context import AppContext

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 60.0
DEFAULT_PROBE_INTERVAL = 10.0


class SyncService:
    """Runs :func:`sync_once` on a worker thread when the timer fires or someone asks.

    ``on_report`` is called on the worker thread after every pass (wrap it into a Qt
    signal to touch widgets). ``reports`` counts passes; ``last_report`` is the latest.
    """

    def __init__(
        self,
        ctx: AppContext,
        *,
        interval: float = DEFAULT_INTERVAL,
        probe_interval: float = DEFAULT_PROBE_INTERVAL,
        on_report: Callable[[SyncReport], None] | None = None,
        batch_size: int | None = None,
    ) -> None:
        self.ctx = ctx
        self.interval = interval
        self.probe_interval = probe_interval
        self.on_report = on_report
        self.batch_size = batch_size
        self.last_report: SyncReport | None = None
        self.reports = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._force = False
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None
        self._idle = threading.Condition()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="hubcheck-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the pass in progress (a pass never leaves rows ``sent`` on a clean stop)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- triggers --------------------------------------------------------------------------
    def sync_now(self) -> None:
        """A person pressed "Sync now": run a pass at once, skipping backoff waits."""
        with self._guard:
            self._force = True
        self._wake.set()

    def network_changed(self, online: bool) -> None:
        """The operating system says the network went up or down; up triggers a timed pass at
        once (due work only: backoff and ``Retry-After`` still hold). Down changes nothing: the
        next pass finds out for itself."""
        if online:
            self._wake.set()

    def wait_for_passes(self, count: int, timeout: float = 30.0) -> bool:
        """Block until at least ``count`` passes have finished (tests, the CLI's watch mode)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self.reports < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    # -- the worker ------------------------------------------------------------------------
    def _next_wait(self) -> float:
        report = self.last_report
        if report is not None and report.status == "offline":
            return self.probe_interval
        wait = self.interval
        if report is not None and report.next_due_at is not None:
            wait = min(wait, max(0.5, report.next_due_at - time.time()))
        if report is not None and report.not_before is not None:
            # The back office asked to wait: a timed pass before then would only say "waiting".
            wait = max(wait, report.not_before - time.time())
        return wait

    def _probe(self) -> bool:
        url = str(self.ctx.setting("backoffice_url") or "")
        if not url:
            return False
        try:
            client = BackofficeClient(url, "", ca_file=str(self.ctx.setting("backoffice_ca") or "") or None)
        except BackofficeCaError:
            return False
        try:
            return client.health()
        finally:
            client.close()

    def _run(self) -> None:
        first = True
        while not self._stop.is_set():
            if not first:
                woke = self._wake.wait(self._next_wait())
                if self._stop.is_set():
                    return
                self._wake.clear()
                offline = self.last_report is not None and self.last_report.status == "offline"
                if not woke and offline and not self._probe():
                    continue  # still unreachable; once it answers, the timed pass below runs at once
            first = False
            with self._guard:
                force, self._force = self._force, False
            self._pass(force)

    def _pass(self, force: bool) -> None:
        try:
            report = sync_once(self.ctx, ignore_backoff=force, batch_size=self.batch_size or DEFAULT_BATCH)
        except Exception as exc:  # a bug must not kill the worker; the rows were handed back
            log.exception("sync pass failed")
            report = SyncReport(status="partial", message=f"sync failed: {type(exc).__name__}: {exc}")
            report.errors.append(report.message)
        self.last_report = report
        with self._idle:
            self.reports += 1
            self._idle.notify_all()
        if self.on_report is not None:
            try:
                self.on_report(report)
            except Exception:  # the listener's problem must not stop syncing
                log.exception("sync report listener failed")
