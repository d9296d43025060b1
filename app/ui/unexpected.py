"""Errors nobody expected: logged in full, shown to the installer as one calm line, never lost.

Why a process-wide hook rather than a ``try`` at each call site: a bug can surface in any
slot, worker or thread, and a windowed build has no console, so Qt's default of printing
an exception raised in a slot loses it. ``sys.excepthook`` (and ``threading.excepthook``)
is the one place every such exception passes through.

``report`` is how HubCheck's own code hands over an exception it caught but did not expect
(a worker's failure nobody handles, a bug behind "unexpected error"). Under pytest-qt,
``sys.excepthook`` is the test's capture hook during each test, so the same call fails the
test that caused the bug instead of hiding it behind a message on screen.

Qt-free and cheap to import: it is installed before the window is built.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from types import TracebackType

log = logging.getLogger("app.unexpected")

CALM_LINE = "HubCheck hit an internal problem. What you recorded is safe; the details are in the log."


def report(exc: BaseException) -> None:
    """Hand an exception nobody handled to ``sys.excepthook``: the log and a calm line in the
    window, or a failed test under pytest-qt."""
    sys.excepthook(type(exc), exc, exc.__traceback__)


def is_expected(exc: BaseException) -> bool:
    """Failures that have their own plain message (bad input, the disk, the database, the
    network); anything else is a bug and goes to :func:`report`."""
    from app.domain.errors import DomainInputError

    if isinstance(exc, DomainInputError | OSError):
        return True
    module = type(exc).__module__
    # Database and HTTP errors have their own messages; their modules load only after the
    # first paint, so they are recognised by where they come from rather than imported here.
    return module.startswith(
        ("sqlalchemy", "sqlite3", "app.store", "app.sync", "httpx", "app.scan", "app.services.storage_errors")
    )


class InstallerExceptHook:
    """``sys.excepthook`` for the installer's window: the traceback to the log, one line on screen.

    ``notify`` is set once the window exists; it must be safe to call from any thread (a
    Qt signal's ``emit`` is), because ``threading.excepthook`` runs on the failing thread.
    """

    def __init__(self) -> None:
        self._notify: Callable[[str], None] | None = None
        self.count = 0

    def set_notify(self, notify: Callable[[str], None] | None) -> None:
        self._notify = notify

    def __call__(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        self.count += 1
        log.critical("unexpected error: %s", exc_type.__name__, exc_info=(exc_type, exc, tb))
        notify = self._notify
        if notify is not None:
            try:
                notify(CALM_LINE)
            except Exception:  # the window may be closing; the log already has the details
                log.debug("could not show the unexpected-error line", exc_info=True)

    def on_thread_exception(self, args: threading.ExceptHookArgs) -> None:
        """``threading.excepthook``: the same treatment for a plain thread's exception."""
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        self(args.exc_type, args.exc_value, args.exc_traceback)


def install(hook: InstallerExceptHook) -> None:
    """Make ``hook`` the process's handler for exceptions nobody caught, on every thread."""
    sys.excepthook = hook
    threading.excepthook = hook.on_thread_exception
