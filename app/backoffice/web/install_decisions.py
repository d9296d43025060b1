"""Admin decisions on a visit's manual inventory change (admin tokens only).

``POST /v1/admin/installs/{install_id}/approve`` and ``…/refuse`` decide a visit whose
installer asked the supplier to have the DCC change an inventory entry by hand (DOMAIN A5)
rather than queue an 8.4. They mirror ``/v1/admin/intents/{key}/approve|refuse``: the same
bodies, the same 404 / 409 answers, and the same audit log entry (the person named by ``by``,
"admin token of NAME"), as ``hubcheck-backoffice installs approve|refuse`` writes.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from fastapi import APIRouter, HTTPException
from sqlalchemy.orm import Session

from app.backoffice.install_approvals import (
    InstallApprovalView,
    UnknownInstall,
    approve_install,
    install_approval_view,
    refuse_install,
)
from app.backoffice.models import InstallRecord
from app.backoffice.ordering import ApprovalError
from app.backoffice.schemas import ApprovalIn, RefusalIn
from app.backoffice.web.common import ERROR_RESPONSES
from app.backoffice.web.deps import AdminDep, ClockDep, StoreDep

router = APIRouter(
    prefix="/v1/admin",
    tags=["admin"],
    responses={**ERROR_RESPONSES, 403: {"description": "an installer's or analyst's token, not an admin one"}},
)

_RESPONSES: dict[int | str, dict[str, object]] = {
    404: {"description": "no install record with that id"},
    409: {"description": "the visit asked for no manual inventory change, or it was already decided"},
}


def _decide(store: StoreDep, work: Callable[[Session], InstallRecord]) -> InstallApprovalView:
    try:
        with store.write() as session:
            return install_approval_view(session, work(session))
    except UnknownInstall as exc:
        raise HTTPException(404, detail=str(exc)) from None
    except ApprovalError as exc:
        raise HTTPException(409, detail=str(exc)) from None


def _via(name: str) -> str:
    return f"admin token of {name}"


@router.post(
    "/installs/{install_id}/approve",
    response_model=InstallApprovalView,
    summary="Approve a visit's manual inventory change (the back office then asks the DCC for it)",
    responses=_RESPONSES,
)
def post_install_approve(
    install_id: UUID, body: ApprovalIn, admin: AdminDep, store: StoreDep, clock: ClockDep
) -> InstallApprovalView:
    return _decide(
        store, lambda session: approve_install(session, str(install_id), body.by, _via(admin.name), clock(), body.reason)
    )


@router.post(
    "/installs/{install_id}/refuse",
    response_model=InstallApprovalView,
    summary="Refuse a visit's manual inventory change, saying why",
    responses=_RESPONSES,
)
def post_install_refuse(
    install_id: UUID, body: RefusalIn, admin: AdminDep, store: StoreDep, clock: ClockDep
) -> InstallApprovalView:
    return _decide(
        store, lambda session: refuse_install(session, str(install_id), body.by, body.reason, _via(admin.name), clock())
    )
