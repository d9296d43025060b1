"""The window drives the visit session: the MP202 hub-generation path end to end, another
job's devices, mis-scans that cannot be overridden, and a verdict that changed between the
screen and the recording."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from app.domain.labels import parse_label
from app.domain.smets import Generation, Regime
from app.services.pairing import check_labels
from app.services.queue import list_intents
from app.testing.samples import case_for

pytest_plugins = ["app.testing.plugin"]


def test_mp202_with_a_hub_generation_given_judges_and_records(hubcheck) -> None:
    case = case_for("UNKNOWN until")
    hubcheck.set_regime("mp202")
    hubcheck.scan_ppmid(case.ppmid_label)
    hubcheck.scan_hub(case.hub_label)
    hubcheck.wait_verdict("unknown")
    hubcheck.set_hub_generation("SMETS1")
    # The command line's answer for the same input is the reference.
    expected = check_labels(hubcheck.window.ctx, parse_label(case.ppmid_label), parse_label(case.hub_label),
                            regime=Regime.MP202, hub_smets=Generation.SMETS1).verdict
    hubcheck.wait_verdict(expected.level.value)
    assert hubcheck.resulting_text == "SMETS1" == expected.resulting_smets.value
    codes = hubcheck.reason_codes()
    assert "HUB_GENERATION_FROM_INSTALLER" in codes and "HUB_UNKNOWN" not in codes
    # The hub is in no job pack, so no SMI status proposes a scenario: the installer says it.
    assert hubcheck.scenario is None and not hubcheck.record_enabled
    hubcheck.set_scenario("existing-hub")
    done = len(hubcheck.outcomes)
    hubcheck.qtbot.waitUntil(lambda: hubcheck.record_enabled, timeout=10_000)
    hubcheck.qtbot.keyClick(hubcheck.window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    hubcheck.qtbot.waitUntil(lambda: len(hubcheck.outcomes) > done or bool(hubcheck.failures), timeout=10_000)
    assert not hubcheck.failures, hubcheck.failures
    outcome = hubcheck.outcomes[-1]
    assert outcome.regime == "mp202" and outcome.verdict_level == expected.level.value


def test_another_jobs_devices_are_named_and_one_click_switches(hubcheck) -> None:
    good, other = case_for("OK under both regimes"), case_for("SMETS1 caveats")
    hubcheck.pick_job(other.job_ref)
    hubcheck.scan_ppmid(good.ppmid_label)
    hubcheck.scan_hub(good.hub_label)
    hubcheck.wait_verdict()
    assert f"belong to job {good.job_ref}" in hubcheck.text("verdictHeadlineLabel")
    switch = hubcheck.widget("switchJobButton", QPushButton)
    assert switch.isVisible() and good.job_ref in switch.text()
    assert not hubcheck.record_enabled
    before = hubcheck.verdicts
    hubcheck.qtbot.mouseClick(switch, Qt.MouseButton.LeftButton)
    hubcheck.qtbot.waitUntil(lambda: hubcheck.verdicts > before and hubcheck.window.visit.job is not None
                             and hubcheck.window.visit.job.job_ref == good.job_ref, timeout=10_000)
    hubcheck.wait_verdict("ok")
    assert not switch.isVisible()
    hubcheck.qtbot.waitUntil(lambda: hubcheck.record_enabled, timeout=10_000)  # the job's meters load


def test_swapped_labels_say_re_scan_and_cannot_be_overridden(hubcheck) -> None:
    good = case_for("OK under both regimes")
    hubcheck.pick_job(good.job_ref)
    hubcheck.scan_ppmid(good.hub_label)
    hubcheck.scan_hub(good.ppmid_label)
    hubcheck.wait_verdict("block")
    assert "swap" in hubcheck.text("verdictHeadlineLabel").lower()
    assert not hubcheck.widget("overrideReasonInput").isVisible()
    assert not hubcheck.record_enabled
    assert "mis-scan" in hubcheck.window.view.record.why_not


def test_a_verdict_changed_under_the_screen_is_shown_and_not_recorded(hubcheck) -> None:
    stop = case_for("tactical STOP (mismatch)")
    hubcheck.pick_job(stop.job_ref)
    hubcheck.scan_ppmid(stop.ppmid_label)
    hubcheck.scan_hub(stop.hub_label)
    hubcheck.wait_verdict("block")
    hubcheck.set_override("Customer insists; back office told by phone")
    ctx = hubcheck.window.ctx
    ctx.settings.set("regime", "mp202")  # changed behind the window's back (another process, say)
    try:
        hubcheck.record()
    except AssertionError as refused:
        assert "verdict changed" in str(refused)
    else:
        raise AssertionError("a STOP was recorded after the data turned it into another verdict")
    assert list_intents(ctx) == []
    hubcheck.wait_verdict()
    shown = hubcheck.window.view.verdict.level
    assert shown is not None and shown != "block"
    outcome = hubcheck.record()
    assert outcome.regime == "mp202" and outcome.verdict_level == shown


def test_recorded_keeps_the_verdict_and_version_in_view(hubcheck) -> None:
    good = case_for("OK under both regimes")
    hubcheck.pick_job(good.job_ref)
    hubcheck.scan_ppmid(good.ppmid_label)
    hubcheck.scan_hub(good.hub_label)
    hubcheck.wait_verdict("ok")
    hubcheck.record()
    assert hubcheck.level_text == "RECORDED"
    assert hubcheck.resulting_text == "SMETS2+"  # what was recorded stays readable
    assert "Service Requests queued" in hubcheck.text("verdictHeadlineLabel")


def test_an_abort_shows_an_aborted_banner(hubcheck) -> None:
    good = case_for("OK under both regimes")
    hubcheck.pick_job(good.job_ref)
    hubcheck.abort("No access to the meter cupboard")
    assert hubcheck.level_text == "ABORTED"
    assert "No access to the meter cupboard" in hubcheck.text("verdictHeadlineLabel")


def test_no_working_ppmid_is_a_dash_not_none(hubcheck) -> None:
    stop = case_for("tactical STOP (mismatch)")
    hubcheck.pick_job(stop.job_ref)
    hubcheck.scan_ppmid(stop.ppmid_label)
    hubcheck.scan_hub(stop.hub_label)
    hubcheck.wait_verdict("block")
    assert hubcheck.resulting_text == "—"
    assert "no working PPMID" in hubcheck.window.view.verdict.view.resulting_caption.text()
    assert hubcheck.text("jobSummaryLabel").startswith(f"Chosen: {stop.job_ref}")
    assert "?" not in hubcheck.text("jobSummaryLabel")


def test_f1_opens_and_closes_a_help_pane_beside_the_work(hubcheck) -> None:
    from PySide6.QtWidgets import QWidget

    window = hubcheck.window
    window.show()
    window.activateWindow()
    hubcheck.qtbot.keyClick(window, Qt.Key.Key_F1)
    pane = window.findChild(QWidget, "helpPane")
    assert pane is not None and pane.isVisible()
    text = window.findChild(QWidget, "helpText").toPlainText()
    assert "After a STOP" in text and "Ctrl+Enter" in text and "re-scan" in text
    assert hubcheck.widget("recordInstallButton").isVisible()  # the work stays on screen
    hubcheck.qtbot.keyClick(window, Qt.Key.Key_F1)
    assert not pane.isVisible()


def test_recording_the_same_job_twice_needs_a_confirmation_naming_the_first(hubcheck) -> None:
    good = case_for("OK under both regimes")
    hubcheck.pick_job(good.job_ref)
    hubcheck.scan_ppmid(good.ppmid_label)
    hubcheck.scan_hub(good.hub_label)
    hubcheck.wait_verdict("ok")
    first = hubcheck.record()
    hubcheck.scan_ppmid(good.ppmid_label)
    hubcheck.scan_hub(good.hub_label)
    hubcheck.wait_verdict("ok")
    queued = len(list_intents(hubcheck.window.ctx))
    try:
        hubcheck.record()
    except AssertionError as refused:
        assert "already has a record" in str(refused) and first.install_id in str(refused)
    else:
        raise AssertionError("a second record of the same job was queued without a confirmation")
    assert len(list_intents(hubcheck.window.ctx)) == queued  # nothing queued silently
    assert "Press Record again" in hubcheck.record_message
    second = hubcheck.record()  # the explicit confirmation
    assert second.install_id != first.install_id


def test_swapped_labels_show_no_tick_and_one_press_swaps_them(hubcheck) -> None:
    from app.scan.field import STATE_ERROR

    good = case_for("OK under both regimes")
    hubcheck.pick_job(good.job_ref)
    hubcheck.scan_ppmid(good.hub_label)
    hubcheck.scan_hub(good.ppmid_label)
    hubcheck.wait_verdict("block")
    ppmid_box = hubcheck.window.view.ppmid
    assert ppmid_box._type_problem is not None and ppmid_box._type_problem[0] == STATE_ERROR
    assert "not a PPMID" in ppmid_box.field.status.text() or "not a PPMID" in hubcheck.widget("ppmidScanIcon").toolTip()
    swap = hubcheck.widget("swapLabelsButton")
    assert swap.isVisible()
    before = hubcheck.verdicts
    hubcheck.qtbot.mouseClick(swap, Qt.MouseButton.LeftButton)
    hubcheck.qtbot.waitUntil(lambda: hubcheck.verdicts > before and hubcheck.window.view.verdict.level == "ok",
                             timeout=10_000)
    assert ppmid_box._type_problem is None and not swap.isVisible()
    assert hubcheck.window.visit.ppmid is not None and str(hubcheck.window.visit.ppmid.device_id).endswith("14")
