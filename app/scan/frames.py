"""Frame preparation: any picture → an 8-bit grey numpy array, cropped and scaled.

Decoders only ever see a C-contiguous ``uint8`` 2-D array. Doing the conversion once,
here, makes decoding a pure function of an image (tests feed generated arrays), keeps
the zxing-cpp call on a one-byte-per-pixel buffer (3–4x faster than RGB), and lets the
camera crop to the aiming box before paying for a decode.

numpy is imported with this module; callers on the GUI start-up path import it lazily.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

GreyFrame = np.ndarray  # 2-D, uint8, C-contiguous


class FrameError(ValueError):
    """An object that cannot be turned into a grey frame (wrong type, shape or size)."""


@dataclass(frozen=True, slots=True)
class Roi:
    """Region of interest as fractions of the frame, so it survives a change of resolution."""

    left: float = 0.0
    top: float = 0.0
    width: float = 1.0
    height: float = 1.0

    def __post_init__(self) -> None:
        for value in (self.left, self.top, self.width, self.height):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"a region of interest is given in fractions 0..1, got {value}")
        if self.width <= 0 or self.height <= 0:
            raise ValueError("a region of interest needs a positive width and height")

    @classmethod
    def centre(cls, width: float, height: float) -> Roi:
        """A box of the given fractional size centred in the frame (the camera's aiming box)."""
        return cls((1 - width) / 2, (1 - height) / 2, width, height)

    def pixels(self, frame_width: int, frame_height: int) -> tuple[int, int, int, int]:
        """(x, y, w, h) in whole pixels, clipped to the frame and at least 1x1."""
        x = min(int(round(self.left * frame_width)), max(frame_width - 1, 0))
        y = min(int(round(self.top * frame_height)), max(frame_height - 1, 0))
        w = max(1, min(int(round(self.width * frame_width)), frame_width - x))
        h = max(1, min(int(round(self.height * frame_height)), frame_height - y))
        return x, y, w, h


FULL_FRAME = Roi()
_MIN_SIDE = 8  # nothing smaller than this can hold a readable symbol


def to_grey(image: Any) -> GreyFrame:
    """Convert a numpy array, PIL image, QImage or QVideoFrame to a contiguous uint8 grey array.

    3-channel arrays are taken as RGB and 4-channel as RGBA (alpha composited on white,
    as a transparent PNG label is shown on screen). Raises FrameError for anything else.
    """
    if isinstance(image, np.ndarray):
        return _grey_from_array(image)
    module = type(image).__module__
    if module.startswith("PIL."):
        return _grey_from_pil(image)
    if module.startswith("PySide6.") and type(image).__name__ == "QImage":
        return _grey_from_qimage(image)
    if module.startswith("PySide6.") and type(image).__name__ == "QVideoFrame":
        if not image.isValid():
            raise FrameError("the video frame is empty")
        grey = grey_from_video_frame(image)
        return grey if grey is not None else _grey_from_qimage(image.toImage())
    raise FrameError(f"cannot read a picture from a {type(image).__name__}")


def _grey_from_array(array: np.ndarray) -> GreyFrame:
    if array.size == 0:
        raise FrameError("the picture is empty")
    if array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    elif array.dtype != np.uint8:
        if not np.issubdtype(array.dtype, np.number):
            raise FrameError(f"cannot read pixels of type {array.dtype}")
        finite = np.nan_to_num(array.astype(np.float32), nan=255.0, posinf=255.0, neginf=0.0)
        if finite.max(initial=0.0) <= 1.0:  # float images in 0..1
            finite = finite * 255.0
        array = np.clip(finite, 0, 255).astype(np.uint8)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim == 2:
        grey = array
    elif array.ndim == 3 and array.shape[2] in (3, 4):
        rgb = array[:, :, :3].astype(np.uint16)
        # integer BT.601 luma: (77 R + 150 G + 29 B) / 256
        luma = (rgb[:, :, 0] * 77 + rgb[:, :, 1] * 150 + rgb[:, :, 2] * 29) >> 8
        if array.shape[2] == 4:
            alpha = array[:, :, 3].astype(np.uint16)
            luma = (luma * alpha + 255 * (255 - alpha)) // 255
        grey = luma.astype(np.uint8)
    else:
        raise FrameError(f"cannot read a picture shaped {array.shape}")
    if min(grey.shape) < _MIN_SIDE:
        raise FrameError(f"the picture is too small ({grey.shape[1]}x{grey.shape[0]} pixels)")
    return np.ascontiguousarray(grey)


def _grey_from_pil(image: Any) -> GreyFrame:
    try:
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            return _grey_from_array(np.asarray(rgba))
        return _grey_from_array(np.asarray(image.convert("L")))
    except FrameError:
        raise
    except Exception as exc:  # a truncated or exotic file fails here, on first pixel access
        raise FrameError(f"cannot read the picture's pixels: {exc}") from exc


# QImage formats read straight from memory with numpy, which releases the GIL while it
# works; QImage.convertToFormat keeps it (a 1280x720 conversion froze the UI thread for
# 10-24 ms in benchmarks/decode.py), so it is only the fallback for rarer formats.
_QIMAGE_CHANNELS: dict[str, tuple[int, tuple[int, int, int]]] = {
    # format name: (bytes per pixel, byte offsets of R, G, B) on a little-endian machine
    "Format_RGB32": (4, (2, 1, 0)),
    "Format_ARGB32": (4, (2, 1, 0)),
    "Format_ARGB32_Premultiplied": (4, (2, 1, 0)),
    "Format_RGBX8888": (4, (0, 1, 2)),
    "Format_RGBA8888": (4, (0, 1, 2)),
    "Format_RGBA8888_Premultiplied": (4, (0, 1, 2)),
    "Format_RGB888": (3, (0, 1, 2)),
    "Format_BGR888": (3, (2, 1, 0)),
}


def _grey_from_qimage(image: Any) -> GreyFrame:
    import sys

    from PySide6.QtGui import QImage

    if image.isNull() or image.width() == 0 or image.height() == 0:
        raise FrameError("the picture is empty")
    name = image.format().name
    width, height = image.width(), image.height()
    if name == "Format_Grayscale8":
        return _grey_from_array(_rows(image, width).copy())
    layout = _QIMAGE_CHANNELS.get(name) if sys.byteorder == "little" else None
    if layout is None:
        image = image.convertToFormat(QImage.Format.Format_ARGB32)
        layout = _QIMAGE_CHANNELS["Format_ARGB32"]
        name = "Format_ARGB32"
    size, (r, g, b) = layout
    pixels = _rows(image, width * size).reshape(height, width, size)
    if image.hasAlphaChannel() and "Premultiplied" not in name:
        alpha_at = 3
        rgba = np.stack([pixels[:, :, r], pixels[:, :, g], pixels[:, :, b], pixels[:, :, alpha_at]], axis=2)
        return _grey_from_array(rgba)
    return _grey_from_array(np.stack([pixels[:, :, r], pixels[:, :, g], pixels[:, :, b]], axis=2))


def _rows(image: Any, row_bytes: int) -> np.ndarray:
    """The image's pixel rows without stride padding, as a view (copy before the QImage goes)."""
    stride, height = image.bytesPerLine(), image.height()
    buffer = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * height)
    return buffer.reshape(height, stride)[:, :row_bytes]


# Camera frames mostly arrive as YUV: the Y (luma) plane *is* the grey picture, so it is
# copied out directly instead of converting the whole frame to RGB first.
_PLANAR_Y = {"Format_NV12", "Format_NV21", "Format_YUV420P", "Format_YUV422P", "Format_YV12",
             "Format_IMC1", "Format_IMC2", "Format_IMC3", "Format_IMC4", "Format_Y8"}
_PACKED_Y = {"Format_YUYV": 0, "Format_UYVY": 1}


def grey_from_video_frame(frame: Any) -> GreyFrame | None:
    """The luma plane of a YUV QVideoFrame as a grey array; None when the format is not YUV 8-bit."""
    name = frame.pixelFormat().name
    if name not in _PLANAR_Y and name not in _PACKED_Y:
        return None
    from PySide6.QtMultimedia import QVideoFrame

    if not frame.map(QVideoFrame.MapMode.ReadOnly):
        return None
    try:
        width, height, stride = frame.width(), frame.height(), frame.bytesPerLine(0)
        buffer = np.frombuffer(frame.bits(0), dtype=np.uint8, count=stride * height).reshape(height, stride)
        first = _PACKED_Y.get(name)
        luma = buffer[:, first : 2 * width : 2] if first is not None else buffer[:, :width]
        return _grey_from_array(luma.copy())
    finally:
        frame.unmap()


def crop(grey: GreyFrame, roi: Roi | None) -> GreyFrame:
    """The region of interest as a view (no copy); the full frame for None or FULL_FRAME."""
    if roi is None or roi == FULL_FRAME:
        return grey
    x, y, w, h = roi.pixels(grey.shape[1], grey.shape[0])
    return grey[y : y + h, x : x + w]


def half_scale(grey: GreyFrame) -> GreyFrame:
    """2x2 box average: halves the pixels to decode and smooths sensor noise in one step.

    zbar loses large-module codes in noisy frames; this is the pre-filter PLATFORM.md §5.2
    measured to restore them, and it costs ~1 ms on a 1280x720 frame.
    """
    h, w = (grey.shape[0] // 2) * 2, (grey.shape[1] // 2) * 2
    if h < 2 * _MIN_SIDE or w < 2 * _MIN_SIDE:
        return grey
    g = grey[:h, :w].astype(np.uint16)
    out = (g[0::2, 0::2] + g[1::2, 0::2] + g[0::2, 1::2] + g[1::2, 1::2] + 2) >> 2
    return out.astype(np.uint8)


def downscale(grey: GreyFrame, max_side: int | None) -> GreyFrame:
    """Halve (box-filtered) until the longer side is at most ``max_side``; None leaves it."""
    if max_side is None:
        return grey
    while max(grey.shape) > max_side and min(grey.shape) >= 4 * _MIN_SIDE:
        grey = half_scale(grey)
    return grey


def prepare(image: Any, roi: Roi | None = None, max_side: int | None = None) -> GreyFrame:
    """Grey conversion, then region of interest, then optional downscale; contiguous result."""
    grey = downscale(crop(to_grey(image), roi), max_side)
    if min(grey.shape) < _MIN_SIDE:
        raise FrameError("the region of interest is too small to hold a code")
    return np.ascontiguousarray(grey)


def squash_rows(grey: GreyFrame, rows: int = 8) -> GreyFrame:
    """Average every ``rows`` rows into one: a 1-D barcode's bars survive, sensor noise does not.

    Bars of a level Code 128 run top to bottom, so averaging along them cuts noise by
    sqrt(rows) without blurring the bars, and leaves 1/rows of the pixels to decode.
    A tilt of up to ~6° moves a bar by less than a pixel over 8 rows. 2-D codes are
    destroyed by this, so only the Code 128 reader is run on the result.
    """
    height = (grey.shape[0] // rows) * rows
    if height < rows * 2:
        return grey
    summed = grey[:height].reshape(height // rows, rows, grey.shape[1]).sum(axis=1, dtype=np.uint16)
    return np.ascontiguousarray((summed // rows).astype(np.uint8))


def inverted(grey: GreyFrame) -> GreyFrame:
    """Light-on-dark (laser-etched) labels become dark-on-light."""
    return np.ascontiguousarray(255 - grey)


def rotated90(grey: GreyFrame) -> GreyFrame:
    """A quarter turn, so a vertical Code 128 is read by a horizontal-only fast pass."""
    return np.ascontiguousarray(np.rot90(grey))
