"""Job packs (``hubcheck-jobpack/1``): the supplier's pre-visit view of each site's devices.

A job pack is untrusted input from another system, so every problem is reported with
its place in the file (``jobs[3].devices[1].device_id``) and the readable rest still
imports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from app.domain.devices import DeviceRecord, DeviceType, RecordSource, norm_hex
from app.domain.errors import DomainInputError
from app.domain.ids import DeviceIdError, parse_device_id
from app.domain.install_codes import CODE_LENGTHS, InstallCode, InstallCodeError, crc16_x25
from app.domain.smets import parse_generation

FORMAT = "hubcheck-jobpack/1"


class JobPackError(DomainInputError):
    """The file is not a readable job pack at all."""


@dataclass(frozen=True, slots=True)
class Job:
    job_ref: str
    mpxn: str = ""
    address_lines: tuple[str, ...] = ()
    postcode: str = ""
    devices: tuple[DeviceRecord, ...] = ()
    visit_date: str = ""

    @property
    def address(self) -> str:
        return ", ".join(list(self.address_lines) + ([self.postcode] if self.postcode else []))


@dataclass(slots=True)
class JobPackResult:
    jobs: list[Job] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def device_count(self) -> int:
        return sum(len(j.devices) for j in self.jobs)


def parse_job_pack_text(text: str | bytes) -> JobPackResult:
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise JobPackError(f"not a job pack: the file is not valid JSON ({exc})") from None
    return parse_job_pack(data)


def parse_job_pack(data: Any) -> JobPackResult:
    if not isinstance(data, dict):
        raise JobPackError("not a job pack: the top level must be a JSON object")
    fmt = data.get("format")
    if fmt != FORMAT:
        raise JobPackError(f"not a job pack: format is {fmt!r}, expected {FORMAT!r}")
    jobs = data.get("jobs")
    if not isinstance(jobs, list):
        raise JobPackError("not a job pack: 'jobs' must be a list")
    result = JobPackResult()
    seen_refs: set[str] = set()
    for j_index, raw_job in enumerate(jobs):
        where = f"jobs[{j_index}]"
        if not isinstance(raw_job, dict):
            result.problems.append((where, "a job must be an object"))
            continue
        job_ref = str(raw_job.get("job_ref") or "").strip()
        if not job_ref:
            result.problems.append((where, "job_ref is missing"))
            continue
        if job_ref in seen_refs:
            result.problems.append((where, f"job_ref {job_ref!r} appears twice; the first is kept"))
            continue
        seen_refs.add(job_ref)
        address = raw_job.get("address") or {}
        lines: tuple[str, ...] = ()
        postcode = ""
        if isinstance(address, dict):
            raw_lines = address.get("lines") or []
            if isinstance(raw_lines, list):
                lines = tuple(str(x) for x in raw_lines)
            postcode = str(address.get("postcode") or "").strip().upper()
        devices: list[DeviceRecord] = []
        raw_devices = raw_job.get("devices") or []
        if not isinstance(raw_devices, list):
            result.problems.append((f"{where}.devices", "devices must be a list"))
            raw_devices = []
        for d_index, raw_device in enumerate(raw_devices):
            d_where = f"{where}.devices[{d_index}]"
            try:
                devices.append(_device(raw_device, job_ref))
            except DomainInputError as exc:
                result.problems.append((d_where, str(exc)))
        result.jobs.append(
            Job(
                job_ref=job_ref,
                mpxn=str(raw_job.get("mpxn") or "").strip(),
                address_lines=lines,
                postcode=postcode,
                devices=tuple(devices),
                visit_date=str(raw_job.get("visit_date") or "").strip(),
            )
        )
    return result


def _device(raw: Any, job_ref: str) -> DeviceRecord:
    if not isinstance(raw, dict):
        raise DomainInputError("a device must be an object")
    try:
        device_id = parse_device_id(str(raw.get("device_id") or ""))
    except DeviceIdError as exc:
        raise DomainInputError(f"device_id: {exc}") from None
    raw_type = str(raw.get("device_type") or "").strip().upper()
    try:
        device_type = DeviceType(raw_type)
    except ValueError:
        raise DomainInputError(
            f"device_type {raw_type!r} is not one of {', '.join(t.value for t in DeviceType)}"
        ) from None
    return DeviceRecord(
        device_id=device_id,
        device_type=device_type,
        manufacturer_id=_hex_field(raw, "manufacturer_id"),
        model_id=_hex_field(raw, "model_id"),
        hardware_version=_hex_field(raw, "hardware_version"),
        firmware_version=_hex_field(raw, "firmware_version"),
        stated_generation=parse_generation(raw.get("smets_generation")),
        smets_chts_version=str(raw.get("smets_chts_version") or "").strip(),
        smi_status=str(raw.get("smi_status") or "").strip(),
        source=RecordSource.JOB_PACK,
        job_ref=job_ref,
        install_code=_install_code(raw, job_ref, f"{device_type.value} {device_id}"),
    )


def _install_code(raw: dict[str, Any], job_ref: str, device: str) -> str:
    """The optional ``install_code``: hex, WITHOUT its CRC (suppliers get it in the manufacturer's
    shipment data), as the upper-case hex DUIS 8.11 carries; "" when the pack gives none.

    A bad code rejects the device with a message naming the job and the device: a wrong code
    kept would whitelist nothing on site, and one silently dropped would hide the mistake.
    """
    value = raw.get("install_code")
    if value is None or value == "":
        return ""
    where = f"install_code of {device} in job {job_ref}"
    if not isinstance(value, str):
        raise DomainInputError(
            f"{where}: it must be text (hex digits in quotes), not {type(value).__name__}; the device was not imported"
        )
    try:
        return InstallCode.from_code_hex(value).code_hex
    except InstallCodeError as exc:
        problem = str(exc)
    digits = "".join(ch for ch in value if ch not in " -:\t")
    try:
        data = bytes.fromhex(digits[2:] if digits[:2].lower() == "0x" else digits)
    except ValueError:
        data = b""
    if len(data) - 2 in CODE_LENGTHS and crc16_x25(data[:-2]) == int.from_bytes(data[-2:], "little"):
        problem = (
            f"it has {len(data)} bytes and ends in the CRC of the rest, as printed on a label; "
            "the job pack gives the code without its CRC"
        )
    raise DomainInputError(f"{where}: {problem}; the device was not imported")


def _hex_field(raw: dict[str, Any], name: str) -> str:
    """A hex string field; a number or list would lose leading zeros or worse, so it is refused."""
    value = raw.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DomainInputError(f"{name} must be text (hex digits in quotes), not {type(value).__name__}")
    return norm_hex(value)
