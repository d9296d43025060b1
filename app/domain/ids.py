"""Device identifiers (EUI-64): accept every notation an installer meets, store one.

DUIS writes a Device ID as eight dash-separated hex pairs; labels, scanners and people
write it with colons, spaces, a ``0x`` prefix or nothing at all. HubCheck normalises to
upper case with dashes before anything is compared or sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.domain.errors import DomainInputError

_SEPARATORS = re.compile(r"[\s\-:.]")
_HEX = frozenset("0123456789abcdefABCDEF")
_CANONICAL = re.compile(r"^[0-9A-F]{2}(?:-[0-9A-F]{2}){7}$")


class DeviceIdError(DomainInputError):
    """Text that is not a device ID; the message explains why."""


@dataclass(frozen=True, slots=True, order=True)
class DeviceId:
    """A canonical EUI-64 device ID such as ``00-0D-6F-00-00-AB-CD-EF``."""

    value: str

    def __post_init__(self) -> None:
        if not _CANONICAL.match(self.value):
            raise DeviceIdError(f"{self.value!r} is not a canonical device ID (use parse_device_id)")

    def __str__(self) -> str:
        return self.value

    @property
    def compact(self) -> str:
        """The 16 hex digits without separators, as Zigbee labels print them."""
        return self.value.replace("-", "")


def canonical_from_hex16(digits: str) -> str:
    """Format 16 hex digits as the canonical dashed upper-case form."""
    up = digits.upper()
    return "-".join(up[i : i + 2] for i in range(0, 16, 2))


def parse_device_id(text: str) -> DeviceId:
    """Parse a device ID in any accepted notation, or raise DeviceIdError saying why not."""
    if not isinstance(text, str):
        raise DeviceIdError(f"a device ID must be text, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise DeviceIdError("no device ID: the text is empty")
    body = stripped
    if body[:2].lower() == "0x":
        body = body[2:]
    digits = _SEPARATORS.sub("", body)
    bad = sorted({c for c in digits if c not in _HEX})
    if bad:
        shown = "".join(bad[:8])
        raise DeviceIdError(
            f"{_clip(stripped)!r} is not a device ID: it contains characters that are not hex digits ({shown!r})"
        )
    if len(digits) != 16:
        raise DeviceIdError(
            f"{_clip(stripped)!r} is not a device ID: it has {len(digits)} hex digits, a device ID has 16"
        )
    return DeviceId(canonical_from_hex16(digits))


def is_device_id(text: str) -> bool:
    """True when ``parse_device_id`` would accept the text."""
    try:
        parse_device_id(text)
    except DeviceIdError:
        return False
    return True


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
