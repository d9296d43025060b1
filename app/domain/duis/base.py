"""The intent base class: what every queued Service Request shares.

An *intent* is a typed, already-validated description of one DUIS Service Request:
its SRV, Command Variant, target device and body fields. It is what the outbox stores
and the back office receives (as :meth:`Intent.to_payload`), and it renders to DUIS XML
(:meth:`Intent.render`) once a RequestID exists. The laptop holds no signing keys, so no
``ds:Signature`` is ever written; the back office signs.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar

from lxml import etree

from app.domain.duis.enums import CommandVariant
from app.domain.duis.errors import RequestIdError
from app.domain.duis.fields import xsd_datetime
from app.domain.duis.request_id import DCC_ACCESS_CONTROL_BROKER, RequestId, parse_request_id
from app.domain.duis.xml import SCHEMA_VERSION, SR_NS, q, sub
from app.domain.ids import DeviceId
from app.domain.install_codes import InstallCode

if TYPE_CHECKING:
    from app.domain.duis.schema import DuisSchema

#: JSON-able values as they appear in a payload.
JsonValue = str | int | bool | None | dict[str, "JsonValue"] | list["JsonValue"]

PAYLOAD_FORMAT = "hubcheck-duis-intent/1"


def set_field(obj: object, name: str, value: object) -> None:
    """Store a normalised value on a frozen dataclass during ``__post_init__``."""
    object.__setattr__(obj, name, value)


def encode_value(value: object) -> JsonValue:
    """One field value in its JSON form (device IDs canonical, enums as DUIS text, codes as hex)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, DeviceId):
        return value.value
    if isinstance(value, Enum):
        raw = value.value
        if not isinstance(raw, str | int):  # pragma: no cover - every DUIS enum is text or int
            raise TypeError(f"unexpected enum value {raw!r}")
        return raw
    if isinstance(value, InstallCode):
        return value.code_hex
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot put a {type(value).__name__} into an intent payload")


def xml_value(value: object) -> str:
    """One field value as DUIS element text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return xsd_datetime(value)
    if isinstance(value, InstallCode):
        return value.code_hex
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def add_optional(parent: etree._Element, local: str, value: object) -> None:
    """Append ``sr:local`` only when a value is present (optional XSD elements are omitted, never empty)."""
    if value is not None:
        sub(parent, local, xml_value(value))


def add_required(parent: etree._Element, local: str, value: object) -> None:
    sub(parent, local, xml_value(value))


@dataclasses.dataclass(frozen=True, slots=True)
class Intent:
    """Base of every intent. Subclasses set the class constants and fill the body element."""

    KIND: ClassVar[str] = ""
    SERVICE_REFERENCE: ClassVar[str] = ""
    SRV: ClassVar[str] = ""
    COMMAND_VARIANT: ClassVar[CommandVariant] = CommandVariant.NON_DEVICE
    BODY_ELEMENT: ClassVar[str] = ""

    # -- identity --------------------------------------------------------------------------
    @property
    def srv(self) -> str:
        """Service Reference Variant, e.g. ``"8.7.1"``."""
        return self.SRV

    @property
    def service_reference(self) -> str:
        return self.SERVICE_REFERENCE

    @property
    def command_variant(self) -> CommandVariant:
        return self.COMMAND_VARIANT

    @property
    def kind(self) -> str:
        """Payload discriminator: several intents share SRV 8.4."""
        return self.KIND

    @property
    def is_non_device(self) -> bool:
        return self.COMMAND_VARIANT is CommandVariant.NON_DEVICE

    @property
    def is_critical(self) -> bool:
        """CV 4: the DCC returns a pre-command the back office must sign; never 'done' locally."""
        return self.COMMAND_VARIANT.is_critical_transform

    @property
    def target(self) -> DeviceId:
        """BusinessTargetID: the DCC Access Control Broker for non-device requests, else the device."""
        return self._device_target() or DCC_ACCESS_CONTROL_BROKER

    def _device_target(self) -> DeviceId | None:
        return None

    # -- rendering -------------------------------------------------------------------------
    def request_id(self, originator: DeviceId, counter: int) -> RequestId:
        """The RequestID for this intent from ``originator`` with ``counter``."""
        return RequestId(originator, self.target, counter)

    def render(self, request_id: RequestId | str, *, schema: DuisSchema | None = None) -> bytes:
        """DUIS XML (UTF-8, schemaVersion 5.4, unsigned); checked against ``schema`` when given.

        The RequestID's target must be this intent's target: the DCC routes on it.
        """
        rid = request_id if isinstance(request_id, RequestId) else parse_request_id(request_id)
        if rid.target != self.target:
            raise RequestIdError(
                f"RequestID target {rid.target} does not match the {self.SRV} target {self.target}"
            )
        root = etree.Element(q("Request"), nsmap={"sr": SR_NS})
        root.set("schemaVersion", SCHEMA_VERSION)
        header = sub(root, "Header")
        sub(header, "RequestID", str(rid))
        sub(header, "CommandVariant", str(int(self.COMMAND_VARIANT)))
        sub(header, "ServiceReference", self.SERVICE_REFERENCE)
        sub(header, "ServiceReferenceVariant", self.SRV)
        body = sub(root, "Body")
        self._fill_body(sub(body, self.BODY_ELEMENT))
        xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        if schema is not None:
            schema.assert_valid(xml, what=f"{self.SRV} request")
        return xml

    def _fill_body(self, element: etree._Element) -> None:
        raise NotImplementedError

    # -- payload ---------------------------------------------------------------------------
    def body_payload(self) -> dict[str, JsonValue]:
        """The body fields in JSON form, keyed by field name."""
        return {f.name: encode_value(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def to_payload(self) -> dict[str, JsonValue]:
        """A JSON-able dict the outbox stores and the back office receives; see ``intent_from_payload``."""
        return {
            "format": PAYLOAD_FORMAT,
            "kind": self.KIND,
            "srv": self.SRV,
            "service_reference": self.SERVICE_REFERENCE,
            "command_variant": int(self.COMMAND_VARIANT),
            "target": self.target.value,
            "critical": self.is_critical,
            "body": self.body_payload(),
        }

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Intent:
        """Rebuild from ``body_payload()`` output; the constructor re-validates every field."""
        return cls(**body)
