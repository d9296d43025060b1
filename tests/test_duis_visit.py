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
    NoWanSurvey,
    PremiseType,
    ReadFirmwareVersion,
    ReadInventory,
    UpdateDeviceDetails,
    UpdateHanDeviceLog,
    VisitPlanError,
    intent_from_payload,
    plan_visit,
)
from app.domain.ids import parse_device_id
from app.domain.install_codes import parse_label_install_code
from tests.duis_helpers import ORIGINATOR, schema_for, walk

HUB = parse_device_id("88-73-84-57-00-2F-96-1E")
PPMID = parse_device_id("00-0D-6F-00-00-AB-CD-EF")
ESME = parse_device_id("00-DB-12-34-56-78-90-A0")
LABEL_CODE = "83FED3407A939723A5C639B26916D505C3B5"  # code + little-endian CRC, as printed


def _plan(**changes: Any) -> list[Intent]:
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
    return plan_visit(**values)


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


def test_remedy_goes_before_the_whitelist_while_the_ppmid_is_pending() -> None:
    plan = _plan(remedy=CplMoveRemedy(firmware_version="00020001", smets_chts_version="SMETS1"))
    assert [i.srv for i in plan] == ["8.14.1", "8.4", "8.11", "8.7.1", "8.7.2", "8.2", "11.2"]
    remedy = plan[1]
    assert isinstance(remedy, UpdateDeviceDetails)
    assert (remedy.device_id, remedy.firmware_version, remedy.smets_chts_version) == (PPMID, "00020001", "SMETS1")
    assert remedy.manufacturer is None and remedy.model is None


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
