"""Label pictures for tests: a QR, Code 128 or DataMatrix symbol for a device ID and install code.

The symbol holds what a real PPMID or hub label holds (``Z:<EUI-64>$I:<code+CRC>``, or
the bare ID), drawn by the same writer HubCheck's "print test labels" uses
(``app.scan.printing``). Feed the picture to ``fake_camera``, drop it on the window, or
save it with ``label_png`` and print it for a bench test with a real scanner.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

FORMATS = ("qr", "code128", "datamatrix")


def label_text(device_id: str, install_code: str | None = None, *, with_crc: bool = False) -> str:
    """What the label's symbol holds. ``install_code`` is the bare code in hex (its CRC is
    added, as on a real label), or, with ``with_crc=True``, the code and CRC exactly as given
    (to make a label whose CRC is wrong on purpose)."""
    from app.domain.ids import parse_device_id
    from app.domain.install_codes import InstallCode
    from app.scan.printing import label_payload

    device = parse_device_id(device_id)
    if install_code is None:
        return label_payload(device)
    if with_crc:
        return f"Z:{device.compact}$I:{install_code.replace(' ', '').replace('-', '').upper()}"
    return label_payload(device, InstallCode.from_code_hex(install_code))


def label_image(device_id: str, install_code: str | None = None, fmt: str = "qr", *,
                module_px: int = 6, caption: str | None = None, with_crc: bool = False) -> Any:
    """A PIL picture of the label (white border; ``caption`` printed under the symbol).
    ``fmt``: ``"qr"``, ``"code128"`` or ``"datamatrix"``."""
    from app.scan.printing import render_label

    return render_label(label_text(device_id, install_code, with_crc=with_crc), fmt, module_px, caption)


def text_image(text: str, fmt: str = "qr", *, module_px: int = 6) -> Any:
    """A symbol holding any text (a sample case's ``ppmid_label``, a damaged payload …)."""
    from app.scan.printing import render_label

    return render_label(text, fmt, module_px)


def label_png(device_id: str, install_code: str | None = None, fmt: str = "qr", *,
              path: Path | str | None = None, module_px: int = 6, caption: str | None = None) -> bytes:
    """The label as PNG bytes; written to ``path`` too when one is given."""
    buffer = io.BytesIO()
    label_image(device_id, install_code, fmt, module_px=module_px, caption=caption).save(buffer, format="PNG")
    data = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data
