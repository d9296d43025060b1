"""Zigbee install codes: CRC-16/X-25 verification and the bare code DUIS wants.

A label prints the random code (6, 8, 12 or 16 bytes) followed by its CRC-16/X-25,
little-endian. DUIS 8.11 carries the code *without* the CRC, so HubCheck verifies the
CRC from the label (catching a mis-scan or mistyped digit) and sends the bare code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.domain.errors import DomainInputError

CODE_LENGTHS = (6, 8, 12, 16)
_NOT_HEX = re.compile(r"[^0-9A-Fa-f]")
_SEPARATORS = re.compile(r"[\s\-:]")


class InstallCodeError(DomainInputError):
    """An install code that fails its CRC or has an impossible length."""


def _build_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _build_table()


def crc16_x25(data: bytes) -> int:
    """CRC-16/X-25 (reflected 0x1021, init and xorout 0xFFFF); ``b"123456789"`` gives 0x906E."""
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ _TABLE[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFF


@dataclass(frozen=True, slots=True)
class InstallCode:
    """A verified install code; ``code`` excludes the CRC."""

    code: bytes

    def __post_init__(self) -> None:
        if len(self.code) not in CODE_LENGTHS:
            raise InstallCodeError(
                f"an install code has 6, 8, 12 or 16 bytes; this one has {len(self.code)}"
            )

    @property
    def crc(self) -> int:
        return crc16_x25(self.code)

    @property
    def code_hex(self) -> str:
        """Upper-case hex of the code without its CRC: the DUIS ``InstallCode`` value."""
        return self.code.hex().upper()

    @property
    def label_hex(self) -> str:
        """Code plus little-endian CRC, as printed on a label."""
        return (self.code + self.crc.to_bytes(2, "little")).hex().upper()

    @classmethod
    def from_code_hex(cls, text: str) -> InstallCode:
        """Build from a bare code (no CRC), e.g. typed by a tester making labels."""
        return cls(_hex_bytes(text))


def parse_label_install_code(text: str) -> InstallCode:
    """Parse a label's code+CRC hex and verify the CRC; raise InstallCodeError saying what is wrong."""
    raw = _hex_bytes(text)
    if len(raw) - 2 not in CODE_LENGTHS:
        raise InstallCodeError(
            f"install code {_short(text)!r} has {len(raw)} bytes; a label carries 6, 8, 12 or 16 bytes "
            "plus a 2-byte CRC (8, 10, 14 or 18 bytes)"
        )
    code, printed = raw[:-2], int.from_bytes(raw[-2:], "little")
    expected = crc16_x25(code)
    if printed != expected:
        # Both check digits as the installer reads them on the label (the CRC is printed
        # low byte first), so "F590" on screen can be matched to "F590" on the sticker.
        as_printed = raw[-2:].hex().upper()
        should_be = expected.to_bytes(2, "little").hex().upper()
        raise InstallCodeError(
            f"install code {_short(text)!r} fails its CRC check (its last four characters read "
            f"{as_printed} on the label; for this code they should be {should_be}): re-scan or re-type it"
        )
    return InstallCode(code)


def _hex_bytes(text: str) -> bytes:
    if not isinstance(text, str):
        raise InstallCodeError(f"an install code must be text, got {type(text).__name__}")
    digits = _SEPARATORS.sub("", text.strip())
    if digits[:2].lower() == "0x":
        digits = digits[2:]
    if not digits:
        raise InstallCodeError("the install code is empty")
    bad = _NOT_HEX.search(digits)
    if bad:
        raise InstallCodeError(
            f"install code {_short(text)!r} contains {bad.group()!r}, which is not a hex digit"
        )
    if len(digits) % 2:
        raise InstallCodeError(f"install code {_short(text)!r} has an odd number of hex digits")
    return bytes.fromhex(digits)


def _short(text: str) -> str:
    return text if len(text) <= 48 else text[:47] + "…"
