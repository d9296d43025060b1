"""DUIS 8.2 Read Inventory responses (DOMAIN Part A1/A3, Part B §2.3, §8): records, SMETS1 evidence, hostile XML."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.devices import DeviceType, RecordSource, merge_records
from app.domain.errors import DomainInputError
from app.domain.inventory import InventoryError, looks_like_inventory, parse_inventory_response
from app.domain.smets import Generation
from tests.availability import unavailable
from tests.helpers_domain import inventory_xml, job_pack, jp_device

S1 = Generation.SMETS1
S2 = Generation.SMETS2_PLUS


def s1_hub(**extra: str) -> dict[str, str]:
    device = {
        "DeviceID": "00-DB-12-34-56-78-90-A2",
        "DeviceType": "CHF",
        "DeviceStatus": "Commissioned",
        "DeviceManufacturer": "1072",
        "DeviceModel": "57310102",
        "SMETSCHTSVersion": "CHTS V1.3",
        "DeviceFirmwareVersion": "04000007",
        "CPLStatus": "Active",
    }
    device.update(extra)
    return device


def test_shared_dcc_boxed_response(shared_dir: Path) -> None:
    path = shared_dir / "duis" / "responses" / "read-inventory-response-5.4.xml"
    if not path.is_file():
        unavailable(f"the shared DUIS inventory response is absent ({path})")
    records, problems = parse_inventory_response(path.read_bytes())
    assert problems == []
    by_id = {str(r.device_id): r for r in records}
    assert list(by_id) == ["88-73-84-90-6A-10-02-DB", "BC-6E-76-FE-00-7C-B4-F3", "88-73-84-CC-6A-10-02-DB"]
    chf = by_id["88-73-84-90-6A-10-02-DB"]
    assert chf.device_type is DeviceType.CHF
    assert chf.smi_status == "Commissioned"
    assert (chf.manufacturer_id, chf.model_id, chf.firmware_version) == ("106C", "433100AC", "9001")
    assert chf.smets_chts_version == "CHTS V1.4"
    assert chf.cpl_status == "Active"
    assert chf.csp_region == "4G Central"
    assert not chf.has_s1sp
    assert chf.source is RecordSource.INVENTORY
    assert chf.generation is S2  # CHTS V1.4 names a CH spec version; no SMETS1 evidence
    cad = by_id["BC-6E-76-FE-00-7C-B4-F3"]
    assert cad.device_type is DeviceType.CAD
    assert (cad.manufacturer_id, cad.model_id, cad.firmware_version) == ("GEO", "9001", "")
    gpf = by_id["88-73-84-CC-6A-10-02-DB"]
    assert gpf.device_type is DeviceType.GPF and gpf.smi_status == "InstalledNotCommissioned"
    assert looks_like_inventory(path.read_bytes()[:512])


def test_csp_region_smets1_makes_a_smets1_hub() -> None:
    records, problems = parse_inventory_response(inventory_xml([s1_hub(CSPRegion="SMETS1")]))
    assert problems == []
    assert records[0].csp_region == "SMETS1"
    assert records[0].generation is S1  # explicit evidence wins over "CHTS V1.3"


def test_s1sp_element_makes_a_smets1_hub() -> None:
    records, _ = parse_inventory_response(inventory_xml([s1_hub(CSPRegion="Central", S1SP="SP-A")]))
    assert records[0].has_s1sp
    assert records[0].generation is S1


def test_empty_s1sp_element_still_counts() -> None:
    device = s1_hub()
    device["S1SP"] = None  # type: ignore[assignment]
    records, _ = parse_inventory_response(inventory_xml([device]))
    assert records[0].has_s1sp and records[0].generation is S1


def test_smets2_hub_without_smets1_evidence() -> None:
    records, _ = parse_inventory_response(inventory_xml([s1_hub(CSPRegion="4G North", SMETSCHTSVersion="SMETS V1.58")]))
    assert records[0].generation is S2


def test_inventory_overrides_status_and_smets1_evidence_of_the_job_pack() -> None:
    from app.domain.jobpack import parse_job_pack_text

    pack = parse_job_pack_text(
        job_pack([{"job_ref": "J1", "devices": [jp_device("00DB1234567890A2", "CHF", manufacturer_id="1072",
                                                           model_id="57310102", firmware_version="04000007",
                                                           smets_generation="SMETS2+", smi_status="Pending")]}])
    ).jobs[0].devices[0]
    dcc, _ = parse_inventory_response(inventory_xml([s1_hub(CSPRegion="SMETS1")]))
    merged = merge_records([dcc[0], pack])
    assert merged is not None
    assert merged.job_ref == "J1"  # the job pack leads on what was pre-notified
    assert merged.smi_status == "Commissioned"
    assert merged.cpl_status == "Active"
    assert merged.generation is S1


def test_bad_device_ids_are_reported_by_position_and_the_rest_read() -> None:
    xml = inventory_xml([s1_hub(DeviceID="not-an-id"), s1_hub(DeviceID="00db1234567890a5")])
    records, problems = parse_inventory_response(xml)
    assert [str(r.device_id) for r in records] == ["00-DB-12-34-56-78-90-A5"]
    assert len(problems) == 1
    assert problems[0][0] == "Device[1]" and "DeviceID" in problems[0][1]


def test_unknown_device_type_is_kept_as_unknown() -> None:
    records, _ = parse_inventory_response(inventory_xml([s1_hub(DeviceType="SOMETHING")]))
    assert records[0].device_type is None


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<sr:Response xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway"><sr:Body><sr:DSPInventory><sr:Device>
<sr:DeviceID>&xxe;</sr:DeviceID></sr:Device></sr:DSPInventory></sr:Body></sr:Response>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<sr:Response xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway"><sr:Body><sr:DSPInventory><sr:Device>
<sr:DeviceID>&lol9;</sr:DeviceID></sr:Device></sr:DSPInventory></sr:Body></sr:Response>"""

PLAIN_DTD = b"""<?xml version="1.0"?><!DOCTYPE Response SYSTEM "http://example.invalid/duis.dtd">
<sr:Response xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway"/>"""


@pytest.mark.parametrize("xml", [XXE, BILLION_LAUGHS, PLAIN_DTD], ids=["xxe", "billion-laughs", "external-dtd"])
def test_hostile_xml_is_refused(xml: bytes) -> None:
    with pytest.raises(InventoryError, match="refused|DTD|entit"):
        parse_inventory_response(xml)


@pytest.mark.parametrize(
    ("xml", "says"),
    [
        (b"", "not readable XML"),
        (b"<sr:Response", "not readable XML"),
        (b"<Other/>", "not a DUIS response"),
        (inventory_xml([]), "no DSPInventory devices"),
        (inventory_xml([], response_code="E8"), "E8"),
    ],
    ids=["empty", "truncated", "other-root", "no-devices", "error-code"],
)
def test_unreadable_or_empty_responses(xml: bytes, says: str) -> None:
    with pytest.raises(InventoryError, match=says):
        parse_inventory_response(xml)


def test_inventory_error_is_a_domain_error() -> None:
    assert issubclass(InventoryError, DomainInputError)
    assert not looks_like_inventory(b'{"format": "hubcheck-jobpack/1"}')


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_the_inventory_error(data: bytes) -> None:
    try:
        parse_inventory_response(data)
    except InventoryError as exc:
        assert str(exc)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["DeviceID", "DeviceType", "DeviceManufacturer", "DeviceModel",
                                        "SMETSCHTSVersion", "DeviceFirmwareVersion", "CPLStatus", "CSPRegion",
                                        "S1SP", "DeviceStatus"]),
                       st.text(alphabet=st.characters(codec="ascii", exclude_characters="<>&\x00"), max_size=20)))
def test_arbitrary_device_fields_give_a_record_or_a_problem(fields: dict[str, str]) -> None:
    try:
        records, problems = parse_inventory_response(inventory_xml([fields]))
    except InventoryError:
        return  # e.g. control characters XML cannot carry
    assert len(records) + len(problems) == 1
