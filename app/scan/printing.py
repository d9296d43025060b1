"""Test labels for printing: QR with qrcode, Code 128 and DataMatrix with zxing-cpp's writer.

Testers need labels whose contents they control (a wrong CRC, a known device) to try the
pairing checks without real kit. The payload is the Zigbee install-code layout HubCheck
reads back (``Z:<EUI-64>$I:<code+CRC>``), or the bare 16-digit ID when there is no code.
"""

from __future__ import annotations

from typing import Any

from app.domain.ids import DeviceId
from app.domain.install_codes import InstallCode

LABEL_FORMATS = ("qr", "code128", "datamatrix")


def label_payload(device_id: DeviceId, install_code: InstallCode | None = None) -> str:
    """What the symbol holds: ``Z:<16 hex>$I:<code+CRC hex>`` or the 16 hex digits alone."""
    if install_code is None:
        return device_id.compact
    return f"Z:{device_id.compact}$I:{install_code.label_hex}"


def render_label(payload: str, fmt: str, module_px: int = 6, caption: str | None = None) -> Any:
    """A white-bordered PIL image of the symbol, with an optional caption line underneath."""
    if fmt not in LABEL_FORMATS:
        raise ValueError(f"unknown label format {fmt!r}; choose one of {', '.join(LABEL_FORMATS)}")
    if module_px < 1:
        raise ValueError("module_px must be at least 1")
    symbol = _qr(payload, module_px) if fmt == "qr" else _zxing(payload, fmt, module_px)
    return _with_caption(symbol, caption) if caption else symbol


def _qr(payload: str, module_px: int) -> Any:
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=module_px, border=4)
    qr.add_data(payload)
    qr.make(fit=True)
    return qr.make_image(fill_color="black", back_color="white").get_image().convert("L")


def _zxing(payload: str, fmt: str, module_px: int) -> Any:
    import numpy as np
    import zxingcpp
    from PIL import Image

    kind = zxingcpp.BarcodeFormat.Code128 if fmt == "code128" else zxingcpp.BarcodeFormat.DataMatrix
    barcode = zxingcpp.create_barcode(payload, kind)
    pixels = np.asarray(barcode.to_image(scale=module_px, add_quiet_zones=True))
    # zxing's quiet zone is narrower than Code 128's 10 modules; widen it so scanners lock on
    pad = 10 * module_px if fmt == "code128" else 2 * module_px
    return Image.fromarray(np.pad(pixels, pad, constant_values=255))


def _with_caption(symbol: Any, caption: str) -> Any:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=max(12, symbol.width // 24))
    left, top, right, bottom = ImageDraw.Draw(symbol).textbbox((0, 0), caption, font=font)
    height = bottom - top + 12
    canvas = Image.new("L", (max(symbol.width, right - left + 16), symbol.height + height), 255)
    canvas.paste(symbol, ((canvas.width - symbol.width) // 2, 0))
    ImageDraw.Draw(canvas).text(((canvas.width - (right - left)) // 2, symbol.height), caption, fill=0, font=font)
    return canvas
