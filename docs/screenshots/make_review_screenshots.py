"""Screenshots of the analyst's review window and its dashboard on a recorded laptop.

Run under a virtual X display (the real xcb platform, real fonts)::

    xvfb-run -a -s "-screen 0 1400x900x24" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python docs/screenshots/make_review_screenshots.py

The laptop is the sample jobs recorded over three days (``app.testing.review_visits``).
Each picture is ``QWidget.grab()`` of the window sized to a small laptop's screen less its
panel and title bar: 1366×768 and 1280×720, written next to this script.

The back-office pictures (``22-``, ``23-``) read a back office served in this process on
127.0.0.1 (SQLite in a temporary folder): three installers' laptops record the sample jobs
on different days and sync them; its DCC simulator answers, refusing two jobs' requests;
the window reads it with an admin token, so the Approvals tab can decide the 8.4 remedies.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
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
        backoffice_pictures(wait)
    print("review screenshots written to", HERE)
    return 0


INSTALLERS = (("alice.morgan", 3), ("bilal.khan", 4), ("carys.evans", 5))  # (name, days ago of the first visit)


def backoffice_pictures(wait: Callable[[int], None]) -> None:
    """The review window on a live back office holding several installers' synced visits."""
    import contextlib
    import io
    import threading
    import time
    from datetime import UTC, datetime, timedelta

    import uvicorn

    from app.backoffice.cli import main as backoffice
    from app.backoffice.db import open_store
    from app.backoffice.dccsim import DccSimulator, parse_rule
    from app.backoffice.tokens import issue_token
    from app.backoffice.web.app import create_app
    from app.services.context import AppContext
    from app.services.paths import SAMPLE_DIR
    from app.sync.engine import sync_once
    from app.testing.review_visits import record_sample_visits
    from app.ui.review.records_model import RECORD_ROLE
    from app.ui.review.sources import SourceChoice, SourceKind
    from app.ui.review.window import TAB_APPROVALS, ReviewWindow

    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'backoffice.db'}"
        with contextlib.redirect_stdout(io.StringIO()):  # the command's JSON report is not wanted here
            stored = backoffice(["--db", db_url, "jobs", "upload", str(SAMPLE_DIR / "jobpack.json")])
        if stored != 0:
            raise SystemExit("the sample job pack could not be stored at the back office")
        store = open_store(db_url)
        server = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=0, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        try:
            now = datetime.now(UTC)
            for name, days_ago in INSTALLERS:
                data = Path(tmp) / name
                record_sample_visits(data, start=now - timedelta(days=days_ago), answered=False)
                laptop = AppContext(data)
                try:
                    with store.write() as session:
                        token = issue_token(session, name, now)[0]
                    laptop.settings.set_many({"backoffice_url": url, "backoffice_token": token})
                    result = sync_once(laptop)
                    if result.status != "ok":
                        raise SystemExit(f"{name}'s laptop could not sync: {result.errors}")
                finally:
                    laptop.close()
                if name != INSTALLERS[-1][0]:  # the last installer's requests still wait for the DCC
                    simulator = DccSimulator(store, delay=1.0, rules=[parse_rule("job_ref=J-000102:E80102"),
                                                                      parse_rule("job_ref=J-000109:E65")])
                    for tick in range(12):
                        simulator.step(now + timedelta(minutes=tick + 1))
            with store.write() as session:
                admin = issue_token(session, "olive.reviewer", now, admin=True)[0]
            ctx = AppContext(Path(tmp) / "analyst")
            try:
                for width, height in SIZES[:1]:
                    window = ReviewWindow(ctx, choice=SourceChoice(SourceKind.BACKOFFICE, url=url, token=admin))
                    window.resize(width, height - PANEL_AND_TITLE)
                    window.show()
                    wait(2_000)
                    rows = [window.model.index(r, 0).data(RECORD_ROLE) for r in range(window.model.rowCount())]
                    chosen = next(n for n, row in enumerate(rows) if row.sr_state.value == "failed")
                    window.table.selectRow(chosen)
                    wait(1_000)
                    window.grab().save(str(HERE / f"22-review-backoffice-{width}x{height}.png"))
                    window.tabs.setCurrentIndex(TAB_APPROVALS)
                    wait(1_000)
                    window.approvals.table.selectRow(0)
                    window.approvals.reason.setText("Firmware checked against the CPL's SMETS2+ entry")
                    wait(300)
                    window.grab().save(str(HERE / f"23-review-backoffice-approvals-{width}x{height}.png"))
                    window.close()
            finally:
                ctx.close()
        finally:
            server.should_exit = True
            thread.join(timeout=15)
            store.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
