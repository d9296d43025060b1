"""Invalid values are refused before anything is queued, each with a message naming SRV and element."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from app.domain.devices import DeviceType
from app.domain.duis import (
    ChfFaultReturn,
    ChfInstallSuccess,
    CHFInstallType,
    CHFLocation,
    ChfNoFaultReturn,
    DevicePrenotification,
    DuisFieldError,
    ESMEVariant,
    HANLogRequestType,
    JoinServiceCritical,
    JoinServiceNonCritical,
    ReadFirmwareVersion,
    ReadInventory,
    RequestId,
    RequestIdError,
    UpdateDeviceDetails,
    UpdateDeviceMpxn,
    UpdateDeviceStatus,
    UpdateHanDeviceLog,
    parse_request_id,
)
from app.domain.errors import DomainInputError
from app.domain.ids import parse_device_id
from app.domain.install_codes import InstallCode, InstallCodeError
from tests.duis_helpers import ORIGINATOR, schema_for

A0, A2, A4 = (parse_device_id(f"00-DB-12-34-56-78-90-{s}") for s in ("A0", "A2", "A4"))
CODE = InstallCode.from_code_hex("30313233343536373839414243444546")


def _prenote(**changes: object) -> DevicePrenotification:
    values: dict[str, object] = {
        "device_id": A4,
        "manufacturer": "10E0",
        "model": "00090100",
        "device_type": DeviceType.PPMID,
        "smets_chts_version": "SMETS V4.2",
        "firmware_version": "00020002",
    }
    values.update(changes)
    return DevicePrenotification(**values)  # type: ignore[arg-type]


def _hub(**changes: object) -> ChfInstallSuccess:
    values: dict[str, object] = {
        "device_id": A2,
        "mpxn": "1234567890123",
        "aerial_install": False,
        "location": CHFLocation.DEEP_INDOORS,
    }
    values.update(changes)
    return ChfInstallSuccess(**values)  # type: ignore[arg-type]


def _add(**changes: object) -> UpdateHanDeviceLog:
    values: dict[str, object] = {
        "chf_id": A2,
        "device_id": A4,
        "request_type": HANLogRequestType.ADD,
        "join_time_period": 3600,
        "install_code": CODE,
    }
    values.update(changes)
    return UpdateHanDeviceLog(**values)  # type: ignore[arg-type]


REFUSED: list[tuple[str, Callable[[], object], str]] = [
    # install codes: the label form (code + CRC = 18 bytes) is not what DUIS carries
    ("18-byte install code", lambda: _add(install_code="30313233343536373839414243444546F596"), r"8\.11 InstallCode.*18.*without its 2-byte CRC"),
    ("5-byte install code", lambda: _add(install_code="3031323334"), r"8\.11 InstallCode"),
    ("7-byte install code", lambda: _add(install_code="30313233343536"), r"8\.11 InstallCode.*6, 8, 12 or 16"),
    ("non-hex install code", lambda: _add(install_code="ZZ313233343536373839414243444546"), r"8\.11 InstallCode"),
    # join window
    ("JoinTimePeriod 0", lambda: _add(join_time_period=0), r"8\.11 JoinTimePeriod must be 1 to 3600 seconds; got 0"),
    ("JoinTimePeriod 3601", lambda: _add(join_time_period=3601), r"8\.11 JoinTimePeriod must be 1 to 3600"),
    ("JoinTimePeriod negative", lambda: _add(join_time_period=-5), r"8\.11 JoinTimePeriod"),
    ("JoinTimePeriod bool", lambda: _add(join_time_period=True), r"8\.11 JoinTimePeriod must be a whole number"),
    ("JoinTimePeriod text", lambda: _add(join_time_period="90"), r"8\.11 JoinTimePeriod must be a whole number"),
    ("Add without install code", lambda: _add(install_code=None), r"8\.11 Add needs an install code"),
    ("Remove with install code", lambda: UpdateHanDeviceLog(A2, A4, HANLogRequestType.REMOVE, None, CODE), r"8\.11 Remove carries no whitelist"),
    ("8.11 device is the CHF", lambda: _add(device_id=A2), r"8\.11.*same device"),
    ("8.11 bad RequestType", lambda: _add(request_type="add"), r"8\.11 RequestType.*'Add', 'Remove'"),
    # MPxN / MPAN
    ("MPAN of 12 digits", lambda: _add(secondary_import_mpan="131234567822"), r"8\.11 SecondaryImportMPAN must be an MPAN of exactly 13 digits; this one has 12"),
    ("MPAN of 14 digits", lambda: _add(export_mpan="13123456782220"), r"8\.11 ExportMPAN.*at most 13"),
    ("MPAN with letters", lambda: _add(export_mpan="13123456782AB"), r"8\.11 ExportMPAN must be digits only"),
    ("MPxN too long", lambda: _hub(mpxn="12345678901234"), r"8\.14\.1 MPxN has 14 characters; DUIS allows at most 13"),
    ("MPxN empty", lambda: _hub(mpxn="  "), r"8\.14\.1 MPxN is empty"),
    ("8.4 UpdateMPxN export 12", lambda: UpdateDeviceMpxn(A0, export_mpan="123456789012"), r"8\.4 ExportMPAN.*13 digits"),
    # device types
    ("SAPC device type", lambda: _prenote(device_type=DeviceType.SAPC), r"12\.2 DeviceType: SAPC is not a DUIS device type"),
    ("SAPC as text", lambda: _prenote(device_type="SAPC"), r"12\.2 DeviceType: SAPC is not a DUIS device type"),
    ("unknown device type", lambda: _prenote(device_type="ALCS"), r"12\.2 DeviceType: 'ALCS' is not a DUIS value"),
    ("ESMEVariant on a PPMID", lambda: _prenote(esme_variant=ESMEVariant.A), r"12\.2 ESMEVariant only applies to an ESME"),
    # XSD max lengths
    ("manufacturer 31", lambda: _prenote(manufacturer="M" * 31), r"12\.2 DeviceManufacturer has 31 characters; DUIS allows at most 30"),
    ("model 31", lambda: _prenote(model="M" * 31), r"12\.2 DeviceModel has 31"),
    ("SMETSCHTSVersion 28", lambda: _prenote(smets_chts_version="SMETS V4.2 with a long suffix"), r"12\.2 SMETSCHTSVersion has \d+ characters; DUIS allows at most 20"),
    ("firmware 9", lambda: _prenote(firmware_version="000200021"), r"12\.2 FirmwareVersion has 9 characters; DUIS allows at most 8"),
    ("empty manufacturer", lambda: _prenote(manufacturer=""), r"12\.2 DeviceManufacturer is empty"),
    ("control character", lambda: _prenote(model="AB\x01CD"), r"12\.2 DeviceModel contains a control character"),
    ("UserRefID 26", lambda: _hub(user_ref_id="J" * 26), r"8\.14\.1 UserRefID has 26"),
    ("GISData 26", lambda: _hub(gis_data="G" * 26), r"8\.14\.1 GISData has 26"),
    ("AdditionalInformation 201", lambda: _hub(additional_information="x" * 201), r"8\.14\.1 AdditionalInformation has 201"),
    ("IncidentReference 16", lambda: ChfNoFaultReturn(A2, "No Fault Return (general)", incident_reference="I" * 16), r"8\.14\.4 IncidentReference has 16"),  # type: ignore[arg-type]
    ("PostCode 5", lambda: ReadInventory.by_property("M220R", "1"), r"8\.2 PostCode has 5 characters; DUIS needs at least 6"),
    ("PostCode 9", lambda: ReadInventory.by_property("M22 0RR XX", "1"), r"8\.2 PostCode has \d+ characters; DUIS allows at most 8"),
    ("AddressIdentifier 31", lambda: ReadInventory.by_property("M22 0RR", "A" * 31), r"8\.2 AddressIdentifier has 31"),
    ("UPRN 13 digits", lambda: ReadInventory.by_uprn(1_000_000_000_000), r"8\.2 UPRN must be 1 to 999999999999"),
    ("UPRN 0", lambda: ReadInventory.by_uprn(0), r"8\.2 UPRN must be 1 to"),
    # EUIs
    ("15-digit EUI", lambda: _prenote(device_id="00DB1234567890A"), r"12\.2 DeviceID: .*15 hex digits"),
    ("non-hex EUI", lambda: ReadFirmwareVersion(target_id="00-DB-12-34-56-78-90-ZZ"), r"11\.2 target device: .*not hex"),  # type: ignore[arg-type]
    ("EUI wrong type", lambda: JoinServiceCritical(target_id=A0, other_device_id=1234), r"8\.7\.1 OtherDeviceID must be a device ID"),  # type: ignore[arg-type]
    ("join to itself", lambda: JoinServiceNonCritical(target_id=A4, other_device_id=A4), r"8\.7\.2.*same device"),
    ("bad OtherDeviceID 8.14.3", lambda: ChfFaultReturn(A2, "Fault identified post installation", "nope", "Cradle", "LED Fault"), r"8\.14\.3 OtherDeviceID"),  # type: ignore[arg-type]
    # enumerations: exact XSD spelling only
    ("CHFLocation case", lambda: _hub(location="Basement or cellar"), r"8\.14\.1 CHFLocation: 'Basement or cellar' is not a DUIS value"),
    ("8.14.1 with no-WAN install type", lambda: _hub(install_type=CHFInstallType.NO_SM_WAN), r"8\.14\.1 CHFInstallType.*use 8\.14\.2"),
    ("AerialInstall as text", lambda: _hub(aerial_install="yes"), r"8\.14\.1 AerialInstall must be true or false"),
    ("CHFFaultReason spelling", lambda: ChfFaultReturn(A2, "Fault identified post installation", A0, "Hot-Shoe", "LED Fault"), r"8\.14\.3 CHFConnectionMethod: 'Hot-Shoe'"),  # type: ignore[arg-type]
    ("status not allowed except CH", lambda: UpdateDeviceStatus(A4, "Commissioned"), r"8\.4 UpdateDeviceStatusExceptCH: 'Commissioned' is not a DUIS value"),  # type: ignore[arg-type]
    # date-times
    ("naive datetime", lambda: _hub(install_datetime=datetime(2026, 1, 1, 9, 0)), r"8\.14\.1 InstallDateTime must carry a time zone"),
    ("bad ISO text", lambda: _hub(install_datetime="yesterday"), r"8\.14\.1 InstallDateTime: 'yesterday' is not an ISO 8601"),
    # choices
    ("ReadInventory with nothing", lambda: ReadInventory(), r"8\.2 ReadInventory searches by exactly one.*got 0"),
    ("ReadInventory with two", lambda: ReadInventory(device_id=A4, uprn=5), r"8\.2 ReadInventory searches by exactly one.*got 2"),
    ("PropertyFilter half", lambda: ReadInventory(postcode="M22 0RR"), r"8\.2 PropertyFilter needs both"),
    ("UpdateDeviceDetails empty", lambda: UpdateDeviceDetails(A4), r"8\.4 UpdateDeviceDetails changes nothing"),
    ("UpdateMPxN two", lambda: UpdateDeviceMpxn(A0, import_mpxn="1", export_mpan="1234567890123"), r"8\.4 UpdateMPxN changes exactly one"),
]


@pytest.mark.parametrize(("label", "build", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_invalid_values_are_refused_with_a_clear_message(label: str, build: Callable[[], object], message: str) -> None:
    with pytest.raises(DuisFieldError, match=message) as info:
        build()
    assert isinstance(info.value, DomainInputError)


def test_an_18_byte_install_code_cannot_even_become_an_install_code() -> None:
    with pytest.raises(InstallCodeError, match="6, 8, 12 or 16 bytes; this one has 18"):
        InstallCode(bytes(18))


def test_error_messages_do_not_echo_install_codes() -> None:
    secret = "30313233343536373839414243444546F596"
    with pytest.raises(DuisFieldError) as info:
        _add(install_code=secret)
    assert secret not in str(info.value)


def test_install_codes_and_mpxns_stay_out_of_repr() -> None:
    text = repr(_add(import_mpxn="1312345678111")) + repr(_hub()) + repr(ReadInventory.by_mpxn("9876543210"))
    assert CODE.code_hex not in text
    assert "1312345678111" not in text and "1234567890123" not in text and "9876543210" not in text


def test_values_are_normalised() -> None:
    intent = _prenote(device_id="00db1234567890a4", manufacturer=" 10E0 ", device_type="PPMID")
    assert intent.device_id == A4
    assert intent.manufacturer == "10E0"
    assert intent.device_type is DeviceType.PPMID
    assert _hub(location="Deep indoors").location is CHFLocation.DEEP_INDOORS


@pytest.mark.parametrize("seconds", [1, 90, 3600])
def test_join_time_period_bounds_accepted(seconds: int) -> None:
    assert _add(join_time_period=seconds).join_time_period == seconds


@pytest.mark.parametrize("size", [6, 8, 12, 16])
def test_every_zigbee_code_length_is_accepted(size: int) -> None:
    assert _add(install_code=bytes(range(size)).hex()).install_code == InstallCode(bytes(range(size)))


# --- RequestID -----------------------------------------------------------------------------------


def test_request_id_round_trip_and_response_id() -> None:
    rid = parse_request_id("90-b3-d5-1f-30-01-00-00:88-73-84-57-00-2f-96-1e:1660751141087")
    assert str(rid) == "90-B3-D5-1F-30-01-00-00:88-73-84-57-00-2F-96-1E:1660751141087"
    assert rid.response_id == "88-73-84-57-00-2F-96-1E:90-B3-D5-1F-30-01-00-00:1660751141087"
    assert parse_request_id(f"{ORIGINATOR}:{A4}:18446744073709551615").counter == 2**64 - 1


@pytest.mark.parametrize(
    "text",
    [
        f"{ORIGINATOR}:{A4}:0123",  # leading zero
        f"{ORIGINATOR}:{A4}:-1",
        f"{ORIGINATOR}:{A4}:",
        f"{ORIGINATOR}:{A4}",
        f"90B3D51F30010000:{A4}:1",  # EUIs must be dashed in DUIS
        f"{ORIGINATOR}:{A4}:1:2",
    ],
)
def test_malformed_request_ids_are_refused(text: str) -> None:
    with pytest.raises(RequestIdError, match="not a DUIS RequestID"):
        parse_request_id(text)


@pytest.mark.parametrize("counter", [-1, 2**64, True, 1.5])
def test_request_id_counter_must_be_uint64(counter: object) -> None:
    with pytest.raises(RequestIdError, match="counter"):
        RequestId(parse_device_id(ORIGINATOR), A4, counter)  # type: ignore[arg-type]


def test_counter_above_uint64_is_refused_when_parsed() -> None:
    with pytest.raises(RequestIdError, match="uint64"):
        parse_request_id(f"{ORIGINATOR}:{A4}:18446744073709551616")


# --- XSD-level negatives: the schema itself catches what a broken renderer would emit ----------


def _valid_8_11() -> bytes:
    return _add(join_time_period=90).render(f"{ORIGINATOR}:{A2}:1")


@pytest.mark.parametrize(
    ("label", "mutate", "fragment"),
    [
        ("InstallCode with CRC (18 octets)", lambda x: x.replace(CODE.code_hex.encode(), CODE.label_hex.encode()), "InstallCode"),
        ("InstallCode of 5 octets", lambda x: x.replace(CODE.code_hex.encode(), b"3031323334"), "InstallCode"),
        ("JoinTimePeriod 3601", lambda x: x.replace(b">90<", b">3601<"), "JoinTimePeriod"),
        ("JoinTimePeriod 0", lambda x: x.replace(b">90<", b">0<"), "JoinTimePeriod"),
        ("undashed DeviceID", lambda x: x.replace(b">00-DB-12-34-56-78-90-A4<", b">00DB1234567890A4<"), "DeviceID"),
        ("counter with leading zero", lambda x: x.replace(b"-A2:1<", b"-A2:01<"), "RequestID"),
        ("CommandVariant 10", lambda x: x.replace(b">1</sr:CommandVariant", b">10</sr:CommandVariant"), "CommandVariant"),
        ("RequestType lower case", lambda x: x.replace(b">Add<", b">add<"), "RequestType"),
        ("elements out of order", lambda x: x.replace(b"<sr:RequestType>Add</sr:RequestType>", b"").replace(b"</sr:UpdateHANDeviceLog>", b"<sr:RequestType>Add</sr:RequestType></sr:UpdateHANDeviceLog>"), "RequestType"),
    ],
)
def test_schema_refuses_broken_documents(duis_xsd: Path, label: str, mutate: Callable[[bytes], bytes], fragment: str) -> None:
    valid = _valid_8_11()
    schema = schema_for(duis_xsd)
    assert schema.validate(valid) == []
    broken = mutate(valid)
    assert broken != valid, "the mutation did not apply"
    errors = schema.validate(broken)
    assert errors, label
    assert any(fragment in e for e in errors), errors


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        (b">PPMID<", b">SAPC<", "DeviceType"),
        (b">SMETS V4.2<", b">SMETS V4.2 with a long suffix<", "SMETSCHTSVersion"),
        (b">00020002<", b">000200021<", "FirmwareVersion"),
    ],
)
def test_schema_refuses_12_2_values_the_python_checks_also_refuse(
    duis_xsd: Path, old: bytes, new: bytes, fragment: str
) -> None:
    valid = _prenote().render(f"{ORIGINATOR}:90-B3-D5-1F-30-00-00-02:1")
    schema = schema_for(duis_xsd)
    assert schema.validate(valid) == []
    errors = schema.validate(valid.replace(old, new))
    assert any(fragment in e for e in errors), errors


def test_schema_reports_non_xml_and_doctype(duis_xsd: Path) -> None:
    schema = schema_for(duis_xsd)
    assert schema.validate(b"<sr:Request")[0].startswith("not well-formed XML")
    assert schema.validate(b'<!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>')[0].startswith("refused")
    assert not schema.is_valid(b"<r/>")
