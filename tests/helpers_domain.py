"""Builders shared by the domain, service and CLI tests of HubCheck's foundation.

They build value objects directly (no store, no files) so a rules test states the
situation it judges in one line, and CPL / job-pack writers so import tests stay short.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from app.domain.devices import CplEntry, CplStatus, DeviceRecord, DeviceType, RecordSource
from app.domain.ids import parse_device_id
from app.domain.install_codes import crc16_x25
from app.domain.labels import LabelData, parse_label
from app.domain.smets import Generation

S1 = Generation.SMETS1
S2 = Generation.SMETS2_PLUS

# Spec vectors (DOMAIN.md Part B §3.3 / §8).
SILABS_CODE = "83FED3407A939723A5C639B26916D505"
SILABS_LABEL = SILABS_CODE + "C3B5"
TEMPLATE_CODE = "30313233343536373839414243444546"
TEMPLATE_LABEL = TEMPLATE_CODE + "F596"
SPEC_QR = "Z:00DB1234567890A4$I:83FED3407A939723A5C639B26916D505C3B5"

PPMID_ID = "00-DB-12-34-56-78-90-A4"
HUB_ID = "00-DB-12-34-56-78-90-A2"

# Model tuples (manufacturer, model, hardware) used across the rule tables.
BILINGUAL = ("10E0", "00090100", "0001")
MP202_STYLE = ("10E0", "000A0200", "0002")
S1_ONLY = ("1122", "00010001", "0001")
S2_ONLY = ("1187", "00070001", "0003")
HUB_S2 = ("106C", "433100AC", "9001")
HUB_S1 = ("1072", "57310102", "04000007")

# Firmware of each generation's CPL entry for the models above.
FW = {
    (BILINGUAL, S2): "00020002",
    (BILINGUAL, S1): "5A000002",
    (MP202_STYLE, S2): "00030001",
    (MP202_STYLE, S1): "00030001",
    (S1_ONLY, S1): "00000105",
    (S2_ONLY, S2): "01020304",
}


def label_hex_for(code_hex: str) -> str:
    """Code + little-endian CRC-16/X-25, computed here from the CRC function alone."""
    code = bytes.fromhex(code_hex)
    return (code + crc16_x25(code).to_bytes(2, "little")).hex().upper()


def scan(device_id: str, code_label: str | None = None) -> LabelData:
    """A scan of ``device_id`` (any notation), optionally with an install-code label text."""
    compact = str(parse_device_id(device_id)).replace("-", "")
    text = f"Z:{compact}$I:{code_label}" if code_label is not None else compact
    return parse_label(text)


def cpl_entry(
    model: tuple[str, str, str],
    firmware: str,
    generation: Generation | None,
    *,
    device_type: DeviceType = DeviceType.PPMID,
    status: CplStatus = CplStatus.ACTIVE,
    version: str = "",
    gbcs: str = "",
) -> CplEntry:
    manufacturer, model_id, hardware = model
    return CplEntry(
        device_type=device_type,
        manufacturer_id=manufacturer,
        model_id=model_id,
        hardware_version=hardware,
        firmware_version=firmware,
        smets_generation=generation,
        smets_chts_version=version,
        gbcs_version=gbcs,
        status=status,
    )


def model_entries(model: tuple[str, str, str]) -> list[CplEntry]:
    """Every PPMID CPL entry of one of the standard models (one per generation it supports)."""
    return [cpl_entry(model, fw, gen) for (m, gen), fw in FW.items() if m == model]


def hub_entry(model: tuple[str, str, str], generation: Generation | None, **kw: Any) -> CplEntry:
    manufacturer, model_id, firmware = model
    return cpl_entry((manufacturer, model_id, ""), firmware, generation, device_type=DeviceType.CHF, **kw)


def ppmid_record(
    model: tuple[str, str, str],
    firmware: str,
    stated: Generation | None,
    *,
    device_id: str = PPMID_ID,
    device_type: DeviceType | None = DeviceType.PPMID,
    smi_status: str = "Pending",
    version: str = "",
) -> DeviceRecord:
    manufacturer, model_id, hardware = model
    return DeviceRecord(
        device_id=parse_device_id(device_id),
        device_type=device_type,
        manufacturer_id=manufacturer,
        model_id=model_id,
        hardware_version=hardware,
        firmware_version=firmware,
        stated_generation=stated,
        smets_chts_version=version,
        smi_status=smi_status,
        job_ref="J-1",
    )


def hub_record(
    model: tuple[str, str, str],
    stated: Generation | None,
    *,
    device_id: str = HUB_ID,
    device_type: DeviceType | None = DeviceType.CHF,
    version: str = "",
    csp_region: str = "",
    has_s1sp: bool = False,
    cpl_status: str = "",
    source: RecordSource = RecordSource.JOB_PACK,
) -> DeviceRecord:
    manufacturer, model_id, firmware = model
    return DeviceRecord(
        device_id=parse_device_id(device_id),
        device_type=device_type,
        manufacturer_id=manufacturer,
        model_id=model_id,
        firmware_version=firmware,
        stated_generation=stated,
        smets_chts_version=version,
        csp_region=csp_region,
        has_s1sp=has_s1sp,
        cpl_status=cpl_status,
        source=source,
        job_ref="J-1" if source is RecordSource.JOB_PACK else None,
    )


def write_csv(path: Path, rows: Iterable[Sequence[object]], delimiter: str = ",") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    for row in rows:
        writer.writerow(row)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


CPL_HEADER = [
    "Device Type",
    "Manufacturer Name",
    "Manufacturer ID",
    "Model ID",
    "Hardware Version",
    "Firmware Version",
    "SMETS Generation",
    "SMETS/CHTS Version",
    "GBCS Version",
    "Status",
    "Manufacturer Image Hash",
    "Date Added",
]


def cpl_row(
    device_type: str,
    manufacturer: str,
    model: str,
    firmware: str,
    generation: str = "SMETS2+",
    status: str = "Active",
    hardware: str = "0001",
) -> list[str]:
    """One row in CPL_HEADER order."""
    return [device_type, "Maker", manufacturer, model, hardware, firmware, generation, "", "", status, "AB" * 32, "2026-10-01"]


def job_pack(jobs: list[dict[str, Any]]) -> str:
    return json.dumps({"format": "hubcheck-jobpack/1", "jobs": jobs})


def jp_device(device_id: str, device_type: str = "PPMID", **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "device_id": device_id,
        "device_type": device_type,
        "manufacturer_id": "10E0",
        "model_id": "00090100",
        "firmware_version": "00020002",
    }
    data.update(fields)
    return data


INVENTORY_NS = "http://www.dccinterface.co.uk/ServiceUserGateway"


def inventory_xml(devices: list[dict[str, str]], response_code: str = "I0") -> bytes:
    """A minimal DUIS 8.2 response; each device dict maps element name → text (order kept)."""
    parts = []
    for device in devices:
        body = "".join(f"<sr:{k}>{v}</sr:{k}>" if v is not None else f"<sr:{k}/>" for k, v in device.items())
        parts.append(f"<sr:Device>{body}</sr:Device>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sr:Response xmlns:sr="{INVENTORY_NS}" schemaVersion="5.4">'
        f"<sr:Header><sr:RequestID>90-B3-D5-1F-30-01-00-00:90-B3-D5-1F-30-00-00-02:1</sr:RequestID>"
        f"<sr:ResponseCode>{response_code}</sr:ResponseCode></sr:Header>"
        "<sr:Body><sr:ResponseMessage><sr:ServiceReference>8.2</sr:ServiceReference>"
        f"<sr:DSPInventory>{''.join(parts)}</sr:DSPInventory></sr:ResponseMessage></sr:Body></sr:Response>"
    ).encode()
