"""Job packs and inventory records: written per import, read per scan."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, or_, select

from app.domain.devices import DeviceRecord, DeviceType, RecordSource
from app.domain.ids import DeviceId
from app.domain.jobpack import Job
from app.domain.smets import parse_generation
from app.store.models import DeviceRow, DeviceS1spRow, JobRow


@dataclass(frozen=True, slots=True)
class JobSummary:
    """A job as the job picker lists it (personal data included: the installer needs the address)."""

    job_ref: str
    postcode: str
    address: str
    mpxn: str
    visit_date: str
    device_ids: tuple[str, ...]


def _device_values(record: DeviceRecord, imported_at: datetime) -> dict[str, object]:
    return {
        "device_id": str(record.device_id),
        "job_ref": record.job_ref,
        "source": record.source.value,
        "device_type": record.device_type.value if record.device_type else None,
        "manufacturer_id": record.manufacturer_id,
        "model_id": record.model_id,
        "hardware_version": record.hardware_version,
        "firmware_version": record.firmware_version,
        "stated_generation": record.stated_generation.value if record.stated_generation else None,
        "smets_chts_version": record.smets_chts_version,
        "smi_status": record.smi_status,
        "cpl_status": record.cpl_status,
        "firmware_status": record.firmware_status,
        "csp_region": record.csp_region,
        "has_s1sp": record.has_s1sp,
        "imported_at": imported_at,
        "install_code": record.install_code,
    }


def save_jobs(conn: Connection, jobs: Iterable[Job], *, source_file: str, imported_at: datetime) -> int:
    """Insert or replace each job (and its devices) by job reference; returns devices written."""
    jobs = list(jobs)
    refs = [j.job_ref for j in jobs]
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        conn.execute(delete(DeviceRow).where(DeviceRow.job_ref.in_(chunk)))
        conn.execute(delete(JobRow).where(JobRow.job_ref.in_(chunk)))
    if jobs:
        conn.execute(
            insert(JobRow),
            [
                {
                    "job_ref": j.job_ref,
                    "personal_mpxn": j.mpxn,
                    "personal_address_lines": json.dumps(list(j.address_lines)),
                    "personal_postcode": j.postcode,
                    "visit_date": j.visit_date,
                    "source_file": source_file,
                    "imported_at": imported_at,
                }
                for j in jobs
            ],
        )
    devices = [_device_values(d, imported_at) for j in jobs for d in j.devices]
    if devices:
        conn.execute(insert(DeviceRow), devices)
    return len(devices)


def save_inventory(conn: Connection, records: Iterable[DeviceRecord], *, imported_at: datetime) -> int:
    """Replace the inventory record of each device listed (job-pack records are kept)."""
    records = list(records)
    ids = [str(r.device_id) for r in records]
    for start in range(0, len(ids), 500):
        conn.execute(
            delete(DeviceRow).where(
                DeviceRow.source == RecordSource.INVENTORY.value, DeviceRow.device_id.in_(ids[start : start + 500])
            )
        )
    if records:
        conn.execute(insert(DeviceRow), [_device_values(r, imported_at) for r in records])
    # The S1SP value goes with the inventory record it came from (replaced with it).
    for start in range(0, len(ids), 500):
        conn.execute(delete(DeviceS1spRow).where(DeviceS1spRow.device_id.in_(ids[start : start + 500])))
    named = {str(r.device_id): r.s1sp for r in records if r.s1sp}
    if named:
        conn.execute(insert(DeviceS1spRow), [{"device_id": d, "s1sp": v} for d, v in named.items()])
    return len(records)


_RECORD_SQL = (
    "SELECT device_id, job_ref, source, device_type, manufacturer_id, model_id, hardware_version, "
    "firmware_version, stated_generation, smets_chts_version, smi_status, cpl_status, firmware_status, "
    "csp_region, has_s1sp, install_code FROM devices WHERE device_id = ? ORDER BY imported_at DESC, id DESC"
)


def records_for(conn: Connection, device_id: DeviceId) -> list[DeviceRecord]:
    """Every stored record of a device, newest first."""
    rows = conn.exec_driver_sql(_RECORD_SQL, (str(device_id),)).fetchall()
    s1sp_row = conn.exec_driver_sql("SELECT s1sp FROM device_s1sp WHERE device_id = ?", (str(device_id),)).first()
    s1sp = (s1sp_row[0] or "") if s1sp_row else ""
    result = []
    for r in rows:
        dtype = r[3]
        result.append(
            DeviceRecord(
                device_id=device_id,
                job_ref=r[1],
                source=RecordSource(r[2]),
                device_type=DeviceType(dtype) if dtype in DeviceType.__members__ else None,
                manufacturer_id=r[4] or "",
                model_id=r[5] or "",
                hardware_version=r[6] or "",
                firmware_version=r[7] or "",
                stated_generation=parse_generation(r[8]) if r[8] else None,
                smets_chts_version=r[9] or "",
                smi_status=r[10] or "",
                cpl_status=r[11] or "",
                firmware_status=r[12] or "",
                csp_region=r[13] or "",
                has_s1sp=bool(r[14]),
                s1sp=s1sp if r[2] == RecordSource.INVENTORY.value else "",
                install_code=r[15] or "",
            )
        )
    return result


def search_jobs(conn: Connection, text: str = "", limit: int = 200) -> list[JobSummary]:
    """Jobs whose reference, postcode or a device ID contains ``text`` (case- and space-insensitive)."""
    query = select(JobRow).order_by(JobRow.visit_date, JobRow.job_ref).limit(limit)
    needle = text.strip().upper()
    if needle:
        compact = needle.replace(" ", "").replace("-", "").replace(":", "")
        like = f"%{needle}%"
        device_match = select(DeviceRow.job_ref).where(
            DeviceRow.job_ref.is_not(None),
            or_(
                DeviceRow.device_id.like(like),
                func.replace(DeviceRow.device_id, "-", "").like(f"%{compact}%"),
            ),
        )
        query = query.where(
            or_(
                JobRow.job_ref.ilike(like),
                func.replace(JobRow.personal_postcode, " ", "").like(f"%{needle.replace(' ', '')}%"),
                JobRow.job_ref.in_(device_match),
            )
        )
    jobs = conn.execute(query).all()  # Core rows (a Connection yields no ORM objects)
    refs = [j.job_ref for j in jobs]
    devices: dict[str, list[str]] = {r: [] for r in refs}
    if refs:
        for job_ref, device_id in conn.execute(
            select(DeviceRow.job_ref, DeviceRow.device_id).where(DeviceRow.job_ref.in_(refs)).order_by(DeviceRow.id)
        ):
            if job_ref is not None:
                devices[job_ref].append(device_id)
    return [
        JobSummary(
            job_ref=j.job_ref,
            postcode=j.personal_postcode,
            address=", ".join(json.loads(j.personal_address_lines or "[]")),
            mpxn=j.personal_mpxn,
            visit_date=j.visit_date,
            device_ids=tuple(devices[j.job_ref]),
        )
        for j in jobs
    ]


def job_records(conn: Connection, job_ref: str) -> list[DeviceRecord]:
    ids = conn.execute(select(DeviceRow.device_id).where(DeviceRow.job_ref == job_ref).order_by(DeviceRow.id))
    out: list[DeviceRecord] = []
    for (device_id,) in ids:
        out.extend(r for r in records_for(conn, DeviceId(device_id)) if r.job_ref == job_ref)
    return out


def has_jobs(conn: Connection) -> bool:
    return conn.exec_driver_sql("SELECT 1 FROM jobs LIMIT 1").first() is not None
