"""Pydantic models for every JSON body the back office reads or writes: the wire contract.

Field names here are what the laptop sync client sends and receives (docs/API.md shows
them in full). Inputs forbid unknown fields so a misspelt field is reported rather than
silently dropped; free-form data belongs in ``meta``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    model_serializer,
    model_validator,
)

from app.backoffice.validation import check_json, check_text
from app.domain.ids import parse_device_id

MAX_BATCH = 500
STATES = ("waiting", "accepted", "submitted", "succeeded", "failed", "rejected")
State = Literal["waiting", "accepted", "submitted", "succeeded", "failed", "rejected"]
#: The most prerequisites one intent may name (a visit queues a handful of requests).
MAX_PREREQUISITES = 32
RESPONSE_CODE_PATTERN = r"^[IEW][0-9]{1,8}$"


def _device_id(value: str) -> str:
    return parse_device_id(value).value


def _uuid_if_possible(value: str) -> str:
    """An install_id that is a UUID is stored in its canonical spelling so links match."""
    try:
        return str(UUID(value))
    except ValueError:
        return value


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("the instant is outside the supported range") from None


SafeStr = Annotated[str, AfterValidator(check_text)]
DeviceIdStr = Annotated[
    str, Field(max_length=64, examples=["00-0D-6F-00-00-AB-CD-EF"]), AfterValidator(_device_id)
]
UtcInstant = Annotated[AwareDatetime, AfterValidator(_utc)]
JsonObject = Annotated[dict[str, Any], AfterValidator(check_json)]
ShortText = Annotated[SafeStr, Field(min_length=1, max_length=64)]
ResponseCode = Annotated[str, Field(pattern=RESPONSE_CODE_PATTERN, examples=["I0", "E65"])]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


# --------------------------------------------------------------------------- intents


class IntentIn(_In):
    """One queued Service Request as the laptop holds it."""

    idempotency_key: UUID = Field(description="UUID the laptop chose when it queued the intent")
    srv: Annotated[str, Field(pattern=r"^[0-9]{1,2}(\.[0-9]{1,2}){1,2}$", examples=["8.11", "8.14.1"])]
    command_variant: Annotated[int, Field(ge=1, le=9, description="DUIS CommandVariant, 1-9")]
    target: DeviceIdStr = Field(description="BusinessTargetID (any EUI-64 notation; stored canonical)")
    body: JsonObject = Field(description="the SR body fields as a JSON object")
    duis_xml: Annotated[SafeStr, Field(min_length=1, max_length=1_000_000)] = Field(
        description="the unsigned DUIS rendering, schema-checked on the laptop"
    )
    install_id: Annotated[ShortText, AfterValidator(_uuid_if_possible)] | None = Field(
        default=None, description="links the intent to its install record (a UUID)"
    )
    job_ref: ShortText | None = None
    created_at: UtcInstant = Field(description="when the laptop queued it (with a UTC offset)")
    meta: JsonObject = Field(default_factory=dict)
    depends_on: Annotated[list[UUID], Field(max_length=MAX_PREREQUISITES)] = Field(
        default_factory=list,
        description="idempotency keys of the intents that must succeed before this one goes to the DCC",
    )
    needs_approval: StrictBool = Field(
        default=False, description="true: it waits for a back-office approval before going to the DCC"
    )

    @model_validator(mode="after")
    def _prerequisites_make_sense(self) -> IntentIn:
        if self.idempotency_key in self.depends_on:
            raise ValueError("depends_on names the intent itself; an intent cannot wait for itself")
        if len(set(self.depends_on)) != len(self.depends_on):
            raise ValueError("depends_on names the same key twice; list each prerequisite once")
        return self

    @model_serializer(mode="wrap")
    def _without_default_order(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Leave out ``depends_on`` / ``needs_approval`` at their defaults.

        The dump is what the replay fingerprint is taken of: an intent sent by a laptop
        without these fields (or stored before they existed) keeps the fingerprint it had.
        """
        data: dict[str, Any] = handler(self)
        if not data.get("depends_on"):
            data.pop("depends_on", None)
        if not data.get("needs_approval"):
            data.pop("needs_approval", None)
        return data


class ApprovalOut(BaseModel):
    """Where an intent's back-office approval stands."""

    decision: Literal["pending", "approved", "refused"]
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None = Field(description="why it was refused")


class IntentView(BaseModel):
    """An intent as the back office reports it (same shape in every response)."""

    idempotency_key: str
    state: State
    srv: str
    command_variant: int
    target: str
    install_id: str | None
    job_ref: str | None
    request_id: str | None = Field(description="originator:target:counter, set at submission")
    response_code: str | None = Field(description="the DCC's response code once answered")
    reason: str | None = Field(description="why it was rejected or failed, when known")
    accepted_at: datetime
    submitted_at: datetime | None
    updated_at: datetime
    accepted_seq: int = Field(description="the status-change sequence number of its acceptance")
    depends_on: list[str] = Field(
        default_factory=list, description="the keys that must succeed before it goes to the DCC"
    )
    needs_approval: bool = False
    approval: ApprovalOut | None = Field(default=None, description="null when it needs no approval")


Outcome = Literal["created", "replayed", "conflict", "invalid"]


class ItemError(BaseModel):
    code: Literal["invalid", "key_conflict"]
    message: str
    errors: list[dict[str, Any]] = Field(default_factory=list)


class BatchItemResult(BaseModel):
    """The result for one item of a batch, in the order the items were sent."""

    index: int
    idempotency_key: str | None
    outcome: Outcome
    status: int = Field(description="the HTTP status this item would have had alone: 201, 200 or 422")
    intent: IntentView | None = None
    error: ItemError | None = None


class IntentBatchResult(BaseModel):
    results: list[BatchItemResult]
    created: int
    replayed: int
    errors: int


# --------------------------------------------------------------------------- status pull


class StatusChangeOut(BaseModel):
    seq: int
    idempotency_key: str
    state: State
    request_id: str | None
    response_code: str | None
    reason: str | None
    changed_at: datetime
    srv: str
    install_id: str | None


class StatusPage(BaseModel):
    changes: list[StatusChangeOut]
    cursor: int = Field(description="pass as ?since= next time; equals `since` when nothing changed")
    more: bool = Field(description="true when the limit cut the page short: pull again at once")


# --------------------------------------------------------------------------- installs


class ReasonIn(_In):
    code: Annotated[SafeStr, Field(min_length=1, max_length=64)]
    severity: Literal["info", "warn", "block"]
    message: Annotated[SafeStr, Field(max_length=2000)] = ""


class InstallIn(_In):
    """An install visit's record, keyed by the laptop's install_id (UUID)."""

    install_id: UUID
    job_ref: ShortText
    ppmid: DeviceIdStr | None = None
    hub: DeviceIdStr | None = None
    meter: DeviceIdStr | None = None
    verdict_level: Literal["ok", "warn", "block", "unknown"]
    reasons: Annotated[list[ReasonIn], Field(max_length=100)] = Field(default_factory=list)
    override_reason: Annotated[SafeStr, Field(max_length=2000)] | None = None
    outcome: Literal["recorded", "aborted"]
    started_at: UtcInstant
    finished_at: UtcInstant | None = None
    meta: JsonObject = Field(default_factory=dict)


class IntentSummary(BaseModel):
    idempotency_key: str
    srv: str
    state: State
    request_id: str | None
    response_code: str | None


class InventoryChangeOut(BaseModel):
    """Where the record's manual inventory change stands (DOMAIN A5): the laptop learns the
    decision from here (``GET /v1/installs/{install_id}``), as the admin took it."""

    decision: Literal["pending", "approved", "refused"]
    reason: str | None = Field(description="why it was decided so (a refusal always has one); null while pending")
    decided_by: str | None = Field(description="who decided; null while pending")
    decided_at: datetime | None = Field(description="when it was decided; null while pending")


class InstallOut(BaseModel):
    install_id: str
    installer: str
    job_ref: str
    ppmid: str | None
    hub: str | None
    meter: str | None
    verdict_level: str
    reasons: list[dict[str, Any]]
    override_reason: str | None
    outcome: str
    started_at: datetime
    finished_at: datetime | None
    received_at: datetime
    meta: dict[str, Any]
    intents: list[IntentSummary] = Field(description="the intents queued for this install, with their states")
    inventory_change: InventoryChangeOut | None = Field(
        default=None,
        description="the manual inventory change the record asked for and its decision; null when it asked for none",
    )


class InstallItemResult(BaseModel):
    index: int
    install_id: str | None
    outcome: Outcome
    status: int
    install: InstallOut | None = None
    error: ItemError | None = None


class InstallBatchResult(BaseModel):
    results: list[InstallItemResult]
    created: int
    replayed: int
    errors: int


class InstallPage(BaseModel):
    installs: list[InstallOut]
    total: int
    limit: int
    offset: int


# --------------------------------------------------------------------------- files


class CplInfo(BaseModel):
    id: int
    name: str
    published_on: date
    uploaded_at: datetime
    sha256: str
    size: int


class JobPackInfo(BaseModel):
    id: int
    name: str
    installer: str | None = Field(description="null: meant for every installer")
    uploaded_at: datetime
    sha256: str
    size: int
    job_refs: list[str]


class JobPackList(BaseModel):
    jobpacks: list[JobPackInfo]


# --------------------------------------------------------------------------- regime


RegimeName = Literal["tactical", "mp202"]


class ScheduledRegime(BaseModel):
    regime: RegimeName
    effective_from: date


class RegimeOut(BaseModel):
    regime: RegimeName = Field(description="the regime in force today (GB date)")
    effective_from: date | None = Field(description="null when no regime was ever set (the default)")
    source: Literal["schedule", "default"]
    today: date
    scheduled: ScheduledRegime | None = Field(description="the next change, if one is scheduled")


class RegimeSet(_In):
    regime: RegimeName
    effective_from: date


# --------------------------------------------------------------------------- admin


class DccEventIn(_In):
    """What a DCC adapter reports about one intent (the simulator uses the same code path)."""

    event: Literal["submitted", "response", "rejected"]
    response_code: ResponseCode | None = None
    reason: Annotated[SafeStr, Field(max_length=2000)] | None = None


PersonName = Annotated[
    SafeStr,
    Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$"),
]


class ApprovalIn(_In):
    """A person approves an intent that waits for approval."""

    by: PersonName = Field(description="who approves (a person's name, kept in the audit log)")
    reason: Annotated[SafeStr | None, Field(max_length=2000)] = Field(
        default=None, description="why it is approved (optional; kept in the audit log's detail)"
    )


class RefusalIn(_In):
    """A person refuses an intent that waits for approval: it fails, and so do its dependants."""

    by: PersonName = Field(description="who refuses (kept in the audit log)")
    reason: Annotated[SafeStr, Field(min_length=1, max_length=2000, pattern=r"\S")] = Field(
        description="why; the laptop shows it with the failed request"
    )


class AuditOut(BaseModel):
    at: datetime
    actor: str
    via: str
    action: str
    subject: str
    detail: dict[str, Any]


class AuditPage(BaseModel):
    entries: list[AuditOut]


class IntentList(BaseModel):
    intents: list[IntentView]
    more: bool = Field(description="true when the limit cut the list short")


class WhoAmI(BaseModel):
    installer: str
    admin: bool
    analyst: bool = False
