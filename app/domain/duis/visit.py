"""The Service Requests one install visit queues (DOMAIN A4, A5), in the order they should go.

``plan_visit_steps`` turns what the installer scanned and chose into intents, each with the
intents it must wait for; it decides nothing about pairing (that is ``app.domain.rules``)
and assigns no RequestIDs (the back office does, at submission). Which requests a visit
queues depends on its scenario (A5):

* ``existing-hub`` (the PPMID joins a hub that was there already): no 8.14; 8.11 ``Add`` of
  the PPMID; 8.7.1 and 8.7.2; 8.2, and 11.2 unless a firmware read is known to fail.
* ``new-hub`` (the hub is fitted today; SMETS2+ only): 8.14.1 (or 8.14.2 with the site survey
  when there is no SM WAN); 8.11 ``Add`` for each meter of the job and for the PPMID; the
  joins; 8.2 and 11.2. A SMETS1 hub is never this scenario: 8.14 does not apply to it.

Order and why:

1. The 8.4 ``UpdateDeviceDetails`` remedy, when chosen, comes *first* and everything else of
   the visit waits for it: moving a device to another CPL entry is only possible while the DCC
   still holds it as ``Pending`` (8.11 makes it ``Whitelisted``), and the joins would be judged
   against the wrong entry until it is done. It needs the back office's approval.
2. 8.14.1 / 8.14.2 for the hub fitted today — CV 8.
3. 8.11 ``Add`` of each meter (new hub only), then of the PPMID, with its install code (no
   CRC) — CV 1. On a new hub they wait for the 8.14 (HubCheck's reading: the DCC takes
   whitelist changes for a hub it knows is installed).
4. 8.7.1 to the meter with OtherDeviceID = PPMID (CV 4, critical), then 8.7.2 to the PPMID
   with OtherDeviceID = meter (CV 1): both wait for the PPMID's 8.11 (and the meter's, when it
   is added today), since a device joins only once it is on the hub's whitelist.
5. Checks: 8.2 Read Inventory of the PPMID (CV 8; it reads the DCC's records, so it waits for
   nothing but the remedy) and 11.2 Read Firmware Version on the PPMID (CV 1; it needs the
   PPMID on the whitelist, so it waits for its 8.11).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ParamSpec

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
from app.domain.smets import Generation

METER_TYPES = (DeviceType.ESME, DeviceType.GSME)
P = ParamSpec("P")


class VisitPlanError(DuisFieldError):
    """The visit's inputs do not describe a PPMID + hub + meter install HubCheck can queue."""


class Scenario(StrEnum):
    """Which kind of visit this is (DOMAIN A5): it decides whether 8.14 and the meters' 8.11 are queued."""

    EXISTING_HUB = "existing-hub"
    NEW_HUB = "new-hub"

    def __str__(self) -> str:
        return self.value


#: Hub SMI statuses that mean the hub is new today (A5): it has not been reported installed yet.
NEW_HUB_STATUSES = frozenset({"pending", "whitelisted", "installednotcommissioned"})
#: The hub SMI status that means it was there already.
EXISTING_HUB_STATUSES = frozenset({"commissioned"})


def parse_scenario(text: str) -> Scenario:
    """``existing-hub`` / ``new-hub`` (case and spaces ignored); VisitPlanError names what is allowed."""
    wanted = (text or "").strip().lower().replace(" ", "-").replace("_", "-")
    for scenario in Scenario:
        if scenario.value == wanted:
            return scenario
    allowed = " or ".join(s.value for s in Scenario)
    raise VisitPlanError(f"scenario {text!r} is not known; use {allowed}")


@dataclass(frozen=True, slots=True)
class ScenarioProposal:
    """The scenario the hub's records suggest (None: they do not say), and why, in one sentence."""

    scenario: Scenario | None
    why: str


def propose_scenario(hub_smi_status: str, hub_generation: Generation | None) -> ScenarioProposal:
    """What the hub's SMI status proposes (A5); the installer confirms or changes it.

    A SMETS1 hub is never proposed as new: 8.14 does not apply to it, whatever its status says.
    """
    status = (hub_smi_status or "").strip()
    key = status.lower().replace(" ", "")
    if key in NEW_HUB_STATUSES:
        if hub_generation is Generation.SMETS1:
            return ScenarioProposal(
                Scenario.EXISTING_HUB,
                f"the hub's SMI status is {status}, but it is a SMETS1 hub, which is never fitted as a new DCC "
                "hub (8.14 does not apply): the PPMID joins it as an existing hub",
            )
        return ScenarioProposal(Scenario.NEW_HUB, f"the hub's SMI status is {status}: it is fitted today")
    if key in EXISTING_HUB_STATUSES:
        return ScenarioProposal(Scenario.EXISTING_HUB, f"the hub's SMI status is {status}: it was there already")
    if not status:
        return ScenarioProposal(None, "the job pack and the DCC inventory give no SMI status for the hub")
    return ScenarioProposal(None, f"the hub's SMI status {status} does not say whether it is fitted today")


@dataclass(frozen=True, slots=True)
class NoWanSurvey:
    """The 8.14.2 site survey, given when the hub has no SM WAN."""

    premise_type: PremiseType
    metal_obstruction: bool
    connectivity_obstruction: bool
    shared_obstruction: bool


@dataclass(frozen=True, slots=True)
class CplMoveRemedy:
    """Move a bilingual, still-Pending PPMID to its other CPL entry (DOMAIN A2, tactical remedy).

    Its values are the CPL entry's, looked up by the caller; an installer never types them.
    """

    firmware_version: str
    smets_chts_version: str


@dataclass(frozen=True, slots=True)
class MeterToAdd:
    """A meter of the job whose 8.11 ``Add`` a new hub needs, with the install code the job pack gave."""

    device_id: DeviceId
    install_code: InstallCode


@dataclass(frozen=True, slots=True)
class PlannedStep:
    """One intent of the plan, with the positions (in the plan) of the intents it waits for."""

    intent: Intent
    depends_on: tuple[int, ...] = ()
    #: The back office must approve it before it goes to the DCC (the 8.4 remedy).
    needs_approval: bool = False


def plan_visit_steps(
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
    scenario: Scenario | None = None,
    hub_generation: Generation | None = None,
    meters_to_add: Sequence[MeterToAdd] = (),
    read_firmware: bool = True,
) -> list[PlannedStep]:
    """The steps of one visit, in queue order (see the module docstring).

    ``hub_id`` is the hub's CHF device ID. ``scenario`` decides whether the hub install is
    reported (``new-hub``) or not (``existing-hub``); without it ``report_hub_install`` does
    (the older way of saying the same). ``no_wan`` switches 8.14.1 to 8.14.2;
    ``hub_install_type`` defaults to a new install (8.14.1) or "CHF Install - no SM WAN"
    (8.14.2). ``meters_to_add`` are the job's meters whose 8.11 a new hub needs.
    ``read_firmware=False`` leaves out the 11.2 (a read known to fail). Every value is
    validated by the intents; problems raise a ``DomainInputError`` subclass naming the SRV
    and element.
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
    if scenario is not None:
        report_hub_install = scenario is Scenario.NEW_HUB
    if report_hub_install and hub_generation is Generation.SMETS1:
        raise VisitPlanError(
            "a SMETS1 hub is never fitted as a new DCC hub (8.14 does not apply to it): "
            "record the visit as existing-hub"
        )
    if meters_to_add and not report_hub_install:
        raise VisitPlanError("meters are added to the hub's whitelist (8.11) only when the hub is new today")
    for meter in meters_to_add:
        if meter.device_id in (hub_id, ppmid_id):
            raise VisitPlanError(f"{meter.device_id} is the hub or the PPMID, not a meter to add")

    steps: list[PlannedStep] = []

    def add(intent: Intent, *depends_on: int | None, needs_approval: bool = False) -> int:
        wanted = tuple(sorted({d for d in (*always, *depends_on) if d is not None}))
        steps.append(PlannedStep(intent, wanted, needs_approval))
        return len(steps) - 1

    always: tuple[int, ...] = ()
    if remedy is not None:
        remedy_at = add(
            UpdateDeviceDetails(
                device_id=ppmid_id,
                smets_chts_version=remedy.smets_chts_version or None,
                firmware_version=remedy.firmware_version or None,
            ),
            needs_approval=True,
        )
        always = (remedy_at,)
    hub_at: int | None = None
    if report_hub_install:
        hub_at = add(
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
    meter_added: dict[DeviceId, int] = {}
    for meter in meters_to_add:
        if meter.device_id not in meter_added:
            meter_added[meter.device_id] = add(
                UpdateHanDeviceLog.add(hub_id, meter.device_id, meter.install_code, join_time_period), hub_at
            )
    whitelist_at = add(UpdateHanDeviceLog.add(hub_id, ppmid_id, install_code, join_time_period), hub_at)
    meter_at = meter_added.get(meter_id)
    add(JoinServiceCritical(target_id=meter_id, other_device_id=ppmid_id), whitelist_at, meter_at)
    add(JoinServiceNonCritical(target_id=ppmid_id, other_device_id=meter_id), whitelist_at, meter_at)
    add(ReadInventory.by_device_id(ppmid_id))
    if read_firmware:
        add(ReadFirmwareVersion(target_id=ppmid_id), whitelist_at)
    return steps


def _intents_only(planner: Callable[P, list[PlannedStep]]) -> Callable[P, list[Intent]]:
    def plan(*args: P.args, **kwargs: P.kwargs) -> list[Intent]:
        return [step.intent for step in planner(*args, **kwargs)]

    plan.__doc__ = "The intents for one visit, in queue order: :func:`plan_visit_steps` without the prerequisites."
    return plan


#: The intents alone, for callers that need no prerequisites (same arguments as plan_visit_steps).
plan_visit = _intents_only(plan_visit_steps)


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
