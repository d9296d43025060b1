"""The visit session: the window's controller without a window. It judges through a
worker order, keeps only answers for the visit as it still is, guards what may be
recorded (mis-scans, another job's devices, the verdict the installer saw), and records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.domain.duis import CHFLocation
from app.domain.labels import parse_label
from app.domain.misscan import MisScan
from app.domain.smets import Generation
from app.services.context import AppContext
from app.services.cpl_import import import_cpl
from app.services.installs import VerdictChanged, VisitBlocked, VisitError, VisitRequest, record_visit
from app.services.jobs import search_jobs
from app.services.jobs_import import import_jobs_file
from app.services.queue import list_intents
from app.services.visit import (
    RecordChoices,
    VisitJob,
    VisitSession,
    VisitState,
    judge,
    run_abort,
    run_check,
    run_record,
)

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "sample"
ROWS = json.loads((SAMPLE / "labels.json").read_text())
LABELS = {row["job_ref"]: row for row in ROWS if row["job_ref"]}
GOOD, MISMATCH, INCOMPATIBLE = ROWS[0], LABELS["J-000102"], LABELS["J-000105"]
BAD_CRC = ROWS[11]


@pytest.fixture
def ctx(tmp_path: Path) -> AppContext:
    context = AppContext(tmp_path / "data")
    import_cpl(context, SAMPLE / "cpl.csv")
    import_jobs_file(context, SAMPLE / "jobpack.json")
    return context


def _job(ctx: AppContext, ref: str) -> VisitJob:
    (summary,) = [j for j in search_jobs(ctx, ref) if j.job_ref == ref]
    return VisitJob(summary.job_ref, tuple(summary.device_ids))


def _session(ctx: AppContext, job_ref: str, row: dict[str, str]) -> VisitSession:
    session = VisitSession()
    session.choose_job(_job(ctx, job_ref))
    session.set_label("ppmid", parse_label(row["ppmid_label"]))
    session.set_label("hub", parse_label(row["hub_label"]))
    return session


def _judge(ctx: AppContext, session: VisitSession) -> None:
    order = session.check_order()
    assert order is not None
    assert session.accept(run_check(ctx, order))


def _choices(row: dict[str, str], **extra: object) -> RecordChoices:
    values: dict[str, object] = {"meter_id": row["meter_label"], "hub_location": CHFLocation.DEEP_INDOORS}
    values.update(extra)
    return RecordChoices(**values)  # type: ignore[arg-type]


def test_an_ok_visit_is_judged_then_recorded(ctx: AppContext) -> None:
    session = _session(ctx, "J-000101", GOOD)
    assert session.state is VisitState.SCANNING
    _judge(ctx, session)
    assert session.state is VisitState.JUDGED and session.judged is not None
    assert session.judged.level.value == "ok" and session.why_not_record() is None
    order = session.record_order(_choices(GOOD))
    assert session.state is VisitState.RECORDING
    outcome = run_record(ctx, order)
    session.recorded(outcome)
    assert session.state is VisitState.RECORDED
    assert outcome.outcome == "recorded" and len(list_intents(ctx, install_id=outcome.install_id)) == len(outcome.intents)
    assert "already recorded" in (session.why_not_record() or "")


def test_a_stale_answer_is_dropped(ctx: AppContext) -> None:
    session = _session(ctx, "J-000101", GOOD)
    order = session.check_order()
    assert order is not None
    session.set_hub_generation("SMETS1")  # the installer changed something meanwhile
    assert not session.accept(run_check(ctx, order))
    assert session.judged is None


def test_a_generation_from_a_combo_box_string_is_a_generation(ctx: AppContext) -> None:
    session = VisitSession()
    session.set_hub_generation("SMETS1")
    assert session.hub_generation is Generation.SMETS1


def test_mp202_with_an_unknown_hub_and_a_given_generation_judges_by_it(ctx: AppContext) -> None:
    ctx.settings.set("regime", "mp202")
    session = VisitSession()
    session.choose_job(_job(ctx, "J-000101"))
    session.set_label("ppmid", parse_label(GOOD["ppmid_label"]))
    session.set_label("hub", parse_label("0A-1B-2C-00-00-00-FF-02"))  # in no job pack
    session.set_hub_generation("SMETS1")
    _judge(ctx, session)
    judged = session.judged
    assert judged is not None
    verdict = judged.pairing.verdict
    assert verdict.resulting_smets is Generation.SMETS1
    codes = {c.value for c in verdict.codes}
    assert "HUB_GENERATION_FROM_INSTALLER" in codes and "HUB_UNKNOWN" not in codes


def test_a_mis_scan_cannot_be_overridden(ctx: AppContext) -> None:
    swapped = {"ppmid_label": GOOD["hub_label"], "hub_label": "Z:0A1B2C0000000014$I:30313233343536373839414243444546F596"}
    session = _session(ctx, "J-000101", swapped)
    _judge(ctx, session)
    assert session.judged is not None and session.judged.mis_scan is MisScan.SWAPPED
    assert not session.judged.overridable
    with pytest.raises(VisitError, match="mis-scan"):
        session.record_order(_choices(GOOD, override_reason="the customer insists on it"))


@pytest.mark.parametrize(
    ("row", "expected"),
    [(BAD_CRC, MisScan.BAD_INSTALL_CODE), (INCOMPATIBLE, MisScan.INCOMPATIBLE),
     ({"ppmid_label": GOOD["ppmid_label"], "hub_label": GOOD["meter_label"]}, MisScan.WRONG_DEVICE),
     ({"ppmid_label": GOOD["ppmid_label"], "hub_label": "0A-1B-2C-00-00-00-00-14"}, MisScan.SAME_LABEL)],
)
def test_each_kind_of_mis_scan_is_named(ctx: AppContext, row: dict[str, str], expected: MisScan) -> None:
    job = "J-000105" if row is INCOMPATIBLE else "J-000101"
    session = _session(ctx, job, row)
    _judge(ctx, session)
    assert session.judged is not None and session.judged.mis_scan is expected


def test_the_record_service_refuses_a_mis_scan_even_with_a_reason(ctx: AppContext) -> None:
    request = VisitRequest(job_ref="J-000101", ppmid=BAD_CRC["ppmid_label"], hub=BAD_CRC["hub_label"],
                           meter=BAD_CRC["meter_label"], hub_location=CHFLocation.DEEP_INDOORS,
                           override_reason="the customer insists on it")
    with pytest.raises(VisitBlocked, match="cannot be overridden"):
        record_visit(ctx, request)


def test_a_real_stop_can_be_overridden_with_a_reason(ctx: AppContext) -> None:
    session = _session(ctx, "J-000102", MISMATCH)
    _judge(ctx, session)
    assert session.judged is not None and session.judged.overridable
    assert "override reason" in (session.why_not_record("ok") or "")
    outcome = run_record(ctx, session.record_order(_choices(MISMATCH, override_reason="back office will re-notify")))
    assert outcome.override_reason == "back office will re-notify"


def test_another_jobs_devices_are_named_and_not_recorded(ctx: AppContext) -> None:
    session = _session(ctx, "J-000103", GOOD)  # J-000101's devices with J-000103 chosen
    _judge(ctx, session)
    assert session.judged is not None and session.judged.other_job == "J-000101"
    assert "belong to job J-000101" in (session.why_not_record() or "")
    with pytest.raises(VisitError, match="J-000101"):
        session.record_order(_choices(GOOD))


def test_recording_refuses_when_the_verdict_changed_since_it_was_shown(ctx: AppContext) -> None:
    session = _session(ctx, "J-000102", MISMATCH)
    _judge(ctx, session)
    assert session.judged is not None and session.judged.level.value == "block"
    order = session.record_order(_choices(MISMATCH, override_reason="back office will re-notify"))
    ctx.settings.set("regime", "mp202")  # the regime changes between the screen and the worker
    with pytest.raises(VerdictChanged) as refused:
        run_record(ctx, order)
    assert refused.value.pairing.verdict.level.value != "block"
    assert list_intents(ctx) == []  # nothing recorded
    # The window shows the new verdict and the installer records that one.
    session.record_failed(judge(ctx, 0, refused.value.pairing, session.job))
    assert session.judged is not None and session.judged.level.value != "block"
    outcome = run_record(ctx, session.record_order(_choices(MISMATCH)))
    assert outcome.verdict_level == session.judged.level.value and outcome.regime == "mp202"


def test_an_abort_is_recorded_with_its_reason(ctx: AppContext) -> None:
    session = _session(ctx, "J-000101", GOOD)
    outcome = run_abort(ctx, session.abort_order("no access to the meter cupboard"))
    session.recorded(outcome)
    assert session.state is VisitState.ABORTED and outcome.abort_reason == "no access to the meter cupboard"
