"""The one way the window runs background work: ``TaskRunner.run(fn, on_done=…, on_error=…)``.

Why one helper: the UI thread must never wait on the database, a CPL import or a decoder,
and every result or exception must come back to the UI thread as a signal, never only be
printed from a worker. Signals live on a separate ``QObject`` (a ``QRunnable`` is not a
QObject), the runner keeps every running task referenced until it reports, and
``wait_for_done`` lets shutdown and tests wait for work still in flight.

Four pools, one thread each, chosen with ``run(…, pool=NAME)`` (``submitter(NAME)`` gives
the same as a plain ``submit(work, on_done, on_error)`` callable for code that must not
know about Qt, such as app/scan). Each pool's thread is named ``hubcheck-<pool>``:

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
* ``decode``: barcode decoding — the camera's frames (``app.scan.camera.CameraScanner``)
  and a dropped or pasted picture (``app.scan.field.ScanField``). Its own thread, so a
  frame never waits behind a database write or a sync, and a picture drop never waits for
  an import. One thread is enough: the camera keeps at most one frame out and drops the
  rest while it is busy (back-pressure instead of a queue), and a picture waits for at
  most that one frame. Decode tasks do not count in ``pending`` or ``busyChanged``: the
  camera decodes for as long as it is open, and the field and the camera pane say
  themselves that they are reading; ``wait_for_done`` still waits for them.
"""

from __future__ import annotations

import itertools
import logging
import traceback
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

if TYPE_CHECKING:
    from app.scan.background import Submit

log = logging.getLogger(__name__)

DoneCallback = Callable[[Any], None]
ErrorCallback = Callable[[BaseException], None]
ProgressCallback = Callable[[int], None]

#: The pools ``TaskRunner.run`` accepts (see the module's docstring for what runs where).
POOLS = ("io", "quick", "sync", "decode")
#: Pools whose tasks are not counted in ``pending`` and ``busyChanged`` (see the docstring).
UNCOUNTED_POOLS = frozenset({"decode"})


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
    counted: bool
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
        # The pools before the signals: Qt deletes children in the order they were made, so
        # a runner deleted with a task still running waits for it (in the pool's destructor)
        # while the signals object the task reports through still exists.
        self._pools = {name: QThreadPool(self) for name in POOLS}
        for name, pool in self._pools.items():
            pool.setObjectName(f"hubcheck-{name}")  # Qt names the pool's thread after it
            pool.setMaxThreadCount(1)
        self._signals = TaskSignals(self)
        self._signals.finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)
        self._signals.failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)
        self._signals.progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._counted = 0
        self._started: Counter[str] = Counter()

    @property
    def pending(self) -> int:
        """Tasks started and not yet reported, not counting the ``decode`` pool's."""
        return self._counted

    def started(self, pool: str) -> int:
        """How many tasks ``pool`` has been given so far (diagnostics and tests)."""
        return self._started[pool]

    def submitter(self, pool: str) -> Submit:
        """``submit(work, on_done, on_error)`` running ``work`` on ``pool``: what app/scan takes."""
        if pool not in self._pools:
            raise ValueError(f"unknown pool {pool!r}; the pools are {', '.join(POOLS)}")

        def submit(
            work: Callable[[], Any], on_done: Callable[[Any], None], on_error: Callable[[BaseException], None], /
        ) -> None:
            self.run(work, on_done=on_done, on_error=on_error, pool=pool)

        return submit

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
        counted = pool not in UNCOUNTED_POOLS
        self._pending[task_id] = _Pending(task, counted, on_done, on_error, on_progress)
        self._started[pool] += 1
        if counted:
            self._counted += 1
            self.busyChanged.emit(self._counted)
        self._pools[pool].start(task)
        return task_id

    def wait_for_done(self, msecs: int = 30_000) -> bool:
        """Block until the pools are idle (shutdown and tests only; never in a UI slot)."""
        return all(pool.waitForDone(msecs) for pool in self._pools.values())

    def _take(self, task_id: int) -> _Pending | None:
        pending = self._pending.pop(task_id, None)
        if pending is not None and pending.counted:
            self._counted -= 1
            self.busyChanged.emit(self._counted)
        return pending

    @Slot(int, object)
    def _on_finished(self, task_id: int, result: object) -> None:
        pending = self._take(task_id)
        if pending is not None and pending.on_done is not None:
            pending.on_done(result)

    @Slot(int, object)
    def _on_failed(self, task_id: int, exc: object) -> None:
        pending = self._take(task_id)
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
