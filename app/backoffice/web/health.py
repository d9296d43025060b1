"""Liveness (``/v1/health``), readiness (``/v1/ready``) and the disk-full answer.

``/v1/health`` is an ``async`` route that touches no database: it runs on the event loop,
so it is answered while every thread of the request pool is busy with intake (a sync route
would queue behind them; under load it took up to 8.8 s). It says the process is alive and
nothing about the database: that is ``/v1/ready``, which commits a small write and answers
503 unless the database answered and took it.
"""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from app.backoffice.db import Store
from app.backoffice.models import SCHEMA_VERSION, Setting
from app.backoffice.timeutil import utcnow

router = APIRouter(prefix="/v1", tags=["health"])

#: The ``bo_settings`` row each readiness check rewrites (its value: when it last did).
READY_KEY = "ready_check_at"
#: How long ``/v1/ready`` waits for the database before saying it is not ready.
READY_TIMEOUT_SECONDS = 5.0
#: Readiness checks get threads of their own, so they never wait for the intake pool.
_READY_THREADS = anyio.CapacityLimiter(2)

SQLITE_FULL = 13
PG_DISK_FULL = "53100"


def is_disk_full(exc: BaseException) -> bool:
    """The database refused a write for want of space (SQLite ``SQLITE_FULL``, PostgreSQL
    ``disk_full`` 53100): not "busy, retry shortly" but an operator's problem (507)."""
    orig = getattr(exc, "orig", None) or exc
    return (
        getattr(orig, "sqlite_errorcode", None) == SQLITE_FULL
        or getattr(orig, "sqlstate", None) == PG_DISK_FULL
    )


def _reason(exc: BaseException) -> str:
    """A short, SQL-free reason for an operator (the exception's text can hold statements)."""
    if is_disk_full(exc):
        return "the database's disk is full"
    text = str(getattr(exc, "orig", None) or exc).lower()
    if "readonly" in text or "read-only" in text or "read only" in text:
        return "the database is read-only"
    if "locked" in text or "busy" in text:
        return "the database is busy (locked by another writer)"
    return "the database does not answer"


def check_database(store: Store) -> None:
    """Read and commit one small write; raises what the database raised."""
    try:
        with store.write() as session:
            row = session.get(Setting, READY_KEY)
            now = utcnow().isoformat()
            if row is None:
                session.add(Setting(key=READY_KEY, value=now))
            else:
                row.value = now
    except IntegrityError:
        pass  # another check inserted the row first: the database answered and wrote


@router.get("/health", summary="Liveness: the process answers (no token, no database)")
async def health(request: Request) -> dict[str, Any]:
    gate = getattr(request.app.state, "intake_gate", None)
    answer: dict[str, Any] = {
        "status": "ok",
        "schema_version": SCHEMA_VERSION,
        "dcc_simulator": getattr(request.app.state, "simulator", None) is not None,
    }
    if gate is not None:
        answer["intakes"] = gate.snapshot()
    return answer


@router.get(
    "/ready",
    summary="Readiness: the database answers and accepts a write (no token)",
    responses={
        503: {"description": "the database does not answer, is read-only, busy or full; `detail` says which"}
    },
)
async def ready(request: Request) -> JSONResponse:
    store: Store = request.app.state.store
    problem: str | None = None
    with anyio.move_on_after(READY_TIMEOUT_SECONDS) as scope:
        try:
            await anyio.to_thread.run_sync(
                check_database, store, abandon_on_cancel=True, limiter=_READY_THREADS
            )
        except Exception as exc:  # any failure means "not ready"; the reason is kept short
            problem = _reason(exc)
    if scope.cancelled_caught:
        problem = f"the database did not answer within {READY_TIMEOUT_SECONDS:g} s"
    if problem is not None:
        return JSONResponse(
            {"status": "not ready", "detail": problem}, status_code=503, headers={"Retry-After": "5"}
        )
    return JSONResponse({"status": "ready", "database": store.dialect})
