"""Codes from still pictures: a file, the clipboard, or a file dropped on a widget.

Photos from phones carry their orientation in EXIF; it is applied before decoding so a
sideways photo of a Code 128 label still reads. Every failure to *read* a file becomes an
``ImageReadError`` with a one-line message; failing to *find* a code is just an empty list.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from app.scan.codes import DecodedCode
from app.scan.decoders import Decoder
from app.scan.frames import FrameError, prepare
from app.scan.pipeline import decode_image, default_decoder

# Refuse absurd pictures before decoding them (a 12 MP phone photo is fine).
MAX_PIXELS = 60_000_000
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


class ImageReadError(ValueError):
    """A file that is missing, unreadable or not a picture; the message names the file."""


def load_image(path: str | Path) -> Any:
    """Open a picture with Pillow, upright per its EXIF orientation, pixels loaded."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise ImageReadError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as opened:
                if opened.width * opened.height > MAX_PIXELS:
                    raise ImageReadError(
                        f"{path}: picture too large ({opened.width}x{opened.height}); crop it to the label"
                    )
                image = ImageOps.exif_transpose(opened)
                image.load()
                return image
    except ImageReadError:
        raise
    except UnidentifiedImageError:
        raise ImageReadError(f"{path}: not a picture HubCheck can read (PNG, JPEG, BMP, GIF, TIFF, WebP)") from None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageReadError(f"{path}: cannot read the picture ({exc})") from None


def decode_image_file(path: str | Path, decoder: Decoder | None = None) -> list[DecodedCode]:
    """Every code in a picture file (thorough pass). Raises ImageReadError when it cannot be read."""
    image = load_image(path)
    try:
        prepare(image)  # validates size and mode, so "unreadable" and "no code" stay distinct
    except FrameError as exc:
        raise ImageReadError(f"{path}: {exc}") from None
    return decode_image(image, decoder or default_decoder())


def decode_qimage(image: Any, decoder: Decoder | None = None) -> list[DecodedCode]:
    """Every code in a QImage (e.g. a pasted screenshot); [] for a null image."""
    return decode_image(image, decoder or default_decoder())


def picture_paths(paths: Any) -> list[Path]:
    """The ones among ``paths`` that name picture files (by suffix)."""
    return [p for p in map(Path, paths) if p.suffix.lower() in IMAGE_SUFFIXES]


def paths_from_mime(mime: Any) -> list[Path]:
    """Local picture files named in drag-and-drop or clipboard data."""
    if mime is None or not mime.hasUrls():
        return []
    return picture_paths(url.toLocalFile() for url in mime.urls() if url.isLocalFile())


def mime_has_picture(mime: Any) -> bool:
    return mime is not None and (mime.hasImage() or bool(paths_from_mime(mime)))


def decode_mime(mime: Any, decoder: Decoder | None = None) -> tuple[list[DecodedCode], list[str]]:
    """Codes in an image or picture files carried by mime data, plus one message per unreadable file."""
    from PySide6.QtGui import QImage

    if mime is None:
        return [], []
    image = mime.imageData() if mime.hasImage() else None
    return decode_pictures(image if isinstance(image, QImage) else None, paths_from_mime(mime), decoder)


def decode_pictures(
    image: Any, paths: list[Path], decoder: Decoder | None = None
) -> tuple[list[DecodedCode], list[str]]:
    """Codes in a QImage (or None) and in picture files, without repeats, plus one message per unreadable file.

    Touches no mime data, so a worker thread can run it on what the UI thread copied out of a drop.
    """
    codes: list[DecodedCode] = []
    problems: list[str] = []
    if image is not None:
        codes += decode_qimage(image, decoder)
    for path in paths:
        try:
            codes += decode_image_file(path, decoder)
        except ImageReadError as exc:
            problems.append(str(exc))
    # Several decoders or passes may read the same label: keep the first of each, in order.
    return list(dict.fromkeys(codes)), problems


def decode_clipboard(clipboard: Any = None, decoder: Decoder | None = None) -> list[DecodedCode]:
    """Codes in the clipboard's picture (a screenshot) or in picture files copied from a file manager."""
    if clipboard is None:
        from PySide6.QtGui import QGuiApplication

        clipboard = QGuiApplication.clipboard()
    codes, _problems = decode_mime(clipboard.mimeData(), decoder)
    return codes
