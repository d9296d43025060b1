"""The analyst's review window: find, read, verify, approve and export install records.

A mode of the same application (``hubcheck-gui --review``, or *Review visits…* in the
installer's File menu). Importing this package is cheap on purpose: the installer's window
imports it only when the menu entry is chosen, and the window's modules (the model, the
panes, QtCharts for the dashboard) load when they are first needed.

The window talks only to a :class:`app.services.review.contract.ReviewSource`, the
laptop's own database or the back office over its API, and never knows which.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from app.services.context import AppContext
    from app.ui.review.window import ReviewWindow


def open_review(ctx: AppContext, parent: QWidget | None = None, *, backoffice_url: str | None = None) -> ReviewWindow:
    """Build (not show) a review window reading through ``ctx``'s settings: the back office
    when ``backoffice_url`` is given or one is saved with a token, else this laptop."""
    from app.ui.review.window import ReviewWindow

    return ReviewWindow(ctx, parent, backoffice_url=backoffice_url)


def run_review(ctx: AppContext, hook: Any, *, backoffice_url: str | None = None, smoke: bool = False) -> int:
    """``hubcheck-gui --review``: show the review window until it is closed; the exit code.

    ``hook`` is the process's ``InstallerExceptHook``: an unexpected error shows as one calm
    line on the window's status bar, its traceback in the log file. ``smoke`` (``--smoke``)
    prints ``review-first-rows N`` and exits 0 once the first page is on screen, or prints
    the source's sentence and exits 1 when it cannot be opened (start-up checks).
    """
    from app.ui import ensure_app

    app = ensure_app()
    try:
        from app.services.logs import configure_logging

        configure_logging(ctx.data_dir / "logs")
    except OSError as exc:  # an unwritable log folder must not stop the review
        print(f"hubcheck: logging disabled: {exc}", file=sys.stderr)
    window = open_review(ctx, backoffice_url=backoffice_url)
    hook.set_notify(window.unexpectedError.emit)
    if smoke:
        def _shown(rows: int, _at_end: bool) -> None:
            print(f"review-first-rows {rows}", flush=True)
            app.exit(0)

        def _failed(message: str) -> None:
            print(message, file=sys.stderr, flush=True)
            app.exit(1)

        window.model.pageLoaded.connect(_shown)
        window.model.failed.connect(_failed)
        window.sourceFailed.connect(_failed)
    window.show()
    code = app.exec()
    hook.set_notify(None)
    window.shutdown()
    ctx.close()
    return int(code)
