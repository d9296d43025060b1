"""What the review window asks of a source of install records, whichever it is.

The analyst reviews either a laptop's own database or the back office's (every installer).
Both sources answer the same questions with the same plain values, so the window, the
exports and the benchmarks never know which one they talk to. Filtering, sorting and
paging happen in the database behind a source (keyset pages: a cursor, never an offset),
because the back office holds a million visits and the window must show its first rows
at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol


class SortColumn(StrEnum):
    """Columns the analyst may sort by; each has an index behind it at the back office."""

    STARTED_AT = "started_at"
    INSTALLER = "installer"
    JOB_REF = "job_ref"
    VERDICT_LEVEL = "verdict_level"
    SR_STATE = "sr_state"


class SrProgress(StrEnum):
    """One word for where a visit's Service Requests are, worst first for sorting."""

    FAILED = "failed"  # at least one request failed or was refused
    WAITING = "waiting"  # some still queued, sent or awaiting approval
    DONE = "done"  # every request reached a successful final state
    WITHDRAWN = "withdrawn"  # the visit was withdrawn before anything was sent
    NONE = "none"  # the visit queued no request (an aborted visit)


@dataclass(frozen=True)
class ReviewFilter:
    """The analyst's filter; ``None`` (or empty text) means "any"."""

    date_from: date | None = None  # on started_at, GB local date, inclusive
    date_to: date | None = None  # inclusive (the whole day)
    installer: str | None = None
    verdict_level: str | None = None  # ok | warn | block | unknown
    reason_code: str | None = None  # one of the visit's reason codes
    overridden: bool | None = None
    sr_state: SrProgress | None = None
    text: str = ""  # a job reference or a device ID (PPMID, hub or meter), prefix match


@dataclass(frozen=True)
class ReviewSort:
    column: SortColumn = SortColumn.STARTED_AT
    descending: bool = True


@dataclass(frozen=True)
class ReviewRow:
    """One install record as a table row (no personal data: MPxN and address are in the detail)."""

    record_id: str  # the laptop's install visit id, also the back office's install_id
    started_at: datetime  # timezone-aware
    installer: str
    job_ref: str
    ppmid: str | None
    hub: str | None
    regime: str  # tactical | mp202 | "" when not recorded
    regime_source: str  # settings | backoffice | ""
    verdict_level: str  # ok | warn | block | unknown
    outcome: str  # recorded | aborted
    overridden: bool
    scenario: str  # the visit scenario code, "" when none
    sr_state: SrProgress
    sr_total: int
    sr_done: int
    sr_failed: int


@dataclass(frozen=True)
class ReviewPage:
    rows: list[ReviewRow]
    next_cursor: str | None  # opaque; pass back as ``after`` for the next page, None at the end


@dataclass(frozen=True)
class SrEvent:
    """One step of a Service Request's life (queued, sent, accepted, responded, failed…)."""

    at: datetime
    state: str
    response_code: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class SrTimeline:
    idempotency_key: str
    srv: str  # e.g. "8.11"
    srv_name: str  # display name from the catalogue
    target: str
    state: str
    request_id: str | None
    response_code: str | None
    events: list[SrEvent] = field(default_factory=list)


#: How a label reached HubCheck, as the visit's meta says it (``ppmid_scan_entry`` /
#: ``hub_scan_entry``): a scanner's burst, the camera, a photo, or typed by a person. The same
#: words as ``app.services.installs.SCAN_ENTRIES`` (a test keeps them equal); repeated here so
#: the back office reads a record without importing the installer's services.
SCAN_ENTRIES = ("scanner", "camera", "photo", "typed")


def scan_entry(value: object) -> str | None:
    """``value`` when it is one of :data:`SCAN_ENTRIES`, else None (not known, or a word this
    version does not know: a record's meta is whatever the laptop sent)."""
    return value if isinstance(value, str) and value in SCAN_ENTRIES else None


@dataclass(frozen=True)
class InventoryDecision:
    """Where a visit's manual inventory change stands (DOMAIN A5): ``pending`` until an admin at
    the back office approves or refuses it; then who decided, when and why (a refusal always
    says why). A laptop knows a decision once a sync has brought it back."""

    decision: str  # pending | approved | refused
    decided_by: str | None = None
    decided_at: datetime | None = None  # timezone-aware
    reason: str | None = None


@dataclass(frozen=True)
class ReviewDetail:
    """Everything the detail pane, the PDF certificate and the CSV need about one visit."""

    row: ReviewRow
    meter: str | None
    resulting_smets: str | None  # "SMETS1" | "SMETS2+" | None
    reasons: list[dict[str, str]]  # each {"code", "level", "text", "remedy"} as the installer saw it
    override_reason: str | None
    abort_reason: str | None
    ppmid_scan: str | None  # the label text as scanned (install code redacted)
    hub_scan: str | None
    mpxn: str | None  # personal data: masked by redacted exports
    address: list[str]
    postcode: str | None
    audit_hash: str | None  # the journal entry hash of the record, for the certificate's QR code
    requests: list[SrTimeline] = field(default_factory=list)
    #: How each label was entered (one of :data:`SCAN_ENTRIES`), None when not known (a visit
    #: recorded from the command line, or before HubCheck kept it): a typed ID may be mis-typed.
    ppmid_scan_entry: str | None = None
    hub_scan_entry: str | None = None
    #: The manual inventory change the visit asked for instead of an 8.4 and its decision; None
    #: when it asked for none.
    inventory_change: InventoryDecision | None = None


@dataclass(frozen=True)
class DayCount:
    day: date
    level: str
    count: int


@dataclass(frozen=True)
class DashboardSummary:
    """The month at a glance; each figure is reachable as a filter on the table."""

    visits_per_day: list[DayCount]
    override_rate: dict[str, tuple[int, int]]  # installer -> (overridden, recorded)
    sr_failures: dict[tuple[str, str], int]  # (srv, response_code) -> count
    regime_periods: list[tuple[date, str]]  # (from date, regime) in order


@dataclass(frozen=True)
class ChainState:
    """One installer's (one laptop's) audit journal as the source verified it."""

    installer: str
    laptop: str
    entries: int
    intact: bool
    first_broken: str | None  # a plain sentence naming the first broken link, None when intact
    last_synced: datetime | None


#: The start of a manual inventory change's ``approval_id`` (then the install record's id); an
#: 8.4 remedy's ``approval_id`` is its intent's idempotency key, a bare UUID.
INSTALL_APPROVAL_PREFIX = "install:"


@dataclass(frozen=True)
class PendingApproval:
    """An 8.4 remedy or a manual inventory change waiting for the analyst."""

    approval_id: str  # the intent's idempotency key, or "install:" + the install record's id
    kind: str  # "remedy_8_4" | "inventory_change"
    installer: str
    job_ref: str | None
    record_id: str | None
    srv: str
    target: str
    requested_at: datetime
    summary: str  # one sentence saying what would happen if approved


class ReviewError(Exception):
    """A source could not answer; the message is one plain sentence for the analyst."""


class ReviewSource(Protocol):
    """A place install records can be reviewed from (the laptop's database or the back office)."""

    @property
    def description(self) -> str:
        """Where the rows come from, for the window title ("Back office https://…", "This laptop")."""
        ...

    @property
    def can_approve(self) -> bool:
        """True when approvals may be decided here (a back office admin token)."""
        ...

    def page(
        self, flt: ReviewFilter, sort: ReviewSort, after: str | None = None, limit: int = 200
    ) -> ReviewPage: ...

    def detail(self, record_id: str) -> ReviewDetail: ...

    def details(self, record_ids: Sequence[str]) -> list[ReviewDetail]:
        """The details of these records, in the order given (an id given twice comes twice):
        what ``detail()`` answers for each, read in bulk (an export asks for a page's records at
        once). A record id that does not exist raises ReviewError as ``detail()`` does."""
        ...

    def installers(self) -> list[str]: ...

    def summary(self, flt: ReviewFilter) -> DashboardSummary: ...

    def chains(self) -> list[ChainState]: ...

    def approvals(self) -> list[PendingApproval]: ...

    def decide(self, approval_id: str, approve: bool, reason: str) -> None:
        """Approve or refuse; audited at the source exactly as the command line does it."""
        ...
