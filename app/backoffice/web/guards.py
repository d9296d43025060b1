"""Request guards that run before any route: authenticate before a body is read, cap bodies,
keep tokens out of logs, and drop clients that never finish their headers.

Why a pure ASGI middleware and not a dependency: FastAPI reads and parses a request body
*before* it resolves dependencies, so an unauthenticated client could make the server read
(and hold) a body of any size before the token check said no. Here the token is checked
from the headers alone; a refused request is answered at once with ``Connection: close``
and its body is never read. A body that is read is counted as it streams in, chunked or
not, and answered 413 the moment it passes the limit.

The limits (also in docs/API.md, "Limits"):

* request bodies: ``MAX_BODY_BYTES`` (32 MiB); admin uploads ``MAX_FILE_BYTES``;
* request line and headers: ``HEADER_TIMEOUT_SECONDS`` (5 s) to arrive in full, from the
  connection's start or the end of the previous response, and at most 16 KiB (h11's limit);
* idle keep-alive connections: ``KEEP_ALIVE_SECONDS`` (5 s).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import anyio.to_thread
from fastapi import HTTPException
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.exc import OperationalError
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from app.backoffice.db import Store
from app.backoffice.files import MAX_FILE_BYTES
from app.backoffice.validation import safe_text
from app.backoffice.web.deps import PRINCIPAL_STATE_KEY, get_principal

log = logging.getLogger(__name__)

MIB = 1024 * 1024
MAX_BODY_BYTES = 32 * MIB
HEADER_TIMEOUT_SECONDS = 5.0
KEEP_ALIVE_SECONDS = 5
MAX_HEADER_BYTES = 16 * 1024

ADMIN_PREFIX = "/v1/admin/"
# Paths that take no token; a body sent to them is still counted against the limit.
PUBLIC_PATHS = frozenset(
    {"/v1/health", "/v1/ready", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
)
REDACTED = b"REDACTED"
_SECRET_WORDS = ("token", "auth", "bearer", "password", "passwd", "secret", "api_key", "apikey", "session")
_CLOSE = {"Connection": "close"}


class _BodyTooLarge(Exception):
    """Raised into the route that is reading a body past the limit (already answered 413)."""


def body_limit(path: str) -> int:
    """The largest body accepted on ``path``: admin uploads carry files, everything else JSON."""
    return MAX_FILE_BYTES if path.startswith(ADMIN_PREFIX) else MAX_BODY_BYTES


def too_large(limit: int) -> JSONResponse:
    return JSONResponse(
        {"detail": f"the request body is over {limit // MIB} MiB; send smaller batches"},
        status_code=413,
        headers=_CLOSE,
    )


def redact_query(query: bytes) -> bytes:
    """The query string with the value of every credential-like parameter replaced.

    The service never takes a token from the query string, but a misconfigured client may
    still send one; uvicorn's access log (and the request log) print the query string, so
    the value must be gone before anything logs it.
    """
    if not query:
        return query
    parts = []
    for part in query.split(b"&"):
        name, sep, _value = part.partition(b"=")
        lowered = unquote(name.decode("latin-1")).lower()
        if sep and any(word in lowered for word in _SECRET_WORDS):
            part = name + b"=" + REDACTED
        parts.append(part)
    return b"&".join(parts)


def _header(scope: Scope, wanted: bytes) -> bytes | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return bytes(value)
    return None


def _declares_body(scope: Scope) -> tuple[bool, int | None]:
    """Whether the request carries a body, and its declared length if it has one."""
    length = _header(scope, b"content-length")
    declared = int(length) if length is not None and length.strip().isdigit() else None
    chunked = b"chunked" in (_header(scope, b"transfer-encoding") or b"").lower()
    return chunked or bool(declared), declared


def _credentials(scope: Scope) -> HTTPAuthorizationCredentials | None:
    """The bearer credentials as FastAPI's ``HTTPBearer(auto_error=False)`` would read them."""
    raw = _header(scope, b"authorization")
    if raw is None:
        return None
    scheme, _, token = raw.decode("latin-1").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return HTTPAuthorizationCredentials(scheme=scheme, credentials=token.strip())


def _refusal(exc: HTTPException) -> JSONResponse:
    return JSONResponse(
        {"detail": exc.detail}, status_code=exc.status_code, headers={**(exc.headers or {}), **_CLOSE}
    )


class RequestGuard:
    """Authenticate a body-carrying request from its headers, then count its body as it streams.

    Fails open on a database fault during the early check: the route's own authentication
    then runs (and maps the fault to its usual answer), with the body still counted.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # In place: uvicorn's access log reads this same scope after the response starts.
        scope["query_string"] = redact_query(scope.get("query_string", b""))
        path = str(scope.get("path", ""))
        limit = body_limit(path)
        has_body, declared = _declares_body(scope)
        if declared is not None and declared > limit:
            await too_large(limit)(scope, receive, send)
            return
        if has_body and path not in PUBLIC_PATHS:
            refusal = await self._early_auth(scope, path)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        if not has_body:
            await self.app(scope, receive, send)
            return
        await self._counted(scope, receive, send, limit)

    async def _early_auth(self, scope: Scope, path: str) -> JSONResponse | None:
        """A 401 (or 403 for an installer's token on an admin upload) before any body byte is read."""
        app = scope.get("app")
        state = getattr(app, "state", None)
        store: Store | None = getattr(state, "store", None)
        clock: Callable[[], datetime] | None = getattr(state, "clock", None)
        if store is None or clock is None:
            return None
        credentials = _credentials(scope)
        try:
            principal = await anyio.to_thread.run_sync(get_principal, store, clock, credentials)
        except HTTPException as exc:
            return _refusal(exc)
        except Exception:  # a database fault: let the route answer it in the usual way
            log.warning("early authentication skipped: the token could not be checked")
            return None
        if path.startswith(ADMIN_PREFIX) and not principal.is_admin:
            return _refusal(
                HTTPException(403, detail="this needs an admin token (token create NAME --admin)")
            )
        # The route reads it back (deps.logged_principal) instead of looking the token up again.
        scope.setdefault("state", {})[PRINCIPAL_STATE_KEY] = principal
        return None

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        received = 0
        started = answered = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if answered:
                return  # the 413 went out already; whatever the route says now is moot
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        async def guarded_receive() -> Message:
            nonlocal received, answered
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if not started:
                        await too_large(limit)(scope, receive, send)
                        answered = True
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except Exception:
            if not answered:
                raise


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus a header-read timeout.

    uvicorn closes an idle keep-alive connection but has no limit on how long a client may
    take to send its request line and headers: 1,000 connections that never finished them
    were held for 35 s and more. Here each request's headers must be complete within
    ``HEADER_TIMEOUT_SECONDS`` of the connection opening (or the previous response ending),
    or the connection is closed. Usable with any uvicorn command line as
    ``--http app.backoffice.web.guards:GuardedH11Protocol``.
    """

    header_timeout: float = HEADER_TIMEOUT_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.cycle is not None and self.cycle is not before:
            self._cancel_header_timer()  # a whole request line and headers arrived

    def on_response_complete(self) -> None:
        if not self.transport.is_closing():
            self._arm_header_timer()  # the next request's headers have the same time
        super().on_response_complete()


def db_error_line(exc: BaseException) -> str:
    """A database error for a log line: the driver's class, SQLSTATE and first message line.

    Never ``str(exc)``: SQLAlchemy appends the SQL and (unless hidden) its parameters, which
    are client input, and PostgreSQL's DETAIL lines quote values (``Key (x)=(...)``).
    """
    orig = getattr(exc, "orig", None) or exc
    state = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
    line = f"{type(orig).__name__}{f' [{state}]' if state else ''}"
    if isinstance(exc, OperationalError):
        # Connection, resource and lock trouble ("connection refused", "No space left on
        # device", "database is locked"): worth the operator's eye, and it quotes no data.
        # Data and integrity errors quote values, so they get the class and SQLSTATE alone.
        first = (str(orig).strip().splitlines() or [""])[0]
        line += f": {safe_text(first)}"
    return line
