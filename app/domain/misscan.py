"""Mis-scans: STOP verdicts that no override reason can record.

Why a separate rule: an override exists for a judgement call (the installer knows the
back office will fix the inventory, say). A meter scanned as the hub, the same label
twice, the two labels swapped, an install code that fails its CRC, or a PPMID model with
no CPL entry for the hub's generation at all are not judgement calls: recording them
queues Service Requests that are certain to fail, so the only way forward is to scan
again (or fit another PPMID). The STOP headline says which, so the installer's next
step is obvious; "will not work with this hub" is kept for real incompatibility.
"""

from __future__ import annotations

from enum import StrEnum

from app.domain.devices import DeviceType
from app.domain.reasons import ReasonCode


class MisScan(StrEnum):
    SAME_LABEL = "same_label"
    SWAPPED = "swapped"
    WRONG_DEVICE = "wrong_device"
    BAD_INSTALL_CODE = "bad_install_code"
    INCOMPATIBLE = "incompatible"

    def __str__(self) -> str:
        return self.value


#: Reason codes whose STOP cannot be overridden (each maps to one :class:`MisScan`).
NOT_OVERRIDABLE: frozenset[ReasonCode] = frozenset(
    {
        ReasonCode.SAME_DEVICE,
        ReasonCode.WRONG_DEVICE_TYPE,
        ReasonCode.INSTALL_CODE_CRC,
        ReasonCode.NOT_COMPATIBLE,
    }
)

#: The STOP headline for each mis-scan: what to do, not only what is wrong.
HEADLINES: dict[MisScan, str] = {
    MisScan.SAME_LABEL: "Re-scan: the same label was scanned for the PPMID and the hub.",
    MisScan.SWAPPED: "Re-scan or swap: the PPMID and hub labels were scanned into each other's fields.",
    MisScan.WRONG_DEVICE: "Re-scan: a label of another device was scanned (see below which).",
    MisScan.BAD_INSTALL_CODE: "Re-scan the PPMID: its install code failed its check digits.",
    MisScan.INCOMPATIBLE: "This PPMID will not work with this hub: fit a compatible PPMID.",
}


def classify(
    codes: frozenset[ReasonCode],
    ppmid_scan_type: DeviceType | None,
    hub_scan_type: DeviceType | None,
) -> MisScan | None:
    """The mis-scan a verdict's reasons show, or None when any STOP is a judgement call.

    ``ppmid_scan_type`` / ``hub_scan_type`` are the recorded types of what was scanned into
    each field (None when the device is in no job pack or inventory). Checked in the order
    of what the installer should fix first: a wrong label makes every other reason moot.
    """
    if ReasonCode.SAME_DEVICE in codes:
        return MisScan.SAME_LABEL
    if ReasonCode.WRONG_DEVICE_TYPE in codes:
        if ppmid_scan_type is DeviceType.CHF and hub_scan_type is DeviceType.PPMID:
            return MisScan.SWAPPED
        return MisScan.WRONG_DEVICE
    if ReasonCode.INSTALL_CODE_CRC in codes:
        return MisScan.BAD_INSTALL_CODE
    if ReasonCode.NOT_COMPATIBLE in codes:
        return MisScan.INCOMPATIBLE
    return None


def expected_type_for(field: str) -> DeviceType:
    """The device type a scan field is for (``"ppmid"`` or ``"hub"``): a tick only for that type."""
    if field == "ppmid":
        return DeviceType.PPMID
    if field == "hub":
        return DeviceType.CHF
    raise ValueError(f"unknown scan field {field!r}; expected 'ppmid' or 'hub'")
