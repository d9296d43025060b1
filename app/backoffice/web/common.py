"""Helpers shared by the routers: write retries, OpenAPI request-body stubs, error bodies."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, TypeVar

from fastapi import HTTPException, status
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.backoffice.db import Store
from app.backoffice.schemas import ItemError

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


class _ItemResult(Protocol):
    @property
    def outcome(self) -> str: ...

    @property
    def status(self) -> int: ...


def batch_counts(results: Iterable[_ItemResult]) -> dict[str, int]:
    """The ``created`` / ``replayed`` / ``errors`` totals every batch response carries."""
    counts = {"created": 0, "replayed": 0, "errors": 0}
    for result in results:
        if result.outcome in ("created", "replayed"):
            counts[result.outcome] += 1
        if result.status == 422:
            counts["errors"] += 1
    return counts


def body_under_key(item: Mapping[str, Any], field: str, key: object, mismatch: str) -> dict[str, Any]:
    """The body of a single-item POST with its key ``field`` filled in from the path.

    A body that names a different key is refused (422, ``mismatch``) rather than stored under either.
    """
    body = dict(item)
    given = body.setdefault(field, str(key))
    if str(given).lower() != str(key):
        raise HTTPException(422, detail=mismatch)
    return body


def item_error_detail(error: ItemError) -> str | list[dict[str, Any]]:
    """The 422 ``detail`` of a refused single item: the field errors when there are any, else the message."""
    return error.errors or error.message


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
