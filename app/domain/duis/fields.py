"""Field checks shared by every intent: the XSD facets, applied before anything is queued.

Each check takes the raw value and ``where`` (e.g. ``"8.11 JoinTimePeriod"``) so the
message tells the installer which Service Request and which DUIS element is wrong. The
checks also *coerce* the JSON forms (a device ID string, an enum's DUIS text, an ISO
date-time) so an intent rebuilt from a stored payload goes through the same gate as one
built in code. Where HubCheck is stricter than the XSD (MPxNs must be digits, install
codes 6/8/12/16 bytes) the message says so.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import Enum
from typing import TypeVar

from app.domain.devices import DeviceType
from app.domain.duis.errors import DuisFieldError
from app.domain.ids import DeviceId, DeviceIdError, parse_device_id
from app.domain.install_codes import InstallCode, InstallCodeError

E = TypeVar("E", bound=Enum)

# Characters XML 1.0 cannot carry at all (C0 controls other than tab/LF/CR, surrogates, U+FFFE/F).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_DIGITS = re.compile(r"^[0-9]+$")


def device_id(value: object, where: str) -> DeviceId:
    """A DeviceId, or text in any notation ``parse_device_id`` accepts."""
    if isinstance(value, DeviceId):
        return value
    if isinstance(value, str):
        try:
            return parse_device_id(value)
        except DeviceIdError as exc:
            raise DuisFieldError(f"{where}: {exc}") from exc
    raise DuisFieldError(f"{where} must be a device ID (EUI-64), got {type(value).__name__}")


def optional_device_id(value: object, where: str) -> DeviceId | None:
    return None if value is None else device_id(value, where)


def text(value: object, where: str, *, max_len: int, min_len: int = 1) -> str:
    """Trimmed text within the XSD length facets, holding only characters XML can carry."""
    if not isinstance(value, str):
        raise DuisFieldError(f"{where} must be text, got {type(value).__name__}")
    out = value.strip()
    if len(out) < min_len:
        if min_len == 1:
            raise DuisFieldError(f"{where} is empty")
        raise DuisFieldError(f"{where} has {len(out)} characters; DUIS needs at least {min_len}")
    if len(out) > max_len:
        raise DuisFieldError(f"{where} has {len(out)} characters; DUIS allows at most {max_len}")
    bad = _NOT_XML.search(out)
    if bad:
        raise DuisFieldError(f"{where} contains a control character (U+{ord(bad.group()):04X}) XML cannot carry")
    return out


def optional_text(value: object, where: str, *, max_len: int, min_len: int = 1) -> str | None:
    return None if value is None else text(value, where, max_len=max_len, min_len=min_len)


def mpxn(value: object, where: str) -> str:
    """An MPAN or MPRN: 1 to 13 digits (the XSD allows any 1–13 characters; GB MPxNs are digits)."""
    out = text(value, where, max_len=13)
    if not _DIGITS.match(out):
        raise DuisFieldError(f"{where} must be digits only (an MPAN has 13, an MPRN up to 10)")
    return out


def optional_mpxn(value: object, where: str) -> str | None:
    return None if value is None else mpxn(value, where)


def mpan(value: object, where: str) -> str:
    """An MPAN: exactly 13 digits."""
    out = mpxn(value, where)
    if len(out) != 13:
        raise DuisFieldError(f"{where} must be an MPAN of exactly 13 digits; this one has {len(out)}")
    return out


def optional_mpan(value: object, where: str) -> str | None:
    return None if value is None else mpan(value, where)


def enum_member(value: object, enum_cls: type[E], where: str) -> E:
    """A member of ``enum_cls``, or its exact DUIS spelling."""
    if isinstance(value, enum_cls):
        return value
    for member in enum_cls:
        if member.value == value:
            return member
    allowed = ", ".join(repr(m.value) for m in enum_cls)
    raise DuisFieldError(f"{where}: {value!r} is not a DUIS value; allowed: {allowed}")


def optional_enum_member(value: object, enum_cls: type[E], where: str) -> E | None:
    return None if value is None else enum_member(value, enum_cls, where)


def duis_device_type(value: object, where: str) -> DeviceType:
    """A device type DUIS can carry: the CPL knows SAPC, DUIS ``DeviceType`` does not."""
    member = enum_member(value, DeviceType, where)
    if not member.duis_allowed:
        raise DuisFieldError(
            f"{where}: {member.value} is not a DUIS device type (DUIS allows "
            + ", ".join(t.value for t in DeviceType if t.duis_allowed)
            + ")"
        )
    return member


def boolean(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise DuisFieldError(f"{where} must be true or false, got {value!r}")
    return value


def integer(value: object, where: str, *, low: int, high: int, unit: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DuisFieldError(f"{where} must be a whole number, got {value!r}")
    if not low <= value <= high:
        suffix = f" {unit}" if unit else ""
        raise DuisFieldError(f"{where} must be {low} to {high}{suffix}; got {value}")
    return value


def aware_datetime(value: object, where: str) -> datetime:
    """A time-zone-aware datetime (or its ISO text): DUIS date-times are instants, never local guesses."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as exc:
            raise DuisFieldError(f"{where}: {value!r} is not an ISO 8601 date-time") from exc
    if not isinstance(value, datetime):
        raise DuisFieldError(f"{where} must be a date-time, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise DuisFieldError(f"{where} must carry a time zone (e.g. UTC); a naive local time is ambiguous")
    return value


def optional_aware_datetime(value: object, where: str) -> datetime | None:
    return None if value is None else aware_datetime(value, where)


def install_code(value: object, where: str) -> InstallCode:
    """A verified InstallCode, or the hex of a bare code (no CRC) as stored in a payload."""
    if isinstance(value, InstallCode):
        return value
    if isinstance(value, str):
        try:
            return InstallCode.from_code_hex(value)
        except InstallCodeError as exc:
            raise DuisFieldError(
                f"{where}: {exc} (DUIS carries the code without its 2-byte CRC: 6, 8, 12 or 16 bytes)"
            ) from exc
    raise DuisFieldError(f"{where} must be an install code, got {type(value).__name__}")


def optional_install_code(value: object, where: str) -> InstallCode | None:
    return None if value is None else install_code(value, where)


def xsd_datetime(value: datetime) -> str:
    """xs:dateTime text; UTC is written with ``Z`` as the DCC's own messages do."""
    offset = value.utcoffset()
    if offset is not None and offset.total_seconds() == 0:
        return value.replace(tzinfo=None).isoformat() + "Z"
    return value.isoformat()
