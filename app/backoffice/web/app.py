"""The ASGI application factory: routers, error mapping that never leaks a 500, OpenAPI.

Every failure a client can cause maps to a 4xx with a readable ``detail``; a busy or
unreachable database maps to 503 with ``Retry-After`` so a batching client backs off.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.backoffice.db import Store
from app.backoffice.dccsim import DccSimulator
from app.backoffice.schemas import InstallIn, IntentIn, WhoAmI
from app.backoffice.timeutil import utcnow
from app.backoffice.validation import safe_text
from app.backoffice.web import (
    admin,
    files,
    health,
    install_decisions,
    installs,
    intents,
    journal,
    regime,
    review,
)
from app.backoffice.web.admission import AdmissionControl, IntakeGate, limit_from_env
from app.backoffice.web.deps import AnyPrincipalDep
from app.backoffice.web.guards import RequestGuard, db_error_line
from app.backoffice.web.logging import RequestLog, request_id_of
from app.backoffice.web.openapi_answers import document_guard_answers

log = logging.getLogger(__name__)

API_VERSION = "1.0.0"


def _validation_detail(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "loc": [p if isinstance(p, int) else safe_text(p) for p in err.get("loc", ())],
            "msg": safe_text(err.get("msg", "")),
            "type": safe_text(err.get("type", "")),
        }
        for err in exc.errors()
    ]


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_detail(exc)}, status_code=422)

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _busy(_request: Request, exc: Exception) -> JSONResponse:
        if health.is_disk_full(exc):  # not "busy, retry shortly": nothing fits until someone acts
            log.error("the database's disk is full")
            return JSONResponse(
                {"detail": "the back office's database is full; nothing was stored; tell the supplier"},
                status_code=507,
            )
        log.warning("database busy or unreachable: %s", db_error_line(exc))
        return JSONResponse(
            {"detail": "the database is busy or unreachable; retry shortly"},
            status_code=503,
            headers={"Retry-After": "2"},
        )

    @app.exception_handler(DBAPIError)
    async def _db_refused(request: Request, exc: DBAPIError) -> JSONResponse:
        # Input checks stop everything a client could make the database refuse, so a refusal
        # here is the server's fault (a schema or driver problem): 500 with the request id
        # that is on the log line, never a 422 telling the laptop to change what it sent.
        request_id = request_id_of(request.scope)
        log.error("database fault on request %s: %s", request_id, type(exc.orig or exc).__name__)
        return JSONResponse(
            {"detail": "the back office's database failed on this request; quote the request id to support",
             "request_id": request_id},
            status_code=500,
        )


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """OpenAPI with the item schemas that per-item-validated bodies refer to."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (IntentIn, InstallIn):
            item = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in item.pop("$defs", {}).items():
                components.setdefault(name, sub)
            components[model.__name__] = item
        app.openapi_schema = document_guard_answers(schema)
        return schema

    return build


def create_app(
    store: Store,
    *,
    simulator: DccSimulator | None = None,
    clock: Callable[[], datetime] = utcnow,
    max_intakes: int | None = None,
) -> FastAPI:
    """Build the service around an open store; the simulator (if any) runs for the app's lifetime."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if simulator is not None:
            simulator.start()
        try:
            yield
        finally:
            if simulator is not None:
                simulator.stop()

    app = FastAPI(
        title="HubCheck back office",
        version=API_VERSION,
        description="Idempotent intake of DUIS Service Request intents from installer laptops, "
        "status pull, install log, CPL / job-pack distribution and the supplier's regime. See docs/API.md.",
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.clock = clock
    app.state.simulator = simulator
    _install_handlers(app)
    for module in (intents, installs, files, regime, admin, install_decisions, journal, review):
        app.include_router(module.router)

    app.state.intake_gate = IntakeGate(limit=max_intakes if max_intakes is not None else limit_from_env())
    app.include_router(health.router)

    @app.get(
        "/v1/whoami",
        response_model=WhoAmI,
        tags=["health"],
        summary="Who the token belongs to",
        responses={401: {"description": "no token, or an unknown, revoked or expired one"}},
    )
    def whoami(principal: AnyPrincipalDep) -> WhoAmI:
        return WhoAmI(installer=principal.name, admin=principal.is_admin, analyst=principal.is_analyst)

    app.openapi = _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(RequestGuard)
    # Outside the guard (whose early token check reads the database): a refusal does no work.
    app.add_middleware(AdmissionControl, gate=app.state.intake_gate)
    app.add_middleware(RequestLog)  # outermost: every answer, refusals included, gets an id and a line
    return app
