"""The one way the window runs background work: ``TaskRunner.run(fn, on_done=…, on_error=…)``.

Why one helper: the UI thread must never wait on the database, a CPL import or a decoder,
and every result or exception must come back to the UI thread as a signal, never only be
printed from a worker. Signals live on a separate ``QObject`` (a ``QRunnable`` is not a
QObject), the runner keeps every running task referenced until it reports, and
``wait_for_done`` lets shutdown and tests wait for work still in flight.

Three pools, one thread each, chosen with ``run(…, pool=NAME)``:

* ``io`` (the default): recording, aborting, imports, settings and the queue's snapshot.
  One thread, so database writers never compete for SQLite's write lock and imports run
  in the order they were asked for.
* ``quick``: the pairing check and searches, so a slow import never delays a verdict.
* ``sync``: the back-office sync pass and nothing else. A pass waits on the network — a
  back office that accepts the connection and never answers holds it for the whole HTTP
  timeout (30 s) — so it must neither queue behind other work nor hold other work up:
  *Record install* on ``io`` completes while a pass is stuck. The pass's own database
  writes are short transactions of their own (the HTTP call is never inside one), and
  only one pass runs per data folder (``app.sync.lock``), so one thread is enough.
"""

from __future__ import annotations

import itertools
import logging
import traceback
from collections.abc import Callable
from typing import Any, NamedTuple

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

DoneCallback = Callable[[Any], None]
ErrorCallback = Callable[[BaseException], None]
ProgressCallback = Callable[[int], None]

#: The pools ``TaskRunner.run`` accepts (see the module's docstring for what runs where).
POOLS = ("io", "quick", "sync")


class TaskSignals(QObject):
    """Signals of one task; created on the UI thread so queued delivery lands there."""

    finished = Signal(int, object)
    failed = Signal(int, object)
    progress = Signal(int, int)


class _Task(QRunnable):
    def __init__(self, task_id: int, fn: Callable[..., Any], signals: TaskSignals, wants_progress: bool) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self._id = task_id
        self._fn = fn
        self._signals = signals
        self._wants_progress = wants_progress

    def run(self) -> None:
        try:
            if self._wants_progress:
                result = self._fn(progress=lambda n: self._signals.progress.emit(self._id, n))
            else:
                result = self._fn()
        except BaseException as exc:  # every failure goes back to the UI thread, none is lost
            exc.__dict__.setdefault("hubcheck_traceback", traceback.format_exc())
            self._signals.failed.emit(self._id, exc)
            return
        self._signals.finished.emit(self._id, result)


class _Pending(NamedTuple):
    task: _Task
    on_done: DoneCallback | None
    on_error: ErrorCallback | None
    on_progress: ProgressCallback | None


class TaskRunner(QObject):
    """Runs callables on worker threads and calls back on the UI thread."""

    busyChanged = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._signals = TaskSignals(self)
        self._signals.finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)
        self._signals.failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)
        self._signals.progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._pools = {name: QThreadPool(self) for name in POOLS}
        for pool in self._pools.values():
            pool.setMaxThreadCount(1)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def run(
        self,
        fn: Callable[..., Any],
        *,
        on_done: DoneCallback | None = None,
        on_error: ErrorCallback | None = None,
        on_progress: ProgressCallback | None = None,
        pool: str = "io",
    ) -> int:
        """Start ``fn`` and return the task's id; with ``on_progress``, ``fn`` is called as
        ``fn(progress=callback)`` and each ``callback(n)`` reaches ``on_progress`` on the UI thread."""
        if pool not in self._pools:
            raise ValueError(f"unknown pool {pool!r}; the pools are {', '.join(POOLS)}")
        task_id = next(self._ids)
        task = _Task(task_id, fn, self._signals, on_progress is not None)
        self._pending[task_id] = _Pending(task, on_done, on_error, on_progress)
        self.busyChanged.emit(len(self._pending))
        self._pools[pool].start(task)
        return task_id

    def wait_for_done(self, msecs: int = 30_000) -> bool:
        """Block until the pools are idle (shutdown and tests only; never in a UI slot)."""
        return all(pool.waitForDone(msecs) for pool in self._pools.values())

    @Slot(int, object)
    def _on_finished(self, task_id: int, result: object) -> None:
        pending = self._pending.pop(task_id, None)
        self.busyChanged.emit(len(self._pending))
        if pending is not None and pending.on_done is not None:
            pending.on_done(result)

    @Slot(int, object)
    def _on_failed(self, task_id: int, exc: object) -> None:
        pending = self._pending.pop(task_id, None)
        self.busyChanged.emit(len(self._pending))
        assert isinstance(exc, BaseException)
        if pending is not None and pending.on_error is not None:
            pending.on_error(exc)
        else:
            # Nobody asked to hear about this failure: it is a bug, and it goes where bugs go
            # (the log and a calm line in the window; a failed test under pytest-qt).
            from app.ui.unexpected import report

            report(exc)

    @Slot(int, int)
    def _on_progress(self, task_id: int, value: int) -> None:
        pending = self._pending.get(task_id)
        if pending is not None and pending.on_progress is not None:
            pending.on_progress(value)
