"""How scanning hands its decoding to a worker: an injected ``Submit`` callable.

Why injected: the window has one way to run background work (``app.ui.tasks.TaskRunner``)
and its ``decode`` pool keeps camera frames and dropped pictures off the UI thread without
queueing behind a database write or a sync. ``CameraScanner`` and ``ScanField`` only need
"run this, then call me back on the UI thread", so they take that as a plain callable and
stay free of the window: ``submit(work, on_done, on_error)`` runs ``work()`` on a worker
and later calls ``on_done(result)`` or ``on_error(exception)`` on the UI thread.

Scanning used without a window (tests, benchmarks, a tester's script) gets
``default_submit()``: the ``decode`` pool of one shared ``TaskRunner``, the same runner the
window uses, created on first use. It is the one place app/scan reaches into app/ui, and
only for that runner, imported when first needed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from app.ui.tasks import TaskRunner

T = TypeVar("T")


class Submit(Protocol):
    """``submit(work, on_done, on_error)``: ``work()`` on a worker thread, then exactly one
    of ``on_done(result)`` or ``on_error(exception)`` on the UI thread."""

    def __call__(
        self, work: Callable[[], T], on_done: Callable[[T], None], on_error: Callable[[BaseException], None], /
    ) -> None: ...


_shared_runner: TaskRunner | None = None


def default_submit() -> Submit:
    """The ``decode`` pool of a ``TaskRunner`` shared by scanning used without a window.

    Call it on the UI thread: the runner delivers results to the thread it was made on.
    """
    global _shared_runner
    if _shared_runner is None:
        from app.ui.tasks import TaskRunner  # the window's runner type, never a thread of our own

        _shared_runner = TaskRunner()
    return _shared_runner.submitter("decode")


def is_scanning_error(exc: BaseException) -> bool:
    """A failure scanning explains in its own words (a frame or picture it cannot read, a
    decoder that is not installed, the disk); anything else is a bug in HubCheck."""
    return isinstance(exc, OSError) or type(exc).__module__.startswith("app.scan")
