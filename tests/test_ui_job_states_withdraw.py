"""The job list shows each job's state; a recorded visit whose requests are all still
queued can be withdrawn from the Queue tab, and once one has gone the window says so."""

from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import text

from app.services.queue import list_intents
from app.testing.samples import case_for
from app.ui.models import JobsModel

pytest_plugins = ["app.testing.plugin"]


def _state_of(hubcheck, job_ref: str) -> str:
    model = hubcheck.window.view.job_picker.model
    row = model.find(job_ref)
    assert row >= 0, f"{job_ref} is not listed"
    return str(model.index(row, JobsModel.COL_STATE).data())


def _record(hubcheck, story: str):
    case = case_for(story)
    hubcheck.pick_job(case.job_ref)
    hubcheck.scan_ppmid(case.ppmid_label)
    hubcheck.scan_hub(case.hub_label)
    hubcheck.wait_verdict("ok")
    return case, hubcheck.record()


def _show_all_jobs(hubcheck) -> None:
    search = hubcheck.window.view.job_picker.view.search
    search.clear()
    hubcheck.window.view.job_picker.refresh()
    hubcheck.qtbot.waitUntil(lambda: hubcheck.window.view.job_picker.model.rowCount() > 5, timeout=10_000)


def _select_request_of(hubcheck, install_id: str) -> None:
    hubcheck.queue_rows()
    page = hubcheck.window.view.queue_page
    row = next(i for i, r in enumerate(page.model.rows()) if r.install_id == install_id)
    page.view.table.selectRow(row)


def test_the_job_list_shows_to_do_then_recorded(hubcheck) -> None:
    _show_all_jobs(hubcheck)
    assert _state_of(hubcheck, "J-000101") == "To do"
    case, _outcome = _record(hubcheck, "OK under both regimes")
    _show_all_jobs(hubcheck)
    hubcheck.qtbot.waitUntil(lambda: _state_of(hubcheck, case.job_ref) == "Recorded", timeout=10_000)


def test_a_visit_still_queued_is_withdrawn_and_never_sent(hubcheck) -> None:
    case, outcome = _record(hubcheck, "OK under both regimes")
    _select_request_of(hubcheck, outcome.install_id)
    page = hubcheck.window.view.queue_page
    assert not page.view.withdraw.isEnabled()  # a reason is needed
    page.view.withdraw_reason.setText("Wrong customer: job pack mix-up")
    assert page.view.withdraw.isEnabled()
    with hubcheck.qtbot.waitSignal(hubcheck.window.visitWithdrawn, timeout=10_000):
        hubcheck.qtbot.mouseClick(page.view.withdraw, Qt.MouseButton.LeftButton)
    assert "Withdrawn" in page.view.withdraw_result.text()
    states = {i.state for i in list_intents(hubcheck.window.ctx, install_id=outcome.install_id)}
    assert states == {"withdrawn"}
    _show_all_jobs(hubcheck)
    hubcheck.qtbot.waitUntil(lambda: _state_of(hubcheck, case.job_ref) == "Withdrawn", timeout=10_000)


def test_once_a_request_has_gone_the_window_says_so(hubcheck) -> None:
    _case, outcome = _record(hubcheck, "OK under both regimes")
    ctx = hubcheck.window.ctx
    with ctx.engine.begin() as conn:  # as a sync pass leaves it: one request accepted
        conn.execute(text("UPDATE outbox_intents SET state = 'accepted', attempts = 1 WHERE id = "
                          "(SELECT MIN(id) FROM outbox_intents WHERE install_id = :i)"), {"i": outcome.install_id})
    _select_request_of(hubcheck, outcome.install_id)
    page = hubcheck.window.view.queue_page
    page.view.withdraw_reason.setText("Wrong customer: job pack mix-up")
    hubcheck.qtbot.mouseClick(page.view.withdraw, Qt.MouseButton.LeftButton)
    hubcheck.qtbot.waitUntil(lambda: "Not withdrawn" in page.view.withdraw_result.text(), timeout=10_000)
    assert "already sent" in page.view.withdraw_result.text()
    assert "withdrawn" not in {i.state for i in list_intents(ctx, install_id=outcome.install_id)}


def test_today_only_lists_just_todays_visits(hubcheck) -> None:
    picker = hubcheck.window.view.job_picker
    _show_all_jobs(hubcheck)
    assert picker.model.rowCount() == 11
    picker.today = lambda: "2026-11-24"  # the day after the sample round
    with hubcheck.qtbot.waitSignal(picker.resultsShown, timeout=10_000):
        hubcheck.qtbot.mouseClick(hubcheck.widget("todayOnlyInput"), Qt.MouseButton.LeftButton)
    assert picker.model.rowCount() == 0
    picker.today = lambda: "2026-11-23"
    with hubcheck.qtbot.waitSignal(picker.resultsShown, timeout=10_000):
        picker.refresh()
    assert picker.model.rowCount() == 11
