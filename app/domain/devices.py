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
        }


def merge_records(records: list[DeviceRecord]) -> DeviceRecord | None:
    """One view of a device from all its records (newest first).

    The job pack is what the supplier pre-notified, so its model and firmware lead; the
    DCC's inventory is the authority on SMI status, CPL status and SMETS1 enrolment, so
    its values fill in and override those fields.
    """
    if not records:
        return None
    packs = [r for r in records if r.source is RecordSource.JOB_PACK]
    inventory = [r for r in records if r.source is RecordSource.INVENTORY]
    base = packs[0] if packs else inventory[0]
    if not inventory or base is inventory[0]:
        return base
    dcc = inventory[0]
    return replace(
        base,
        device_type=base.device_type or dcc.device_type,
        smi_status=dcc.smi_status or base.smi_status,
        cpl_status=dcc.cpl_status or base.cpl_status,
        firmware_status=dcc.firmware_status or base.firmware_status,
        csp_region=dcc.csp_region or base.csp_region,
        has_s1sp=dcc.has_s1sp or base.has_s1sp,
    )
