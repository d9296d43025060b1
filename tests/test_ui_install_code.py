"""The window with job packs that carry install codes (DOMAIN A5): the new reasons are shown
with their remedies from the catalogue, and a PPMID label with only its device ID records
with the job pack's code.

The real main window on a real data folder; the job pack is imported as the File menu does.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from app.store.db import DB_FILE_NAME
from tests.helpers_domain import SILABS_CODE, TEMPLATE_LABEL
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
