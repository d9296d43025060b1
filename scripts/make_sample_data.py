"""Write HubCheck's bundled sample data (synthetic CPL, job pack and label texts).

Every verdict HubCheck can give is reachable from these files: bilingual PPMIDs under
both regimes, a SMETS1-only and a SMETS2+-only model, a withdrawn firmware, a SMETS1 and
a SMETS2+ hub. Nothing here is real: device IDs, MPxNs, postcodes (ZZ) are made up.
Run: python scripts/make_sample_data.py  (rewrites resources/sample/).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.domain.install_codes import InstallCode  # noqa: E402

OUT = REPO / "resources" / "sample"

CPL_HEADER = [
    "Device Type", "Manufacturer Name", "Manufacturer ID", "Model ID", "Hardware Version", "Firmware Version",
    "SMETS Generation", "SMETS/CHTS Version", "GBCS Version", "Status", "Manufacturer Image Hash", "Date Added",
]
# (type, name, mfr, model, hw, fw, generation, version, gbcs, status)
CPL_ROWS = [
    # Bilingual PPMID, tactical style: real SMETS2+ firmware, fictitious SMETS1 firmware.
    ("PPMID", "Samplecom Displays", "10E0", "00090100", "0001", "00020002", "SMETS2+", "SMETS V4.2", "3.2", "Active"),
    ("PPMID", "Samplecom Displays", "10E0", "00090100", "0001", "5A000002", "SMETS1", "SMETS1", "", "Active"),
    # Same model, an older firmware now withdrawn.
    ("PPMID", "Samplecom Displays", "10E0", "00090100", "0001", "00020001", "SMETS2+", "SMETS V4.2", "3.2", "Withdrawn"),
    # Bilingual PPMID, MP202 style: two rows with the same firmware version.
    ("PPMID", "Samplecom Displays", "10E0", "000A0200", "0002", "00030001", "SMETS2+", "SMETS V5.0", "4.0", "Active"),
    ("PPMID", "Samplecom Displays", "10E0", "000A0200", "0002", "00030001", "SMETS1", "SMETS1", "", "Active"),
    # SMETS1-only PPMID model.
    ("PPMID", "Oldline Meters", "1122", "00010001", "0001", "00000105", "SMETS1", "SMETS1", "", "Active"),
    # SMETS2+-only PPMID model.
    ("PPMID", "Newline Devices", "1187", "00070001", "0003", "01020304", "SMETS2+", "SMETS V5.1", "4.1", "Active"),
    # Communications Hubs: a SMETS2+ CHF and an enrolled SMETS1 hub.
    ("CHF", "Samplehub", "106C", "433100AC", "0001", "9001", "SMETS2+", "CHTS V1.4", "4.2", "Active"),
    ("GPF", "Samplehub", "106C", "433100AC", "0001", "9001", "SMETS2+", "CHTS V1.4", "4.2", "Active"),
    ("CHF", "Legacy Hubs", "1072", "57310102", "0001", "04000007", "SMETS1", "SMETS1", "", "Active"),
    # Meters and others.
    ("ESME", "Sample Meters", "1063", "00050203", "0001", "38040404", "SMETS2+", "SMETS V4.2", "3.2", "Active"),
    ("ESME", "Oldline Meters", "1122", "00020002", "0001", "00000210", "SMETS1", "SMETS1", "", "Active"),
    ("IHD", "Samplecom Displays", "10E0", "00110001", "0001", "", "SMETS2+", "SMETS V4.2", "", "Active"),
    ("SAPC", "Switchco", "1300", "00000001", "0001", "0101", "SMETS2+", "SMETS V5.0", "4.0", "Active"),
]


def dev(n: int) -> str:
    return f"0A-1B-2C-00-00-00-{n // 256:02X}-{n % 256:02X}"


def ppmid(n: int, model: tuple[str, str, str], fw: str, gen: str | None, version: str) -> dict[str, object]:
    record: dict[str, object] = {
        "device_id": dev(n), "device_type": "PPMID", "manufacturer_id": model[0], "model_id": model[1],
        "hardware_version": model[2], "firmware_version": fw, "smets_chts_version": version, "smi_status": "Pending",
    }
    if gen:
        record["smets_generation"] = gen
    return record


S2_HUB = ("106C", "433100AC", "9001", "SMETS2+", "CHTS V1.4")
S1_HUB = ("1072", "57310102", "04000007", "SMETS1", "SMETS1")
UNLISTED_HUB = ("10AA", "99990001", "0100", "SMETS2+", "CHTS V1.5")
BILINGUAL = ("10E0", "00090100", "0001")
MP202_STYLE = ("10E0", "000A0200", "0002")
S1_ONLY = ("1122", "00010001", "0001")
S2_ONLY = ("1187", "00070001", "0003")


def hub(n: int, spec: tuple[str, str, str, str, str]) -> dict[str, object]:
    return {"device_id": dev(n), "device_type": "CHF", "manufacturer_id": spec[0], "model_id": spec[1],
            "firmware_version": spec[2], "smets_generation": spec[3], "smets_chts_version": spec[4],
            "smi_status": "InstalledNotCommissioned"}


def meter(n: int) -> dict[str, object]:
    # The meter's install code (without its CRC, as the manufacturer's shipment data gives it):
    # a new hub's visit queues an 8.11 Add for each meter of the job, which needs it.
    return {"device_id": dev(n), "device_type": "ESME", "manufacturer_id": "1063", "model_id": "00050203",
            "firmware_version": "38040404", "smets_chts_version": "SMETS V4.2", "smi_status": "Pending",
            "install_code": f"00112233445566778899AABBCCDD{n:04X}"}


# job number -> (what it shows, hub spec, ppmid args)
JOBS = [
    ("bilingual PPMID pre-notified SMETS2+, SMETS2+ hub: OK under both regimes",
     S2_HUB, (BILINGUAL, "00020002", "SMETS2+", "SMETS V4.2")),
    ("bilingual PPMID pre-notified SMETS2+, SMETS1 hub: tactical STOP (mismatch); MP202 gives SMETS1 with a "
     "WARNING (the CPL has no SMETS1 row at that firmware)",
     S1_HUB, (BILINGUAL, "00020002", "SMETS2+", "SMETS V4.2")),
    ("bilingual PPMID pre-notified SMETS1 (fictitious firmware), SMETS1 hub: OK with SMETS1 caveats",
     S1_HUB, (BILINGUAL, "5A000002", "SMETS1", "SMETS1")),
    ("bilingual PPMID pre-notified SMETS1, SMETS2+ hub: tactical STOP; MP202 gives SMETS2+ with a WARNING "
     "(the CPL has no SMETS2+ row at the fictitious firmware)",
     S2_HUB, (BILINGUAL, "5A000002", "SMETS1", "SMETS1")),
    ("SMETS1-only PPMID with a SMETS2+ hub: not compatible under either regime",
     S2_HUB, (S1_ONLY, "00000105", "SMETS1", "SMETS1")),
    ("SMETS2+-only PPMID with a SMETS1 hub: not compatible under either regime",
     S1_HUB, (S2_ONLY, "01020304", "SMETS2+", "SMETS V5.1")),
    ("PPMID pre-notified with a withdrawn firmware: STOP",
     S2_HUB, (BILINGUAL, "00020001", "SMETS2+", "SMETS V4.2")),
    ("PPMID pre-notified with a firmware that is not on the CPL: STOP",
     S2_HUB, (BILINGUAL, "00029999", "SMETS2+", "SMETS V4.2")),
    ("MP202-style bilingual PPMID (two CPL rows, one firmware) pre-notified SMETS2+, SMETS1 hub",
     S1_HUB, (MP202_STYLE, "00030001", "SMETS2+", "SMETS V5.0")),
    ("hub model missing from the local CPL: WARNING",
     UNLISTED_HUB, (S2_ONLY, "01020304", "SMETS2+", "SMETS V5.1")),
    ("job pack says SMETS1 but the firmware matches the SMETS2+ CPL entry: WARNING",
     S2_HUB, (BILINGUAL, "00020002", "SMETS1", "SMETS1")),
]

CODES = [
    "83FED3407A939723A5C639B26916D505",
    "30313233343536373839414243444546",
    "0123456789ABCDEF0011223344556677",
    "A1B2C3D4E5F60718293A4B5C6D7E8F90",
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "cpl.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CPL_HEADER)
        for i, (dtype, name, mfr, model, hw, fw, gen, version, gbcs, status) in enumerate(CPL_ROWS):
            writer.writerow([dtype, name, mfr, model, hw, fw, gen, version, gbcs, status, f"{i:02X}" * 32, "2026-10-01"])

    jobs = []
    labels = []
    for index, (story, hub_spec, (model, fw, gen, version)) in enumerate(JOBS, start=1):
        base = index * 16
        job_ref = f"J-{100 + index:06d}"
        hub_id, ppmid_id, meter_id = base + 2, base + 4, base + 0
        devices = [meter(meter_id), hub(hub_id, hub_spec), ppmid(ppmid_id, model, fw, gen, version)]
        jobs.append({
            "job_ref": job_ref,
            "visit_date": "2026-11-23",
            "mpxn": f"19{index:011d}",
            "address": {"lines": [f"{index} Sample Street", "Testville"], "postcode": f"ZZ{index} 1AA"},
            "devices": devices,
        })
        code = InstallCode.from_code_hex(CODES[index % len(CODES)])
        compact = dev(ppmid_id).replace("-", "")
        labels.append({
            "job_ref": job_ref,
            "story": story,
            "ppmid_label": f"Z:{compact}$I:{code.label_hex}",
            "hub_label": dev(hub_id),
            "meter_label": dev(meter_id),
        })
    labels.append({
        "job_ref": "J-000101",
        "story": "PPMID label with a mistyped install code (CRC fails): STOP",
        "ppmid_label": f"Z:{dev(20).replace('-', '')}$I:{InstallCode.from_code_hex(CODES[1]).label_hex[:-1]}0",
        "hub_label": dev(18),
        "meter_label": dev(16),
    })
    labels.append({
        "job_ref": None,
        "story": "hub that is in no job pack: UNKNOWN until its generation is given",
        "ppmid_label": labels[0]["ppmid_label"],
        "hub_label": "0A-1B-2C-00-00-00-FF-02",
        "meter_label": dev(16),
    })
    pack = {"format": "hubcheck-jobpack/1", "jobs": jobs}
    (OUT / "jobpack.json").write_text(json.dumps(pack, indent=2) + "\n", encoding="utf-8")
    (OUT / "labels.json").write_text(json.dumps(labels, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
