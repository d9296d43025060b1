"""Screenshots of the analyst's review window and its dashboard on a recorded laptop.

Run under a virtual X display (the real xcb platform, real fonts)::

    xvfb-run -a -s "-screen 0 1400x900x24" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python docs/screenshots/make_review_screenshots.py

The laptop is the sample jobs recorded over three days (``app.testing.review_visits``).
Each picture is ``QWidget.grab()`` of the window sized to a small laptop's screen less its
panel and title bar: 1366×768 and 1280×720, written next to this script.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

SIZES = ((1366, 768), (1280, 720))
PANEL_AND_TITLE = 60  # what a desktop panel and the window's title bar take


def main() -> int:
    from app.ui import ensure_app

    app = ensure_app()
    app.setStyle("Fusion")
    from PySide6.QtCore import QEventLoop, QTimer

    from app.services.context import AppContext
    from app.testing.review_visits import record_sample_visits
    from app.ui.review.records_model import RECORD_ROLE
    from app.ui.review.sources import SourceChoice, SourceKind
    from app.ui.review.window import TAB_DASHBOARD, ReviewWindow

    def wait(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        record_sample_visits(data)
        ctx = AppContext(data)
        for width, height in SIZES:
            window = ReviewWindow(ctx, choice=SourceChoice(SourceKind.LAPTOP))
            window.resize(width, height - PANEL_AND_TITLE)
            window.show()
            wait(1_000)
            jobs = [window.model.index(r, 0).data(RECORD_ROLE).job_ref for r in range(window.model.rowCount())]
            window.table.selectRow(jobs.index("J-000102"))  # an overridden STOP with a failed request
            wait(600)
            window.grab().save(str(HERE / f"20-review-{width}x{height}.png"))
            window.tabs.setCurrentIndex(TAB_DASHBOARD)
            wait(1_200)
            window.grab().save(str(HERE / f"21-review-dashboard-{width}x{height}.png"))
            window.close()
        ctx.close()
    print("review screenshots written to", HERE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
