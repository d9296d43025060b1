"""Admin endpoints (admin tokens only): uploads, the regime schedule, DCC events.

``POST /v1/admin/intents/{key}/events`` is the hook a DCC adapter (or a tester) uses to
report what happened to an intent; it goes through ``transitions`` like the simulator.
``…/approve`` and ``…/refuse`` decide an intent that waits for an approval (an 8.4 remedy);
both are written to the audit log with the person's name and the admin token used.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, TypeVar
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from app.backoffice.files import MAX_FILE_BYTES, UploadError, upload_cpl, upload_jobpack
from app.backoffice.models import Intent
from app.backoffice.ordering import ApprovalError, UnknownIntent, approve, audit_entries, find_intents, refuse
from app.backoffice.regime import regime_on, set_regime
from app.backoffice.schemas import (
    ApprovalIn,
    AuditPage,
    CplInfo,
    DccEventIn,
    IntentList,
    IntentView,
    JobPackInfo,
    RefusalIn,
    RegimeOut,
    RegimeSet,
    State,
)
from app.backoffice.timeutil import gb_today
from app.backoffice.tokens import Principal, find_installer
from app.backoffice.transitions import TransitionError, lock_intent, record_response, reject, submit
from app.backoffice.views import full_intent_view, intent_views
from app.backoffice.web.common import ERROR_RESPONSES, binary_body
from app.backoffice.web.deps import AdminDep, ClockDep, StoreDep
from app.backoffice.web.files import cpl_info, jobpack_info

T = TypeVar("T")

router = APIRouter(
    prefix="/v1/admin",
    tags=["admin"],
    responses={**ERROR_RESPONSES, 403: {"description": "an installer token, not an admin one"}},
)


async def _read_upload(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    # isascii: str.isdigit() also accepts digits such as "²" that int() refuses (a 500, not a 413).
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > MAX_FILE_BYTES:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, detail="the file is too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FILE_BYTES:
            raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, detail="the file is too large")
        chunks.append(chunk)
    return b"".join(chunks)


async def _store_upload(work: Callable[[], T]) -> T:
    """Run the (blocking) store write off the event loop; a refused file is a 422 saying why."""
    try:
        return await run_in_threadpool(work)
    except UploadError as exc:
        raise HTTPException(422, detail=str(exc)) from None


@router.post(
    "/cpl",
    response_model=CplInfo,
    status_code=201,
    summary="Upload a CPL file (raw bytes)",
    openapi_extra=binary_body("the CPL file (.csv or .xlsx) as raw bytes"),
)
async def upload_cpl_file(
    request: Request,
    _admin: AdminDep,
    store: StoreDep,
    clock: ClockDep,
    name: Annotated[
        str, Query(min_length=1, max_length=255, description="the file name, e.g. cpl-2026-05.csv")
    ],
    published_on: Annotated[date | None, Query(description="the CPL's date; default today")] = None,
) -> CplInfo:
    content = await _read_upload(request)

    def work() -> CplInfo:
        with store.write() as session:
            return cpl_info(upload_cpl(session, name, content, clock(), published_on))

    return await _store_upload(work)


@router.post(
    "/jobpacks",
    response_model=JobPackInfo,
    status_code=201,
    summary="Upload a job pack (hubcheck-jobpack/1 JSON as raw bytes)",
    openapi_extra=binary_body("the job pack file as raw bytes"),
)
async def upload_jobpack_file(
    request: Request,
    _admin: AdminDep,
    store: StoreDep,
    clock: ClockDep,
    name: Annotated[str, Query(min_length=1, max_length=255)],
    installer: Annotated[
        str | None, Query(max_length=100, description="for this installer; default everyone")
    ] = None,
) -> JobPackInfo:
    content = await _read_upload(request)

    def work() -> JobPackInfo:
        with store.write() as session:
            names: dict[int, str] = {}
            installer_id = None
            if installer is not None:
                found = find_installer(session, installer)
                if found is None:
                    raise UploadError("no installer with that name (create one with token create NAME)")
                installer_id, names = found.id, {found.id: found.name}
            return jobpack_info(upload_jobpack(session, name, content, clock(), installer_id), names)

    return await _store_upload(work)


@router.put("/regime", response_model=RegimeOut, summary="Schedule the supplier's regime from a date")
def put_regime(body: RegimeSet, _admin: AdminDep, store: StoreDep, clock: ClockDep) -> RegimeOut:
    now = clock()
    with store.write() as session:
        set_regime(session, body.regime, body.effective_from, now)
        return regime_on(session, gb_today(now))


def apply_event(session: Session, key: str, event: DccEventIn, clock: Callable[[], datetime]) -> IntentView:
    """Apply one DCC event to one intent via the state machine."""
    intent = lock_intent(session, key)
    if intent is None:
        raise HTTPException(404, detail="no intent with that key")
    now = clock()
    if event.event == "submitted":
        submit(session, intent, now)
    elif event.event == "response":
        if event.response_code is None:
            raise TransitionError("a response event needs response_code (e.g. I0, E65)")
        record_response(session, intent, event.response_code, now, event.reason)
    else:
        reject(session, intent, event.reason or "", now)
    return full_intent_view(session, intent)


@router.post(
    "/intents/{key}/events",
    response_model=IntentView,
    summary="Report a DCC event for an intent: submitted, response (with code) or rejected",
    responses={
        404: {"description": "no such intent"},
        409: {"description": "not allowed in its current state"},
    },
)
def post_event(
    key: UUID, event: DccEventIn, _admin: AdminDep, store: StoreDep, clock: ClockDep
) -> IntentView:
    try:
        with store.write() as session:
            return apply_event(session, str(key), event, clock)
    except TransitionError as exc:
        raise HTTPException(409, detail=str(exc)) from None


_DECISION_RESPONSES: dict[int | str, dict[str, object]] = {
    404: {"description": "no such intent"},
    409: {"description": "it needs no approval, was already decided, or is no longer waiting"},
}


def _decide(store: StoreDep, work: Callable[[Session], Intent]) -> IntentView:
    try:
        with store.write() as session:
            return full_intent_view(session, work(session))
    except UnknownIntent as exc:
        raise HTTPException(404, detail=str(exc)) from None
    except (ApprovalError, TransitionError) as exc:
        raise HTTPException(409, detail=str(exc)) from None


def _via(principal: Principal) -> str:
    return f"admin token of {principal.name}"


@router.post(
    "/intents/{key}/approve",
    response_model=IntentView,
    summary="Approve an intent that waits for approval (it goes to the DCC once its prerequisites succeeded)",
    responses=_DECISION_RESPONSES,
)
def post_approve(
    key: UUID, body: ApprovalIn, admin: AdminDep, store: StoreDep, clock: ClockDep
) -> IntentView:
    return _decide(store, lambda session: approve(session, str(key), body.by, _via(admin), clock(), body.reason))


@router.post(
    "/intents/{key}/refuse",
    response_model=IntentView,
    summary="Refuse an intent that waits for approval: it fails with the reason, and so do its dependants",
    responses=_DECISION_RESPONSES,
)
def post_refuse(key: UUID, body: RefusalIn, admin: AdminDep, store: StoreDep, clock: ClockDep) -> IntentView:
    return _decide(
        store, lambda session: refuse(session, str(key), body.by, body.reason, _via(admin), clock())
    )


@router.get("/intents", response_model=IntentList, summary="Every installer's intents, newest first")
def list_intents(
    _admin: AdminDep,
    store: StoreDep,
    state: Annotated[State | None, Query(description="only this state, e.g. waiting")] = None,
    awaiting_approval: Annotated[
        bool, Query(description="only intents whose approval is still to be decided")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> IntentList:
    with store.read() as session:
        rows = find_intents(session, state=state, awaiting_approval=awaiting_approval, limit=limit + 1)
        views = intent_views(session, rows[:limit])
        return IntentList(intents=[views[r.id] for r in rows[:limit]], more=len(rows) > limit)


@router.get("/audit", response_model=AuditPage, summary="Approvals and refusals, oldest first")
def get_audit(
    _admin: AdminDep,
    store: StoreDep,
    subject: Annotated[UUID | None, Query(description="one intent's entries (its key)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> AuditPage:
    with store.read() as session:
        return AuditPage(entries=audit_entries(session, None if subject is None else str(subject), limit))
