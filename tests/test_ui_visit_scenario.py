"""The record form offers the visit's scenario the hub's SMI status proposes; the installer may
change it, and the visit is recorded with the one on screen (DOMAIN A5)."""

from __future__ import annotations

import json

from app.testing.samples import case_for

pytest_plugins = ["app.testing.plugin"]


def _recorded_meta(hubcheck, install_id: str) -> dict:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with hubcheck.window.ctx.engine.connect() as conn:
        raw = conn.execute(text("SELECT meta_json FROM install_visits WHERE id = :i"), {"i": install_id}).scalar_one()
    return dict(json.loads(raw))


def test_the_proposed_scenario_is_shown_and_the_installers_choice_is_recorded(hubcheck) -> None:  # type: ignore[no-untyped-def]
    case = case_for("OK under both regimes")  # J-000101: its hub is InstalledNotCommissioned
    hubcheck.pick_job(case.job_ref)
    assert hubcheck.scenario is None  # nothing proposed before a verdict
    hubcheck.scan_ppmid(case.ppmid_label)
    hubcheck.scan_hub(case.hub_label)
    hubcheck.wait_verdict("ok")
    assert hubcheck.scenario == "new-hub"
    assert "InstalledNotCommissioned" in hubcheck.text("visitScenarioReason")
    assert hubcheck.widget("visitScenarioReason").isVisible()

    hubcheck.set_scenario("existing-hub")  # the installer knows the hub was there already
    assert not hubcheck.widget("smWanInput").isEnabled()  # no 8.14: its connection does not apply
    outcome = hubcheck.record()
    assert [i.srv for i in outcome.intents] == ["8.11", "8.7.1", "8.7.2", "8.2", "11.2"]
    assert outcome.scenario.scenario.value == "existing-hub" and outcome.scenario.chosen_by == "installer"
    meta = _recorded_meta(hubcheck, outcome.install_id)
    assert (meta["scenario"], meta["scenario_proposed"]) == ("existing-hub", "new-hub")
    assert hubcheck.scenario is None  # the next visit starts with no scenario until its verdict


def test_a_smets1_hub_is_offered_as_existing_and_recorded_as_proposed(hubcheck) -> None:  # type: ignore[no-untyped-def]
    case = case_for("SMETS1 caveats")  # J-000103: a SMETS1 hub
    hubcheck.pick_job(case.job_ref)
    hubcheck.scan_ppmid(case.ppmid_label)
    hubcheck.scan_hub(case.hub_label)
    hubcheck.wait_verdict("ok")
    assert hubcheck.scenario == "existing-hub"
    assert "SMETS1 hub" in hubcheck.text("visitScenarioReason")
    outcome = hubcheck.record()
    assert [i.srv for i in outcome.intents][0] == "8.11"
    assert _recorded_meta(hubcheck, outcome.install_id)["scenario"] == "existing-hub"


def test_a_new_hub_chosen_for_a_smets1_hub_is_refused_and_nothing_is_queued(hubcheck) -> None:  # type: ignore[no-untyped-def]
    case = case_for("SMETS1 caveats")
    hubcheck.pick_job(case.job_ref)
    hubcheck.scan_ppmid(case.ppmid_label)
    hubcheck.scan_hub(case.hub_label)
    hubcheck.wait_verdict("ok")
    hubcheck.set_scenario("new-hub")
    try:
        hubcheck.record()
    except AssertionError as refused:
        assert "SMETS1 hub is never fitted as a new DCC hub" in str(refused)
    else:
        raise AssertionError("a new hub was recorded for a SMETS1 hub")
    assert "SMETS1 hub is never fitted" in hubcheck.record_message
    assert hubcheck.queue_rows() == []
