"""Every intent renders to DUIS that validates against v5.4 and matches the DCC's RTDS samples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from app.domain.devices import DeviceType
from app.domain.duis import (
    DCC_ACCESS_CONTROL_BROKER,
    CHFConnectionMethod,
    CHFFaultReason,
    ChfFaultReturn,
    CHFFaultReturnType,
    ChfInstallNoSmWan,
    ChfInstallSuccess,
    CHFInstallType,
    CHFLocation,
    ChfNoFaultReturn,
    CHFNoFaultReturnType,
    CommandVariant,
    DeleteDevice,
    DevicePrenotification,
    DeviceStatusCH,
    DeviceStatusExceptCH,
    DuisSchemaError,
    ESMEVariant,
    Intent,
    JoinServiceCritical,
    JoinServiceNonCritical,
    PremiseType,
    ReadFirmwareVersion,
    ReadInventory,
    RequestIdError,
    UpdateDeviceDetails,
    UpdateDeviceMpxn,
    UpdateDeviceStatus,
    UpdateHanDeviceLog,
    UpdateHubStatus,
    parse_request_id,
)
from app.domain.ids import parse_device_id
from app.domain.install_codes import InstallCode
from tests.duis_helpers import ORIGINATOR, body_names, header_value, schema_for, walk

A0, A1, A2, A4 = (parse_device_id(f"00-DB-12-34-56-78-90-{s}") for s in ("A0", "A1", "A2", "A4"))
SAMPLE_CODE = InstallCode.from_code_hex("30313233343536373839414243444546")
WHEN = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)

# (sample file, the intent HubCheck builds for the same request)
SAMPLES: list[tuple[str, Intent]] = [
    (
        "12.2_DEVICE_PRE_NOTIFICATION_REQUEST_DUIS.XML",
        DevicePrenotification(A0, "AB01", "010A030B", DeviceType.ESME, "SMETS V1.58", "0002012F", ESMEVariant.AD),
    ),
    (
        "8.14.1_COMMUNICATIONS_HUB_STATUS_UPDATE_INSTALL_SUCCESS_REQUEST_DUIS.XML",
        ChfInstallSuccess(device_id=A2, mpxn="1000999888", aerial_install=True, location=CHFLocation.BASEMENT_OR_CELLAR),
    ),
    (
        "8.14.2_COMMUNICATIONS_HUB_STATUS_UPDATE_INSTALL_NO_SM_WAN_REQUEST_DUIS.XML",
        ChfInstallNoSmWan(
            device_id=A2,
            mpxn="1000999888",
            aerial_install=True,
            location=CHFLocation.BASEMENT_OR_CELLAR,
            premise_type=PremiseType.LOW_RISE_APARTMENT,
            metal_obstruction=False,
            connectivity_obstruction=False,
            shared_obstruction=False,
        ),
    ),
    (
        "8.14.3_COMMUNICATIONS_HUB_STATUS_UPDATE_FAULT_RETURN_REQUEST_DUIS.XML",
        ChfFaultReturn(
            device_id=A2,
            fault_return_type=CHFFaultReturnType.PRIOR_TO_INSTALLATION,
            other_device_id=A0,
            connection_method=CHFConnectionMethod.HOT_SHOE,
            fault_reason=CHFFaultReason.DAMAGED_CASE,
        ),
    ),
    (
        "8.14.4_COMMUNICATIONS_HUB_STATUS_UPDATE_NO_FAULT_RETURN_REQUEST_DUIS.XML",
        ChfNoFaultReturn(device_id=A2, no_fault_return_type=CHFNoFaultReturnType.GENERAL),
    ),
    (
        "CCS01_8.11_SUCCESS_REQUEST_DUIS.XML",
        UpdateHanDeviceLog.add(
            A2, A0, SAMPLE_CODE, 90, import_mpxn="1312345678111", secondary_import_mpan="1312345678222"
        ),
    ),
    ("CCS02_8.11_SUCCESS_REQUEST_DUIS.XML", UpdateHanDeviceLog.remove(A2, A0)),
    (
        "CS03A1_8.7.1_SUCCESS_REQUEST_DUIS.XML",
        JoinServiceCritical(target_id=A0, other_device_id=parse_device_id("00-DB-12-34-56-78-90-9A")),
    ),
    (
        "CS03CCritical_8.7.1_SUCCESS_REQUEST_DUIS.XML",
        JoinServiceCritical(target_id=A1, other_device_id=parse_device_id("00-DB-12-34-56-78-90-98")),
    ),
    (
        "CS03A2NonCritical_8.7.2_SUCCESS_REQUEST_DUIS.XML",
        JoinServiceNonCritical(target_id=A4, other_device_id=parse_device_id("00-DB-12-34-56-78-90-93")),
    ),
    (
        "CS03CNonCritical_8.7.2_SUCCESS_REQUEST_DUIS.XML",
        JoinServiceNonCritical(target_id=A4, other_device_id=parse_device_id("00-DB-12-34-56-78-90-94")),
    ),
    ("8.4_UPDATE_INVENTORY_REQUEST_DUIS.XML", DeleteDevice(A0)),
    ("8.2_READ_INVENTORY_REQUEST_DUIS.XML", ReadInventory.by_device_id(A2)),
    ("CS08_11.2_SUCCESS_REQUEST_DUIS.XML", ReadFirmwareVersion(target_id=A4)),
]

# Intents with every optional element filled (no RTDS sample exists for these shapes).
FULL: list[Intent] = [
    DevicePrenotification(
        A4, "10E0", "00090100", DeviceType.PPMID, "SMETS V4.2", "00020002", None, parse_device_id("00-DB-12-34-56-78-90-A3")
    ),
    ChfInstallSuccess(
        device_id=A2,
        mpxn="1234567890123",
        aerial_install=False,
        location=CHFLocation.DEEP_INDOORS,
        install_type=CHFInstallType.REPLACEMENT,
        install_datetime=WHEN,
        user_ref_id="J-000123",
        gis_data="51.5074,-0.1278",
        additional_information="Meter cupboard under the stairs <left> & 'right'",
    ),
    ChfInstallNoSmWan(
        device_id=A2,
        mpxn="1234567890",
        aerial_install=True,
        location=CHFLocation.OUTSIDE_PREMISES,
        premise_type=PremiseType.HIGH_RISE_APARTMENT,
        metal_obstruction=True,
        connectivity_obstruction=True,
        shared_obstruction=False,
        install_datetime=WHEN.astimezone(timezone(timedelta(hours=1))),
        user_ref_id="J-1",
        gis_data="x",
        additional_information="Twelfth floor",
    ),
    ChfFaultReturn(
        device_id=A2,
        fault_return_type=CHFFaultReturnType.POST_INSTALLATION,
        other_device_id=A0,
        connection_method=CHFConnectionMethod.CRADLE,
        fault_reason=CHFFaultReason.SMHAN_INTERFACE_FAULT,
        user_ref_datetime=WHEN,
        user_ref_id="J-2",
        incident_reference="INC-123456789",
        additional_information="LEDs dark",
    ),
    ChfNoFaultReturn(
        device_id=A2,
        no_fault_return_type=CHFNoFaultReturnType.LOST_OR_STOLEN,
        user_ref_datetime=WHEN,
        user_ref_id="J-3",
        incident_reference="CRIME-1",
        additional_information="Reported to police",
    ),
    UpdateHanDeviceLog.add(
        A2,
        A4,
        InstallCode(bytes(range(6))),
        1,
        import_mpxn="1234567890",
        secondary_import_mpan="1312345678222",
        export_mpan="1312345678333",
        execution_datetime=WHEN,
    ),
    UpdateHanDeviceLog.remove(A2, A4, execution_datetime=WHEN),
    UpdateDeviceDetails(A4, "10E0", "00090100", "SMETS1", "00020001", None),
    UpdateDeviceDetails(A0, esme_variant=ESMEVariant.ADEG),
    UpdateDeviceStatus(A4, DeviceStatusExceptCH.PENDING),
    UpdateDeviceStatus(A4, DeviceStatusExceptCH.INSTALLED_NOT_COMMISSIONED),
    UpdateHubStatus(A2, DeviceStatusCH.WITHDRAWN),
    UpdateDeviceMpxn(A0, import_mpxn="1234567890123"),
    UpdateDeviceMpxn(A0, export_mpan="1234567890123"),
    ReadInventory.by_mpxn("1234567890"),
    ReadInventory.by_uprn(123456789012),
    ReadInventory.by_property("M22 0RR", "Flat 3"),
    ReadFirmwareVersion(target_id=A4, execution_datetime=WHEN),
]


def _sample(shared_dir: Path, name: str) -> bytes:
    return (shared_dir / "duis" / "samples" / name).read_bytes()


@pytest.mark.parametrize(("sample", "intent"), SAMPLES, ids=[s for s, _ in SAMPLES])
def test_rendering_matches_the_rtds_sample(shared_dir: Path, duis_xsd: Path, sample: str, intent: Intent) -> None:
    expected = _sample(shared_dir, sample)
    rid = parse_request_id(header_value(expected, "RequestID"))
    xml = intent.render(rid)
    assert schema_for(duis_xsd).validate(xml) == []
    # Same sequence of element local names in the body ...
    assert body_names(xml) == body_names(expected)
    # ... and, built from the same values, the same header and body element by element.
    assert walk(xml, "Header") == walk(expected, "Header")
    assert walk(xml, "Body") == walk(expected, "Body")


@pytest.mark.parametrize("intent", FULL, ids=lambda i: f"{i.srv}-{i.kind}")
def test_fully_populated_intents_validate(duis_xsd: Path, intent: Intent) -> None:
    xml = intent.render(intent.request_id(parse_device_id(ORIGINATOR), 18446744073709551615))
    assert schema_for(duis_xsd).validate(xml) == []


@pytest.mark.parametrize("intent", [i for _, i in SAMPLES] + FULL, ids=lambda i: f"{i.srv}-{i.kind}")
def test_envelope_is_unsigned_v54_with_the_right_target_and_cv(intent: Intent) -> None:
    xml = intent.render(intent.request_id(parse_device_id(ORIGINATOR), 7))
    assert b'schemaVersion="5.4"' in xml
    assert b"Signature" not in xml and b"xmldsig" not in xml
    assert header_value(xml, "RequestID") == f"{ORIGINATOR}:{intent.target}:7"
    assert header_value(xml, "CommandVariant") == str(int(intent.command_variant))
    assert header_value(xml, "ServiceReferenceVariant") == intent.srv
    assert intent.srv.startswith(header_value(xml, "ServiceReference"))


EXPECTED_ROUTING = {
    # srv: (command variant, who the target is)
    "12.2": (CommandVariant.NON_DEVICE, "acb"),
    "8.14.1": (CommandVariant.NON_DEVICE, "acb"),
    "8.14.2": (CommandVariant.NON_DEVICE, "acb"),
    "8.14.3": (CommandVariant.NON_DEVICE, "acb"),
    "8.14.4": (CommandVariant.NON_DEVICE, "acb"),
    "8.4": (CommandVariant.NON_DEVICE, "acb"),
    "8.2": (CommandVariant.NON_DEVICE, "acb"),
    "8.11": (CommandVariant.NON_CRITICAL_WAN, "chf"),
    "8.7.1": (CommandVariant.CRITICAL_TRANSFORM, "device"),
    "8.7.2": (CommandVariant.NON_CRITICAL_WAN, "device"),
    "11.2": (CommandVariant.NON_CRITICAL_WAN, "device"),
}


@pytest.mark.parametrize("intent", [i for _, i in SAMPLES] + FULL, ids=lambda i: f"{i.srv}-{i.kind}")
def test_targets_and_command_variants_follow_domain_a4(intent: Intent) -> None:
    cv, who = EXPECTED_ROUTING[intent.srv]
    assert intent.command_variant is cv
    assert intent.is_critical == (cv is CommandVariant.CRITICAL_TRANSFORM)
    if who == "acb":
        assert intent.target == DCC_ACCESS_CONTROL_BROKER
        assert intent.is_non_device
    elif who == "chf":
        assert isinstance(intent, UpdateHanDeviceLog)
        assert intent.target == intent.chf_id
    else:
        assert isinstance(intent, JoinServiceCritical | JoinServiceNonCritical | ReadFirmwareVersion)
        assert intent.target == intent.target_id


def test_install_code_is_sent_without_its_crc() -> None:
    code = InstallCode.from_code_hex("83FED3407A939723A5C639B26916D505")
    xml = UpdateHanDeviceLog.add(A2, A4, code).render(f"{ORIGINATOR}:{A2}:1")
    assert dict(walk(xml, "Body"))["InstallCode"] == "83FED3407A939723A5C639B26916D505"
    assert code.label_hex.encode() not in xml


def test_utc_datetimes_are_written_with_z() -> None:
    xml = ReadFirmwareVersion(target_id=A4, execution_datetime=WHEN).render(f"{ORIGINATOR}:{A4}:1")
    assert dict(walk(xml, "Body"))["ExecutionDateTime"] == "2026-03-14T09:30:00Z"


def test_render_refuses_a_request_id_for_another_target() -> None:
    with pytest.raises(RequestIdError, match="does not match the 8.7.2 target"):
        JoinServiceNonCritical(target_id=A4, other_device_id=A0).render(f"{ORIGINATOR}:{A0}:1")
    with pytest.raises(RequestIdError, match="not a DUIS RequestID"):
        ReadFirmwareVersion(target_id=A4).render(f"{ORIGINATOR}:{A4}:007")


def test_render_with_schema_checks_and_passes(duis_xsd: Path) -> None:
    xml = ReadInventory.by_device_id(A2).render(f"{ORIGINATOR}:{DCC_ACCESS_CONTROL_BROKER}:1", schema=schema_for(duis_xsd))
    assert b"<sr:ReadInventory>" in xml


def test_render_with_schema_raises_on_an_invalid_document(duis_xsd: Path) -> None:
    class Broken(ReadInventory):
        """A subclass that writes an element DUIS does not know, to prove render() checks."""

        __slots__ = ()

        def _fill_body(self, element):  # type: ignore[no-untyped-def]
            element.text = "not allowed"

    with pytest.raises(DuisSchemaError, match="does not validate") as info:
        Broken(device_id=A2).render(f"{ORIGINATOR}:{DCC_ACCESS_CONTROL_BROKER}:1", schema=schema_for(duis_xsd))
    assert info.value.errors


def test_rendering_is_deterministic() -> None:
    intent = SAMPLES[5][1]
    rid = intent.request_id(parse_device_id(ORIGINATOR), 42)
    assert intent.render(rid) == intent.render(str(rid))
