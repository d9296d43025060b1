"""Reason codes, severities and remedies: what a verdict found and what to do, as codes.

Codes are part of the JSON contract that back-office tools read: add new ones, never
rename. Messages are whole-sentence templates from ``app.domain.catalogue`` filled with
the facts of one pairing, so the installer reads what was found and what to do, not a code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.domain import catalogue
from app.domain.catalogue import REASONS


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
    # DOMAIN A5: the job pack's install code against the label's.
    INSTALL_CODE_MISSING = "INSTALL_CODE_MISSING"
    INSTALL_CODE_MISMATCH = "INSTALL_CODE_MISMATCH"
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
    # DOMAIN A2 (MP202's resulting entry) and A5 (conflicting evidence, the SMETS1 cohort).
    RESULTING_ENTRY_MISSING = "RESULTING_ENTRY_MISSING"
    PRENOTIFICATION_CONFLICT = "PRENOTIFICATION_CONFLICT"
    HUB_GENERATION_CONFLICT = "HUB_GENERATION_CONFLICT"
    HUB_CPL_STATUS = "HUB_CPL_STATUS"
    SMI_STATUS = "SMI_STATUS"
    HARDWARE_UNKNOWN = "HARDWARE_UNKNOWN"
    S1_SECURE_THIRD_PARTY = "S1_SECURE_THIRD_PARTY"

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
    ReasonCode.INSTALL_CODE_MISSING: Severity.WARN,
    ReasonCode.INSTALL_CODE_MISMATCH: Severity.BLOCK,
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
    ReasonCode.RESULTING_ENTRY_MISSING: Severity.WARN,
    ReasonCode.PRENOTIFICATION_CONFLICT: Severity.BLOCK,
    ReasonCode.HUB_GENERATION_CONFLICT: Severity.WARN,
    ReasonCode.HUB_CPL_STATUS: Severity.WARN,
    ReasonCode.SMI_STATUS: Severity.BLOCK,  # the "unsettled" wording is a warning (VARIANT_SEVERITY)
    ReasonCode.HARDWARE_UNKNOWN: Severity.WARN,
    ReasonCode.S1_SECURE_THIRD_PARTY: Severity.WARN,
}

#: A code whose severity depends on the facts: its wording (variant) says which.
#: SMI_STATUS blocks for a Decommissioned or Withdrawn PPMID and warns for Suspended,
#: Recovery or Recovered (DOMAIN A5).
VARIANT_SEVERITY: dict[tuple[ReasonCode, str], Severity] = {
    (ReasonCode.SMI_STATUS, "unsettled"): Severity.WARN,
}

#: The English sentence of each code (its default wording); the catalogue holds them all.
MESSAGES: dict[ReasonCode, str] = {code: REASONS[code.value].sentence.template for code in ReasonCode}


class RemedyAction(StrEnum):
    # The values live in the catalogue (which must not import this module): one spelling.
    FIT_MATCHING_PPMID = catalogue.FIT_MATCHING_PPMID
    QUEUE_UPDATE_INVENTORY = catalogue.QUEUE_UPDATE_INVENTORY
    FIT_COMPATIBLE_MODEL = catalogue.FIT_COMPATIBLE_MODEL
    CONTACT_BACK_OFFICE = catalogue.CONTACT_BACK_OFFICE
    RESCAN_INSTALL_CODE = catalogue.RESCAN_INSTALL_CODE
    RESCAN_DEVICE = catalogue.RESCAN_DEVICE
    UPDATE_LOCAL_CPL = catalogue.UPDATE_LOCAL_CPL
    CONFIRM_HUB_GENERATION = catalogue.CONFIRM_HUB_GENERATION
    IMPORT_JOB_PACK = catalogue.IMPORT_JOB_PACK

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Reason:
    """One finding. ``message`` is the English sentence (the JSON carries it); ``template``
    and ``values`` are what it was filled from, so a display can translate the template
    and fill it again."""

    code: ReasonCode
    severity: Severity
    message: str
    template: str = ""
    values: tuple[str, ...] = ()

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
    """Fill the catalogue's sentence for ``code`` with this pairing's facts.

    The fact ``variant`` (when given and not empty) picks one of the code's whole
    alternative sentences, e.g. ``variant="hub"``, rather than a fragment put into one
    sentence. Facts the chosen sentence does not use are ignored.
    """
    variant = str(facts.pop("variant", "") or "")
    sentence = REASONS[code.value].sentence_for(variant)
    message, values = sentence.render(facts)
    severity = VARIANT_SEVERITY.get((code, variant), SEVERITY[code])
    return Reason(code, severity, message, sentence.template, values)
