"""Admission control: a bounded number of intakes in progress; past it, 503 at once.

Why: with 200 laptops sending 500-intent batches and a 30 s client timeout, a server that
takes every batch queues them all, answers each too late, and the laptops send the work
again. Refusing what cannot be finished in time, at once and before any work (no body read,
no token look-up, no database), keeps the work in progress finishable; the laptop keeps its
intents and comes back after ``Retry-After`` (``app.sync.client`` reads it on any 5xx).

The limit counts intakes in this process (each ``--workers`` process has its own), from the
moment the request arrives until its answer has been sent, including the time a sync route
spends in the thread pool after a client gave up.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

#: Environment variable for the limit (``serve --max-intakes`` and ``create_app`` take precedence).
ENV_MAX_INTAKES = "HUBCHECK_BACKOFFICE_MAX_INTAKES"
#: Intakes in progress per process. Intake is bound by the database (one writer at a time on
#: SQLite, a 10+20 connection pool on PostgreSQL, on a 2-core machine); more in progress
#: than this only makes each one slower, not the total faster.
DEFAULT_MAX_INTAKES = 8
#: ``Retry-After`` is drawn from [RETRY_AFTER_SECONDS, 2 × RETRY_AFTER_SECONDS] so refused
#: laptops do not all come back in the same second.
RETRY_AFTER_SECONDS = 2
#: The routes that take work in: the intent and install batches and their single-item forms,
#: and the laptops' journal uploads (up to a thousand entries each, written like a batch).
INTAKE_PREFIXES = ("/v1/intents", "/v1/installs", "/v1/journal")


class AdmissionError(ValueError):
    """A limit that is not a whole number from 1 up; the message says which."""


def parse_limit(text: str, source: str) -> int:
    value = text.strip()
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= 100_000):
        raise AdmissionError(f"{source}: {text!r} is not a number of intakes from 1 to 100000")
    return int(value)


def limit_from_env(default: int = DEFAULT_MAX_INTAKES) -> int:
    """The limit from ``HUBCHECK_BACKOFFICE_MAX_INTAKES``, else ``default``."""
    text = os.environ.get(ENV_MAX_INTAKES, "")
    return parse_limit(text, ENV_MAX_INTAKES) if text.strip() else default


def is_intake(scope: Scope) -> bool:
    """A POST to an intake route (``/v1/intents``, ``/v1/installs`` and their ``/{key}`` forms,
    ``/v1/journal``); reading (``GET /v1/journal/chains``) is never intake."""
    if scope.get("method") != "POST":
        return False
    path = str(scope.get("path", ""))
    return any(path == p or path.startswith(p + "/") for p in INTAKE_PREFIXES)


@dataclass
class IntakeGate:
    """The shared count the middleware keeps and ``/v1/health`` reports."""

    limit: int = DEFAULT_MAX_INTAKES
    in_progress: int = 0
    refused: int = 0

    def snapshot(self) -> dict[str, int]:
        return {"in_progress": self.in_progress, "limit": self.limit, "refused": self.refused}


class AdmissionControl:
    """Pure ASGI middleware: at most ``gate.limit`` intakes in progress, 503 + Retry-After beyond.

    One event loop per process, so the counter needs no lock: it changes only between awaits.
    """

    def __init__(self, app: ASGIApp, gate: IntakeGate) -> None:
        self.app, self.gate = app, gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_intake(scope):
            await self.app(scope, receive, send)
            return
        gate = self.gate
        if gate.in_progress >= gate.limit:
            gate.refused += 1
            await _refuse(send, gate.limit)
            return
        gate.in_progress += 1
        try:
            await self.app(scope, receive, send)
        finally:
            gate.in_progress -= 1


async def _refuse(send: Send, limit: int) -> None:
    """503 with ``Retry-After``; the body is not read, so the connection is closed after it."""
    retry_after = random.randint(RETRY_AFTER_SECONDS, 2 * RETRY_AFTER_SECONDS)
    body = json.dumps(
        {
            "detail": f"the back office is taking {limit} batches already; nothing of this one was "
            f"stored: send it again after {retry_after} s",
            "retry_after": retry_after,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
