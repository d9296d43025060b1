"""The window with the inputs of DOMAIN A5: job packs that carry install codes (the new
reasons are shown with their remedies from the catalogue, and a PPMID label with only its
device ID records with the job pack's code; a bad code rejects its device, and the import
says why), and a CPL workbook whose hex cells the spreadsheet turned into numbers.

The real main window on a real data folder; files are imported as the File menu does.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.store.db import DB_FILE_NAME
from tests.helpers_domain import SILABS_CODE, TEMPLATE_LABEL
from tests.test_cpl_inputs import _excel_mangled_rows, _workbook
from tests.test_install_code_inputs import HUB, JOB, METER, PPMID, _job, _write_pack

pytest_plugins = ["app.testing.plugin"]


def _queued_codes(data_dir: Path, device_id: str) -> list[str]:
    conn = sqlite3.connect(data_dir / DB_FILE_NAME)
    try:
        rows = conn.execute("SELECT payload_json FROM outbox_intents WHERE srv = '8.11' ORDER BY id").fetchall()
    finally:
        conn.close()
    bodies = [json.loads(payload)["body"] for (payload,) in rows]
    return [b["install_code"] for b in bodies if b["device_id"] == device_id]


def _open_job(hubcheck, tmp_path: Path, ppmid_label: str, **ppmid_fields: object) -> None:
    report = hubcheck.import_file(_write_pack(tmp_path / "today.json", _job(**ppmid_fields)))
    assert report is not None
    hubcheck.pick_job(JOB)
    hubcheck.scan_ppmid(ppmid_label)
    hubcheck.scan_hub(HUB)


def test_a_bare_device_id_records_with_the_job_packs_code(hubcheck, hubcheck_sample_data_dir: Path,
                                                          tmp_path: Path) -> None:
    _open_job(hubcheck, tmp_path, PPMID.replace("-", ""), install_code=SILABS_CODE)
    hubcheck.wait_verdict("ok")
    assert "No install code on this label" in hubcheck.text("ppmidScanStatus")
    assert "INSTALL_CODE_MISSING" not in hubcheck.reason_codes()
    assert hubcheck.widget("meterInput").currentData()[0] == METER  # the job's one meter
    outcome = hubcheck.record()
    assert outcome.outcome == "recorded"
    assert "8.11" in [i.srv for i in outcome.intents]
    assert _queued_codes(hubcheck_sample_data_dir, PPMID) == [SILABS_CODE]


def test_a_label_code_that_differs_from_the_packs_shows_the_stop_and_what_to_do(hubcheck, tmp_path: Path) -> None:
    _open_job(hubcheck, tmp_path, f"Z:{PPMID.replace('-', '')}$I:{TEMPLATE_LABEL}", install_code=SILABS_CODE)
    hubcheck.wait_verdict("block")
    assert hubcheck.reason_codes() == ["INSTALL_CODE_MISMATCH"]
    (_, message, todo), = hubcheck.reason_texts()
    assert f"differs from the one job pack {JOB} carries for it" in message
    assert "Re-scan the PPMID's install-code label" in todo
    assert "Ask the back office which install code is right" in todo
    assert hubcheck.widget("overrideReasonInput").isVisible() and not hubcheck.record_enabled


def test_no_code_on_the_label_or_in_the_pack_warns_and_recording_says_why(hubcheck, hubcheck_sample_data_dir: Path,
                                                                         tmp_path: Path) -> None:
    _open_job(hubcheck, tmp_path, PPMID)
    hubcheck.wait_verdict("warn")
    assert hubcheck.reason_codes() == ["INSTALL_CODE_MISSING"]
    (_, message, todo), = hubcheck.reason_texts()
    assert "gave no install code and no job pack carries one" in message
    assert "Scan the PPMID's QR label" in todo
    with pytest.raises(AssertionError, match="no job pack carries one"):
        hubcheck.record()
    assert _queued_codes(hubcheck_sample_data_dir, PPMID) == []


def test_a_bad_pack_code_rejects_its_device_and_the_import_banner_says_why(hubcheck, tmp_path: Path) -> None:
    summary = hubcheck.import_file(_write_pack(tmp_path / "today.json", _job(install_code="0102030405")))
    assert summary.imported == 2 and len(summary.rejected) == 1
    assert "1 rejected" in hubcheck.text("importSummaryLabel")
    details = hubcheck.widget("importProblemsText").toPlainText()
    assert f"jobs[0].devices[2]: install_code of PPMID {PPMID} in job {JOB}" in details
    assert "this one has 5" in details and "the device was not imported" in details


def test_a_workbook_whose_ids_became_numbers_lists_each_row_before_anything_is_replaced(
    hubcheck, tmp_path: Path
) -> None:
    window = hubcheck.window
    banner = window.view.import_banner
    before = hubcheck.text("cplStatusLabel")
    window.import_file(_workbook(tmp_path / "CPL.xlsx", _excel_mangled_rows()))
    hubcheck.qtbot.waitUntil(lambda: banner.confirm.isVisible(), timeout=hubcheck.timeout * 3)
    assert "2 rows are rejected" in hubcheck.text("importSummaryLabel")
    lines = hubcheck.widget("importProblemsText").toPlainText().splitlines()
    assert [line.split(":")[0] for line in lines] == ["line 3", "line 5"]
    assert lines[0].startswith("line 3: Manufacturer ID (10) and Model ID (90100) are numbers, not text")
    assert all("hex text" in line for line in lines)
    hubcheck.qtbot.mouseClick(banner.keep, Qt.MouseButton.LeftButton)
    hubcheck.wait_idle()
    assert hubcheck.text("cplStatusLabel") == before  # the CPL in use was kept
