"""Barcode images generated during the test run (no binary fixtures).

Symbols come from qrcode, segno and zxing-cpp's writer; scenes imitate a camera frame
(PLATFORM.md §5): shaded background with clutter, the label pasted at reduced contrast
and an angle, then blur and sensor noise. The benchmark reuses ``degraded_set``.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

EUI = "000D6F0000ABCDEF"
EUI_DASHED = "00-0D-6F-00-00-AB-CD-EF"
CODE_HEX = "83FED3407A939723A5C639B26916D505"  # 16-byte install code without CRC


def zigbee_payload(eui: str = EUI, code_hex: str = CODE_HEX) -> str:
    """``Z:<eui>$I:<code+CRC>``: the install-code QR layout, built with the domain's CRC."""
    from app.domain.install_codes import InstallCode

    return f"Z:{eui}$I:{InstallCode.from_code_hex(code_hex).label_hex}"


def symbol(text: str, fmt: str, module_px: int = 4, generator: str = "zxing", quiet: int = 10) -> np.ndarray:
    """A clean dark-on-light symbol as a uint8 array with ``quiet`` modules of white border."""
    if fmt == "qr" and generator == "qrcode":
        import qrcode

        qr = qrcode.QRCode(border=0, box_size=1, error_correction=qrcode.constants.ERROR_CORRECT_M)
        qr.add_data(text)
        qr.make(fit=True)
        modules = np.array(qr.get_matrix(), dtype=bool)
        base = np.where(modules, 0, 255).astype(np.uint8)
    elif fmt == "qr" and generator == "segno":
        import segno

        buf = io.BytesIO()
        segno.make_qr(text, error="m").save(buf, kind="png", scale=1, border=0)
        base = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("L"))
    else:
        import zxingcpp

        kind = {"qr": zxingcpp.BarcodeFormat.QRCode, "code128": zxingcpp.BarcodeFormat.Code128,
                "datamatrix": zxingcpp.BarcodeFormat.DataMatrix}[fmt]
        raw = np.asarray(zxingcpp.create_barcode(text, kind).to_image(scale=1, add_quiet_zones=False))
        base = raw if fmt != "code128" else np.repeat(raw[:1, :], max(8, raw.shape[1] // 5), axis=0)
    big = np.kron(base, np.ones((module_px, module_px), dtype=np.uint8))
    return np.pad(big, quiet * module_px, constant_values=255)


def png_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def _background(width: int, height: int, rng: random.Random) -> Image.Image:
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = 90 + 60 * (xx / width) + 30 * np.sin(yy / (37 + rng.random() * 40) + rng.random() * 6)
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height)
        draw.rectangle((x, y, x + rng.randrange(10, 160), y + rng.randrange(5, 90)), fill=rng.randrange(20, 235))
    for _ in range(12):
        draw.text((rng.randrange(width), rng.randrange(height)), f"SMETS2 CH 0x{rng.randrange(65536):04X}",
                  fill=rng.randrange(0, 80))
    return img.filter(ImageFilter.GaussianBlur(1.5))


def scene(
    sym: np.ndarray,
    *,
    size: tuple[int, int] = (1280, 720),
    width_px: int = 260,
    angle: float = 0.0,
    contrast: tuple[int, int] = (0, 255),
    blur: float = 0.0,
    noise: float = 0.0,
    invert: bool = False,
    seed: int = 0,
) -> np.ndarray:
    """Paste a symbol (scaled to ``width_px`` across, turned by ``angle``°) into a photo-like frame."""
    rng = random.Random(seed)
    width, height = size
    lo, hi = contrast
    label = sym.astype(np.float32) / 255.0
    if invert:
        label = 1.0 - label
    label_img = Image.fromarray((lo + label * (hi - lo)).astype(np.uint8))
    scale = width_px / label_img.width
    label_img = label_img.resize(
        (max(1, round(label_img.width * scale)), max(1, round(label_img.height * scale))), Image.Resampling.BILINEAR
    )
    fill = lo if invert else hi
    label_img = label_img.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=fill)
    frame = _background(width, height, rng)
    x = rng.randrange(0, max(1, width - label_img.width))
    y = rng.randrange(0, max(1, height - label_img.height))
    frame.paste(label_img, (x, y))
    if blur:
        frame = frame.filter(ImageFilter.GaussianBlur(blur))
    out = np.asarray(frame, dtype=np.float32)
    if noise:
        out = out + np.random.default_rng(seed).normal(0.0, noise, out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class Sample:
    frame: np.ndarray
    text: str
    fmt: str
    note: str


def degraded_set(n: int = 200, seed: int = 7, size: tuple[int, int] = (1280, 720)) -> list[Sample]:
    """``n`` camera-like frames: each symbology, low contrast, blur, noise, tilt; some inverted or vertical."""
    rng = random.Random(seed)
    payloads = {
        "qr": [zigbee_payload(), EUI_DASHED, f"{EUI}|{zigbee_payload().split('$I:')[1]}"],
        "code128": [EUI],
        "datamatrix": [zigbee_payload(), EUI],
    }
    symbols: dict[tuple[str, str], np.ndarray] = {}
    samples: list[Sample] = []
    for i in range(n):
        fmt = ("qr", "qr", "code128", "datamatrix")[i % 4]
        text = rng.choice(payloads[fmt])
        key = (fmt, text)
        if key not in symbols:
            symbols[key] = symbol(text, fmt, module_px=4, quiet=10 if fmt == "code128" else 4)
        lo = rng.randrange(0, 70)
        hi = rng.randrange(180, 256)
        blur = rng.choice([0.0, 0.5, 1.0, 1.5, 2.0])
        noise = rng.choice([3.0, 8.0, 12.0, 18.0, 25.0])
        invert = rng.random() < 0.08
        if fmt == "code128":
            width = rng.randrange(460, 820)
            angle = rng.uniform(-6, 6) + (90 if rng.random() < 0.08 else 0)
        elif fmt == "datamatrix":
            width = rng.randrange(140, 360)
            angle = rng.uniform(-30, 30)
        else:
            width = rng.randrange(120, 380)
            angle = rng.uniform(-30, 30)
        if abs(angle) > 45 and fmt == "code128":
            width = min(width, size[1] - 40)  # a vertical label must fit the frame's height
        frame = scene(symbols[key], size=size, width_px=width, angle=angle, contrast=(lo, hi), blur=blur,
                      noise=noise, invert=invert, seed=seed * 1000 + i)
        note = f"{fmt} w{width} a{angle:.0f} c{lo}-{hi} b{blur} n{noise}" + (" inv" if invert else "")
        samples.append(Sample(frame, text, fmt, note))
    return samples
