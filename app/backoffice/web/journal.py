"""Laptops' audit journals: ``POST /v1/journal`` (installer token) and ``GET /v1/journal/chains`` (review).

The rules (what is stored, what a broken upload does) are in ``app.backoffice.journal``;
these routes only authenticate, validate and answer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, status
from pydantic import ValidationError

from app.backoffice.journal import ChainOut, JournalAnswer, JournalUpload, intake_journal, verify_chains
from app.backoffice.tokens import Principal
from app.backoffice.validation import safe_text, text_problem
from app.backoffice.web.common import ERROR_RESPONSES, write_with_retry
from app.backoffice.web.deps import ClockDep, PrincipalDep, StoreDep, logged_principal

router = APIRouter(prefix="/v1/journal", tags=["journal"], responses=ERROR_RESPONSES)


def may_review(principal: Principal) -> bool:
    """Admins, and analysts once tokens carry that role (read-only review across installers)."""
    return bool(
        principal.is_admin
        or getattr(principal, "is_analyst", False)
        or getattr(principal, "role", None) in ("admin", "analyst")
    )


def get_reviewer(principal: Annotated[Principal, Depends(logged_principal)]) -> Principal:
    """A caller allowed to read every installer's journal; 403 for an installer's token."""
    if not may_review(principal):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="this needs an analyst or admin token to read every laptop's journal"
        )
    return principal


ReviewerDep = Annotated[Principal, Depends(get_reviewer)]


def _parse(body: dict[str, Any]) -> JournalUpload:
    """The upload, or 422 naming each field that does not fit (never echoing long input)."""
    try:
        return JournalUpload.model_validate(body)
    except ValidationError as exc:
        detail = [
            {"loc": [p if isinstance(p, int) else safe_text(str(p)) for p in err["loc"]],
             "msg": safe_text(err["msg"]), "type": err["type"]}
            for err in exc.errors()[:20]
        ]
        raise HTTPException(422, detail=detail) from None


@router.post(
    "",
    response_model=JournalAnswer,
    summary="Send the laptop's next audit-journal entries (idempotent by entry id; broken chains are kept and flagged)",
)
def post_journal(
    body: Annotated[dict[str, Any], Body()],
    principal: PrincipalDep,
    store: StoreDep,
    clock: ClockDep,
) -> JournalAnswer:
    upload = _parse(body)
    return write_with_retry(
        store, lambda session: intake_journal(session, principal.installer_id, principal.name, upload, clock())
    )


@router.get(
    "/chains",
    response_model=list[ChainOut],
    summary="Every laptop's journal, verified again from the stored entries (analyst or admin)",
    responses={403: {"description": "an installer token"}},
)
def get_chains(
    _reviewer: ReviewerDep,
    store: StoreDep,
    installer: Annotated[str | None, Query(max_length=100, description="only this installer's laptops")] = None,
) -> list[ChainOut]:
    if installer is not None and (problem := text_problem(installer)):
        raise HTTPException(422, detail=f"installer {problem}")
    with store.read() as session:
        return [verdict.out() for verdict in verify_chains(session, installer)]
