"""Value types for CPL entries and pre-notified / inventory device records.

These are plain frozen dataclasses so the UI, CLI and rules receive detached data,
never live database rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from app.domain.ids import DeviceId
from app.domain.smets import Generation, classify_generation, generation_from_version_text


class DeviceType(StrEnum):
    ESME = "ESME"
    GSME = "GSME"
    CHF = "CHF"
    GPF = "GPF"
    PPMID = "PPMID"
    IHD = "IHD"
    CAD = "CAD"
    HCALCS = "HCALCS"
    SAPC = "SAPC"

    def __str__(self) -> str:
        return self.value

    @property
    def duis_allowed(self) -> bool:
        """DUIS ``DeviceType`` has no SAPC: such a device may be on the CPL but never in a request."""
        return self is not DeviceType.SAPC


class CplStatus(StrEnum):
    ACTIVE = "Active"
    CANCELLED = "Cancelled"
    EXPIRED = "Expired"
    WITHDRAWN = "Withdrawn"

    def __str__(self) -> str:
        return self.value


def norm_hex(text: str | None) -> str:
    """Normalise a manufacturer/model/hardware/firmware string for comparison."""
    return (text or "").strip().upper()


@dataclass(frozen=True, slots=True)
class CplEntry:
    device_type: DeviceType
    manufacturer_id: str
    model_id: str
    firmware_version: str
    hardware_version: str = ""
    smets_generation: Generation | None = None
    smets_chts_version: str = ""
    gbcs_version: str = ""
    status: CplStatus = CplStatus.ACTIVE
    manufacturer_name: str = ""
    image_hash: str = ""
    date_added: str = ""
    source_line: int | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # The CPL's own reference for this row, and (since MP231) the entries of earlier firmware
    # it upgrades from: kept and shown when the file has them, never required.
    cpl_entry_id: str = ""
    upgrades_from: tuple[str, ...] = ()

    @property
    def generation(self) -> Generation | None:
        found = classify_generation(explicit=self.smets_generation, version_text=self.smets_chts_version)
        if found is None and generation_from_version_text(self.gbcs_version) is Generation.SMETS2_PLUS:
            return Generation.SMETS2_PLUS  # a GBCS version names a SMETS2+ device (A1)
        return found

    def to_json(self) -> dict[str, object]:
        return {
            "device_type": self.device_type.value,
            "manufacturer_id": self.manufacturer_id,
            "manufacturer_name": self.manufacturer_name,
            "model_id": self.model_id,
            "hardware_version": self.hardware_version,
            "firmware_version": self.firmware_version,
            "smets_generation": self.generation.value if self.generation else None,
            "smets_chts_version": self.smets_chts_version,
            "gbcs_version": self.gbcs_version,
            "status": self.status.value,
            "image_hash": self.image_hash,
            "date_added": self.date_added,
            "cpl_entry_id": self.cpl_entry_id or None,
            "upgrades_from": list(self.upgrades_from),
        }


class RecordSource(StrEnum):
    JOB_PACK = "jobpack"
    INVENTORY = "inventory"


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    """What the supplier (job pack) or the DCC (8.2 inventory) says about one device."""

    device_id: DeviceId
    device_type: DeviceType | None
    manufacturer_id: str = ""
    model_id: str = ""
    hardware_version: str = ""
    firmware_version: str = ""
    stated_generation: Generation | None = None
    smets_chts_version: str = ""
    smi_status: str = ""
    cpl_status: str = ""
    firmware_status: str = ""
    csp_region: str = ""
    has_s1sp: bool = False
    source: RecordSource = RecordSource.JOB_PACK
    job_ref: str | None = None
    install_code: str = ""  # a job pack's code for the device: hex WITHOUT its CRC, "" when none
    # The S1SP an 8.2 record names (a free string such as ``S1SP-B``): which SMETS1 cohort
    # the site is in follows from it (``s1sp_cohorts``), and with it the firmware caveats.
    s1sp: str = ""

    @property
    def generation(self) -> Generation | None:
        """The generation this record states, from explicit evidence only."""
        return classify_generation(
            explicit=self.stated_generation,
            version_text=self.smets_chts_version,
            csp_region=self.csp_region,
            has_s1sp=self.has_s1sp,
        )

    def to_json(self) -> dict[str, object]:
        return {
            "device_id": str(self.device_id),
            "device_type": self.device_type.value if self.device_type else None,
            "manufacturer_id": self.manufacturer_id,
            "model_id": self.model_id,
            "hardware_version": self.hardware_version,
            "firmware_version": self.firmware_version,
            "smets_generation": self.generation.value if self.generation else None,
            "smets_chts_version": self.smets_chts_version,
            "smi_status": self.smi_status,
            "source": self.source.value,
            "job_ref": self.job_ref,
            "has_install_code": bool(self.install_code),
            "s1sp": self.s1sp or None,
        }

    @property
    def source_name(self) -> str:
        """Where this record came from, as the installer names it (reasons list both sources)."""
        if self.source is RecordSource.INVENTORY:
            return "the DCC inventory (8.2)"
        return f"job pack {self.job_ref}" if self.job_ref else "a job pack"


# DOMAIN A5: the DCC's own inventory outranks the job pack (and both outrank the CPL and
# the installer). Within one rank the records are put in a fixed order of their content,
# never the order of import, so the same files give the same view whatever came first.
_SOURCE_RANK = {RecordSource.INVENTORY: 0, RecordSource.JOB_PACK: 1}


def _evidence_key(record: DeviceRecord) -> tuple[object, ...]:
    generation = record.generation
    return (
        _SOURCE_RANK[record.source],
        record.job_ref or "",
        record.device_type.value if record.device_type else "",
        norm_hex(record.manufacturer_id),
        norm_hex(record.model_id),
        norm_hex(record.hardware_version),
        norm_hex(record.firmware_version),
        generation.value if generation else "",
        record.smets_chts_version,
        record.smi_status,
        record.cpl_status,
        record.firmware_status,
        record.csp_region,
        record.s1sp,
    )


def rank_records(records: list[DeviceRecord]) -> list[DeviceRecord]:
    """The records strongest first (the DCC's, then job packs), in an order that does not
    depend on when each file was imported."""
    return sorted(records, key=_evidence_key)


def merge_records(records: list[DeviceRecord]) -> DeviceRecord | None:
    """One view of a device from all its records, ranked by source, not by import order.

    The DCC's 8.2 record is the strongest evidence: what it states (type, model, firmware,
    generation, SMI status, CPL status, SMETS1 enrolment and S1SP) overrides the job pack;
    the job pack fills what the inventory does not carry (the hardware version). Which job
    pack leads when several describe the device is fixed by their content and job reference;
    a disagreement between them is reported by :func:`find_conflicts`, never settled silently.
    """
    if not records:
        return None
    ordered = rank_records(records)
    inventory = [r for r in ordered if r.source is RecordSource.INVENTORY]
    packs = [r for r in ordered if r.source is RecordSource.JOB_PACK]
    if not inventory:
        return packs[0]
    dcc = inventory[0]
    if not packs:
        return dcc
    base = packs[0]
    dcc_generation = dcc.generation
    return replace(
        base,
        device_type=dcc.device_type or base.device_type,
        manufacturer_id=dcc.manufacturer_id or base.manufacturer_id,
        model_id=dcc.model_id or base.model_id,
        firmware_version=dcc.firmware_version or base.firmware_version,
        stated_generation=dcc_generation if dcc_generation is not None else base.stated_generation,
        smets_chts_version=dcc.smets_chts_version if dcc_generation is not None else base.smets_chts_version,
        smi_status=dcc.smi_status or base.smi_status,
        cpl_status=dcc.cpl_status or base.cpl_status,
        firmware_status=dcc.firmware_status or base.firmware_status,
        csp_region=dcc.csp_region or base.csp_region,
        has_s1sp=dcc.has_s1sp or base.has_s1sp,
        s1sp=dcc.s1sp or base.s1sp,
    )


@dataclass(frozen=True, slots=True)
class RecordConflict:
    """Two records of one device that disagree on what it is (DOMAIN A5)."""

    first: DeviceRecord
    second: DeviceRecord
    fields: tuple[str, ...]

    def describe(self) -> str:
        """What each source says, field by field (for the reason's message)."""
        parts = []
        for name in self.fields:
            a, b = _conflict_value(self.first, name), _conflict_value(self.second, name)
            parts.append(f"{name} {a} vs {b}")
        return "; ".join(parts)


_CONFLICT_ATTRS = {
    "manufacturer": "manufacturer_id",
    "model": "model_id",
    "hardware version": "hardware_version",
    "firmware version": "firmware_version",
}


def _conflict_value(record: DeviceRecord, name: str) -> str:
    if name == "generation":
        return str(record.generation)
    if name == "device type":
        return str(record.device_type)
    return norm_hex(getattr(record, _CONFLICT_ATTRS[name]))


def differing_fields(a: DeviceRecord, b: DeviceRecord) -> tuple[str, ...]:
    """The Device Model parts, type and generation on which two records disagree; a field
    one of them leaves blank is no disagreement."""
    found: list[str] = []
    if a.device_type and b.device_type and a.device_type is not b.device_type:
        found.append("device type")
    for name, x, y in (
        ("manufacturer", a.manufacturer_id, b.manufacturer_id),
        ("model", a.model_id, b.model_id),
        ("hardware version", a.hardware_version, b.hardware_version),
        ("firmware version", a.firmware_version, b.firmware_version),
    ):
        if norm_hex(x) and norm_hex(y) and norm_hex(x) != norm_hex(y):
            found.append(name)
    if a.generation is not None and b.generation is not None and a.generation is not b.generation:
        found.append("generation")
    return tuple(found)


def find_conflicts(records: list[DeviceRecord]) -> tuple[RecordConflict, ...]:
    """Every pair of this device's records that disagree, in an order fixed by their content.

    Identical duplicates (the same pack imported under two job references) are not a conflict.
    """
    ordered = rank_records(records)
    conflicts = []
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            fields = differing_fields(first, second)
            if fields:
                conflicts.append(RecordConflict(first, second, fields))
    return tuple(conflicts)
