"""Per-item classification shared by every idempotent batch endpoint.

Each item of a batch is validated on its own, so one bad item is reported as such while
the others go through. A key seen before (in the database or earlier in the same batch)
with the same payload fingerprint is a replay; with a different one, a conflict.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from app.backoffice.schemas import ItemError
from app.backoffice.validation import fingerprint, safe_text

M = TypeVar("M", bound=BaseModel)


@dataclass
class Item(Generic[M]):
    """One batch item on its way through: parsed model, key, fingerprint and verdict."""

    index: int
    key: str | None
    model: M | None = None
    sha: str = ""
    outcome: str = "invalid"
    error: ItemError | None = None
    row: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> int:
        return {"created": 201, "replayed": 200}.get(self.outcome, 422)


def validation_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors reduced to location, message and type, never echoing the input."""
    return [
        {
            "loc": [e if isinstance(e, int) else safe_text(e) for e in err["loc"]],
            "msg": safe_text(err["msg"]),
            "type": err["type"],
        }
        for err in exc.errors(include_url=False, include_input=False, include_context=False)
    ]


def _raw_key(raw: Any, key_field: str) -> str | None:
    """The item's key for the report, when it looks like one (even if the item is invalid)."""
    if isinstance(raw, dict):
        value = raw.get(key_field)
        if isinstance(value, str) and len(value) <= 64 and value.isprintable():
            return safe_text(value)
    return None


def parse_items(raw_items: Sequence[Any], model: type[M], key_field: str) -> list[Item[M]]:
    """Validate every item separately; invalid ones carry an ``invalid`` error."""
    items: list[Item[M]] = []
    for index, raw in enumerate(raw_items):
        try:
            parsed = model.model_validate(raw)
        except ValidationError as exc:
            errors = validation_errors(exc)
            where = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
            first = f"{where}: {errors[0]['msg']}" if errors else "invalid"
            items.append(
                Item(
                    index,
                    _raw_key(raw, key_field),
                    error=ItemError(
                        code="invalid", message=f"item {index} is not valid: {first}", errors=errors
                    ),
                )
            )
            continue
        key = str(getattr(parsed, key_field))
        items.append(Item(index, key, model=parsed, sha=fingerprint(parsed.model_dump(mode="json"))))
    return items


def classify(
    items: list[Item[M]],
    existing: dict[str, Any],
    owner_of: Callable[[Any], int],
    sha_of: Callable[[Any], str],
    installer_id: int,
) -> list[Item[M]]:
    """Decide created / replayed / conflict for the valid items; returns the ones to insert."""
    fresh: dict[str, Item[M]] = {}
    to_insert: list[Item[M]] = []
    conflict = "this idempotency key is already used for a different payload; send a new key for new data"
    for item in items:
        if item.model is None or item.key is None:
            continue
        if item.key in existing:
            row = existing[item.key]
            if owner_of(row) == installer_id and sha_of(row) == item.sha:
                item.outcome, item.row = "replayed", row
            else:
                item.outcome = "conflict"
                item.error = ItemError(code="key_conflict", message=conflict)
        elif item.key in fresh:
            first = fresh[item.key]
            if first.sha == item.sha:
                item.outcome = "replayed"
                item.extra["same_as"] = first
            else:
                item.outcome = "conflict"
                item.error = ItemError(code="key_conflict", message=conflict)
        else:
            item.outcome = "created"
            fresh[item.key] = item
            to_insert.append(item)
    return to_insert


def resolve_rows(items: list[Item[M]]) -> None:
    """Point in-batch replays at the row their first occurrence created."""
    for item in items:
        first = item.extra.get("same_as")
        if first is not None:
            item.row = first.row
