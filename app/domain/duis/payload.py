"""Intents to and from JSON-able dicts: the form the outbox stores and the back office receives.

A payload is ``{"format", "kind", "srv", "service_reference", "command_variant", "target",
"critical", "body"}``. The body is rebuilt through the intent's constructor, so a payload
edited or corrupted in transit is re-validated field by field, and the envelope values
(SRV, Command Variant, target) must agree with what the rebuilt intent says — a payload
that claims CV 8 for an 8.7.1 or a different target is refused, not silently corrected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.domain.duis.base import PAYLOAD_FORMAT, Intent, JsonValue
from app.domain.duis.errors import IntentPayloadError
from app.domain.duis.intents import INTENT_CLASSES
from app.domain.errors import DomainInputError
from app.domain.ids import DeviceIdError, parse_device_id


def to_payload(intent: Intent) -> dict[str, JsonValue]:
    """Same as ``intent.to_payload()``; here for symmetry with :func:`intent_from_payload`."""
    return intent.to_payload()


def intent_from_payload(payload: Mapping[str, Any]) -> Intent:
    """Rebuild an intent from :meth:`Intent.to_payload` output; raise IntentPayloadError if it cannot."""
    if not isinstance(payload, Mapping):
        raise IntentPayloadError(f"an intent payload must be a JSON object, got {type(payload).__name__}")
    fmt = payload.get("format", PAYLOAD_FORMAT)
    if fmt != PAYLOAD_FORMAT:
        raise IntentPayloadError(f"unknown intent payload format {fmt!r} (this HubCheck reads {PAYLOAD_FORMAT!r})")
    kind = payload.get("kind")
    cls = INTENT_CLASSES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        known = ", ".join(sorted(INTENT_CLASSES))
        raise IntentPayloadError(f"unknown intent kind {kind!r}; known kinds: {known}")
    body = payload.get("body")
    if not isinstance(body, Mapping):
        raise IntentPayloadError(f"{kind} payload has no 'body' object")
    expected = {f for f in cls.__dataclass_fields__}
    unknown = sorted(set(body) - expected)
    if unknown:
        raise IntentPayloadError(f"{kind} payload body has unknown fields: {', '.join(map(str, unknown))}")
    try:
        intent = cls.from_body(dict(body))
    except DomainInputError as exc:
        raise IntentPayloadError(f"{kind} payload is not valid: {exc}") from exc
    except TypeError as exc:
        raise IntentPayloadError(f"{kind} payload body is incomplete: {exc}") from exc
    _check_envelope(payload, intent)
    return intent


def _check_envelope(payload: Mapping[str, Any], intent: Intent) -> None:
    """Envelope values, when present, must match what the intent itself says."""
    checks: list[tuple[str, object]] = [
        ("srv", intent.srv),
        ("service_reference", intent.service_reference),
        ("command_variant", int(intent.command_variant)),
        ("critical", intent.is_critical),
    ]
    for key, actual in checks:
        if key in payload and payload[key] != actual:
            raise IntentPayloadError(
                f"{intent.kind} payload says {key}={payload[key]!r} but the intent is {key}={actual!r}"
            )
    if "target" in payload:
        raw = payload["target"]
        try:
            claimed = parse_device_id(raw) if isinstance(raw, str) else None
        except DeviceIdError:
            claimed = None
        if claimed != intent.target:
            raise IntentPayloadError(f"{intent.kind} payload target {raw!r} is not the intent's target {intent.target}")
