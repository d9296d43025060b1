"""Open a main window for a test or a tester's script and wait until it is usable."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def open_window(qtbot: Any, data_dir: Path, timeout: int = 15_000) -> Any:
    """``launch`` + show, then wait until the cache has opened behind the first paint."""
    from app.ui import launch

    window = launch(data_dir)
    qtbot.addWidget(window, before_close_func=lambda w: w.shutdown(10_000))
    with qtbot.waitSignal(window.cacheOpened, timeout=timeout):
        window.show()
        qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=timeout)
    return window
