"""DUIS Read Inventory (SRV 8.2) responses → DeviceRecords.

The DCC's inventory is the authority on a device's SMI status, CPL status and, for an
enrolled SMETS1 hub, its generation (``CSPRegion`` = ``SMETS1`` or an ``S1SP`` element).
The XML is untrusted: entities and DTDs are refused.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from app.domain.devices import DeviceRecord, DeviceType, RecordSource, norm_hex
from app.domain.errors import DomainInputError
from app.domain.ids import DeviceIdError, parse_device_id

SR_NS = "http://www.dccinterface.co.uk/ServiceUserGateway"


class InventoryError(DomainInputError):
    """Not a readable DUIS 8.2 response."""


def looks_like_inventory(head: bytes) -> bool:
    """Cheap content sniff used to route an imported file."""
    return head.lstrip().startswith(b"<") and b"Response" in head


def parse_inventory_response(xml: bytes) -> tuple[list[DeviceRecord], list[tuple[str, str]]]:
    """Return (records, problems). Problems name the device's position and what was wrong."""
    try:
        root = fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InventoryError(f"refused: the XML uses a DTD or entities, which HubCheck never reads ({exc})") from None
    except Exception as exc:  # ParseError and friends: report, never crash
        raise InventoryError(f"not readable XML: {exc}") from None
    if _local(root.tag) != "Response":
        raise InventoryError(f"not a DUIS response: the root element is {_local(root.tag)!r}")
    code = _text(root.find(f"{{{SR_NS}}}Header/{{{SR_NS}}}ResponseCode"))
    devices = root.findall(f".//{{{SR_NS}}}DSPInventory/{{{SR_NS}}}Device")
    if not devices:
        raise InventoryError(f"no DSPInventory devices in this response (response code {code or 'missing'})")
    records: list[DeviceRecord] = []
    problems: list[tuple[str, str]] = []
    for index, node in enumerate(devices):
        where = f"Device[{index + 1}]"
        fields = {_local(child.tag): (child.text or "").strip() for child in node}
        try:
            device_id = parse_device_id(fields.get("DeviceID", ""))
        except DeviceIdError as exc:
            problems.append((where, f"DeviceID: {exc}"))
            continue
        raw_type = fields.get("DeviceType", "").upper()
        device_type = DeviceType(raw_type) if raw_type in DeviceType.__members__ else None
        records.append(
            DeviceRecord(
                device_id=device_id,
                device_type=device_type,
                manufacturer_id=norm_hex(fields.get("DeviceManufacturer")),
                model_id=norm_hex(fields.get("DeviceModel")),
                firmware_version=norm_hex(fields.get("DeviceFirmwareVersion")),
                smets_chts_version=fields.get("SMETSCHTSVersion", ""),
                smi_status=fields.get("DeviceStatus", ""),
                cpl_status=fields.get("CPLStatus", ""),
                firmware_status=fields.get("DeviceFirmwareVersionStatus", ""),
                csp_region=fields.get("CSPRegion", ""),
                has_s1sp="S1SP" in fields,
                s1sp=fields.get("S1SP", ""),
                source=RecordSource.INVENTORY,
            )
        )
    return records, problems


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(node: Element | None) -> str:
    return (node.text or "").strip() if node is not None else ""
