"""Install records: idempotent intake from laptops and the review screen's queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Body, HTTPException, Query, Response, status
from sqlalchemy import select

from app.backoffice.batching import Item
from app.backoffice.installs import InstallQuery, intake_installs, query_installs
from app.backoffice.models import InstallRecord
from app.backoffice.schemas import (
    MAX_BATCH,
    InstallBatchResult,
    InstallIn,
    InstallItemResult,
    InstallOut,
    InstallPage,
)
from app.backoffice.timeutil import GB_ZONE
from app.backoffice.tokens import Principal, find_installer
from app.backoffice.validation import text_problem
from app.backoffice.views import install_views
from app.backoffice.web.common import (
    ERROR_RESPONSES,
    batch_counts,
    body_under_key,
    item_error_detail,
    json_body,
    write_with_retry,
)
from app.backoffice.web.deps import ClockDep, PrincipalDep, StoreDep

router = APIRouter(prefix="/v1", tags=["installs"], responses=ERROR_RESPONSES)


def _results(session: Any, done: list[Item[InstallIn]]) -> list[InstallItemResult]:
    rows = [item.row for item in done if isinstance(item.row, InstallRecord)]
    views = {view.install_id: view for view in install_views(session, rows)}
    return [
        InstallItemResult(
            index=item.index,
            install_id=item.key,
            outcome=item.outcome,  # type: ignore[arg-type]
            status=item.status,
            install=views.get(item.row.install_id) if isinstance(item.row, InstallRecord) else None,
            error=item.error,
        )
        for item in done
    ]


@router.post(
    "/installs",
    response_model=InstallBatchResult,
    summary="Submit a batch of install records (idempotent by install_id, per-item results)",
    openapi_extra=json_body(
        "InstallIn", array=True, max_items=MAX_BATCH, description="1-500 install records"
    ),
)
def submit_installs(
    items: Annotated[list[Any], Body(min_length=1, max_length=MAX_BATCH)],
    principal: PrincipalDep,
    store: StoreDep,
    clock: ClockDep,
) -> InstallBatchResult:
    def work(session: Any) -> list[InstallItemResult]:
        return _results(session, intake_installs(session, principal.installer_id, items, clock()))

    results = write_with_retry(store, work)
    return InstallBatchResult(results=results, **batch_counts(results))


@router.post(
    "/installs/{install_id}",
    response_model=InstallOut,
    status_code=status.HTTP_201_CREATED,
    summary="Submit one install record under the install_id in the path",
    responses={200: {"model": InstallOut, "description": "a replay: the record stored earlier"}},
    openapi_extra=json_body("InstallIn", description="an install record; install_id may be left out"),
)
def submit_install(
    install_id: UUID,
    item: Annotated[dict[str, Any], Body()],
    principal: PrincipalDep,
    store: StoreDep,
    clock: ClockDep,
    response: Response,
) -> InstallOut:
    body = body_under_key(
        item, "install_id", install_id, "install_id in the body differs from the one in the path"
    )

    def work(session: Any) -> InstallItemResult:
        return _results(session, intake_installs(session, principal.installer_id, [body], clock()))[0]

    result = write_with_retry(store, work)
    if result.error is not None or result.install is None:
        raise HTTPException(422, detail=item_error_detail(result.error) if result.error else "not stored")
    response.status_code = result.status
    return result.install


def _instant(text: str | None, name: str, end: bool) -> datetime | None:
    """A query bound: a GB date (whole day) or an ISO datetime with an offset."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            if end:
                day = day + timedelta(days=1)
            return datetime.combine(day, time(0), tzinfo=GB_ZONE or UTC).astimezone(UTC)
        value = datetime.fromisoformat(text)
        if value.tzinfo is None:
            raise HTTPException(422, detail=f"{name} needs a UTC offset, e.g. 2026-05-01T08:00:00Z")
        return value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise HTTPException(
            422, detail=f"{name} must be a date (YYYY-MM-DD) or an ISO datetime within years 1-9999"
        ) from None


def _installer_filter(session: Any, principal: Principal, name: str | None) -> int | None:
    """Installers see only themselves; an admin may name anyone (or nobody, for all)."""
    if not principal.is_admin:
        if name is not None and name != principal.name:
            raise HTTPException(403, detail="an installer token may only query its own records")
        return principal.installer_id
    if name is None:
        return None
    installer = find_installer(session, name)
    return installer.id if installer is not None else -1


@router.get(
    "/installs",
    response_model=InstallPage,
    summary="Query install records (newest first)",
    responses={403: {"description": "an installer token asking for another installer's records"}},
)
def list_installs(
    principal: PrincipalDep,
    store: StoreDep,
    installer: Annotated[str | None, Query(max_length=100)] = None,
    job_ref: Annotated[str | None, Query(max_length=64)] = None,
    date_from: Annotated[
        str | None,
        Query(alias="from", max_length=40, description="start bound (inclusive): date or datetime"),
    ] = None,
    date_to: Annotated[
        str | None, Query(alias="to", max_length=40, description="end bound: a date includes that whole day")
    ] = None,
    outcome: Literal["recorded", "aborted"] | None = None,
    verdict_level: Literal["ok", "warn", "block", "unknown"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> InstallPage:
    for label, value in (("installer", installer), ("job_ref", job_ref)):
        if value is not None and (problem := text_problem(value)):
            raise HTTPException(422, detail=f"{label} {problem}")
    start = _instant(date_from, "from", end=False)
    end = _instant(date_to, "to", end=True)
    with store.read() as session:
        query = InstallQuery(
            installer_id=_installer_filter(session, principal, installer),
            job_ref=job_ref,
            started_from=start,
            started_to=end,
            outcome=outcome,
            verdict_level=verdict_level,
            limit=limit,
            offset=offset,
        )
        rows, total = query_installs(session, query)
        return InstallPage(installs=install_views(session, rows), total=total, limit=limit, offset=offset)


@router.get("/installs/{install_id}", response_model=InstallOut, summary="One install record")
def get_install(install_id: UUID, principal: PrincipalDep, store: StoreDep) -> InstallOut:
    with store.read() as session:
        stmt = select(InstallRecord).where(InstallRecord.install_id == str(install_id))
        if not principal.is_admin:
            stmt = stmt.where(InstallRecord.installer_id == principal.installer_id)
        row = session.scalar(stmt)
        if row is None:
            raise HTTPException(404, detail="no install record with that install_id for this installer")
        return install_views(session, [row])[0]
