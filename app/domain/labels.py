"""Label payloads: what a scanner, camera or person produced → device ID + install code.

Labels come in many shapes: a bare ID in any notation, the Zigbee install-code QR
layouts (``Z:<eui>$I:<code>``, ``<eui>|<code>``, ``G$M:…$A:<eui>$I:<code>``,
``HUE:Z:<code> M:<eui>``), or a line of text with the ID somewhere inside it. The parser
never guesses between two different IDs: it says so and asks for the right barcode.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from app.domain.errors import DomainInputError
from app.domain.ids import DeviceId, DeviceIdError, canonical_from_hex16, parse_device_id
from app.domain.install_codes import InstallCode, InstallCodeError, parse_label_install_code


class LabelError(DomainInputError):
    """Scanned text from which no single device ID can be read."""


@dataclass(frozen=True, slots=True)
class LabelData:
    """What one scan yielded. ``install_code_text`` is kept even when its CRC fails."""

    raw: str
    device_id: DeviceId
    install_code: InstallCode | None = None
    install_code_text: str | None = None
    install_code_problem: str | None = None

    @property
    def has_install_code(self) -> bool:
        return self.install_code_text is not None

    @property
    def install_code_ok(self) -> bool:
        return self.install_code is not None and self.install_code_problem is None


_HEX = "0-9A-Fa-f"
_EUI_IN_TEXT = re.compile(
    rf"(?<![{_HEX}])(?<![{_HEX}][-:])(?:0[xX])?([{_HEX}]{{2}}(?:[-: ]?[{_HEX}]{{2}}){{7}})(?![-:]?[{_HEX}])"
)
_HEX_RUN = re.compile(rf"[{_HEX}]+")
_HUE = re.compile(rf"HUE:Z:([{_HEX}]+)\s+M:([{_HEX}]{{16}})", re.IGNORECASE)
_PIPE = re.compile(rf"^\s*([{_HEX}]{{16}})\|([{_HEX}]+)\s*$")
_CODE_RUN = re.compile(rf"(?<![{_HEX}])([{_HEX}]{{20}}|[{_HEX}]{{28}}|[{_HEX}]{{36}})(?![{_HEX}])")
_EUI16 = re.compile(rf"^[{_HEX}]{{16}}$")


def parse_label(text: str) -> LabelData:
    """Read one device ID (and an install code if present) from scanned text."""
    if not isinstance(text, str):
        raise LabelError(f"scanned data must be text, got {type(text).__name__}")
    raw = text
    cleaned = text.replace("\x00", "").strip()
    if not cleaned:
        raise LabelError("nothing was read: the scan is empty")

    keyed = _parse_keyed(cleaned)
    if keyed is not None:
        eui, code = keyed
        return _build(raw, eui, code)

    try:
        return LabelData(raw=raw, device_id=parse_device_id(cleaned))
    except DeviceIdError:
        pass

    found = _ids_in_text(cleaned)
    if len(found) > 1:
        shown = ", ".join(str(d) for d in found[:4])
        raise LabelError(
            f"read {_clip(cleaned)!r}: it holds {len(found)} different device IDs ({shown}); "
            "scan the barcode of the one device you mean"
        )
    if found:
        code_match = _CODE_RUN.search(_EUI_IN_TEXT.sub(" ", cleaned))
        return _build(raw, found[0].compact, code_match.group(1) if code_match else None)
    raise LabelError(_why_no_id(cleaned))


def _parse_keyed(text: str) -> tuple[str, str | None] | None:
    hue = _HUE.search(text)
    if hue:
        return hue.group(2), hue.group(1)
    pipe = _PIPE.match(text)
    if pipe:
        return pipe.group(1), pipe.group(2)
    if "$" in text or text.upper().startswith(("Z:", "A:")):
        eui: str | None = None
        code: str | None = None
        for field in text.split("$"):
            key, sep, value = field.strip().partition(":")
            if not sep:
                continue
            key, value = key.strip().upper(), value.strip()
            if key in ("Z", "A") and _EUI16.match(value) and eui is None:
                eui = value
            elif key == "I" and code is None:
                code = value
        if eui is not None:
            return eui, code
    return None


def _build(raw: str, eui_hex: str, code_text: str | None) -> LabelData:
    device_id = DeviceId(canonical_from_hex16(eui_hex))
    if code_text is None:
        return LabelData(raw=raw, device_id=device_id)
    try:
        code = parse_label_install_code(code_text)
    except InstallCodeError as exc:
        return LabelData(raw=raw, device_id=device_id, install_code_text=code_text, install_code_problem=str(exc))
    return LabelData(raw=raw, device_id=device_id, install_code=code, install_code_text=code_text)


def _ids_in_text(text: str) -> list[DeviceId]:
    seen: list[DeviceId] = []
    for match in _EUI_IN_TEXT.finditer(text):
        digits = re.sub(r"[-: ]", "", match.group(1))
        device_id = DeviceId(canonical_from_hex16(digits))
        if device_id not in seen:
            seen.append(device_id)
    return seen


def _why_no_id(text: str) -> str:
    runs = [m.group() for m in _HEX_RUN.finditer(re.sub(r"(?<=[0-9A-Fa-f])[-: ](?=[0-9A-Fa-f])", "", text))]
    if not runs:
        return f"read {_clip(text)!r}: no device ID in it (it holds no hex digits; a device ID is 16 hex digits)"
    longest = max(runs, key=len)
    if len(longest) > 16:
        return (
            f"read {_clip(text)!r}: no device ID in it (it holds a run of {len(longest)} hex digits, "
            "a device ID has exactly 16)"
        )
    return (
        f"read {_clip(text)!r}: no device ID in it (the longest run of hex digits has {len(longest)}, "
        "a device ID has 16)"
    )


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- kept with a record

#: What stands for each character of an install code in a label's text kept with a record.
SCAN_MASK = "•"
#: The longest label text kept with a record (a label is a few dozen characters; the rest is noise).
SCAN_TEXT_MAX = 200
# Groups of hex digits joined by dashes, colons or spaces; masked when they hold 12 or more
# digits (a 6-byte install code, the shortest, has 12). Outside the device ID such a run can
# only be a code or noise. A lone hex letter (the C of "IC") does not start a group.
_HEX_GROUPS = re.compile(rf"(?<![{_HEX}])[{_HEX}]{{2,}}(?:[-: ]?[{_HEX}]{{2,}})*(?![{_HEX}])")
_CODE_MIN_DIGITS = 12


def masked_scan_text(label: LabelData) -> str:
    """The label's text as scanned, fit to keep with the install record and show an analyst:
    the device ID stays as printed; the install code's characters become ``•`` (its length
    kept), and so does any other run of 12 or more hex digits (a code the parser did not take
    as one, e.g. printed in spaced groups beside the ID). An install code derives the device's
    link key, so its characters never leave the visit."""
    text = label.raw.replace("\x00", "").replace("\r", " ").replace("\n", " ").strip()
    compact = label.device_id.compact
    # The device ID in whatever notation the label printed it (compact, dashed, colons, spaces).
    device_in_text = re.compile("[-: ]?".join(compact[i:i + 2] for i in range(0, 16, 2)), re.IGNORECASE)
    code = (label.install_code_text or "").strip()

    def mask_run(match: re.Match[str]) -> str:
        run = match.group()
        digits = sum(ch in string.hexdigits for ch in run)
        return re.sub(rf"[{_HEX}]", SCAN_MASK, run) if digits >= _CODE_MIN_DIGITS else run

    out, start = [], 0
    for low, high in [*(m.span() for m in device_in_text.finditer(text)), (len(text), len(text))]:
        part = text[start:low]
        if code:
            part = part.replace(code, SCAN_MASK * len(code))
        out.append(_HEX_GROUPS.sub(mask_run, part))
        out.append(text[low:high])
        start = high
    masked = "".join(out)
    return masked if len(masked) <= SCAN_TEXT_MAX else masked[: SCAN_TEXT_MAX - 1] + "…"
