"""Intent intake (batch and single), one intent's state, and the status pull."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, HTTPException, Query, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.backoffice.batching import Item
from app.backoffice.intake import intake_intents
from app.backoffice.models import Intent
from app.backoffice.schemas import (
    MAX_BATCH,
    BatchItemResult,
    IntentBatchResult,
    IntentIn,
    IntentView,
    StatusPage,
)
from app.backoffice.status import changes_since
from app.backoffice.views import full_intent_view, intent_views
from app.backoffice.web.common import (
    ERROR_RESPONSES,
    batch_counts,
    body_under_key,
    item_error_detail,
    json_body,
    write_with_retry,
)
from app.backoffice.web.deps import ClockDep, PrincipalDep, StoreDep

router = APIRouter(prefix="/v1", tags=["intents"], responses=ERROR_RESPONSES)

MAX_PULL = 1000
MAX_CURSOR = 2**63 - 1


def _results(session: Session, items: list[Item[IntentIn]]) -> list[BatchItemResult]:
    views = intent_views(session, [item.row for item in items if isinstance(item.row, Intent)])
    return [
        BatchItemResult(
            index=item.index,
            idempotency_key=item.key,
            outcome=item.outcome,  # type: ignore[arg-type]
            status=item.status,
            intent=views[item.row.id] if isinstance(item.row, Intent) else None,
            error=item.error,
        )
        for item in items
    ]


@router.post(
    "/intents",
    response_model=IntentBatchResult,
    summary="Submit a batch of intents (idempotent, per-item results)",
    openapi_extra=json_body(
        "IntentIn",
        array=True,
        max_items=MAX_BATCH,
        description=f"1-{MAX_BATCH} intents; each is validated and stored (or refused) on its own",
    ),
)
def submit_batch(
    items: Annotated[list[Any], Body(min_length=1, max_length=MAX_BATCH)],
    principal: PrincipalDep,
    store: StoreDep,
    clock: ClockDep,
) -> IntentBatchResult:
    """One transaction for the whole batch; a bad item is reported, the others are kept.

    The per-item reports are built after the commit, in a read session: every storing intake
    queues for the change-counter lock the write transaction holds, so it holds it no longer
    than storing takes.
    """

    def work(session: Session) -> list[Item[IntentIn]]:
        return intake_intents(session, principal.installer_id, items, clock())

    done = write_with_retry(store, work)
    with store.read() as session:
        results = _results(session, done)
    return IntentBatchResult(results=results, **batch_counts(results))


@router.post(
    "/intents/{key}",
    response_model=IntentView,
    status_code=status.HTTP_201_CREATED,
    summary="Submit one intent under the key in the path",
    responses={200: {"model": IntentView, "description": "a replay: the intent stored earlier"}},
    openapi_extra=json_body("IntentIn", description="an intent; idempotency_key may be left out"),
)
def submit_one(
    key: UUID,
    item: Annotated[dict[str, Any], Body()],
    principal: PrincipalDep,
    store: StoreDep,
    clock: ClockDep,
    response: Response,
) -> IntentView:
    """201 when stored now, 200 for a replay, 422 for bad data or a key reused for other data."""
    body = body_under_key(
        item, "idempotency_key", key, "idempotency_key in the body differs from the key in the path"
    )

    def work(session: Session) -> tuple[Item[IntentIn], IntentView | None]:
        (done,) = intake_intents(session, principal.installer_id, [body], clock())
        return done, full_intent_view(session, done.row) if isinstance(done.row, Intent) else None

    done, view = write_with_retry(store, work)
    if done.error is not None or view is None:
        raise HTTPException(422, detail=item_error_detail(done.error) if done.error else "not stored")
    response.status_code = done.status
    return view


@router.get("/intents/{key}", response_model=IntentView, summary="One of the caller's intents")
def get_intent(key: UUID, principal: PrincipalDep, store: StoreDep) -> IntentView:
    with store.read() as session:
        row = session.scalar(
            select(Intent).where(
                Intent.idempotency_key == str(key), Intent.installer_id == principal.installer_id
            )
        )
        if row is None:
            raise HTTPException(404, detail="no intent with that key for this installer")
        return full_intent_view(session, row)


@router.get("/status", response_model=StatusPage, summary="The caller's intent state changes after a cursor")
def pull_status(
    principal: PrincipalDep,
    store: StoreDep,
    since: Annotated[
        int, Query(ge=0, le=MAX_CURSOR, description="the cursor from the last pull; 0 at first")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL)] = 500,
) -> StatusPage:
    with store.read() as session:
        return changes_since(session, principal.installer_id, since, limit)
