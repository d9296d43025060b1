"""The Service Requests one install visit queues (DOMAIN A4), in the order they should go.

``plan_visit`` turns what the installer scanned and chose into intents; it decides nothing
about pairing (that is ``app.domain.rules``) and assigns no RequestIDs (the back office
does, at submission). Order and why:

1. 8.14.1 (or 8.14.2 with no SM WAN) for the hub just fitted — CV 8.
2. The 8.4 ``UpdateDeviceDetails`` remedy, when chosen — *before* the PPMID is whitelisted,
   because moving a device to another CPL entry is only possible while the DCC still holds
   it as ``Pending``; 8.11 makes it ``Whitelisted``. (Ordering is HubCheck's reading of
   DOMAIN A2/A4; the back office still approves the remedy.)
3. 8.11 ``Add`` of the PPMID to the CHF whitelist, with its install code (no CRC) — CV 1.
4. 8.7.1 to the meter with OtherDeviceID = PPMID (CV 4, critical), then 8.7.2 to the
   PPMID with OtherDeviceID = meter (CV 1).
5. Checks: 8.2 Read Inventory of the PPMID (CV 8) and 11.2 Read Firmware Version on it (CV 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.domain.devices import DeviceType
from app.domain.duis.base import Intent
from app.domain.duis.enums import CHFInstallType, CHFLocation, PremiseType
from app.domain.duis.errors import DuisFieldError
from app.domain.duis.intents import (
    JOIN_TIME_PERIOD_MAX,
    ChfInstallNoSmWan,
    ChfInstallSuccess,
    JoinServiceCritical,
    JoinServiceNonCritical,
    ReadFirmwareVersion,
    ReadInventory,
    UpdateDeviceDetails,
    UpdateHanDeviceLog,
)
from app.domain.ids import DeviceId
from app.domain.install_codes import InstallCode

METER_TYPES = (DeviceType.ESME, DeviceType.GSME)


class VisitPlanError(DuisFieldError):
    """The visit's inputs do not describe a PPMID + hub + meter install HubCheck can queue."""


@dataclass(frozen=True, slots=True)
class NoWanSurvey:
    """The 8.14.2 site survey, given when the hub has no SM WAN."""

    premise_type: PremiseType
    metal_obstruction: bool
    connectivity_obstruction: bool
    shared_obstruction: bool


@dataclass(frozen=True, slots=True)
class CplMoveRemedy:
    """Move a bilingual, still-Pending PPMID to its other CPL entry (DOMAIN A2, tactical remedy)."""

    firmware_version: str
    smets_chts_version: str


def plan_visit(
    *,
    hub_id: DeviceId,
    ppmid_id: DeviceId,
    install_code: InstallCode,
    meter_id: DeviceId,
    meter_type: DeviceType,
    mpxn: str,
    hub_location: CHFLocation,
    aerial_install: bool,
    no_wan: NoWanSurvey | None = None,
    hub_install_type: CHFInstallType | None = None,
    report_hub_install: bool = True,
    join_time_period: int = JOIN_TIME_PERIOD_MAX,
    install_datetime: datetime | None = None,
    user_ref_id: str | None = None,
    remedy: CplMoveRemedy | None = None,
) -> list[Intent]:
    """The intents for one visit, in queue order (see the module docstring).

    ``hub_id`` is the hub's CHF device ID. ``no_wan`` switches 8.14.1 to 8.14.2;
    ``hub_install_type`` defaults to a new install (8.14.1) or "CHF Install - no SM WAN"
    (8.14.2). ``report_hub_install=False`` leaves out 8.14.x when the hub was fitted on an
    earlier visit. Every value is validated by the intents; problems raise a
    ``DomainInputError`` subclass naming the SRV and element.
    """
    if meter_type not in METER_TYPES:
        raise VisitPlanError(
            f"a PPMID joins an ESME or a GSME; the meter was given as {getattr(meter_type, 'value', meter_type)!r}"
        )
    roles = {"hub (CHF)": hub_id, "PPMID": ppmid_id, "meter": meter_id}
    seen: dict[DeviceId, str] = {}
    for role, device in roles.items():
        if device in seen:
            raise VisitPlanError(f"the {seen[device]} and the {role} have the same device ID {device}")
        seen[device] = role

    intents: list[Intent] = []
    if report_hub_install:
        intents.append(
            _hub_status(
                hub_id=hub_id,
                mpxn=mpxn,
                hub_location=hub_location,
                aerial_install=aerial_install,
                no_wan=no_wan,
                hub_install_type=hub_install_type,
                install_datetime=install_datetime,
                user_ref_id=user_ref_id,
            )
        )
    if remedy is not None:
        intents.append(
            UpdateDeviceDetails(
                device_id=ppmid_id,
                smets_chts_version=remedy.smets_chts_version,
                firmware_version=remedy.firmware_version,
            )
        )
    intents.append(UpdateHanDeviceLog.add(hub_id, ppmid_id, install_code, join_time_period))
    intents.append(JoinServiceCritical(target_id=meter_id, other_device_id=ppmid_id))
    intents.append(JoinServiceNonCritical(target_id=ppmid_id, other_device_id=meter_id))
    intents.append(ReadInventory.by_device_id(ppmid_id))
    intents.append(ReadFirmwareVersion(target_id=ppmid_id))
    return intents


def _hub_status(
    *,
    hub_id: DeviceId,
    mpxn: str,
    hub_location: CHFLocation,
    aerial_install: bool,
    no_wan: NoWanSurvey | None,
    hub_install_type: CHFInstallType | None,
    install_datetime: datetime | None,
    user_ref_id: str | None,
) -> Intent:
    if no_wan is None:
        return ChfInstallSuccess(
            device_id=hub_id,
            mpxn=mpxn,
            aerial_install=aerial_install,
            location=hub_location,
            install_type=hub_install_type or CHFInstallType.NEW,
            install_datetime=install_datetime,
            user_ref_id=user_ref_id,
        )
    return ChfInstallNoSmWan(
        device_id=hub_id,
        mpxn=mpxn,
        aerial_install=aerial_install,
        location=hub_location,
        premise_type=no_wan.premise_type,
        metal_obstruction=no_wan.metal_obstruction,
        connectivity_obstruction=no_wan.connectivity_obstruction,
        shared_obstruction=no_wan.shared_obstruction,
        install_type=hub_install_type or CHFInstallType.NO_SM_WAN,
        install_datetime=install_datetime,
        user_ref_id=user_ref_id,
    )
