"""The job pack's install code for a device (DOMAIN A5): kept, used for the 8.11 when the
PPMID's label has none, checked against the label's when it has one.

Real parts throughout: job packs and CPLs written to disk and imported into a real SQLite
store, visits recorded through the service and the ``hubcheck`` command line, the queued
8.11 read back from the outbox.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app.domain.devices import DeviceRecord, RecordSource, merge_records
from app.domain.duis import CHFLocation
from app.domain.jobpack import parse_job_pack
from app.domain.rules import evaluate_pairing, install_code_source
from app.domain.smets import Regime
from app.services.context import AppContext
from app.services.cpl_import import import_cpl
from app.services.installs import VisitBlocked, VisitError, VisitRequest, record_visit
from app.services.jobs_import import import_jobs_file
from app.services.pairing import check_texts
from app.store import device_repo
from app.store.db import DB_FILE_NAME
from app.store.migrations import LATEST_VERSION
from tests.helpers_domain import (
    BILINGUAL,
    PPMID_ID,
    S2,
    SILABS_CODE,
    SILABS_LABEL,
    TEMPLATE_CODE,
    TEMPLATE_LABEL,
    job_pack,
    jp_device,
    scan,
)
from tests.test_cli import ok_json, parallel, run
from tests.test_domain_rules import codes, situation

SAMPLE_CPL = Path(__file__).resolve().parents[1] / "resources" / "sample" / "cpl.csv"

JOB = "J-IC-1"
PPMID = "0A-1C-00-00-00-00-00-14"
HUB = "0A-1C-00-00-00-00-00-12"
METER = "0A-1C-00-00-00-00-00-10"
PACK_CODE = SILABS_CODE  # what the manufacturer's shipment data says, without its CRC


def _job(job_ref: str = JOB, ppmid: str = PPMID, **ppmid_fields: Any) -> dict[str, Any]:
    """A job whose hub was there already (Commissioned: an existing-hub visit) with one PPMID."""
    return {
        "job_ref": job_ref,
        "mpxn": "1900000000777",
        "address": {"lines": ["7 Code Street"], "postcode": "ZZ7 7IC"},
        "devices": [
            jp_device(ppmid[:-2] + "10", "ESME", manufacturer_id="1063", model_id="00050203",
                      firmware_version="38040404", smets_chts_version="SMETS V4.2", smi_status="Commissioned"),
            jp_device(ppmid[:-2] + "12", "CHF", manufacturer_id="106C", model_id="433100AC",
                      firmware_version="9001", smets_generation="SMETS2+", smi_status="Commissioned"),
            jp_device(ppmid, "PPMID", hardware_version="0001", smets_generation="SMETS2+", smi_status="Pending",
                      **ppmid_fields),
        ],
    }


def _write_pack(path: Path, *jobs: dict[str, Any]) -> Path:
    path.write_text(job_pack(list(jobs)), encoding="utf-8")
    return path


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    context = AppContext(tmp_path / "data")
    import_cpl(context, SAMPLE_CPL)
    try:
        yield context
    finally:
        context.close()


def _queued_8_11(ctx: AppContext, device_id: str) -> list[str]:
    """The InstallCode of every queued 8.11 that whitelists ``device_id``."""
    with ctx.engine.connect() as conn:
        rows = conn.execute(text("SELECT payload_json FROM outbox_intents WHERE srv = '8.11' ORDER BY id")).all()
    bodies = [json.loads(payload)["body"] for (payload,) in rows]
    return [b["install_code"] for b in bodies if b["device_id"] == device_id]


def _visit(ppmid_label: str, **extra: Any) -> VisitRequest:
    return VisitRequest(job_ref=JOB, ppmid=ppmid_label, hub=HUB, meter=METER,
                        hub_location=CHFLocation.DEEP_INDOORS, **extra)


# --- the rules ------------------------------------------------------------------------------------


def _with_pack_code(code: str, ppmid_code: str | None) -> Any:
    data = situation(BILINGUAL, S2, S2, Regime.MP202, ppmid_code=ppmid_code)
    assert data.ppmid_record is not None
    return replace(data, ppmid_record=replace(data.ppmid_record, install_code=code, job_ref="J-9"))


def test_the_packs_code_stands_in_for_a_label_without_one() -> None:
    data = _with_pack_code(PACK_CODE, None)
    verdict = evaluate_pairing(data)
    assert verdict.level.value == "ok" and codes(verdict) == set()
    assert install_code_source(data.ppmid_scan, data.ppmid_record) == "jobpack"


def test_the_same_code_on_the_label_and_in_the_pack_is_fine() -> None:
    data = _with_pack_code(PACK_CODE, SILABS_LABEL)
    assert evaluate_pairing(data).level.value == "ok"
    assert install_code_source(data.ppmid_scan, data.ppmid_record) == "label"


def test_a_label_code_that_differs_from_the_packs_blocks_and_names_the_job() -> None:
    verdict = evaluate_pairing(_with_pack_code(PACK_CODE, TEMPLATE_LABEL))
    assert verdict.level.value == "block" and codes(verdict) == {"INSTALL_CODE_MISMATCH"}
    (reason,) = verdict.reasons
    assert reason.severity.value == "block"
    assert reason.message == (
        f"The install code on PPMID {PPMID_ID}'s label differs from the one job pack J-9 carries for it: "
        "the PPMID in hand may not be the one the job lists."
    )
    assert {r.action.value for r in verdict.remedies} == {"rescan_install_code", "contact_back_office"}
    assert SILABS_CODE not in reason.message and TEMPLATE_CODE not in reason.message  # codes stay out of reasons


def test_no_code_on_the_label_nor_in_the_pack_warns() -> None:
    data = _with_pack_code("", None)
    verdict = evaluate_pairing(data)
    assert verdict.level.value == "warn" and codes(verdict) == {"INSTALL_CODE_MISSING"}
    assert "cannot be queued" in verdict.reasons[0].message
    assert install_code_source(data.ppmid_scan, data.ppmid_record) is None


def test_a_label_code_failing_its_crc_is_not_compared_with_the_pack() -> None:
    verdict = evaluate_pairing(_with_pack_code(PACK_CODE, TEMPLATE_LABEL[:-1] + "0"))
    assert codes(verdict) == {"INSTALL_CODE_CRC"}


def test_the_packs_code_survives_merging_with_the_dcc_inventory() -> None:
    pack = DeviceRecord(scan(PPMID).device_id, None, "10E0", "00090100", "0001", "00020002",
                        install_code=PACK_CODE, job_ref=JOB)
    dcc = replace(pack, source=RecordSource.INVENTORY, job_ref=None, install_code="", smi_status="Pending")
    merged = merge_records([dcc, pack])
    assert merged is not None and merged.install_code == PACK_CODE


# --- the job pack -------------------------------------------------------------------------------


def test_the_code_is_read_as_upper_case_hex_without_separators() -> None:
    spaced = " ".join(PACK_CODE[i:i + 4].lower() for i in range(0, len(PACK_CODE), 4))
    result = parse_job_pack(json.loads(job_pack([_job(install_code=spaced)])))
    assert result.problems == []
    (ppmid,) = [d for d in result.jobs[0].devices if str(d.device_id) == PPMID]
    assert ppmid.install_code == PACK_CODE
    assert ppmid.to_json()["has_install_code"] is True
    assert all(d.install_code == "" for d in result.jobs[0].devices if d is not ppmid)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("0102030405", "6, 8, 12 or 16 bytes; this one has 5"),
        (SILABS_LABEL, "ends in the CRC of the rest, as printed on a label; the job pack gives the code without"),
        ("83FED3407A93972G", "'G', which is not a hex digit"),
        (8390, "it must be text (hex digits in quotes), not int"),
    ],
)
def test_a_bad_code_rejects_that_device_naming_the_job_and_the_device(value: object, says: str) -> None:
    result = parse_job_pack(json.loads(job_pack([_job(install_code=value)])))
    ((where, message),) = result.problems
    assert where == "jobs[0].devices[2]"
    assert message.startswith(f"install_code of PPMID {PPMID} in job {JOB}")
    assert says in message and message.endswith("the device was not imported")
    assert [d.device_type.value for d in result.jobs[0].devices if d.device_type] == ["ESME", "CHF"]


# --- stored, then used to record --------------------------------------------------------------------


def test_recording_a_bare_id_label_queues_the_8_11_with_the_packs_code(ctx: AppContext, tmp_path: Path) -> None:
    import_jobs_file(ctx, _write_pack(tmp_path / "pack.json", _job(install_code=PACK_CODE)))
    with ctx.engine.connect() as conn:
        (stored,) = device_repo.records_for(conn, scan(PPMID).device_id)
    assert stored.install_code == PACK_CODE
    result = check_texts(ctx, PPMID, HUB)
    assert result.verdict.level.value == "ok"
    assert result.to_json()["ppmid"]["install_code_source"] == "jobpack"  # type: ignore[index]

    outcome = record_visit(ctx, _visit(PPMID.replace("-", "")))
    assert "8.11" in [i.srv for i in outcome.intents]
    assert _queued_8_11(ctx, PPMID) == [PACK_CODE]


def test_a_differing_label_code_is_a_stop_and_an_override_queues_the_labels(ctx: AppContext, tmp_path: Path) -> None:
    import_jobs_file(ctx, _write_pack(tmp_path / "pack.json", _job(install_code=PACK_CODE)))
    label = f"Z:{PPMID.replace('-', '')}$I:{TEMPLATE_LABEL}"
    with pytest.raises(VisitBlocked, match="INSTALL_CODE_MISMATCH"):
        record_visit(ctx, _visit(label))
    assert _queued_8_11(ctx, PPMID) == []
    record_visit(ctx, _visit(label, override_reason="back office confirmed the label's code by phone"))
    assert _queued_8_11(ctx, PPMID) == [TEMPLATE_CODE]  # the code printed on the device in hand


def test_no_code_anywhere_warns_and_cannot_be_recorded(ctx: AppContext, tmp_path: Path) -> None:
    import_jobs_file(ctx, _write_pack(tmp_path / "pack.json", _job()))
    assert check_texts(ctx, PPMID, HUB).verdict.level.value == "warn"
    with pytest.raises(VisitError, match="the PPMID label gave no install code and no job pack carries one"):
        record_visit(ctx, _visit(PPMID))
    with ctx.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM outbox_intents")).scalar_one() == 0
        assert conn.execute(text("SELECT COUNT(*) FROM install_visits")).scalar_one() == 0


def test_a_version_4_database_gains_the_column_and_keeps_its_devices(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    context = AppContext(folder)
    import_jobs_file(context, _write_pack(tmp_path / "pack.json", _job()))
    context.close()
    db = folder / DB_FILE_NAME
    raw = sqlite3.connect(db)
    raw.execute("ALTER TABLE devices DROP COLUMN install_code")
    raw.execute("PRAGMA user_version=4")
    raw.commit()
    raw.close()

    context = AppContext(folder)
    try:
        with context.engine.connect() as conn:
            (record,) = device_repo.records_for(conn, scan(PPMID).device_id)
        assert record.install_code == "" and record.job_ref == JOB
        import_jobs_file(context, _write_pack(tmp_path / "pack2.json", _job(install_code=PACK_CODE)))
        with context.engine.connect() as conn:
            (record,) = device_repo.records_for(conn, scan(PPMID).device_id)
        assert record.install_code == PACK_CODE
    finally:
        context.close()
    raw = sqlite3.connect(db)
    try:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION >= 5
    finally:
        raw.close()
    assert list(folder.glob(f"{DB_FILE_NAME}.v4.*.bak")), "the upgrade kept a backup first"


# --- the command line -------------------------------------------------------------------------------


def test_cli_imports_reports_checks_and_records_with_the_packs_code(tmp_path: Path) -> None:
    data = tmp_path / "data"
    other = "0A-1C-00-00-00-00-01-14"
    pack = _write_pack(
        tmp_path / "pack.json",
        _job(install_code=PACK_CODE),
        _job("J-IC-2", other, install_code="0102030405"),
    )
    assert run("cpl", "import", str(SAMPLE_CPL), data_dir=data).returncode == 0
    imported = ok_json(run("jobs", "import", str(pack), "--json", data_dir=data))
    assert imported["rejected"] == 1
    (problem,) = imported["problems"]
    assert problem["where"] == "jobs[1].devices[2]"
    assert f"install_code of PPMID {other} in job J-IC-2" in problem["message"]

    checked, unknown = parallel(
        lambda: run("check", "--ppmid", PPMID, "--hub", HUB, "--json", data_dir=data),
        lambda: run("check", "--ppmid", other, "--hub", HUB, "--json", data_dir=data),
    )
    verdict = ok_json(checked)
    assert verdict["level"] == "ok" and verdict["reasons"] == []
    assert verdict["ppmid"]["install_code"] is None and verdict["ppmid"]["install_code_source"] == "jobpack"
    assert verdict["ppmid"]["record"]["has_install_code"] is True
    assert PACK_CODE not in checked.stdout  # the pack's code is used, not printed
    assert "NOT_PRENOTIFIED" in {r["code"] for r in ok_json(unknown)["reasons"]}  # the rejected device

    recorded = ok_json(run("install", "record", "--job", JOB, "--ppmid", PPMID, "--hub", HUB, "--meter", METER,
                           "--hub-location", "Deep indoors", "--json", data_dir=data))
    assert recorded["outcome"] == "recorded"
    whitelisted = [i for i in recorded["intents"] if i["srv"] == "8.11"]
    assert len(whitelisted) == 1
    conn = sqlite3.connect(data / DB_FILE_NAME)
    try:
        (payload,) = conn.execute(
            "SELECT payload_json FROM outbox_intents WHERE idempotency_key = ?", (whitelisted[0]["idempotency_key"],)
        ).fetchone()
    finally:
        conn.close()
    assert json.loads(payload)["body"]["install_code"] == PACK_CODE
