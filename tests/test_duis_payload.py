"""Intents survive the outbox and the wire: to_payload() → JSON → intent_from_payload() is lossless.

The hypothesis strategies generate any value the constructors accept; the same intents
must also render to schema-valid DUIS, which proves the Python checks are never looser
than the XSD for the fields HubCheck fills.
"""

from __future__ import annotations

import json
from datetime import UTC, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.devices import DeviceType
from app.domain.duis import (
    INTENT_CLASSES,
    PAYLOAD_FORMAT,
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
    DeleteDevice,
    DevicePrenotification,
    DeviceStatusCH,
    DeviceStatusExceptCH,
    ESMEVariant,
    Intent,
    IntentPayloadError,
    JoinServiceCritical,
    JoinServiceNonCritical,
    PremiseType,
    ReadFirmwareVersion,
    ReadInventory,
    UpdateDeviceDetails,
    UpdateDeviceMpxn,
    UpdateDeviceStatus,
    UpdateHanDeviceLog,
    UpdateHubStatus,
    intent_from_payload,
)
from app.domain.ids import DeviceId, parse_device_id
from app.domain.install_codes import InstallCode
from tests.duis_helpers import ORIGINATOR, schema_for

# --- strategies ---------------------------------------------------------------------------------

device_ids = st.binary(min_size=8, max_size=8).map(lambda b: parse_device_id(b.hex()))
# Any character XML can carry (no controls, surrogates or non-characters), trimmed as the intents trim.
_chars = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn"))


def texts(max_len: int, min_len: int = 1) -> st.SearchStrategy[str]:
    return (
        st.text(_chars, min_size=min_len, max_size=max_len)
        .map(str.strip)
        .filter(lambda s: min_len <= len(s) <= max_len)
    )


def opt(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


mpxns = st.from_regex(r"\A[0-9]{1,13}\Z")
mpans = st.from_regex(r"\A[0-9]{13}\Z")
install_codes = st.sampled_from([6, 8, 12, 16]).flatmap(lambda n: st.binary(min_size=n, max_size=n)).map(InstallCode)
datetimes = st.datetimes(
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5, minutes=-30))])
)
duis_types = st.sampled_from([t for t in DeviceType if t.duis_allowed])


@st.composite
def prenotifications(draw: st.DrawFn) -> DevicePrenotification:
    device_type = draw(duis_types)
    return DevicePrenotification(
        device_id=draw(device_ids),
        manufacturer=draw(texts(30)),
        model=draw(texts(30)),
        device_type=device_type,
        smets_chts_version=draw(opt(texts(20))),
        firmware_version=draw(opt(texts(8))),
        esme_variant=draw(opt(st.sampled_from(ESMEVariant))) if device_type is DeviceType.ESME else None,
        associated_gpf_device_id=draw(opt(device_ids)),
    )


_hub_common = {
    "device_id": device_ids,
    "mpxn": mpxns,
    "aerial_install": st.booleans(),
    "location": st.sampled_from(CHFLocation),
    "install_datetime": opt(datetimes),
    "user_ref_id": opt(texts(25)),
    "gis_data": opt(texts(25)),
    "additional_information": opt(texts(200)),
}


@st.composite
def han_log_updates(draw: st.DrawFn) -> UpdateHanDeviceLog:
    chf, device = draw(st.lists(device_ids, min_size=2, max_size=2, unique=True))
    when = draw(opt(datetimes))
    if draw(st.booleans()):
        return UpdateHanDeviceLog.remove(chf, device, execution_datetime=when)
    return UpdateHanDeviceLog.add(
        chf,
        device,
        draw(install_codes),
        draw(st.integers(1, 3600)),
        import_mpxn=draw(opt(mpxns)),
        secondary_import_mpan=draw(opt(mpans)),
        export_mpan=draw(opt(mpans)),
        execution_datetime=when,
    )


@st.composite
def joins(draw: st.DrawFn) -> Intent:
    target, other = draw(st.lists(device_ids, min_size=2, max_size=2, unique=True))
    cls = draw(st.sampled_from([JoinServiceCritical, JoinServiceNonCritical]))
    return cls(target_id=target, other_device_id=other)


@st.composite
def device_details(draw: st.DrawFn) -> UpdateDeviceDetails:
    values = {
        "manufacturer": draw(opt(texts(30))),
        "model": draw(opt(texts(30))),
        "smets_chts_version": draw(opt(texts(20))),
        "firmware_version": draw(opt(texts(8))),
        "esme_variant": draw(opt(st.sampled_from(ESMEVariant))),
    }
    if all(v is None for v in values.values()):
        values["firmware_version"] = draw(texts(8))
    return UpdateDeviceDetails(device_id=draw(device_ids), **values)


@st.composite
def mpxn_updates(draw: st.DrawFn) -> UpdateDeviceMpxn:
    which = draw(st.sampled_from(["import_mpxn", "secondary_import_mpan", "export_mpan"]))
    value = draw(mpxns if which == "import_mpxn" else mpans)
    return UpdateDeviceMpxn(draw(device_ids), **{which: value})


inventory_reads = st.one_of(
    device_ids.map(ReadInventory.by_device_id),
    mpxns.map(ReadInventory.by_mpxn),
    st.integers(1, 999_999_999_999).map(ReadInventory.by_uprn),
    st.builds(ReadInventory.by_property, texts(8, min_len=6), texts(30)),
)

intents: st.SearchStrategy[Intent] = st.one_of(
    prenotifications(),
    st.builds(ChfInstallSuccess, install_type=st.sampled_from([CHFInstallType.NEW, CHFInstallType.REPLACEMENT]), **_hub_common),
    st.builds(
        ChfInstallNoSmWan,
        premise_type=st.sampled_from(PremiseType),
        metal_obstruction=st.booleans(),
        connectivity_obstruction=st.booleans(),
        shared_obstruction=st.booleans(),
        install_type=st.sampled_from(CHFInstallType),
        **_hub_common,
    ),
    st.builds(
        ChfFaultReturn,
        device_id=device_ids,
        fault_return_type=st.sampled_from(CHFFaultReturnType),
        other_device_id=device_ids,
        connection_method=st.sampled_from(CHFConnectionMethod),
        fault_reason=st.sampled_from(CHFFaultReason),
        user_ref_datetime=opt(datetimes),
        user_ref_id=opt(texts(25)),
        incident_reference=opt(texts(15)),
        additional_information=opt(texts(200)),
    ),
    st.builds(
        ChfNoFaultReturn,
        device_id=device_ids,
        no_fault_return_type=st.sampled_from(CHFNoFaultReturnType),
        user_ref_datetime=opt(datetimes),
        user_ref_id=opt(texts(25)),
        incident_reference=opt(texts(15)),
        additional_information=opt(texts(200)),
    ),
    han_log_updates(),
    joins(),
    device_details(),
    st.builds(UpdateDeviceStatus, device_id=device_ids, status=st.sampled_from(DeviceStatusExceptCH)),
    st.builds(UpdateHubStatus, device_id=device_ids, status=st.sampled_from(DeviceStatusCH)),
    st.builds(DeleteDevice, device_id=device_ids),
    mpxn_updates(),
    inventory_reads,
    st.builds(ReadFirmwareVersion, target_id=device_ids, execution_datetime=opt(datetimes)),
)


# --- properties ---------------------------------------------------------------------------------


@given(intents)
@settings(max_examples=300)
def test_payload_round_trip_through_json(intent: Intent) -> None:
    payload = intent.to_payload()
    wire = json.loads(json.dumps(payload))
    assert wire == payload, "the payload must be plain JSON types"
    back = intent_from_payload(wire)
    assert back == intent
    assert type(back) is type(intent)
    assert back.to_payload() == payload


@given(intent=intents)
@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_every_accepted_intent_renders_schema_valid_duis(duis_xsd: Path, intent: Intent) -> None:
    xml = intent.render(intent.request_id(parse_device_id(ORIGINATOR), 1))
    assert schema_for(duis_xsd).validate(xml) == []


def test_every_intent_class_is_covered_by_the_strategies() -> None:
    seen: set[str] = set()

    @given(intents)
    @settings(max_examples=400, database=None)
    def collect(intent: Intent) -> None:
        seen.add(intent.kind)

    collect()
    assert seen == set(INTENT_CLASSES)


# --- payload shape and refusals --------------------------------------------------------------------

A2 = parse_device_id("00-DB-12-34-56-78-90-A2")
A4 = parse_device_id("00-DB-12-34-56-78-90-A4")
ADD = UpdateHanDeviceLog.add(A2, A4, InstallCode.from_code_hex("30313233343536373839414243444546"), 90)


def test_payload_shape_for_the_back_office() -> None:
    payload = ADD.to_payload()
    assert payload == {
        "format": PAYLOAD_FORMAT,
        "kind": "UpdateHANDeviceLog",
        "srv": "8.11",
        "service_reference": "8.11",
        "command_variant": 1,
        "target": "00-DB-12-34-56-78-90-A2",
        "critical": False,
        "body": {
            "chf_id": "00-DB-12-34-56-78-90-A2",
            "device_id": "00-DB-12-34-56-78-90-A4",
            "request_type": "Add",
            "join_time_period": 90,
            "install_code": "30313233343536373839414243444546",
            "import_mpxn": None,
            "secondary_import_mpan": None,
            "export_mpan": None,
            "execution_datetime": None,
        },
    }
    critical = JoinServiceCritical(target_id=A2, other_device_id=A4).to_payload()
    assert critical["critical"] is True and critical["command_variant"] == 4


def test_minimal_payload_without_envelope_or_optional_fields() -> None:
    intent = intent_from_payload({"kind": "ReadFirmwareVersion", "body": {"target_id": "00db1234567890a4"}})
    assert intent == ReadFirmwareVersion(target_id=A4)


def _tampered(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(json.dumps(ADD.to_payload()))
    body_changes = changes.pop("body", {})
    payload.update(changes)
    payload["body"].update(body_changes)
    return payload


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (_tampered(format="hubcheck-duis-intent/99"), "unknown intent payload format"),
        (_tampered(kind="SelfDestruct"), "unknown intent kind 'SelfDestruct'"),
        (_tampered(srv="8.7.1"), "payload says srv='8.7.1' but the intent is srv='8.11'"),
        (_tampered(command_variant=8), "command_variant=8"),
        (_tampered(critical=True), "critical=True"),
        (_tampered(target="90-B3-D5-1F-30-00-00-02"), "is not the intent's target"),
        (_tampered(target="not-an-eui"), "is not the intent's target"),
        (_tampered(body={"join_time_period": 0}), r"JoinTimePeriod must be 1 to 3600"),
        (_tampered(body={"install_code": "30313233343536373839414243444546F596"}), "InstallCode"),
        (_tampered(body={"secondary_import_mpan": "123"}), "exactly 13 digits"),
        (_tampered(body={"surprise": 1}), "unknown fields: surprise"),
        ({"kind": "UpdateHANDeviceLog", "body": {"chf_id": str(A2)}}, "incomplete"),
        ({"kind": "UpdateHANDeviceLog"}, "no 'body' object"),
        ({"kind": "DevicePrenotification", "body": {"device_id": str(A4), "manufacturer": "X", "model": "Y", "device_type": "SAPC"}}, "SAPC is not a DUIS device type"),
    ],
)
def test_bad_payloads_are_refused(payload: dict[str, Any], message: str) -> None:
    with pytest.raises(IntentPayloadError, match=message):
        intent_from_payload(payload)


def test_payload_must_be_a_mapping() -> None:
    with pytest.raises(IntentPayloadError, match="JSON object"):
        intent_from_payload(["not", "a", "dict"])  # type: ignore[arg-type]


def test_device_ids_in_payloads_are_canonical() -> None:
    assert isinstance(ADD.chf_id, DeviceId)
    assert ADD.to_payload()["body"]["device_id"] == "00-DB-12-34-56-78-90-A4"  # type: ignore[index]
