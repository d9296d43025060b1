"""The concrete intents, one class per Service Request HubCheck queues.

Each constructor validates and normalises its fields (see ``fields.py``) so an invalid
request can never reach the outbox; the body is written in exactly the element order of
the XSD ``xs:sequence`` and of the DCC's RTDS sample for that SRV. Targets and Command
Variants follow DOMAIN A4: non-device requests (CV 8) go to the DCC Access Control
Broker, 8.11 to the CHF (CV 1), 8.7.1 to the meter (CV 4), 8.7.2 and 11.2 to the PPMID
(CV 1). Install codes and MPxNs are left out of ``repr`` so they never reach a log.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import ClassVar

from lxml import etree

from app.domain.devices import DeviceType
from app.domain.duis import fields as f
from app.domain.duis.base import Intent, add_optional, add_required, set_field
from app.domain.duis.enums import (
    CHFConnectionMethod,
    CHFFaultReason,
    CHFFaultReturnType,
    CHFInstallType,
    CHFLocation,
    CHFNoFaultReturnType,
    CommandVariant,
    DeviceStatusCH,
    DeviceStatusExceptCH,
    ESMEVariant,
    HANLogRequestType,
    PremiseType,
)
from app.domain.duis.errors import DuisFieldError
from app.domain.duis.xml import sub
from app.domain.ids import DeviceId
from app.domain.install_codes import InstallCode

# XSD facets used in more than one place.
MANUFACTURER_MAX = 30
MODEL_MAX = 30
SMETS_CHTS_MAX = 20
FIRMWARE_MAX = 8
USER_REF_ID_MAX = 25
GIS_DATA_MAX = 25
INCIDENT_REFERENCE_MAX = 15
ADDITIONAL_INFORMATION_MAX = 200
POSTCODE_MIN, POSTCODE_MAX = 6, 8
ADDRESS_IDENTIFIER_MAX = 30
UPRN_MAX = 999_999_999_999
JOIN_TIME_PERIOD_MAX = 3600
_field = dataclasses.field


def _distinct(where: str, first: DeviceId, second: DeviceId, what: str) -> None:
    if first == second:
        raise DuisFieldError(f"{where}: {what} ({first}) cannot be the same device")


# --- 12.2 -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class DevicePrenotification(Intent):
    """12.2: tell the DCC a device is coming, with its Device Model (non-device, CV 8)."""

    KIND: ClassVar[str] = "DevicePrenotification"
    SERVICE_REFERENCE: ClassVar[str] = "12.2"
    SRV: ClassVar[str] = "12.2"
    COMMAND_VARIANT: ClassVar[CommandVariant] = CommandVariant.NON_DEVICE
    BODY_ELEMENT: ClassVar[str] = "DevicePrenotification"

    device_id: DeviceId
    manufacturer: str
    model: str
    device_type: DeviceType
    smets_chts_version: str | None = None
    firmware_version: str | None = None
    esme_variant: ESMEVariant | None = None
    associated_gpf_device_id: DeviceId | None = None

    def __post_init__(self) -> None:
        set_field(self, "device_id", f.device_id(self.device_id, "12.2 DeviceID"))
        set_field(self, "manufacturer", f.text(self.manufacturer, "12.2 DeviceManufacturer", max_len=MANUFACTURER_MAX))
        set_field(self, "model", f.text(self.model, "12.2 DeviceModel", max_len=MODEL_MAX))
        set_field(self, "device_type", f.duis_device_type(self.device_type, "12.2 DeviceType"))
        set_field(
            self,
            "smets_chts_version",
            f.optional_text(self.smets_chts_version, "12.2 SMETSCHTSVersion", max_len=SMETS_CHTS_MAX),
        )
        set_field(
            self, "firmware_version", f.optional_text(self.firmware_version, "12.2 FirmwareVersion", max_len=FIRMWARE_MAX)
        )
        set_field(self, "esme_variant", f.optional_enum_member(self.esme_variant, ESMEVariant, "12.2 ESMEVariant"))
        if self.esme_variant is not None and self.device_type is not DeviceType.ESME:
            raise DuisFieldError(f"12.2 ESMEVariant only applies to an ESME, not a {self.device_type.value}")
        set_field(
            self,
            "associated_gpf_device_id",
            f.optional_device_id(self.associated_gpf_device_id, "12.2 AssociatedGPFDeviceID"),
        )

    def _fill_body(self, element: etree._Element) -> None:
        add_required(element, "DeviceID", self.device_id)
        add_required(element, "DeviceManufacturer", self.manufacturer)
        add_required(element, "DeviceModel", self.model)
        add_required(element, "DeviceType", self.device_type)
        add_optional(element, "SMETSCHTSVersion", self.smets_chts_version)
        add_optional(element, "FirmwareVersion", self.firmware_version)
        add_optional(element, "ESMEVariant", self.esme_variant)
        add_optional(element, "AssociatedGPFDeviceID", self.associated_gpf_device_id)


# --- 8.14.x Communications Hub status updates -------------------------------------------------


def _check_user_refs(obj: _ChfStatusUpdate, srv: str) -> None:
    """UserRefID / AdditionalInformation facets shared by 8.14.x."""
    set_field(obj, "user_ref_id", f.optional_text(obj.user_ref_id, f"{srv} UserRefID", max_len=USER_REF_ID_MAX))
    set_field(
        obj,
        "additional_information",
        f.optional_text(obj.additional_information, f"{srv} AdditionalInformation", max_len=ADDITIONAL_INFORMATION_MAX),
    )


@dataclasses.dataclass(frozen=True, slots=True)
class ChfInstallSuccess(Intent):
    """8.14.1: the hub is fitted and has SM WAN (non-device, CV 8)."""

    KIND: ClassVar[str] = "CHFInstallSuccessSMWAN"
    SERVICE_REFERENCE: ClassVar[str] = "8.14"
    SRV: ClassVar[str] = "8.14.1"
    COMMAND_VARIANT: ClassVar[CommandVariant] = CommandVariant.NON_DEVICE
    BODY_ELEMENT: ClassVar[str] = "CHFInstallSuccessSMWAN"

    device_id: DeviceId
    aerial_install: bool
    location: CHFLocation
    mpxn: str = _field(repr=False)  # personal data: kept out of repr/logs
    install_type: CHFInstallType = CHFInstallType.NEW
    install_datetime: datetime | None = None
    user_ref_id: str | None = None
    gis_data: str | None = None
    additional_information: str | None = None

    def __post_init__(self) -> None:
        _check_install_common(self, "8.14.1")
        if self.install_type is CHFInstallType.NO_SM_WAN:
            raise DuisFieldError(
                "8.14.1 CHFInstallType cannot be 'CHF Install - no SM WAN': use 8.14.2 when the hub has no SM WAN"
            )

    def _fill_body(self, element: etree._Element) -> None:
        _fill_install_head(self, element)
        add_optional(element, "AdditionalInformation", self.additional_information)


@dataclasses.dataclass(frozen=True, slots=True)
class ChfInstallNoSmWan(Intent):
    """8.14.2: the hub is fitted but has no SM WAN; records the site survey (non-device, CV 8)."""

    KIND: ClassVar[str] = "CHFInstallSuccessNoSMWAN"
    SERVICE_REFERENCE: ClassVar[str] = "8.14"
    SRV: ClassVar[str] = "8.14.2"
    COMMAND_VARIANT: ClassVar[CommandVariant] = CommandVariant.NON_DEVICE
    BODY_ELEMENT: ClassVar[str] = "CHFInstallSuccessNoSMWAN"

    device_id: DeviceId
    aerial_install: bool
    location: CHFLocation
    premise_type: PremiseType
    metal_obstruction: bool
    connectivity_obstruction: bool
    shared_obstruction: bool
    mpxn: str = _field(repr=False)  # personal data: kept out of repr/logs
    install_type: CHFInstallType = CHFInstallType.NO_SM_WAN
    install_datetime: datetime | None = None
    user_ref_id: str | None = None
    gis_data: str | None = None
    additional_information: str | None = None

    def __post_init__(self) -> None:
        _check_install_common(self, "8.14.2")
        set_field(self, "premise_type", f.enum_member(self.premise_type, PremiseType, "8.14.2 PremiseType"))
        set_field(self, "metal_obstruction", f.boolean(self.metal_obstruction, "8.14.2 MetalObstructionCheck"))
        set_field(
            self,
            "connectivity_obstruction",
            f.boolean(self.connectivity_obstruction, "8.14.2 ConnectivityObstructionCheck"),
        )
        set_field(self, "shared_obstruction", f.boolean(self.shared_obstruction, "8.14.2 SharedObstructionCheck"))

    def _fill_body(self, element: etree._Element) -> None:
        _fill_install_head(self, element)
        add_required(element, "PremiseType", self.premise_type)
        add_required(element, "MetalObstructionCheck", self.metal_obstruction)
        add_required(element, "ConnectivityObstructionCheck", self.connectivity_obstruction)
        add_required(element, "SharedObstructionCheck", self.shared_obstruction)
        add_optional(element, "AdditionalInformation", self.additional_information)


def _check_install_common(obj: ChfInstallSuccess | ChfInstallNoSmWan, srv: str) -> None:
    set_field(obj, "device_id", f.device_id(obj.device_id, f"{srv} DeviceID"))
    set_field(obj, "mpxn", f.mpxn(obj.mpxn, f"{srv} MPxN"))
    set_field(obj, "aerial_install", f.boolean(obj.aerial_install, f"{srv} AerialInstall"))
    set_field(obj, "location", f.enum_member(obj.location, CHFLocation, f"{srv} CHFLocation"))
    set_field(obj, "install_type", f.enum_member(obj.install_type, CHFInstallType, f"{srv} CHFInstallType"))
    set_field(obj, "install_datetime", f.optional_aware_datetime(obj.install_datetime, f"{srv} InstallDateTime"))
    set_field(obj, "gis_data", f.optional_text(obj.gis_data, f"{srv} GISData", max_len=GIS_DATA_MAX))
    _check_user_refs(obj, srv)


def _fill_install_head(obj: ChfInstallSuccess | ChfInstallNoSmWan, element: etree._Element) -> None:
    add_required(element, "DeviceID", obj.device_id)
    add_required(element, "CHFInstallType", obj.install_type)
    add_optional(element, "InstallDateTime", obj.install_datetime)
    add_optional(element, "UserRefID", obj.user_ref_id)
    add_required(element, "MPxN", obj.mpxn)
    add_optional(element, "GISData", obj.gis_data)
    add_required(element, "AerialInstall", obj.aerial_install)
    add_required(element, "CHFLocation", obj.location)


@dataclasses.dataclass(frozen=True, slots=True)
class ChfFaultReturn(Intent):
    """8.14.3: a faulty hub goes back (non-device, CV 8)."""

    KIND: ClassVar[str] = "CHFFaultReturn"
    SERVICE_REFERENCE: ClassVar[str] = "8.14"
    SRV: ClassVar[str] = "8.14.3"
    COMMAND_VARIANT: ClassVar[CommandVariant] = CommandVariant.NON_DEVICE
    BODY_ELEMENT: ClassVar[str] = "CHFFaultReturn"

    device_id: DeviceId
    fault_return_type: CHFFaultReturnType
    other_device_id: DeviceId
    connection_method: CHFConnectionMethod
    fault_reason: CHFFaultReason
    user_ref_datetime: datetime | None = None
    user_ref_id: str | None = None
    incident_reference: str | None = None
    additional_information: str | None = None

    def __post_init__(self) -> None:
        set_field(self, "device_id", f.device_id(self.device_id, "8.14.3 DeviceID"))
        set_field(
            self,
            "fault_return_type",
            f.enum_member(self.fault_return_type, CHFFaultReturnType, "8.14.3 CHFFaultReturnType"),
        )
        set_field(self, "other_device_id", f.device_id(self.other_device_id, "8.14.3 OtherDeviceID"))
        set_field(
            self,
            "connection_method",
            f.enum_member(self.connection_method, CHFConnectionMethod, "8.14.3 CHFConnectionMethod"),
        )
        set_field(self, "fault_reason", f.enum_member(self.fault_reason, CHFFaultReason, "8.14.3 CHFFaultReason"))
        _check_return_refs(self, "8.14.3")

    def _fill_body(self, element: etree._Element) -> None:
        add_required(element, "DeviceID", self.device_id)
        add_required(element, "CHFFaultReturnType", self.fault_return_type)
        add_optional(element, "UserRefDateTime", self.user_ref_datetime)
        add_optional(element, "UserRefID", self.user_ref_id)
        add_required(element, "OtherDeviceID", self.other_device_id)
        add_optional(element, "IncidentReference", self.incident_reference)
        add_required(element, "CHFConnectionMethod", self.connection_method)
        add_required(element, "CHFFaultReason", self.fault_reason)
        add_optional(element, "AdditionalInformation", self.additional_information)


@dataclasses.dataclass(frozen=True, slots=True)
class ChfNoFaultReturn(Intent):
    """8.14.4: a working hub goes back, e.g. lost, stolen or wrong variant (non-device, CV 8)."""

    KIND: ClassVar[str] = "CHFNoFaultReturn"
    SERVICE_REFERENCE: ClassVar[str] = "8.14"
    SRV: ClassVar[str] = "8.14.4"
    COMMAND_VARIANT: ClassVar[CommandVariant] = CommandVariant.NON_DEVICE
    BODY_ELEMENT: ClassVar[str] = "CHFNoFaultReturn"

    device_id: DeviceId
    no_fault_return_type: CHFNoFaultReturnType
    user_ref_datetime: datetime | None = None
    user_ref_id: str | None = None
    incident_reference: str | None = None
    additional_information: str | None = None

    def __post_init__(self) -> None:
        set_field(self, "device_id", f.device_id(self.device_id, "8.14.4 DeviceID"))
        set_field(
            self,
            "no_fault_return_type",
            f.enum_member(self.no_fault_return_type, CHFNoFaultReturnType, "8.14.4 CHFNoFaultReturnType"),
        )
        _check_return_refs(self, "8.14.4")

    def _fill_body(self, element: etree._Element) -> None:
        add_required(element, "DeviceID", self.device_id)
        add_required(element, "CHFNoFaultReturnType", self.no_fault_return_type)
        add_optional(element, "UserRefDateTime", self.user_ref_datetime)
        add_optional(element, "UserRefID", self.user_ref_id)
        add_optional(element, "IncidentReference", self.incident_reference)
        add_optional(element, "AdditionalInformation", self.additional_information)


def _check_return_refs(obj: ChfFaultReturn | ChfNoFaultReturn, srv: str) -> None:
    """UserRefDateTime / IncidentReference (and the user refs) shared by the 8.14.3 and 8.14.4 returns."""
    set_field(obj, "user_ref_datetime", f.optional_aware_datetime(obj.user_ref_datetime, f"{srv} UserRefDateTime"))
    set_field(
        obj,
        "incident_reference",
        f.optional_text(obj.incident_reference, f"{srv} IncidentReference", max_len=INCIDENT_REFERENCE_MAX),
    )
    _check_user_refs(obj, srv)


# --- 8.11 -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class UpdateHanDeviceLog(Intent):
    """8.11: add a device to (or remove it from) the CHF's whitelist; target the CHF, CV 1.

    ``Add`` needs the install code *without* its CRC and a join window of 1–3600 s;
    ``Remove`` carries neither. Use :meth:`add` / :meth:`remove` to build one.
    """

    KIND: ClassVar[str] = "UpdateHANDeviceLog"
    SERVICE_REFERENCE: ClassVar[str] = "8.11"
    SRV: ClassVar[str] = "8.11"
    COMMAND_VARIANT: ClassVar[CommandVariant] = CommandVariant.NON_CRITICAL_WAN
    BODY_ELEMENT: ClassVar[str] = "UpdateHANDeviceLog"

    chf_id: DeviceId
    device_id: DeviceId
    request_type: HANLogRequestType
    join_time_period: int | None = None
    install_code: InstallCode | None = _field(default=None, repr=False)
    import_mpxn: str | None = _field(default=None, repr=False)
    secondary_import_mpan: str | None = _field(default=None, repr=False)
    export_mpan: str | None = _field(default=None, repr=False)
    execution_datetime: datetime | None = None

    def __post_init__(self) -> None:
        set_field(self, "chf_id", f.device_id(self.chf_id, "8.11 target CHF"))
        set_field(self, "device_id", f.device_id(self.device_id, "8.11 DeviceID"))
        _distinct("8.11", self.chf_id, self.device_id, "the CHF and the device added to its log")
        set_field(self, "request_type", f.enum_member(self.request_type, HANLogRequestType, "8.11 RequestType"))
        set_field(
            self, "execution_datetime", f.optional_aware_datetime(self.execution_datetime, "8.11 ExecutionDateTime")
        )
        if self.request_type is HANLogRequestType.REMOVE:
            present = [
                name
                for name in ("join_time_period", "install_code", "import_mpxn", "secondary_import_mpan", "export_mpan")
                if getattr(self, name) is not None
            ]
            if present:
                raise DuisFieldError(f"8.11 Remove carries no whitelist details; got {', '.join(present)}")
            return
        if self.join_time_period is None or self.install_code is None:
            raise DuisFieldError("8.11 Add needs an install code and a JoinTimePeriod")
        set_field(
            self,
            "join_time_period",
            f.integer(self.join_time_period, "8.11 JoinTimePeriod", low=1, high=JOIN_TIME_PERIOD_MAX, unit="seconds"),
        )
        set_field(self, "install_code", f.install_code(self.install_code, "8.11 InstallCode"))
        set_field(self, "import_mpxn", f.optional_mpxn(self.import_mpxn, "8.11 ImportMPxN"))
        set_field(
            self, "secondary_import_mpan", f.optional_mpan(self.secondary_import_mpan, "8.11 SecondaryImportMPAN")
        )
        set_field(self, "export_mpan", f.optional_mpan(self.export_mpan, "8.11 ExportMPAN"))

    @classmethod
    def add(
        cls,
        chf_id: DeviceId,
        device_id: DeviceId,
        install_code: InstallCode,
        join_time_period: int = JOIN_TIME_PERIOD_MAX,
        *,
        import_mpxn: str | None = None,
        secondary_import_mpan: str | None = None,
        export_mpan: str | None = None,
        execution_datetime: datetime | None = None,
    ) -> UpdateHanDeviceLog:
        return cls(
            chf_id=chf_id,
            device_id=device_id,
            request_type=HANLogRequestType.ADD,
            join_time_period=join_time_period,
            install_code=install_code,
            import_mpxn=import_mpxn,
            secondary_import_mpan=secondary_import_mpan,
            export_mpan=export_mpan,
            execution_datetime=execution_datetime,
        )

    @classmethod
    def remove(
        cls, chf_id: DeviceId, device_id: DeviceId, *, execution_datetime: datetime | None = None
    ) -> UpdateHanDeviceLog:
        return cls(
            chf_id=chf_id,
            device_id=device_id,
            request_type=HANLogRequestType.REMOVE,
            execution_datetime=execution_datetime,
        )

    def _device_target(self) -> DeviceId | None:
        return self.chf_id

    def _fill_body(self, element: etree._Element) -> None:
        add_optional(element, "ExecutionDateTime", self.execution_datetime)
        add_required(element, "DeviceID", self.device_id)
        add_required(element, "RequestType", self.request_type)
        if self.request_type is HANLogRequestType.ADD:
            whitelist = sub(element, "AddDeviceToCHFWhitelist")
            add_required(whitelist, "JoinTimePeriod", self.join_time_period)
            add_required(whitelist, "InstallCode", self.install_code)
            add_optional(whitelist, "ImportMPxN", self.import_mpxn)
            add_optional(whitelist, "SecondaryImportMPAN", self.secondary_import_mpan)
            add_optional(whitelist, "ExportMPAN", self.export_mpan)


# --- 8.7.x Join Service ------------------------------------------------------------------------


def _check_join(obj: JoinServiceCritical | JoinServiceNonCritical, srv: str) -> None:
    """Both joins: two valid, different device IDs (the target and OtherDeviceID)."""
    set_field(obj, "target_id", f.device_id(obj.target_id, f"{srv} target device"))
    set_field(obj, "other_device_id", f.device_id(obj.other_device_id, f"{srv} OtherDeviceID"))
    _distinct(srv, obj.target_id, obj.other_device_id, "the target and OtherDeviceID")


@dataclasses.dataclass(frozen=True, slots=True)
class JoinServiceCritical(Intent):
    """8.7.1: join ``other_device_id`` (the PPMID) to the target meter (ESME/GSME); CV 4.

    Critical: the DCC returns a pre-command that the back office signs and resubmits (CV 5).
    """

    KIND: ClassVar[str] = "JoinServiceCritical"
    SERVICE_REFERENCE: ClassVar[str] = "8.7"
    SRV: ClassVar[str] = "8.7.1"
    COMMAND_VARIANT: ClassVar[CommandVariant] = CommandVariant.CRITICAL_TRANSFORM
    BODY_ELEMENT: ClassVar[str] = "JoinServiceCritical"

    target_id: DeviceId
    other_device_id: DeviceId

    def __post_init__(self) -> None:
        _check_join(self, "8.7.1")

    def _device_target(self) -> DeviceId | None:
        return self.target_id

    def _fill_body(self, element: etree._Element) -> None:
        add_required(element, "OtherDeviceID", self.other_device_id)


@dataclasses.dataclass(frozen=True, slots=True)
class JoinServiceNonCritical(Intent):
    """8.7.2: join ``other_device_id`` (the meter) to the target (the PPMID); CV 1."""

    KIND: ClassVar[str] = "JoinServiceNonCritical"
    SERVICE_REFERENCE: ClassVar[str] = "8.7"
    SRV: ClassVar[str] = "8.7.2"
    COMMAND_VARIANT: ClassVar[CommandVariant] = CommandVariant.NON_CRITICAL_WAN
    BODY_ELEMENT: ClassVar[str] = "JoinServiceNonCritical"

    target_id: DeviceId
    other_device_id: DeviceId

    def __post_init__(self) -> None:
        _check_join(self, "8.7.2")

    def _device_target(self) -> DeviceId | None:
        return self.target_id

    def _fill_body(self, element: etree._Element) -> None:
        add_required(element, "OtherDeviceID", self.other_device_id)


# --- 8.4 Update Inventory ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class UpdateDeviceDetails(Intent):
    """8.4 ``UpdateDeviceDetails``: correct a pre-notified Device Model (non-device, CV 8).

    HubCheck's remedy for a bilingual PPMID pre-notified for the wrong generation: move
    it to its other CPL entry by changing the firmware version and SMETS/CHTS version.
    """

    KIND: ClassVar[str] = "UpdateDeviceDetails"
    SERVICE_REFERENCE: ClassVar[str] = "8.4"
    SRV: ClassVar[str] = "8.4"
    COMMAND_VARIANT: ClassVar[CommandVariant] = CommandVariant.NON_DEVICE
    BODY_ELEMENT: ClassVar[str] = "UpdateInventory"

    device_id: DeviceId
    manufacturer: str | None = None
    model: str | None = None
    smets_chts_version: str | None = None
    firmware_version: str | None = None
    esme_variant: ESMEVariant | None = None

    def __post_init__(self) -> None:
        set_field(self, "device_id", f.device_id(self.device_id, "8.4 DeviceID"))
        set_field(self, "manufacturer", f.optional_text(self.manufacturer, "8.4 DeviceManufacturer", max_len=MANUFACTURER_MAX))
        set_field(self, "model", f.optional_text(self.model, "8.4 DeviceModel", max_len=MODEL_MAX))
        set_field(
            self,
            "smets_chts_version",
            f.optional_text(self.smets_chts_version, "8.4 SMETSCHTSVersion", max_len=SMETS_CHTS_MAX),
        )
        set_field(
            self, "firmware_version", f.optional_text(self.firmware_version, "8.4 FirmwareVersion", max_len=FIRMWARE_MAX)
        )
        set_field(self, "esme_variant", f.optional_enum_member(self.esme_variant, ESMEVariant, "8.4 ESMEVariant"))
        if all(
            v is None
            for v in (self.manufacturer, self.model, self.smets_chts_version, self.firmware_version, self.esme_variant)
        ):
            raise DuisFieldError("8.4 UpdateDeviceDetails changes nothing: give at least one detail")

    def _fill_body(self, element: etree._Element) -> None:
        add_required(element, "DeviceID", self.device_id)
        details = sub(element, "UpdateDeviceDetails")
        add_optional(details, "DeviceManufacturer", self.manufacturer)
        add_optional(details, "DeviceModel", self.model)
        add_optional(details, "SMETSCHTSVersion", self.smets_chts_version)
        add_optional(details, "FirmwareVersion", self.firmware_version)
        add_optional(details, "ESMEVariant", self.esme_variant)


@dataclasses.dataclass(frozen=True, slots=True)
class UpdateDeviceStatus(Intent):
    """8.4 ``UpdateDeviceStatusExceptCH``: set a non-hub device Pending / InstalledNotCommissioned."""

    KIND: ClassVar[str] = "UpdateDeviceStatusExceptCH"
    SERVICE_REFERENCE: ClassVar[str] = "8.4"
    SRV: ClassVar[str] = "8.4"
    COMMAND_VARIANT: ClassVar[CommandVariant] = CommandVariant.NON_DEVICE
    BODY_ELEMENT: ClassVar[str] = "UpdateInventory"

    device_id: DeviceId
    status: DeviceStatusExceptCH

    def __post_init__(self) -> None:
        set_field(self, "device_id", f.device_id(self.device_id, "8.4 DeviceID"))
        set_field(self, "status", f.enum_member(self.status, DeviceStatusExceptCH, "8.4 UpdateDeviceStatusExceptCH"))

    def _fill_body(self, element: etree._Element) -> None:
        add_required(element, "DeviceID", self.device_id)
        add_required(element, "UpdateDeviceStatusExceptCH", self.status)


@dataclasses.dataclass(frozen=True, slots=True)
class UpdateHubStatus(Intent):
    """8.4 ``UpdateDeviceStatusCH``: set a hub function Commissioned / Withdrawn / InstalledNotCommissioned."""

    KIND: ClassVar[str] = "UpdateDeviceStatusCH"
    SERVICE_REFERENCE: ClassVar[str] = "8.4"
    SRV: ClassVar[str] = "8.4"
    COMMAND_VARIANT: ClassVar[CommandVariant] = CommandVariant.NON_DEVICE
    BODY_ELEMENT: ClassVar[str] = "UpdateInventory"

    device_id: DeviceId
    status: DeviceStatusCH

    def __post_init__(self) -> None:
        set_field(self, "device_id", f.device_id(self.device_id, "8.4 DeviceID"))
        set_field(self, "status", f.enum_member(self.status, DeviceStatusCH, "8.4 UpdateDeviceStatusCH"))

    def _fill_body(self, element: etree._Element) -> None:
        add_required(element, "DeviceID", self.device_id)
        add_required(element, "UpdateDeviceStatusCH", self.status)


@dataclasses.dataclass(frozen=True, slots=True)
class DeleteDevice(Intent):
    """8.4 ``DeleteDevice``: remove a device record from the inventory (non-device, CV 8)."""

    KIND: ClassVar[str] = "DeleteDevice"
    SERVICE_REFERENCE: ClassVar[str] = "8.4"
    SRV: ClassVar[str] = "8.4"
    COMMAND_VARIANT: ClassVar[CommandVariant] = CommandVariant.NON_DEVICE
    BODY_ELEMENT: ClassVar[str] = "UpdateInventory"

    device_id: DeviceId

    def __post_init__(self) -> None:
        set_field(self, "device_id", f.device_id(self.device_id, "8.4 DeviceID"))

    def _fill_body(self, element: etree._Element) -> None:
        add_required(element, "DeviceID", self.device_id)
        sub(element, "DeleteDevice")


@dataclasses.dataclass(frozen=True, slots=True)
class UpdateDeviceMpxn(Intent):
    """8.4 ``UpdateMPxN``: change exactly one of the MPxNs recorded against a device."""

    KIND: ClassVar[str] = "UpdateMPxN"
    SERVICE_REFERENCE: ClassVar[str] = "8.4"
    SRV: ClassVar[str] = "8.4"
    COMMAND_VARIANT: ClassVar[CommandVariant] = CommandVariant.NON_DEVICE
    BODY_ELEMENT: ClassVar[str] = "UpdateInventory"

    device_id: DeviceId
    import_mpxn: str | None = _field(default=None, repr=False)
    secondary_import_mpan: str | None = _field(default=None, repr=False)
    export_mpan: str | None = _field(default=None, repr=False)

    def __post_init__(self) -> None:
        set_field(self, "device_id", f.device_id(self.device_id, "8.4 DeviceID"))
        set_field(self, "import_mpxn", f.optional_mpxn(self.import_mpxn, "8.4 ImportMPxN"))
        set_field(self, "secondary_import_mpan", f.optional_mpan(self.secondary_import_mpan, "8.4 SecondaryImportMPAN"))
        set_field(self, "export_mpan", f.optional_mpan(self.export_mpan, "8.4 ExportMPAN"))
        given = sum(v is not None for v in (self.import_mpxn, self.secondary_import_mpan, self.export_mpan))
        if given != 1:
            raise DuisFieldError(
                f"8.4 UpdateMPxN changes exactly one of ImportMPxN, SecondaryImportMPAN, ExportMPAN; got {given}"
            )

    def _fill_body(self, element: etree._Element) -> None:
        add_required(element, "DeviceID", self.device_id)
        update = sub(element, "UpdateMPxN")
        add_optional(update, "ImportMPxN", self.import_mpxn)
        add_optional(update, "SecondaryImportMPAN", self.secondary_import_mpan)
        add_optional(update, "ExportMPAN", self.export_mpan)


# --- 8.2 Read Inventory ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class ReadInventory(Intent):
    """8.2: read the DCC's inventory by exactly one of DeviceID, MPxN, UPRN or PropertyFilter (CV 8)."""

    KIND: ClassVar[str] = "ReadInventory"
    SERVICE_REFERENCE: ClassVar[str] = "8.2"
    SRV: ClassVar[str] = "8.2"
    COMMAND_VARIANT: ClassVar[CommandVariant] = CommandVariant.NON_DEVICE
    BODY_ELEMENT: ClassVar[str] = "ReadInventory"

    device_id: DeviceId | None = None
    mpxn: str | None = _field(default=None, repr=False)
    uprn: int | None = None
    postcode: str | None = _field(default=None, repr=False)
    address_identifier: str | None = _field(default=None, repr=False)

    def __post_init__(self) -> None:
        set_field(self, "device_id", f.optional_device_id(self.device_id, "8.2 DeviceID"))
        set_field(self, "mpxn", f.optional_mpxn(self.mpxn, "8.2 MPxN"))
        if self.uprn is not None:
            set_field(self, "uprn", f.integer(self.uprn, "8.2 UPRN", low=1, high=UPRN_MAX))
        set_field(
            self, "postcode", f.optional_text(self.postcode, "8.2 PostCode", min_len=POSTCODE_MIN, max_len=POSTCODE_MAX)
        )
        set_field(
            self,
            "address_identifier",
            f.optional_text(self.address_identifier, "8.2 AddressIdentifier", max_len=ADDRESS_IDENTIFIER_MAX),
        )
        if (self.postcode is None) != (self.address_identifier is None):
            raise DuisFieldError("8.2 PropertyFilter needs both a PostCode and an AddressIdentifier")
        given = sum(v is not None for v in (self.device_id, self.mpxn, self.uprn, self.postcode))
        if given != 1:
            raise DuisFieldError(
                f"8.2 ReadInventory searches by exactly one of DeviceID, MPxN, UPRN or PropertyFilter; got {given}"
            )

    @classmethod
    def by_device_id(cls, device_id: DeviceId) -> ReadInventory:
        return cls(device_id=device_id)

    @classmethod
    def by_mpxn(cls, mpxn: str) -> ReadInventory:
        return cls(mpxn=mpxn)

    @classmethod
    def by_uprn(cls, uprn: int) -> ReadInventory:
        return cls(uprn=uprn)

    @classmethod
    def by_property(cls, postcode: str, address_identifier: str) -> ReadInventory:
        return cls(postcode=postcode, address_identifier=address_identifier)

    def _fill_body(self, element: etree._Element) -> None:
        if self.uprn is not None:
            add_required(element, "UPRN", self.uprn)
        elif self.device_id is not None:
            add_required(element, "DeviceID", self.device_id)
        elif self.mpxn is not None:
            add_required(element, "MPxN", self.mpxn)
        else:
            prop = sub(element, "PropertyFilter")
            add_required(prop, "PostCode", self.postcode)
            add_required(prop, "AddressIdentifier", self.address_identifier)


# --- 11.2 Read Firmware Version ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class ReadFirmwareVersion(Intent):
    """11.2: read the running firmware version of the target (the PPMID: GBCS CS08); CV 1."""

    KIND: ClassVar[str] = "ReadFirmwareVersion"
    SERVICE_REFERENCE: ClassVar[str] = "11.2"
    SRV: ClassVar[str] = "11.2"
    COMMAND_VARIANT: ClassVar[CommandVariant] = CommandVariant.NON_CRITICAL_WAN
    BODY_ELEMENT: ClassVar[str] = "ReadFirmwareVersion"

    target_id: DeviceId
    execution_datetime: datetime | None = None

    def __post_init__(self) -> None:
        set_field(self, "target_id", f.device_id(self.target_id, "11.2 target device"))
        set_field(
            self, "execution_datetime", f.optional_aware_datetime(self.execution_datetime, "11.2 ExecutionDateTime")
        )

    def _device_target(self) -> DeviceId | None:
        return self.target_id

    def _fill_body(self, element: etree._Element) -> None:
        add_optional(element, "ExecutionDateTime", self.execution_datetime)


_ChfStatusUpdate = ChfInstallSuccess | ChfInstallNoSmWan | ChfFaultReturn | ChfNoFaultReturn

#: Every intent class, keyed by its payload ``kind``.
INTENT_CLASSES: dict[str, type[Intent]] = {
    cls.KIND: cls
    for cls in (
        DevicePrenotification,
        ChfInstallSuccess,
        ChfInstallNoSmWan,
        ChfFaultReturn,
        ChfNoFaultReturn,
        UpdateHanDeviceLog,
        JoinServiceCritical,
        JoinServiceNonCritical,
        UpdateDeviceDetails,
        UpdateDeviceStatus,
        UpdateHubStatus,
        DeleteDevice,
        UpdateDeviceMpxn,
        ReadInventory,
        ReadFirmwareVersion,
    )
}
