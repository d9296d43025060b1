"""The window's sync runs on its own worker: a stuck back office never delays Record install, and
the timer honours backoff and the back office's Retry-After while "Sync now" does not.

Real window, real SQLite data folder, and a real back office on 127.0.0.1 that misbehaves
(``app.testing.stub_backoffice``): one that accepts the connection and never answers, one
that answers 503 with ``Retry-After: 120``.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton

from app.store import outbox
from app.sync.engine import not_before_name
from app.testing.driver import HubCheckDriver
from app.testing.samples import case_for
from app.testing.stub_backoffice import StubBackoffice
from app.ui.main_window import TAB_CHECK, TAB_SETTINGS

pytest_plugins = ["app.testing.plugin"]

CASE = case_for("OK under both regimes")


def _configure_backoffice(hubcheck: HubCheckDriver, url: str) -> None:
    hubcheck.window.show_tab(TAB_SETTINGS)
    hubcheck.widget("backofficeUrlInput", QLineEdit).setText(url)
    hubcheck.widget("backofficeTokenInput", QLineEdit).setText("a-token")
    with hubcheck.qtbot.waitSignal(hubcheck.window.settingsSaved, timeout=hubcheck.timeout):
        hubcheck.qtbot.mouseClick(hubcheck.widget("saveSettingsButton", QPushButton), Qt.MouseButton.LeftButton)
    hubcheck.window.show_tab(TAB_CHECK)


def _record_a_visit(hubcheck: HubCheckDriver) -> None:
    hubcheck.pick_job(CASE.job_ref)
    hubcheck.scan_ppmid(CASE.ppmid_label)
    hubcheck.scan_hub(CASE.hub_label)
    hubcheck.wait_verdict("ok")
    assert hubcheck.record().outcome == "recorded"
    assert "Recorded visit for" in hubcheck.record_message


def _timer_fires(hubcheck: HubCheckDriver) -> str:
    """What AUTO_SYNC_MS does every two minutes, now."""
    with hubcheck.qtbot.waitSignal(hubcheck.window.syncFinished, timeout=hubcheck.timeout) as blocker:
        hubcheck.window._sync_timer.timeout.emit()
    return str(blocker.args[0])


def test_record_install_completes_while_a_sync_is_stuck_on_the_back_office(hubcheck: HubCheckDriver) -> None:
    with StubBackoffice("stall") as bo:
        _configure_backoffice(hubcheck, bo.url)
        finished: list[str] = []
        hubcheck.window.syncFinished.connect(finished.append)
        hubcheck.qtbot.mouseClick(hubcheck.widget("syncNowButton", QPushButton), Qt.MouseButton.LeftButton)
        assert bo.wait_for_requests(1), "the sync never reached the back office"

        _record_a_visit(hubcheck)  # the driver waits for "recorded" (10 s); the sync holds on for 30 s

        assert finished == [], "the sync ended before the recording: the test proved nothing"
        assert len(bo.requests) == 1  # still the one unanswered request
        assert "Syncing" in hubcheck.text("syncResultLabel")
    # Closing the server drops the connection: the pass ends, and says so.
    hubcheck.qtbot.waitUntil(lambda: bool(finished), timeout=hubcheck.timeout)
    assert finished == ["partial"]
    assert hubcheck.widget("syncNowButton", QPushButton).isEnabled()


def test_the_timer_leaves_a_back_office_that_asked_to_wait_alone_and_sync_now_does_not(
    hubcheck: HubCheckDriver,
) -> None:
    with StubBackoffice("busy", retry_after=120) as bo:
        _configure_backoffice(hubcheck, bo.url)
        _record_a_visit(hubcheck)

        assert hubcheck.sync_now() == "partial"
        assert bo.requests == ["POST /v1/installs"]  # asked to wait: nothing else this pass
        assert "asked HubCheck to wait 2 min" in hubcheck.text("syncResultLabel")

        for _ in range(2):
            assert _timer_fires(hubcheck) == "waiting"
        assert len(bo.requests) == 1  # the timer did not knock
        assert "wait until" in hubcheck.text("syncResultLabel")

        assert hubcheck.sync_now() == "partial"  # a person may
        assert bo.requests[1:] == ["POST /v1/installs"]
        assert "asked HubCheck to wait" in hubcheck.text("syncResultLabel")


def test_the_timer_sends_only_work_that_is_due(hubcheck: HubCheckDriver) -> None:
    with StubBackoffice("busy", retry_after=120) as bo:
        _configure_backoffice(hubcheck, bo.url)
        _record_a_visit(hubcheck)
        assert hubcheck.sync_now() == "partial"
        ctx = hubcheck.window.ctx
        with ctx.engine.begin() as conn:  # the back office's wait is over; the visit's backoff is not
            outbox.set_counter(conn, not_before_name(bo.url), int(time.time()) - 1)
            conn.exec_driver_sql("UPDATE install_visits SET next_attempt_at = ?", (time.time() + 600,))
            conn.exec_driver_sql("UPDATE outbox_intents SET next_attempt_at = ?", (time.time() + 600,))

        assert _timer_fires(hubcheck) == "partial"
        assert bo.requests == ["POST /v1/installs", "GET /v1/status"]  # no visit, no intent: none due

        assert hubcheck.sync_now() == "partial"  # "Sync now" skips the backoff
        assert bo.requests[2:] == ["POST /v1/installs"]
