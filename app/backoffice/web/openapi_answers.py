"""Answers that come from around the routes, written into each operation's OpenAPI entry.

The request guard, the admission control and the error handlers answer for every route
(a body that is not JSON, a body over the limit, a busy database, a full disk), so no route
declares them itself. A client generated from the schema, or a conformance checker, must
still find every status an operation can return documented on that operation: this adds
them, each where it can actually happen.
"""

from __future__ import annotations

from typing import Any

from app.backoffice.web.guards import PUBLIC_PATHS

_WRITES = {"post", "put", "patch", "delete"}

BAD_BODY = {"description": "the body is not valid JSON (`detail` says so); nothing was read into the store"}
TOO_LARGE = {
    "description": "the body is over the size limit (32 MiB, uploads 64 MiB); answered as soon as it passes, "
    "with `Connection: close`"
}
NOT_FOUND = {"description": "nothing with that identifier is visible to this token"}
BUSY = {
    "description": "the database is busy or unreachable, or (intake) the server already has its limit of intakes "
    "in progress: nothing was stored; retry after `Retry-After` seconds",
    "headers": {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}},
}
DISK_FULL = {"description": "the back office's disk is full: nothing was stored; retrying will not help until it is freed"}


def document_guard_answers(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the statuses the guard, admission control and error handlers give to each operation."""
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses: dict[str, Any] = operation["responses"]
            if "requestBody" in operation:
                responses.setdefault("400", BAD_BODY)
                responses.setdefault("413", TOO_LARGE)
            if "{" in path:
                responses.setdefault("404", NOT_FOUND)
            if path not in PUBLIC_PATHS:
                responses.setdefault("503", BUSY)
                if method in _WRITES:
                    responses.setdefault("507", DISK_FULL)
    return schema
