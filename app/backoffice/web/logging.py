"""One log line per request, with a request id the client and the operator both see.

``X-Request-ID`` is taken from the request when it is a short printable token (a reverse
proxy's or the laptop's), otherwise made here; it is echoed in the response and written on
the line with the time, the installer's name (set by authentication; never the token), the
route template (never the query string, which may carry secrets), the status and the
duration. ``serve --log-format json`` writes the same fields as one JSON object per line.

A request that fails with an unexpected exception is answered here with a 500 that names
the request id (so a support call can find the line), instead of a bare text page.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ACCESS_LOGGER = "hubcheck.backoffice.access"
REQUEST_ID_HEADER = "X-Request-ID"
#: Where authentication leaves the caller's name for the access line (``scope["state"]``).
INSTALLER_KEY = "installer"
REQUEST_ID_KEY = "request_id"
LOG_FORMATS = ("text", "json")
ENV_LOG_FORMAT = "HUBCHECK_BACKOFFICE_LOG_FORMAT"
ENV_LOG_LEVEL = "HUBCHECK_BACKOFFICE_LOG_LEVEL"

_ID_OK = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
access_log = logging.getLogger(ACCESS_LOGGER)


def request_id_of(scope: Scope) -> str:
    """The request id this middleware gave the request ("" outside it)."""
    state = scope.get("state") or {}
    return str(state.get(REQUEST_ID_KEY, ""))


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1").strip()
            return text if _ID_OK.fullmatch(text) else None
    return None


class RequestLog:
    """Pure ASGI middleware: request id in and out, one access line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state[REQUEST_ID_KEY] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logging.getLogger(__name__).exception("request %s failed", request_id)
            if response_started:
                raise
            body = json.dumps(
                {"detail": "the back office failed on this request; quote the request id to support",
                 "request_id": request_id}
            ).encode()
            await send_with_id(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
                }
            )
            await send({"type": "http.response.body", "body": body})
        finally:
            route = scope.get("route")
            access_log.info(
                "%s %s",
                scope.get("method", ""),
                getattr(route, "path", None) or "(no route)",
                extra={
                    "request_id": request_id,
                    "installer": state.get(INSTALLER_KEY) or "-",
                    "method": scope.get("method", ""),
                    "route": getattr(route, "path", None) or "(no route)",
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )


_FIELDS = ("request_id", "installer", "method", "route", "status", "duration_ms")


class TextFormatter(logging.Formatter):
    """``2026-12-05T18:42:25.123Z req=ID installer=NAME GET /v1/status 200 12.3ms``."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if not hasattr(record, "request_id"):
            return f"{when} {record.levelname} {record.name}: {record.getMessage()}"
        d: dict[str, Any] = record.__dict__
        return (
            f"{when} req={d['request_id']} installer={d['installer']} {d['method']} {d['route']} "
            f"{d['status']} {d['duration_ms']}ms"
        )


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time``, ``level``, the request fields or ``message``."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        line: dict[str, Any] = {"time": when, "level": record.levelname.lower(), "logger": record.name}
        if hasattr(record, "request_id"):
            line.update({field: record.__dict__[field] for field in _FIELDS})
        else:
            line["message"] = record.getMessage()
        return json.dumps(line, ensure_ascii=False)


def configure_access_log(log_format: str = "text", level: int = logging.INFO) -> None:
    """Send access lines to stderr in the chosen format (idempotent: one handler only)."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format {log_format!r} is not one of {', '.join(LOG_FORMATS)}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.set_name("hubcheck-access")
    access_log.handlers = [h for h in access_log.handlers if h.get_name() != "hubcheck-access"]
    access_log.addHandler(handler)
    access_log.setLevel(level)
    access_log.propagate = False
