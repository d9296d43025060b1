"""Reading DUIS responses and acknowledgements that come back through the back office.

What HubCheck needs from one: which request it answers (RequestID, ResponseID), the
response code (``I0`` success, ``I99`` acknowledgement — the real answer follows
asynchronously — ``E…`` error, ``W…`` warning), the SRV, and for 8.2 the inventory
devices, which feed the pairing rules as :class:`~app.domain.devices.DeviceRecord`.

The XML is untrusted: it is parsed by the locked-down parser in ``xml.py`` and any DOCTYPE
(the carrier of billion-laughs and XXE attacks) is refused with :class:`UnsafeXmlError`.
The signature, if any, is not checked here: that is the back office's job.
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum

from lxml import etree

from app.domain.devices import DeviceRecord, DeviceType, RecordSource
from app.domain.duis.errors import DuisResponseError, RequestIdError, UnsafeXmlError
from app.domain.duis.request_id import RequestId, parse_request_id
from app.domain.duis.xml import SR_NS, NotWellFormed, UnsafeDocument, local_name, safe_parse
from app.domain.ids import DeviceId, DeviceIdError, parse_device_id


class ResponseCategory(StrEnum):
    SUCCESS = "success"
    ACKNOWLEDGEMENT = "acknowledgement"
    ERROR = "error"
    WARNING = "warning"


def categorise_code(code: str) -> ResponseCategory:
    """``I0`` success, ``I99`` acknowledgement, ``E…`` error, ``W…`` warning."""
    if code == "I0":
        return ResponseCategory.SUCCESS
    if code == "I99":
        return ResponseCategory.ACKNOWLEDGEMENT
    if code.startswith("E"):
        return ResponseCategory.ERROR
    if code.startswith("W"):
        return ResponseCategory.WARNING
    raise DuisResponseError(f"unknown DUIS response code {code[:20]!r}")


@dataclasses.dataclass(frozen=True, slots=True)
class InventoryDevice:
    """One ``DSPInventory/Device`` of an 8.2 response; optional elements are None when absent."""

    device_id: DeviceId
    device_type: str
    device_status: str | None = None
    manufacturer: str = ""
    model: str = ""
    smets_chts_version: str | None = None
    firmware_version: str | None = None
    firmware_version_status: str | None = None
    cpl_status: str | None = None
    date_commissioned: str | None = None
    import_mpxn: str | None = dataclasses.field(default=None, repr=False)
    secondary_import_mpan: str | None = dataclasses.field(default=None, repr=False)
    export_mpan: str | None = dataclasses.field(default=None, repr=False)
    esme_variant: str | None = None
    uprn: str | None = dataclasses.field(default=None, repr=False)
    postcode: str | None = dataclasses.field(default=None, repr=False)
    address_identifier: str | None = dataclasses.field(default=None, repr=False)
    csp_region: str | None = None
    gbcs_version: str | None = None
    han_variant: str | None = None
    s1sp: str | None = None
    connectivity: str | None = None

    @property
    def has_s1sp(self) -> bool:
        """An ``S1SP`` element marks a SMETS1-enrolled device (its SMETS1 Service Provider)."""
        return self.s1sp is not None

    def to_dict(self) -> dict[str, str | None]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["device_id"] = self.device_id.value
        return out

    def to_device_record(self) -> DeviceRecord:
        """The inventory record in the form the pairing rules read."""
        try:
            device_type: DeviceType | None = DeviceType(self.device_type)
        except ValueError:
            device_type = None
        return DeviceRecord(
            device_id=self.device_id,
            device_type=device_type,
            manufacturer_id=self.manufacturer,
            model_id=self.model,
            firmware_version=self.firmware_version or "",
            smets_chts_version=self.smets_chts_version or "",
            smi_status=self.device_status or "",
            cpl_status=self.cpl_status or "",
            firmware_status=self.firmware_version_status or "",
            csp_region=self.csp_region or "",
            has_s1sp=self.has_s1sp,
            s1sp=self.s1sp or "",
            source=RecordSource.INVENTORY,
        )


@dataclasses.dataclass(frozen=True, slots=True)
class DuisResponse:
    """A parsed ``sr:Response``: header, SRV, and whatever payload HubCheck reads."""

    schema_version: str
    request_id: RequestId | None
    response_id: str | None
    response_code: str
    response_datetime: str
    body_kind: str
    service_reference: str | None = None
    service_reference_variant: str | None = None
    inventory: tuple[InventoryDevice, ...] = ()
    gbcs_payload: str | None = None
    payload_kind: str | None = None

    @property
    def category(self) -> ResponseCategory:
        return categorise_code(self.response_code)

    @property
    def srv(self) -> str | None:
        return self.service_reference_variant

    @property
    def is_success(self) -> bool:
        return self.category is ResponseCategory.SUCCESS

    @property
    def is_acknowledgement(self) -> bool:
        return self.category is ResponseCategory.ACKNOWLEDGEMENT

    @property
    def is_error(self) -> bool:
        return self.category is ResponseCategory.ERROR

    @property
    def is_warning(self) -> bool:
        return self.category is ResponseCategory.WARNING

    def answers(self, request_id: RequestId) -> bool:
        """True when this response is for ``request_id`` (by RequestID, else by the swapped ResponseID)."""
        if self.request_id is not None:
            return self.request_id == request_id
        return self.response_id is not None and self.response_id.upper() == request_id.response_id

    def to_dict(self) -> dict[str, object]:
        return {
            "schema_version": self.schema_version,
            "request_id": str(self.request_id) if self.request_id else None,
            "response_id": self.response_id,
            "response_code": self.response_code,
            "category": self.category.value,
            "response_datetime": self.response_datetime,
            "body_kind": self.body_kind,
            "srv": self.service_reference_variant,
            "service_reference": self.service_reference,
            "payload_kind": self.payload_kind,
            "gbcs_payload": self.gbcs_payload,
            "inventory": [device.to_dict() for device in self.inventory],
        }


_INVENTORY_TEXT_FIELDS = {
    "DeviceStatus": "device_status",
    "DeviceManufacturer": "manufacturer",
    "DeviceModel": "model",
    "SMETSCHTSVersion": "smets_chts_version",
    "DeviceFirmwareVersion": "firmware_version",
    "DeviceFirmwareVersionStatus": "firmware_version_status",
    "CPLStatus": "cpl_status",
    "DateCommissioned": "date_commissioned",
    "ImportMPxN": "import_mpxn",
    "SecondaryImportMPAN": "secondary_import_mpan",
    "ExportMPAN": "export_mpan",
    "ESMEVariant": "esme_variant",
    "UPRN": "uprn",
    "CSPRegion": "csp_region",
    "DeviceGBCSVersion": "gbcs_version",
    "HANVariant": "han_variant",
    "S1SP": "s1sp",
    "Connectivity": "connectivity",
}


def parse_response(xml: bytes | str) -> DuisResponse:
    """Parse a DUIS response or acknowledgement; raise DuisResponseError (UnsafeXmlError for attacks)."""
    try:
        root = safe_parse(xml)
    except UnsafeDocument as exc:
        raise UnsafeXmlError(f"DUIS response refused: {exc}") from exc
    except NotWellFormed as exc:
        raise DuisResponseError(f"the DUIS response is not well-formed XML: {exc}") from exc
    if root.tag != f"{{{SR_NS}}}Response":
        raise DuisResponseError(f"not a DUIS response: the root element is {root.tag!r}, expected sr:Response")
    header = _child(root, "Header")
    body = _child(root, "Body")
    code = _text(header, "ResponseCode")
    if code is None:
        raise DuisResponseError("the DUIS response has no ResponseCode")
    categorise_code(code)
    rid_text = _text(header, "RequestID")
    try:
        request_id = parse_request_id(rid_text) if rid_text is not None else None
    except RequestIdError as exc:
        raise DuisResponseError(f"the DUIS response's RequestID is malformed: {exc}") from exc
    body_elements = [el for el in body if isinstance(el.tag, str)]
    if len(body_elements) != 1:
        raise DuisResponseError(f"the DUIS response body has {len(body_elements)} elements; expected one")
    message = body_elements[0]
    result = DuisResponse(
        schema_version=root.get("schemaVersion", ""),
        request_id=request_id,
        response_id=_text(header, "ResponseID"),
        response_code=code,
        response_datetime=_text(header, "ResponseDateTime") or "",
        body_kind=local_name(message),
    )
    if result.body_kind != "ResponseMessage":
        return result
    payload = [el for el in message if isinstance(el.tag, str)][2:]
    payload_kind = local_name(payload[0]) if payload else None
    inventory: tuple[InventoryDevice, ...] = ()
    gbcs: str | None = None
    if payload_kind == "DSPInventory":
        inventory = tuple(_inventory_device(dev) for dev in payload[0] if _is(dev, "Device"))
    elif payload_kind == "GBCSPayload":
        gbcs = (payload[0].text or "").strip()
    return dataclasses.replace(
        result,
        service_reference=_text(message, "ServiceReference"),
        service_reference_variant=_text(message, "ServiceReferenceVariant"),
        inventory=inventory,
        gbcs_payload=gbcs,
        payload_kind=payload_kind,
    )


def _inventory_device(element: etree._Element) -> InventoryDevice:
    raw_id = _text(element, "DeviceID")
    device_type = _text(element, "DeviceType")
    if raw_id is None or device_type is None:
        raise DuisResponseError("an inventory Device lacks its DeviceID or DeviceType")
    try:
        device_id = parse_device_id(raw_id)
    except DeviceIdError as exc:
        raise DuisResponseError(f"an inventory Device has a bad DeviceID: {exc}") from exc
    values: dict[str, str | None] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = local_name(child)
        if name in _INVENTORY_TEXT_FIELDS:
            values[_INVENTORY_TEXT_FIELDS[name]] = (child.text or "").strip()
        elif name == "PropertyFilter":
            values["postcode"] = _text(child, "PostCode")
            values["address_identifier"] = _text(child, "AddressIdentifier")
    manufacturer = values.pop("manufacturer", None) or ""
    model = values.pop("model", None) or ""
    return InventoryDevice(device_id=device_id, device_type=device_type, manufacturer=manufacturer, model=model, **values)


def _is(element: etree._Element, local: str) -> bool:
    return element.tag == f"{{{SR_NS}}}{local}"


def _child(parent: etree._Element, local: str) -> etree._Element:
    found = parent.find(f"{{{SR_NS}}}{local}")
    if found is None:
        raise DuisResponseError(f"the DUIS response has no {local}")
    return found


def _text(parent: etree._Element | None, local: str) -> str | None:
    if parent is None:
        return None
    found = parent.find(f"{{{SR_NS}}}{local}")
    if found is None:
        return None
    return (found.text or "").strip()
