"""A5 in the window: conflicting evidence imported through the File menu turns into the
reasons the specification names, whatever the order of the imports."""

from __future__ import annotations

import json
from pathlib import Path

from app.testing.samples import case_for

pytest_plugins = ["app.testing.plugin"]
SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "sample"


def _conflicting_pack(tmp_path: Path) -> Path:
    """Another supplier pack pre-notifying J-000101's PPMID with another firmware."""
    pack = json.loads((SAMPLE / "jobpack.json").read_text(encoding="utf-8"))
    job = next(j for j in pack["jobs"] if j["job_ref"] == "J-000101")
    job["job_ref"] = "J-900101"
    for device in job["devices"]:
        if device["device_type"] == "PPMID":
            device["firmware_version"] = "5A000002"
            device["smets_generation"] = "SMETS1"
    pack["jobs"] = [job]
    path = tmp_path / "second-pack.json"
    path.write_text(json.dumps(pack), encoding="utf-8")
    return path


def test_a_ppmid_pre_notified_twice_differently_is_a_stop_naming_both(hubcheck, tmp_path: Path) -> None:
    good = case_for("OK under both regimes")
    hubcheck.import_file(_conflicting_pack(tmp_path))
    hubcheck.pick_job(good.job_ref)
    hubcheck.scan_ppmid(good.ppmid_label)
    hubcheck.scan_hub(good.hub_label)
    hubcheck.wait_verdict("block")
    assert "PRENOTIFICATION_CONFLICT" in hubcheck.reason_codes()
    texts = " ".join(message for _level, message, _todo in hubcheck.reason_texts())
    assert "job pack J-000101 and by job pack J-900101" in texts and "00020002 vs 5A000002" in texts
    assert hubcheck.resulting_text == "—"
