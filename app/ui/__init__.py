"""HubCheck's window. ``launch(data_dir)`` builds the main window without running the event loop.

Importing this package is cheap (Qt widgets and the Qt-free domain only); the database,
SQLAlchemy, QtMultimedia and the decoders load after the window has painted.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from app.ui.main_window import MainWindow

APP_NAME = "HubCheck"


def ensure_app(argv: list[str] | None = None) -> QApplication:
    """The process's QApplication, created once (tests' qapp fixture may have made it already)."""
    from PySide6.QtWidgets import QApplication

    existing = QApplication.instance()
    if existing is not None:
        assert isinstance(existing, QApplication), "HubCheck's window needs a QApplication, not a core one"
        return existing
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    return app


def launch(data_dir: Path | str | None = None, *, sample: bool = False) -> MainWindow:
    """Build (not show) the main window on ``data_dir``; ``sample`` loads the bundled sample data."""
    ensure_app()
    from app.services.context import AppContext
    from app.ui.main_window import MainWindow

    window = MainWindow(AppContext(data_dir))
    window.view.build_pages()  # every pane exists at once for tests and testers' scripts
    if sample:
        window.load_sample_data()
    return window
