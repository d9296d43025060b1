"""plan_visit: the Service Requests one PPMID + hub + meter install queues (DOMAIN A4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.domain.devices import DeviceType
from app.domain.duis import (
    DCC_ACCESS_CONTROL_BROKER,
    ChfInstallNoSmWan,
    ChfInstallSuccess,
    CHFInstallType,
    CHFLocation,
    CommandVariant,
    CplMoveRemedy,
    DuisFieldError,
    Intent,
    JoinServiceCritical,
    JoinServiceNonCritical,
    MeterToAdd,
    NoWanSurvey,
    PremiseType,
    ReadFirmwareVersion,
    ReadInventory,
    Scenario,
    UpdateDeviceDetails,
    UpdateHanDeviceLog,
    VisitPlanError,
    intent_from_payload,
    parse_scenario,
    plan_visit,
    plan_visit_steps,
    propose_scenario,
)
from app.domain.ids import parse_device_id
from app.domain.install_codes import parse_label_install_code
from app.domain.smets import Generation
from tests.duis_helpers import ORIGINATOR, schema_for, walk

HUB = parse_device_id("88-73-84-57-00-2F-96-1E")
PPMID = parse_device_id("00-0D-6F-00-00-AB-CD-EF")
ESME = parse_device_id("00-DB-12-34-56-78-90-A0")
LABEL_CODE = "83FED3407A939723A5C639B26916D505C3B5"  # code + little-endian CRC, as printed


def _values(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "hub_id": HUB,
        "ppmid_id": PPMID,
        "install_code": parse_label_install_code(LABEL_CODE),
        "meter_id": ESME,
        "meter_type": DeviceType.ESME,
        "mpxn": "1234567890123",
        "hub_location": CHFLocation.INDOORS_EXTERNAL_WALL,
        "aerial_install": False,
    }
    values.update(changes)
    return values


def _plan(**changes: Any) -> list[Intent]:
    return plan_visit(**_values(**changes))


def test_standard_visit_sequence_targets_and_variants() -> None:
    plan = _plan()
    assert [i.srv for i in plan] == ["8.14.1", "8.11", "8.7.1", "8.7.2", "8.2", "11.2"]
    hub, whitelist, critical, non_critical, inventory, firmware = plan

    assert isinstance(hub, ChfInstallSuccess)
    assert hub.device_id == HUB and hub.install_type is CHFInstallType.NEW
    assert (hub.target, hub.command_variant) == (DCC_ACCESS_CONTROL_BROKER, CommandVariant.NON_DEVICE)

    assert isinstance(whitelist, UpdateHanDeviceLog)
    assert (whitelist.target, whitelist.device_id, whitelist.command_variant) == (HUB, PPMID, CommandVariant.NON_CRITICAL_WAN)
    assert whitelist.join_time_period == 3600
    assert whitelist.install_code is not None
    assert whitelist.install_code.code_hex == LABEL_CODE[:-4]  # the CRC stays on the label

    assert isinstance(critical, JoinServiceCritical)
    assert (critical.target, critical.other_device_id) == (ESME, PPMID)
    assert critical.command_variant is CommandVariant.CRITICAL_TRANSFORM and critical.is_critical

    assert isinstance(non_critical, JoinServiceNonCritical)
    assert (non_critical.target, non_critical.other_device_id) == (PPMID, ESME)
    assert non_critical.command_variant is CommandVariant.NON_CRITICAL_WAN

    assert isinstance(inventory, ReadInventory)
    assert (inventory.device_id, inventory.target) == (PPMID, DCC_ACCESS_CONTROL_BROKER)
    assert isinstance(firmware, ReadFirmwareVersion)
    assert (firmware.target, firmware.command_variant) == (PPMID, CommandVariant.NON_CRITICAL_WAN)


def test_no_sm_wan_uses_8_14_2_with_the_survey() -> None:
    survey = NoWanSurvey(PremiseType.TERRACED, metal_obstruction=True, connectivity_obstruction=False, shared_obstruction=False)
    hub = _plan(no_wan=survey, aerial_install=True)[0]
    assert isinstance(hub, ChfInstallNoSmWan) and hub.srv == "8.14.2"
    assert hub.install_type is CHFInstallType.NO_SM_WAN
    assert (hub.premise_type, hub.metal_obstruction, hub.aerial_install) == (PremiseType.TERRACED, True, True)


def test_gas_meter_join() -> None:
    gsme = parse_device_id("00-DB-12-34-56-78-90-A1")
    plan = _plan(meter_id=gsme, meter_type=DeviceType.GSME)
    joins = [i for i in plan if isinstance(i, JoinServiceCritical | JoinServiceNonCritical)]
    assert [(j.srv, j.target, j.other_device_id) for j in joins] == [("8.7.1", gsme, PPMID), ("8.7.2", PPMID, gsme)]


def test_the_remedy_goes_first_and_everything_waits_for_it() -> None:
    """A5: everything of the visit waits for an 8.4 remedy, which waits for the back office's approval."""
    steps = plan_visit_steps(**_values(remedy=CplMoveRemedy(firmware_version="00020001", smets_chts_version="SMETS1")))
    assert [s.intent.srv for s in steps] == ["8.4", "8.14.1", "8.11", "8.7.1", "8.7.2", "8.2", "11.2"]
    remedy = steps[0].intent
    assert isinstance(remedy, UpdateDeviceDetails)
    assert (remedy.device_id, remedy.firmware_version, remedy.smets_chts_version) == (PPMID, "00020001", "SMETS1")
    assert remedy.manufacturer is None and remedy.model is None
    assert steps[0].needs_approval and steps[0].depends_on == ()
    assert all(0 in s.depends_on for s in steps[1:])
    assert not any(s.needs_approval for s in steps[1:])


def test_hub_fitted_earlier_and_shorter_join_window() -> None:
    plan = _plan(report_hub_install=False, join_time_period=600)
    assert [i.srv for i in plan] == ["8.11", "8.7.1", "8.7.2", "8.2", "11.2"]
    assert isinstance(plan[0], UpdateHanDeviceLog) and plan[0].join_time_period == 600


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"meter_type": DeviceType.PPMID}, "joins an ESME or a GSME"),
        ({"meter_type": DeviceType.SAPC}, "joins an ESME or a GSME"),
        ({"meter_id": PPMID}, "the PPMID and the meter have the same device ID"),
        ({"ppmid_id": HUB}, "the hub \\(CHF\\) and the PPMID have the same device ID"),
        ({"join_time_period": 0}, "8.11 JoinTimePeriod must be 1 to 3600"),
        ({"join_time_period": 7200}, "8.11 JoinTimePeriod must be 1 to 3600"),
        ({"mpxn": "12345678901234"}, "8.14.1 MPxN has 14 characters"),
        ({"remedy": CplMoveRemedy(firmware_version="000200010", smets_chts_version="SMETS1")}, "8.4 FirmwareVersion has 9"),
        ({"hub_install_type": CHFInstallType.NO_SM_WAN}, "use 8.14.2"),
    ],
)
def test_bad_visit_inputs_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(DuisFieldError, match=message):
        _plan(**changes)


def test_visit_plan_error_is_a_domain_input_error() -> None:
    with pytest.raises(VisitPlanError):
        _plan(meter_type=DeviceType.IHD)


def test_every_planned_intent_renders_valid_duis_and_round_trips(duis_xsd: Path) -> None:
    survey = NoWanSurvey(PremiseType.DETACHED_OR_SEMI, False, False, True)
    plan = _plan(no_wan=survey, remedy=CplMoveRemedy("00020002", "SMETS V4.2"))
    originator = parse_device_id(ORIGINATOR)
    for counter, intent in enumerate(plan, start=1000):
        xml = intent.render(intent.request_id(originator, counter))
        assert schema_for(duis_xsd).validate(xml) == [], intent.srv
        assert intent_from_payload(intent.to_payload()) == intent
    whitelist_xml = plan[2].render(plan[2].request_id(originator, 1))
    assert dict(walk(whitelist_xml, "Body"))["InstallCode"] == LABEL_CODE[:-4]


GSME = parse_device_id("00-DB-12-34-56-78-90-A1")
METER_CODE = parse_label_install_code("0123456789ABCDEF00112233445566775464")


def _srvs_and_targets(steps: list[Any]) -> list[tuple[str, str]]:
    return [(s.intent.srv, str(s.intent.target)) for s in steps]


def test_existing_hub_queues_no_8_14_and_the_joins_wait_for_the_whitelist() -> None:
    steps = plan_visit_steps(**_values(scenario=Scenario.EXISTING_HUB, hub_generation=Generation.SMETS1))
    broker = str(DCC_ACCESS_CONTROL_BROKER)
    assert _srvs_and_targets(steps) == [
        ("8.11", str(HUB)), ("8.7.1", str(ESME)), ("8.7.2", str(PPMID)), ("8.2", broker), ("11.2", str(PPMID)),
    ]
    assert [s.depends_on for s in steps] == [(), (0,), (0,), (), (0,)]
    assert not any(s.needs_approval for s in steps)


def test_new_hub_adds_each_meter_and_the_ppmid_after_the_8_14() -> None:
    meters = [MeterToAdd(ESME, METER_CODE), MeterToAdd(GSME, METER_CODE)]
    steps = plan_visit_steps(**_values(scenario=Scenario.NEW_HUB, hub_generation=Generation.SMETS2_PLUS,
                                       meters_to_add=meters))
    broker = str(DCC_ACCESS_CONTROL_BROKER)
    assert _srvs_and_targets(steps) == [
        ("8.14.1", broker), ("8.11", str(HUB)), ("8.11", str(HUB)), ("8.11", str(HUB)),
        ("8.7.1", str(ESME)), ("8.7.2", str(PPMID)), ("8.2", broker), ("11.2", str(PPMID)),
    ]
    added = [s.intent for s in steps[1:4]]
    assert [a.device_id for a in added] == [ESME, GSME, PPMID]  # type: ignore[attr-defined]
    assert added[0].install_code.code_hex == METER_CODE.code_hex  # type: ignore[attr-defined]
    # 8.11s wait for the 8.14; the joins for the PPMID's and the joined meter's 8.11 (not the GSME's).
    assert [s.depends_on for s in steps] == [(), (0,), (0,), (0,), (1, 3), (1, 3), (), (3,)]


def test_a_smets1_hub_is_never_a_new_hub() -> None:
    with pytest.raises(VisitPlanError, match="SMETS1 hub is never fitted as a new DCC hub"):
        plan_visit_steps(**_values(scenario=Scenario.NEW_HUB, hub_generation=Generation.SMETS1))
    with pytest.raises(VisitPlanError, match="only when the hub is new today"):
        plan_visit_steps(**_values(scenario=Scenario.EXISTING_HUB, meters_to_add=[MeterToAdd(ESME, METER_CODE)]))


def test_no_firmware_read_when_it_is_known_to_fail() -> None:
    steps = plan_visit_steps(**_values(scenario=Scenario.EXISTING_HUB, read_firmware=False))
    assert [s.intent.srv for s in steps] == ["8.11", "8.7.1", "8.7.2", "8.2"]


@pytest.mark.parametrize(
    ("status", "generation", "expected", "why"),
    [
        ("Commissioned", Generation.SMETS2_PLUS, Scenario.EXISTING_HUB, "it was there already"),
        ("Commissioned", Generation.SMETS1, Scenario.EXISTING_HUB, "it was there already"),
        ("Pending", Generation.SMETS2_PLUS, Scenario.NEW_HUB, "fitted today"),
        ("Whitelisted", None, Scenario.NEW_HUB, "fitted today"),
        (" InstalledNotCommissioned ", Generation.SMETS2_PLUS, Scenario.NEW_HUB, "fitted today"),
        ("InstalledNotCommissioned", Generation.SMETS1, Scenario.EXISTING_HUB, "SMETS1 hub"),
        ("", Generation.SMETS2_PLUS, None, "no SMI status"),
        ("Suspended", Generation.SMETS2_PLUS, None, "does not say"),
    ],
)
def test_the_hub_smi_status_proposes_the_scenario(
    status: str, generation: Generation | None, expected: Scenario | None, why: str
) -> None:
    proposal = propose_scenario(status, generation)
    assert proposal.scenario is expected
    assert why in proposal.why


def test_scenario_names() -> None:
    assert parse_scenario(" New-Hub ") is Scenario.NEW_HUB
    assert parse_scenario("existing_hub") is Scenario.EXISTING_HUB
    with pytest.raises(VisitPlanError, match="scenario 'old-hub' is not known; use existing-hub or new-hub"):
        parse_scenario("old-hub")


def test_a_new_hub_plan_with_a_remedy_renders_valid_duis(duis_xsd: Path) -> None:
    steps = plan_visit_steps(**_values(scenario=Scenario.NEW_HUB, meters_to_add=[MeterToAdd(ESME, METER_CODE)],
                                       remedy=CplMoveRemedy("00020002", "SMETS V4.2")))
    assert [s.intent.srv for s in steps] == ["8.4", "8.14.1", "8.11", "8.11", "8.7.1", "8.7.2", "8.2", "11.2"]
    originator = parse_device_id(ORIGINATOR)
    for counter, step in enumerate(steps, start=2000):
        xml = step.intent.render(step.intent.request_id(originator, counter))
        assert schema_for(duis_xsd).validate(xml) == [], step.intent.srv
        assert intent_from_payload(step.intent.to_payload()) == step.intent
