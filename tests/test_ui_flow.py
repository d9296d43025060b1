"""The installer's flow on the sample data: job → scans → verdict → record → queue."""

from __future__ import annotations

import pytest

from app.testing.samples import SampleCase, case_for

pytest_plugins = ["app.testing.plugin"]

# (story word, tactical level word, resulting) — from resources/sample/labels.json's stories.
LEVELS = [
    ("OK under both regimes", "ok", "OK", "SMETS2+"),
    ("SMETS1 caveats", "ok", "OK", "SMETS1"),
    ("hub model missing", "warn", "WARNING", "SMETS2+"),
    ("tactical STOP (mismatch)", "block", "STOP", "—"),
    ("UNKNOWN until", "unknown", "UNKNOWN", "—"),
]


@pytest.mark.parametrize(("story", "level", "word", "resulting"), LEVELS, ids=[row[1] for row in LEVELS])
def test_each_verdict_level_shows_its_word_and_version(hubcheck, story, level, word, resulting) -> None:
    case = case_for(story)
    if case.job_ref:
        hubcheck.pick_job(case.job_ref)
    hubcheck.scan_ppmid(case.ppmid_label)
    hubcheck.scan_hub(case.hub_label)
    hubcheck.wait_verdict(level)
    assert hubcheck.level_text == word
    assert hubcheck.resulting_text == resulting
    assert "Regime: Tactical" in hubcheck.text("verdictRegimeLabel")
    assert hubcheck.reason_texts() or level == "ok"


def test_pick_scan_record_then_intents_in_queue(hubcheck) -> None:
    case = case_for("OK under both regimes")
    hubcheck.pick_job(case.job_ref)
    assert "J-000101" in hubcheck.text("jobSummaryLabel")
    hubcheck.scan_ppmid(case.ppmid_label)
    assert hubcheck.widget("ppmidScanInput").text() == "0A-1B-2C-00-00-00-00-14"
    assert "CRC" in hubcheck.text("ppmidScanStatus")
    hubcheck.scan_hub(case.hub_label)
    hubcheck.wait_verdict("ok")
    assert hubcheck.record_enabled
    assert not hubcheck.widget("overrideReasonInput").isVisible()

    outcome = hubcheck.record()
    assert outcome.outcome == "recorded"
    srvs = [i.srv for i in outcome.intents]
    # The hub is InstalledNotCommissioned: a new hub, so the job's meter gets its 8.11 too.
    assert srvs == ["8.14.1", "8.11", "8.11", "8.7.1", "8.7.2", "8.2", "11.2"]
    assert "7 Service Requests queued" in hubcheck.record_message
    # The scans are cleared so the same visit cannot be recorded twice by accident.
    assert hubcheck.widget("ppmidScanInput").text() == ""
    assert not hubcheck.record_enabled

    rows = hubcheck.queue_rows()
    assert [r.srv for r in rows] == srvs
    assert {r.state for r in rows} == {"queued"}
    assert rows[3].target == "0A-1B-2C-00-00-00-00-10"  # 8.7.1 goes to the meter
    assert hubcheck.text("queueCountLabel") == "Queued: 7"
    assert hubcheck.widget("queueTable").model().rowCount() == 7


def test_no_sm_wan_records_8_14_2(hubcheck) -> None:
    case = case_for("OK under both regimes")
    hubcheck.pick_job(case.job_ref)
    hubcheck.scan_ppmid(case.ppmid_label)
    hubcheck.scan_hub(case.hub_label)
    hubcheck.wait_verdict("ok")
    outcome = hubcheck.record_install(wan=False, premise="Terraced", metal=True)  # premise: only without SM WAN
    assert outcome.intents[0].srv == "8.14.2"


def test_block_needs_an_override_reason_which_is_kept(hubcheck) -> None:
    case = case_for("tactical STOP (mismatch)")
    hubcheck.pick_job(case.job_ref)
    hubcheck.scan_ppmid(case.ppmid_label)
    hubcheck.scan_hub(case.hub_label)
    hubcheck.wait_verdict("block")
    assert "SMETS_MISMATCH" in hubcheck.reason_codes()
    message, todo = hubcheck.reason_texts()[0][1:]
    assert "pre-notified as SMETS2+" in message and "Fit a PPMID" in todo
    assert hubcheck.widget("overrideReasonInput").isVisible()
    assert not hubcheck.record_enabled
    assert "override reason" in hubcheck.window.view.record.why_not

    hubcheck.set_override("ok")  # too short to count as a reason
    assert not hubcheck.record_enabled
    hubcheck.set_override("Customer insists; back office told by phone")
    assert hubcheck.record_enabled
    outcome = hubcheck.record()
    assert outcome.verdict_level == "block"
    assert outcome.override_reason == "Customer insists; back office told by phone"
    assert "Override reason kept" in hubcheck.record_message


def test_remedy_checkbox_queues_8_4(hubcheck) -> None:
    case = case_for("tactical STOP (mismatch)")
    hubcheck.pick_job(case.job_ref)
    hubcheck.scan_ppmid(case.ppmid_label)
    hubcheck.scan_hub(case.hub_label)
    hubcheck.wait_verdict("block")
    remedy = hubcheck.widget("remedyInput")
    assert remedy.isVisible()
    remedy.setChecked(True)
    hubcheck.set_override("Moving the PPMID to its SMETS1 entry")
    outcome = hubcheck.record()
    assert "8.4" in [i.srv for i in outcome.intents]


def test_bad_barcode_is_rejected_with_a_reason(hubcheck) -> None:
    hubcheck.scan_ppmid("HELLO-NOT-A-DEVICE")
    assert hubcheck.window.view.ppmid.label is None
    assert "no device ID" in hubcheck.text("ppmidScanStatus")
    assert ("rejected", False) in hubcheck.cues  # muted in tests, but the cue was signalled
    assert hubcheck.window.view.verdict.level is None
    assert not hubcheck.record_enabled


def test_install_code_crc_failure_blocks(hubcheck) -> None:
    case = case_for("mistyped install code")
    hubcheck.pick_job(case.job_ref)
    hubcheck.scan_ppmid(case.ppmid_label)
    assert "CRC" in hubcheck.text("ppmidScanStatus")
    hubcheck.scan_hub(case.hub_label)
    hubcheck.wait_verdict("block")
    assert "INSTALL_CODE_CRC" in hubcheck.reason_codes()


def test_switching_regime_changes_the_verdict(hubcheck) -> None:
    case = case_for("tactical STOP (mismatch)")
    hubcheck.pick_job(case.job_ref)
    hubcheck.scan_ppmid(case.ppmid_label)
    hubcheck.scan_hub(case.hub_label)
    hubcheck.wait_verdict("block")
    assert hubcheck.regime_text == "Regime: Tactical"

    hubcheck.set_regime("mp202")
    # MP202 follows the hub (SMETS1); the sample CPL is tactical-era, so it has no SMETS1 row
    # at the pre-notified firmware: a warning the DCC will look for that row (DOMAIN A2).
    hubcheck.wait_verdict("warn")
    assert hubcheck.level_text == "WARNING"
    assert "RESULTING_ENTRY_MISSING" in hubcheck.reason_codes()
    assert hubcheck.resulting_text == "SMETS1"
    assert hubcheck.regime_text == "Regime: MP202"
    assert "Regime: MP202" in hubcheck.text("verdictRegimeLabel")
    assert hubcheck.window.ctx.settings.get("regime") == "mp202"

    hubcheck.set_regime("tactical")
    hubcheck.wait_verdict("block")


def test_unknown_hub_generation_can_be_given(hubcheck) -> None:
    case = case_for("UNKNOWN until")
    hubcheck.scan_ppmid(case.ppmid_label)
    hubcheck.scan_hub(case.hub_label)
    hubcheck.wait_verdict("unknown")
    assert hubcheck.widget("hubGenerationInput").isVisible()
    hubcheck.set_hub_generation("SMETS2+")
    hubcheck.wait_verdict("ok")
    assert hubcheck.resulting_text == "SMETS2+"


def test_wedge_burst_anywhere_fills_the_next_empty_field(hubcheck) -> None:
    case: SampleCase = case_for("OK under both regimes")
    hubcheck.pick_job(case.job_ref)
    before = hubcheck.verdicts
    hubcheck.wedge_burst(case.ppmid_label)
    assert hubcheck.window.view.ppmid.label is not None
    assert str(hubcheck.window.view.ppmid.label.device_id) == "0A-1B-2C-00-00-00-00-14"
    hubcheck.wedge_burst(case.hub_label)
    hubcheck.qtbot.waitUntil(lambda: hubcheck._newer(before))
    hubcheck.wait_verdict("ok")


def test_ppmid_scan_alone_finds_its_job(hubcheck) -> None:
    case = case_for("hub model missing")
    hubcheck.scan_ppmid(case.ppmid_label)

    def picked() -> None:
        job = hubcheck.window.view.job_picker.job
        assert job is not None and job.job_ref == case.job_ref

    hubcheck.qtbot.waitUntil(picked)


def test_abort_with_a_reason_is_recorded(hubcheck) -> None:
    hubcheck.pick_job("J-000105")
    outcome = hubcheck.abort("No access to the meter cupboard")
    assert outcome.outcome == "aborted"
    assert outcome.abort_reason == "No access to the meter cupboard"
    assert "Aborted visit recorded" in hubcheck.record_message


def test_the_manual_inventory_change_is_the_other_remedy_and_queues_no_8_4(hubcheck) -> None:
    case = case_for("tactical STOP (mismatch)")
    hubcheck.pick_job(case.job_ref)
    hubcheck.scan_ppmid(case.ppmid_label)
    hubcheck.scan_hub(case.hub_label)
    hubcheck.wait_verdict("block")
    remedy, manual = hubcheck.widget("remedyInput"), hubcheck.widget("manualInventoryChangeInput")
    assert remedy.isVisible() and manual.isVisible()
    remedy.setChecked(True)
    manual.setChecked(True)
    assert not remedy.isChecked()  # one remedy or the other
    hubcheck.set_override("Back office will ask the DCC to move it")
    outcome = hubcheck.record()
    assert "8.4" not in [i.srv for i in outcome.intents]
    recorded = outcome.to_json()["remedy"]
    assert recorded["kind"] == "manual-inventory-change" and recorded["queued"] is False
    assert recorded["firmware_version"]  # the CPL's other entry, for the back office to ask for
