"""Input hygiene that pydantic's types do not cover, so no input can reach the database unfit.

PostgreSQL refuses NUL characters in text and non-finite numbers in JSON, and a lone
UTF-16 surrogate (legal in JSON text) cannot be encoded at all. Each of these would
otherwise surface as a server error; here they become a clear 4xx message instead.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

MAX_JSON_DEPTH = 32
MAX_JSON_NODES = 20_000
MAX_INT = 2**63 - 1


def text_problem(value: str) -> str | None:
    """Why the text cannot be stored, or None when it can."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (a lone surrogate)"
    return None


def check_text(value: str) -> str:
    """Pydantic after-validator: the text is returned unchanged or a ValueError says why."""
    problem = text_problem(value)
    if problem:
        raise ValueError(f"text {problem}")
    return value


def check_json(value: Any) -> Any:
    """Pydantic after-validator for free JSON: bounded depth and size, storable everywhere."""
    nodes = 0

    def walk(node: Any, depth: int, where: str) -> None:
        nonlocal nodes
        nodes += 1
        if nodes > MAX_JSON_NODES:
            raise ValueError(f"JSON has more than {MAX_JSON_NODES} values")
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"JSON is nested more than {MAX_JSON_DEPTH} levels deep")
        if node is None or isinstance(node, bool):
            return
        if isinstance(node, int):
            if abs(node) > MAX_INT:
                raise ValueError(f"{where}: integer out of the 64-bit range")
            return
        if isinstance(node, float):
            if not math.isfinite(node):
                raise ValueError(f"{where}: numbers must be finite (no NaN or Infinity)")
            return
        if isinstance(node, str):
            problem = text_problem(node)
            if problem:
                raise ValueError(f"{where}: text {problem}")
            return
        if isinstance(node, dict):
            for key, item in node.items():
                if not isinstance(key, str):
                    raise ValueError(f"{where}: object keys must be text")
                problem = text_problem(key)
                if problem:
                    raise ValueError(f"{where}: a key {problem}")
                walk(item, depth + 1, f"{where}.{safe_text(key)[:40]}")
            return
        if isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, depth + 1, f"{where}[{index}]")
            return
        raise ValueError(f"{where}: {type(node).__name__} is not a JSON value")

    walk(value, 0, "$")
    return value


MAX_ECHO_CHARS = 200


def safe_text(value: object, limit: int = MAX_ECHO_CHARS) -> str:
    """Text that can always be encoded in a response, and short, whatever the client sent.

    Error bodies quote field names and messages back to the client; cut to ``limit``
    characters, a 48,000-character field name cannot make an answer (or a log) huge.
    """
    text = str(value)
    if len(text) > limit:
        text = f"{text[:limit]}...({len(text) - limit} more characters)"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def canonical_json(value: Any) -> bytes:
    """Key-sorted compact JSON: two equal payloads give equal bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def fingerprint(value: Any) -> str:
    """SHA-256 of the canonical JSON, used to tell a replay from a key reused for other data."""
    return hashlib.sha256(canonical_json(value)).hexdigest()
