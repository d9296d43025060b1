"""``/v1/review``: the analyst's read-only view of every installer's install records.

Analyst tokens (``token create NAME --analyst``) and admin tokens may read here; an
installer's token gets 403 (it sees only its own records, through ``/v1/installs``).
Nothing here writes: approving stays the admin routes' ``/v1/admin/intents/{key}/approve``
and ``…/refuse`` (8.4 remedies) and ``/v1/admin/installs/{install_id}/approve|refuse`` (a
visit's manual inventory change), so a decision from the review window is the same audited
action as everywhere else. The queries themselves live in ``app/backoffice/review_query.py``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel, Field

from app.backoffice.review_query import (
    review_approvals,
    review_detail,
    review_details,
    review_installers,
    review_page,
    review_summary,
)
from app.backoffice.schemas import SafeStr
from app.backoffice.validation import safe_text
from app.backoffice.web.common import ERROR_RESPONSES
from app.backoffice.web.deps import ReviewerDep, StoreDep
from app.services.review.common import MAX_PAGE
from app.services.review.contract import (
    DayCount,
    PendingApproval,
    ReviewDetail,
    ReviewError,
    ReviewFilter,
    ReviewRow,
    ReviewSort,
    SortColumn,
    SrProgress,
)

_READ_RESPONSES: dict[int | str, dict[str, object]] = {
    **ERROR_RESPONSES,
    403: {"description": "an installer's token: the review needs an analyst or admin token"},
    422: {"description": "a parameter does not fit (a bad date, cursor or limit); `detail` says which"},
    503: {"description": "the database is busy or unreachable; retry after `Retry-After` seconds"},
}

router = APIRouter(prefix="/v1/review", tags=["review"], responses=_READ_RESPONSES)


class ReviewPageOut(BaseModel):
    rows: list[ReviewRow]
    next: str | None = Field(description="pass back as `after` for the next page; null on the last page")


class OverrideRate(BaseModel):
    installer: str
    overridden: int
    recorded: int


class SrFailureCount(BaseModel):
    srv: str
    response_code: str
    count: int


class RegimePeriod(BaseModel):
    from_date: date = Field(alias="from")
    regime: str


class SummaryOut(BaseModel):
    visits_per_day: list[DayCount]
    override_rate: list[OverrideRate]
    sr_failures: list[SrFailureCount]
    regime_periods: list[RegimePeriod]


class InstallersOut(BaseModel):
    installers: list[str]


class ApprovalsOut(BaseModel):
    approvals: list[PendingApproval]


def _filter(
    date_from: Annotated[date | None, Query(description="first GB date, inclusive")] = None,
    date_to: Annotated[date | None, Query(description="last GB date, inclusive")] = None,
    installer: Annotated[str | None, Query(max_length=100)] = None,
    verdict_level: Annotated[Literal["ok", "warn", "block", "unknown"] | None, Query()] = None,
    reason_code: Annotated[str | None, Query(max_length=40)] = None,
    overridden: Annotated[bool | None, Query()] = None,
    sr_state: Annotated[SrProgress | None, Query()] = None,
    text: Annotated[str, Query(max_length=64, description="job reference or device ID prefix")] = "",
) -> ReviewFilter:
    return ReviewFilter(
        date_from=date_from,
        date_to=date_to,
        installer=installer or None,
        verdict_level=verdict_level,
        reason_code=reason_code or None,
        overridden=overridden,
        sr_state=sr_state,
        text=text,
    )


#: The analyst's filter from the query string, the same parameters for the page and the summary.
FilterDep = Annotated[ReviewFilter, Depends(_filter)]


def _unprocessable(exc: ReviewError) -> HTTPException:
    return HTTPException(422, detail=str(exc))


@router.get("/visits", response_model=ReviewPageOut, summary="One keyset page of install records, every installer")
def get_visits(
    _reviewer: ReviewerDep,
    store: StoreDep,
    flt: FilterDep,
    sort: Annotated[SortColumn, Query()] = SortColumn.STARTED_AT,
    desc: Annotated[bool, Query()] = True,
    after: Annotated[str | None, Query(max_length=1000, description="the `next` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 200,
) -> ReviewPageOut:
    try:
        with store.read() as session:
            page = review_page(session, flt, ReviewSort(sort, desc), after, limit)
    except ReviewError as exc:
        raise _unprocessable(exc) from None
    return ReviewPageOut(rows=page.rows, next=page.next_cursor)


@router.get(
    "/visits/{record_id}",
    response_model=ReviewDetail,
    summary="One install record in full: reasons, remedies, Service Request timelines, the job",
    responses={404: {"description": "no install record with this id"}},
)
def get_visit(
    record_id: Annotated[str, Path(max_length=64)], _reviewer: ReviewerDep, store: StoreDep
) -> ReviewDetail:
    try:
        with store.read() as session:
            return review_detail(session, record_id)
    except ReviewError as exc:
        raise HTTPException(404, detail=str(exc)) from None


class DetailsIn(BaseModel):
    ids: list[Annotated[SafeStr, Field(max_length=64)]] = Field(
        min_length=1, max_length=MAX_PAGE, description=f"1 to {MAX_PAGE} install record ids (a page's records)"
    )


class DetailsOut(BaseModel):
    details: list[ReviewDetail] = Field(description="each record as `GET /v1/review/visits/{record_id}` answers it, "
                                        "in the order asked")


@router.post(
    "/details",
    response_model=DetailsOut,
    summary=f"Up to {MAX_PAGE} install records in full, in the order asked (an export reads a page at once)",
    responses={404: {"description": "one of the ids names no install record; `detail` says which"}},
)
def post_details(body: DetailsIn, _reviewer: ReviewerDep, store: StoreDep) -> DetailsOut:
    try:
        with store.read() as session:
            return DetailsOut(details=review_details(session, body.ids))
    except ReviewError as exc:
        raise HTTPException(404, detail=safe_text(exc)) from None


@router.get("/installers", response_model=InstallersOut, summary="Every installer's name")
def get_installers(_reviewer: ReviewerDep, store: StoreDep) -> InstallersOut:
    with store.read() as session:
        return InstallersOut(installers=review_installers(session))


@router.get("/summary", response_model=SummaryOut, summary="The dashboard's figures for a filter")
def get_summary(
    _reviewer: ReviewerDep,
    store: StoreDep,
    flt: FilterDep,
) -> SummaryOut:
    try:
        with store.read() as session:
            summary = review_summary(session, flt)
    except ReviewError as exc:
        raise _unprocessable(exc) from None
    return SummaryOut(
        visits_per_day=summary.visits_per_day,
        override_rate=[OverrideRate(installer=k, overridden=o, recorded=n) for k, (o, n) in summary.override_rate.items()],
        sr_failures=[
            SrFailureCount(srv=srv, response_code=code, count=n) for (srv, code), n in summary.sr_failures.items()
        ],
        regime_periods=[RegimePeriod.model_validate({"from": d, "regime": r}) for d, r in summary.regime_periods],
    )


@router.get(
    "/approvals",
    response_model=ApprovalsOut,
    summary="What waits for a decision: 8.4 remedies (decide with /v1/admin/intents/{key}/approve or refuse) and "
    "visits' manual inventory changes (approval_id install:ID; decide with /v1/admin/installs/{install_id}/…)",
)
def get_approvals(_reviewer: ReviewerDep, store: StoreDep) -> ApprovalsOut:
    with store.read() as session:
        return ApprovalsOut(approvals=review_approvals(session))

