"""Recording a visit: re-check, refuse STOP without an override, one transaction, schema-valid intents."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from app.domain.duis import (
    CHFLocation,
    CplMoveRemedy,
    DuisSchema,
    NoWanSurvey,
    PremiseType,
    intent_from_payload,
)
from app.services.context import AppContext
from app.services.cpl_import import import_cpl
from app.services.installs import (
    RemedyKind,
    VisitBlocked,
    VisitError,
    VisitRequest,
    abort_visit,
    record_visit,
)
from app.services.jobs_import import import_jobs_file
from app.services.queue import list_intents, queue_counts
from app.store import audit

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "sample"
LABELS = {row["job_ref"]: row for row in json.loads((SAMPLE / "labels.json").read_text()) if row["job_ref"]}
# J-000101's first row is the good label; a later row reuses the job for a bad CRC.
GOOD = json.loads((SAMPLE / "labels.json").read_text())[0]
STOP = LABELS["J-000102"]  # tactical SMETS mismatch


@pytest.fixture
def ctx(tmp_path: Path) -> AppContext:
    context = AppContext(tmp_path / "data")
    import_cpl(context, SAMPLE / "cpl.csv")
    import_jobs_file(context, SAMPLE / "jobpack.json")
    return context


def _request(row: dict, **extra: object) -> VisitRequest:
    values: dict = {
        "job_ref": row["job_ref"],
        "ppmid": row["ppmid_label"],
        "hub": row["hub_label"],
        "meter": row["meter_label"],
        "hub_location": CHFLocation.DEEP_INDOORS,
    }
    values.update(extra)
    return VisitRequest(**values)


def _count(ctx: AppContext, table: str) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def test_an_ok_visit_queues_the_a4_requests_in_one_go(ctx: AppContext) -> None:
    outcome = record_visit(ctx, _request(GOOD))
    assert outcome.outcome == "recorded" and outcome.verdict_level == "ok"
    # The hub is InstalledNotCommissioned: a new hub, so the job's meter is whitelisted too.
    assert outcome.scenario is not None and outcome.scenario.scenario.value == "new-hub"
    assert [i.srv for i in outcome.intents] == ["8.14.1", "8.11", "8.11", "8.7.1", "8.7.2", "8.2", "11.2"]
    assert len({i.idempotency_key for i in outcome.intents}) == 7
    assert all(uuid.UUID(i.idempotency_key).version == 4 for i in outcome.intents)
    views = list_intents(ctx)
    assert [v.state for v in views] == ["queued"] * 7
    assert {v.install_id for v in views} == {outcome.install_id}
    assert _count(ctx, "install_visits") == 1
    with ctx.engine.connect() as conn:
        (entry,) = audit.entries(conn, subject=outcome.install_id)
        assert audit.verify_chain(conn).ok
    assert entry.action == "install.recorded"
    assert [i["key"] for i in entry.detail["intents"]] == [i.idempotency_key for i in outcome.intents]
    assert "1900000000001" not in json.dumps(entry.detail)  # no MPxN in the journal
    assert "3031323334" not in json.dumps(entry.detail)  # no install code either


def test_stored_payloads_round_trip_and_xml_validates(ctx: AppContext, duis_xsd: Path) -> None:
    ctx.settings.set("duis_schema", str(duis_xsd))
    outcome = record_visit(ctx, _request(GOOD))
    assert outcome.schema_checked
    schema = DuisSchema.from_path(duis_xsd)
    with ctx.engine.connect() as conn:
        rows = conn.execute(text("SELECT srv, payload_json, duis_xml FROM outbox_intents ORDER BY id")).all()
    for srv, payload, xml in rows:
        assert intent_from_payload(json.loads(payload)).srv == srv
        assert schema.validate(xml.encode()) == []
    meter_join, join = json.loads(rows[1][1]), json.loads(rows[2][1])
    assert meter_join["body"]["device_id"] == GOOD["meter_label"]
    assert meter_join["body"]["install_code"] == "00112233445566778899AABBCCDD0010"  # the job pack's
    assert join["body"]["install_code"] == "30313233343536373839414243444546"  # the label's, without its CRC


def test_a_stop_verdict_is_refused_without_an_override_and_nothing_is_written(ctx: AppContext) -> None:
    with pytest.raises(VisitBlocked) as caught:
        record_visit(ctx, _request(STOP))
    assert caught.value.pairing.verdict.level.value == "block"
    assert "SMETS_MISMATCH" in str(caught.value)
    assert _count(ctx, "install_visits") == 0 and _count(ctx, "outbox_intents") == 0
    assert _count(ctx, "audit_journal") == 0


def test_an_override_records_a_stop_verdict_and_keeps_the_reason(ctx: AppContext) -> None:
    outcome = record_visit(ctx, _request(STOP, override_reason="  back office approved the 8.4 move  "))
    assert outcome.verdict_level == "block"
    assert outcome.override_reason == "back office approved the 8.4 move"
    with ctx.engine.connect() as conn:
        stored = conn.execute(text("SELECT override_reason, verdict_level FROM install_visits")).one()
        (entry,) = audit.entries(conn)
    assert tuple(stored) == ("back office approved the 8.4 move", "block")
    assert entry.detail["override_reason"] == "back office approved the 8.4 move"
    assert entry.detail["block_reasons"] == ["SMETS_MISMATCH"]


def test_the_remedy_and_no_wan_survey_change_the_plan(ctx: AppContext) -> None:
    survey = NoWanSurvey(PremiseType.TERRACED, True, False, False)
    outcome = record_visit(ctx, _request(GOOD, wan=False, no_wan=survey))
    assert [i.srv for i in outcome.intents][:2] == ["8.14.2", "8.11"]
    # J-000102's SMETS1 hub is an existing hub: the remedy comes first, and no 8.14.
    outcome = record_visit(ctx, _request(STOP, override_reason="approved", remedy=RemedyKind.UPDATE_INVENTORY))
    assert [i.srv for i in outcome.intents][:2] == ["8.4", "8.11"]
    with pytest.raises(VisitError, match="never typed"):
        record_visit(ctx, _request(STOP, override_reason="approved", remedy=CplMoveRemedy("00010001", "SMETS1")))


def test_no_wan_without_a_survey_is_refused(ctx: AppContext) -> None:
    with pytest.raises(VisitError, match="site survey"):
        record_visit(ctx, _request(GOOD, wan=False))


def test_a_label_without_an_install_code_cannot_queue_8_11(ctx: AppContext) -> None:
    with pytest.raises(VisitError, match="install code"):
        record_visit(ctx, _request(GOOD, ppmid="0A-1B-2C-00-00-00-00-14"))
    assert _count(ctx, "outbox_intents") == 0


def test_another_jobs_devices_are_refused(ctx: AppContext) -> None:
    """A5: a PPMID or hub of another job than the one chosen is refused (it used to be recorded)."""
    with pytest.raises(VisitError, match="the PPMID 0A-1B-2C-00-00-00-00-14 belongs to job J-000101, not J-NOT-IMPORTED"):
        record_visit(ctx, _request(GOOD, job_ref="J-NOT-IMPORTED", mpxn="1900000000099"))
    assert _count(ctx, "outbox_intents") == 0


def test_a_failure_inside_the_transaction_leaves_nothing_behind(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_append(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(audit, "append", broken_append)
    with pytest.raises(OSError):
        record_visit(ctx, _request(GOOD))
    assert _count(ctx, "install_visits") == 0 and _count(ctx, "outbox_intents") == 0
    assert queue_counts(ctx)["queued"] == 0


def test_abort_records_why_and_queues_nothing(ctx: AppContext) -> None:
    outcome = abort_visit(ctx, "J-000102", "customer not home", ppmid=STOP["ppmid_label"], hub=STOP["hub_label"])
    assert (outcome.outcome, outcome.abort_reason, outcome.verdict_level) == ("aborted", "customer not home", "block")
    assert _count(ctx, "outbox_intents") == 0
    with ctx.engine.connect() as conn:
        (entry,) = audit.entries(conn)
    assert entry.action == "install.aborted" and entry.detail["reason"] == "customer not home"
    with pytest.raises(VisitError):
        abort_visit(ctx, "J-000102", "  ")
