"""DUIS v5.4 Service Requests as typed intents: validate, render, store, and read the answers.

Pure Python (standard library + lxml); no Qt, database, network or file access — except
:meth:`DuisSchema.from_path`, which reads the XSD file the caller names.

Typical use (services layer)::

    intents = plan_visit(hub_id=..., ppmid_id=..., install_code=..., meter_id=...,
                         meter_type=DeviceType.ESME, mpxn=..., hub_location=CHFLocation.DEEP_INDOORS,
                         aerial_install=False)
    for intent in intents:
        xml = intent.render(intent.request_id(originator, counter), schema=schema)  # checked
        outbox.add(intent.to_payload(), xml)
    ...
    intent = intent_from_payload(stored_payload)      # back office / retry
    answer = parse_response(response_bytes)           # I0 / I99 / E… / W…, 8.2 devices
"""

from app.domain.duis.base import PAYLOAD_FORMAT, Intent, JsonValue
from app.domain.duis.enums import (
    CHFConnectionMethod,
    CHFFaultReason,
    CHFFaultReturnType,
    CHFInstallType,
    CHFLocation,
    CHFNoFaultReturnType,
    CommandVariant,
    Connectivity,
    CSPRegion,
    DeviceStatus,
    DeviceStatusCH,
    DeviceStatusExceptCH,
    ESMEVariant,
    HANLogRequestType,
    PremiseType,
)
from app.domain.duis.errors import (
    DuisError,
    DuisFieldError,
    DuisResponseError,
    DuisSchemaError,
    IntentPayloadError,
    RequestIdError,
    UnsafeXmlError,
)
from app.domain.duis.intents import (
    INTENT_CLASSES,
    JOIN_TIME_PERIOD_MAX,
    ChfFaultReturn,
    ChfInstallNoSmWan,
    ChfInstallSuccess,
    ChfNoFaultReturn,
    DeleteDevice,
    DevicePrenotification,
    JoinServiceCritical,
    JoinServiceNonCritical,
    ReadFirmwareVersion,
    ReadInventory,
    UpdateDeviceDetails,
    UpdateDeviceMpxn,
    UpdateDeviceStatus,
    UpdateHanDeviceLog,
    UpdateHubStatus,
)
from app.domain.duis.payload import intent_from_payload, to_payload
from app.domain.duis.request_id import DCC_ACCESS_CONTROL_BROKER, RequestId, parse_request_id
from app.domain.duis.responses import (
    DuisResponse,
    InventoryDevice,
    ResponseCategory,
    categorise_code,
    parse_response,
)
from app.domain.duis.schema import DuisSchema
from app.domain.duis.visit import (
    CplMoveRemedy,
    MeterToAdd,
    NoWanSurvey,
    PlannedStep,
    Scenario,
    ScenarioProposal,
    VisitPlanError,
    parse_scenario,
    plan_visit,
    plan_visit_steps,
    propose_scenario,
)

__all__ = [
    "DCC_ACCESS_CONTROL_BROKER",
    "INTENT_CLASSES",
    "JOIN_TIME_PERIOD_MAX",
    "PAYLOAD_FORMAT",
    "CHFConnectionMethod",
    "CHFFaultReason",
    "CHFFaultReturnType",
    "CHFInstallType",
    "CHFLocation",
    "CHFNoFaultReturnType",
    "CSPRegion",
    "ChfFaultReturn",
    "ChfInstallNoSmWan",
    "ChfInstallSuccess",
    "ChfNoFaultReturn",
    "CommandVariant",
    "Connectivity",
    "CplMoveRemedy",
    "DeleteDevice",
    "DevicePrenotification",
    "DeviceStatus",
    "DeviceStatusCH",
    "DeviceStatusExceptCH",
    "DuisError",
    "DuisFieldError",
    "DuisResponse",
    "DuisResponseError",
    "DuisSchema",
    "DuisSchemaError",
    "ESMEVariant",
    "HANLogRequestType",
    "Intent",
    "IntentPayloadError",
    "InventoryDevice",
    "JoinServiceCritical",
    "JoinServiceNonCritical",
    "JsonValue",
    "MeterToAdd",
    "NoWanSurvey",
    "PremiseType",
    "PlannedStep",
    "ReadFirmwareVersion",
    "ReadInventory",
    "RequestId",
    "RequestIdError",
    "ResponseCategory",
    "Scenario",
    "ScenarioProposal",
    "UnsafeXmlError",
    "UpdateDeviceDetails",
    "UpdateDeviceMpxn",
    "UpdateDeviceStatus",
    "UpdateHanDeviceLog",
    "UpdateHubStatus",
    "VisitPlanError",
    "categorise_code",
    "intent_from_payload",
    "parse_request_id",
    "parse_response",
    "parse_scenario",
    "plan_visit",
    "plan_visit_steps",
    "propose_scenario",
    "to_payload",
]
