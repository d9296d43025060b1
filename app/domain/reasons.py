"""Reason codes, severities and remedies: every user-facing sentence of a verdict, once.

Codes are part of the JSON contract that back-office tools read: add new ones, never
rename. Messages are templates filled with the facts of one pairing, so the installer
reads what was found and what to do, not a code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    INFO = "info"
    WARN = "warn"
    BLOCK = "block"

    def __str__(self) -> str:
        return self.value


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    BLOCK = "block"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


class ReasonCode(StrEnum):
    NOT_PRENOTIFIED = "NOT_PRENOTIFIED"
    WRONG_DEVICE_TYPE = "WRONG_DEVICE_TYPE"
    NOT_ON_CPL = "NOT_ON_CPL"
    CPL_STATUS = "CPL_STATUS"
    SMETS_MISMATCH = "SMETS_MISMATCH"
    NOT_COMPATIBLE = "NOT_COMPATIBLE"
    INSTALL_CODE_CRC = "INSTALL_CODE_CRC"
    HUB_NOT_ON_CPL = "HUB_NOT_ON_CPL"
    HUB_UNKNOWN = "HUB_UNKNOWN"
    RESULTING_DIFFERS = "RESULTING_DIFFERS"
    DATA_INCONSISTENT = "DATA_INCONSISTENT"
    S1_FW_UPGRADE = "S1_FW_UPGRADE"
    S1_FW_READBACK = "S1_FW_READBACK"
    # Added by HubCheck beyond the specification's table.
    PRENOTIFIED_GENERATION_UNKNOWN = "PRENOTIFIED_GENERATION_UNKNOWN"
    HUB_GENERATION_FROM_INSTALLER = "HUB_GENERATION_FROM_INSTALLER"
    SAME_DEVICE = "SAME_DEVICE"
    CPL_GENERATION_UNKNOWN = "CPL_GENERATION_UNKNOWN"

    def __str__(self) -> str:
        return self.value


SEVERITY: dict[ReasonCode, Severity] = {
    ReasonCode.NOT_PRENOTIFIED: Severity.BLOCK,
    ReasonCode.WRONG_DEVICE_TYPE: Severity.BLOCK,
    ReasonCode.NOT_ON_CPL: Severity.BLOCK,
    ReasonCode.CPL_STATUS: Severity.BLOCK,
    ReasonCode.SMETS_MISMATCH: Severity.BLOCK,
    ReasonCode.NOT_COMPATIBLE: Severity.BLOCK,
    ReasonCode.INSTALL_CODE_CRC: Severity.BLOCK,
    ReasonCode.HUB_NOT_ON_CPL: Severity.WARN,
    ReasonCode.HUB_UNKNOWN: Severity.WARN,
    ReasonCode.RESULTING_DIFFERS: Severity.INFO,
    ReasonCode.DATA_INCONSISTENT: Severity.WARN,
    ReasonCode.S1_FW_UPGRADE: Severity.INFO,
    ReasonCode.S1_FW_READBACK: Severity.INFO,
    ReasonCode.PRENOTIFIED_GENERATION_UNKNOWN: Severity.WARN,
    ReasonCode.HUB_GENERATION_FROM_INSTALLER: Severity.INFO,
    ReasonCode.SAME_DEVICE: Severity.BLOCK,
    ReasonCode.CPL_GENERATION_UNKNOWN: Severity.WARN,
}

MESSAGES: dict[ReasonCode, str] = {
    ReasonCode.NOT_PRENOTIFIED: "PPMID {device_id} is in no job pack or inventory record: it was not pre-notified.",
    ReasonCode.WRONG_DEVICE_TYPE: "{role} {device_id} is recorded as a {actual}, not a {expected}.",
    ReasonCode.NOT_ON_CPL: (
        "The pre-notified model (manufacturer {manufacturer_id}, model {model_id}, hardware {hardware}, "
        "firmware {firmware_version}) matches no entry in the local CPL."
    ),
    ReasonCode.CPL_STATUS: "The CPL entry for firmware {firmware_version} is {status}, not Active.",
    ReasonCode.SMETS_MISMATCH: (
        "The PPMID was pre-notified as {prenotified} but the hub is {hub}. Under the tactical regime it "
        "could never be the target of a Service Request after joining this hub."
    ),
    ReasonCode.NOT_COMPATIBLE: "This PPMID model has no CPL entry for {hub} systems, so it cannot work with a {hub} hub.",
    ReasonCode.INSTALL_CODE_CRC: "The {role}'s install code is not valid: {problem}",
    ReasonCode.HUB_NOT_ON_CPL: (
        "The hub's model (manufacturer {manufacturer_id}, model {model_id}, firmware {firmware_version}) "
        "is not in the local CPL; the local copy may be older than the DCC's."
    ),
    ReasonCode.HUB_UNKNOWN: "Hub {device_id} is not in the local data and its SMETS generation was not given.",
    ReasonCode.RESULTING_DIFFERS: (
        "Under MP202 the PPMID becomes {resulting} (it was pre-notified as {prenotified}); the DCC updates "
        "the inventory itself."
    ),
    ReasonCode.DATA_INCONSISTENT: (
        "The job pack says {stated} but the CPL entry that firmware {firmware_version} matches is {cpl}."
    ),
    ReasonCode.S1_FW_UPGRADE: (
        "The PPMID will be SMETS1: firmware upgrades aimed at it may fail (S1SR 18.63–18.65){mp202_note}."
    ),
    ReasonCode.S1_FW_READBACK: (
        "Pre-notified with the SMETS1 (fictitious) firmware version: a firmware read will return the real "
        "running version, which will not match the SMETS1 CPL entry."
    ),
    ReasonCode.PRENOTIFIED_GENERATION_UNKNOWN: (
        "The CPL holds several entries for firmware {firmware_version} and the job pack does not say which "
        "generation was pre-notified."
    ),
    ReasonCode.HUB_GENERATION_FROM_INSTALLER: (
        "Hub {device_id} is not in the local data; its generation ({hub}) is the one the installer gave."
    ),
    ReasonCode.SAME_DEVICE: "The same device ID {device_id} was scanned for the PPMID and the hub.",
    ReasonCode.CPL_GENERATION_UNKNOWN: (
        "Neither the CPL entry for firmware {firmware_version} nor the job pack says which SMETS generation "
        "the PPMID was pre-notified as, so the pairing cannot be confirmed."
    ),
}


class RemedyAction(StrEnum):
    FIT_MATCHING_PPMID = "fit_ppmid_prenotified_for_hub_generation"
    QUEUE_UPDATE_INVENTORY = "queue_update_inventory"
    FIT_COMPATIBLE_MODEL = "fit_compatible_ppmid_model"
    CONTACT_BACK_OFFICE = "contact_back_office"
    RESCAN_INSTALL_CODE = "rescan_install_code"
    RESCAN_DEVICE = "rescan_device"
    UPDATE_LOCAL_CPL = "update_local_cpl"
    CONFIRM_HUB_GENERATION = "confirm_hub_generation"
    IMPORT_JOB_PACK = "import_job_pack"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Reason:
    code: ReasonCode
    severity: Severity
    message: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code.value, "severity": self.severity.value, "message": self.message}


@dataclass(frozen=True, slots=True)
class Remedy:
    action: RemedyAction
    description: str
    needs_approval: bool = False

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"action": self.action.value, "description": self.description}
        if self.needs_approval:
            data["needs_approval"] = True
        return data


def make_reason(code: ReasonCode, **facts: object) -> Reason:
    """Fill the message template for ``code`` with this pairing's facts."""
    return Reason(code, SEVERITY[code], MESSAGES[code].format(**facts))
