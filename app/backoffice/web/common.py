"""Helpers shared by the routers: write retries, OpenAPI request-body stubs, error bodies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import HTTPException, status
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.backoffice.db import Store

T = TypeVar("T")
WRITE_ATTEMPTS = 3


def write_with_retry(store: Store, work: Callable[[Session], T]) -> T:
    """Run ``work`` in a write transaction, again if a concurrent writer won a unique-key race.

    The retry sees the other writer's rows, so the race ends as a replay or a conflict.
    """
    for attempt in range(WRITE_ATTEMPTS):
        try:
            with store.write() as session:
                return work(session)
        except IntegrityError:
            if attempt == WRITE_ATTEMPTS - 1:
                raise HTTPException(
                    status.HTTP_409_CONFLICT, detail="a concurrent request wrote the same keys; send it again"
                ) from None
    raise AssertionError("unreachable")


def json_body(
    schema_ref: str, *, array: bool = False, max_items: int = 0, description: str = ""
) -> dict[str, Any]:
    """``openapi_extra`` for an endpoint that validates its JSON body item by item itself."""
    schema: dict[str, Any] = {"$ref": f"#/components/schemas/{schema_ref}"}
    if array:
        schema = {"type": "array", "items": schema, "minItems": 1, "maxItems": max_items}
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    }


def binary_body(description: str) -> dict[str, Any]:
    """``openapi_extra`` for an upload sent as raw bytes."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    }


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "no token, or an unknown or revoked one"},
    422: {"description": "the request does not fit the contract; `detail` says where"},
}
