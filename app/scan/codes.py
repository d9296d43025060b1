"""What a decoder found, in a form that does not depend on the decoding library.

Both back ends report their own format names and result objects; HubCheck keeps one
small value type so the CLI, the camera and the widgets never see library types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain.labels import LabelData, LabelError, parse_label

# Library spellings → the names HubCheck prints (stable: part of the CLI's JSON contract).
_FORMAT_ALIASES: dict[str, str] = {
    "QRCODE": "QRCode",
    "QR CODE": "QRCode",
    "QRCODE_": "QRCode",
    "CODE128": "Code128",
    "CODE 128": "Code128",
    "DATAMATRIX": "DataMatrix",
    "DATA MATRIX": "DataMatrix",
}


def canonical_format(name: str) -> str:
    """Map a library's format name (``QRCODE``, ``QR Code``, ``Code128`` …) to HubCheck's."""
    key = name.strip().upper()
    return _FORMAT_ALIASES.get(key, _FORMAT_ALIASES.get(key.replace("-", " "), name.strip()))


@dataclass(frozen=True, slots=True)
class DecodedCode:
    """One symbol read from an image: its format (``QRCode``, ``Code128``, ``DataMatrix``) and text."""

    format: str
    text: str

    def label(self) -> LabelData | None:
        """The device ID and install code in the text, or None when it holds no single ID."""
        try:
            return parse_label(self.text)
        except LabelError:
            return None

    def to_json(self) -> dict[str, Any]:
        """The CLI contract: ``install_code`` is the bare code (no CRC) and only when its CRC holds."""
        data = self.label()
        return {
            "format": self.format,
            "text": self.text,
            "device_id": str(data.device_id) if data is not None else None,
            "install_code": (
                data.install_code.code_hex if data is not None and data.install_code_ok and data.install_code else None
            ),
        }


def unique(codes: list[DecodedCode]) -> list[DecodedCode]:
    """Drop repeats (several passes over one image often find the same symbol) keeping order."""
    seen: set[DecodedCode] = set()
    out: list[DecodedCode] = []
    for code in codes:
        if code not in seen:
            seen.add(code)
            out.append(code)
    return out
