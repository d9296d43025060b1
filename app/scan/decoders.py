"""The ``Decoder`` protocol and its two back ends, zxing-cpp (default) and pyzbar.

Settings follow PLATFORM.md §5: a *fast* pass for live frames (only the three label
formats, no 90° rotation, no inversion: ~8 ms at 1280x720 instead of ~57 ms) and a
*thorough* pass for still pictures and the camera's periodic check for light-on-dark
or turned labels. zxing-cpp holds the GIL while it decodes, so every single call must
stay short when it runs beside the UI; the camera pipeline (``pipeline.LiveDecoder``)
therefore builds its periodic full pass from several fast calls.

pyzbar needs the system library libzbar0 and cannot read DataMatrix; it is imported on
first use and, when missing, ``choose_decoder`` says so in one line and uses zxing-cpp.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from app.scan.codes import DecodedCode, canonical_format, unique
from app.scan.frames import GreyFrame, half_scale, inverted, rotated90, squash_rows

log = logging.getLogger(__name__)

DECODER_NAMES = ("zxing", "zbar")
DEFAULT_DECODER = "zxing"


class DecoderUnavailable(RuntimeError):
    """A back end that cannot run on this machine; the message is one line for the user."""


@runtime_checkable
class Decoder(Protocol):
    """Reads symbols from a prepared grey frame. Implementations must be stateless and thread-safe."""

    name: str
    formats: tuple[str, ...]

    def decode(
        self, grey: GreyFrame, *, thorough: bool = False, formats: tuple[str, ...] | None = None
    ) -> list[DecodedCode]:
        """Every symbol found. ``thorough`` also looks for inverted and turned symbols and tries
        noise-reducing copies; ``formats`` narrows the search to some of ``self.formats``."""
        ...


class ZxingDecoder:
    """zxing-cpp restricted to QR, Code 128 and DataMatrix."""

    name = "zxing"
    formats: tuple[str, ...] = ("QRCode", "Code128", "DataMatrix")

    def __init__(self) -> None:
        import zxingcpp

        self._zx = zxingcpp
        kind = zxingcpp.BarcodeFormat
        self._kinds = {"QRCode": kind.QRCode, "Code128": kind.Code128, "DataMatrix": kind.DataMatrix}
        # Plain: the symbol's own characters, exactly what a keyboard-wedge scanner types
        self._text_mode = zxingcpp.TextMode.Plain

    def decode(
        self, grey: GreyFrame, *, thorough: bool = False, formats: tuple[str, ...] | None = None
    ) -> list[DecodedCode]:
        wanted = tuple(f for f in (formats or self.formats) if f in self._kinds)
        if not wanted:
            return []
        found = self.read(grey, wanted, rotate=thorough, invert=thorough)
        if found or not thorough:
            return found
        # noisy photo with large modules: a box-filtered half-size copy often reads
        found = self.read(half_scale(grey), wanted, rotate=True, invert=True)
        if not found and "Code128" in wanted:
            for squashed in (squash_rows(grey), squash_rows(rotated90(grey))):
                found = self.read(squashed, ("Code128",), invert=True)
                if found:
                    break
        return found

    def read(
        self, grey: GreyFrame, formats: tuple[str, ...], *, rotate: bool = False, invert: bool = False
    ) -> list[DecodedCode]:
        """One library call. A tuple of formats, not ``|``: zxing-cpp 3.1 deprecates the operator."""
        results = self._zx.read_barcodes(
            grey,
            # The stubs name only BarcodeFormats; the library takes a tuple of formats too.
            formats=tuple(self._kinds[f] for f in formats),  # type: ignore[arg-type]
            try_rotate=rotate,
            try_invert=invert,
            try_downscale=True,  # switching it off loses every harsh-frame case (PLATFORM.md §5.3)
            text_mode=self._text_mode,
        )
        return unique([DecodedCode(canonical_format(r.format.name), r.text) for r in results if r.valid])


class ZbarDecoder:
    """pyzbar restricted to QR and Code 128 (zbar has no DataMatrix), read on a half-scale copy.

    zbar misses large-module codes in noisy frames unless they are smoothed first
    (PLATFORM.md §5.2); the 2x2 box average does that and quarters the work. pyzbar goes
    through ctypes, which releases the GIL, so its calls never stall the UI thread.
    """

    name = "zbar"
    formats: tuple[str, ...] = ("QRCode", "Code128")

    def __init__(self) -> None:
        try:
            from pyzbar import pyzbar
        except ImportError as exc:  # libzbar0 missing: "Unable to find zbar shared library"
            raise DecoderUnavailable(
                "the zbar decoder needs the zbar library (on Debian: apt-get install libzbar0); "
                f"using zxing-cpp instead ({exc})"
            ) from exc
        self._pyzbar = pyzbar
        symbol = pyzbar.ZBarSymbol
        # restricting symbols also silences zbar's DataBar assertion warnings on noisy frames
        self._symbols = {"QRCode": symbol.QRCODE, "Code128": symbol.CODE128}

    def decode(
        self, grey: GreyFrame, *, thorough: bool = False, formats: tuple[str, ...] | None = None
    ) -> list[DecodedCode]:
        symbols = [self._symbols[f] for f in (formats or self.formats) if f in self._symbols]
        if not symbols:
            return []
        found = self._read(half_scale(grey), symbols)
        if thorough and not found:
            found = self._read(grey, symbols) or self._read(inverted(half_scale(grey)), symbols)
        if thorough and not found and self._symbols["Code128"] in symbols:
            # noisy Code 128: average along the bars (see frames.squash_rows)
            code128 = [self._symbols["Code128"]]
            for rows in (8, 16):  # zbar's 1-D reader wants less noise than zxing's
                for view in (grey, rotated90(grey)):
                    found = self._read(squash_rows(view, rows), code128)
                    if found:
                        return found
        return found

    def _read(self, grey: GreyFrame, symbols: list[Any]) -> list[DecodedCode]:
        height, width = grey.shape
        results = self._pyzbar.decode((grey.tobytes(), width, height), symbols=symbols)
        return unique([DecodedCode(canonical_format(r.type), _text(r.data)) for r in results])


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_FACTORIES: dict[str, Callable[[], Decoder]] = {"zxing": ZxingDecoder, "zbar": ZbarDecoder}


def load_decoder(name: str = DEFAULT_DECODER) -> Decoder:
    """The named back end; raises DecoderUnavailable (one-line message) or ValueError for a bad name."""
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise ValueError(f"unknown decoder {name!r}; choose one of {', '.join(DECODER_NAMES)}") from None
    return factory()


def choose_decoder(name: str = DEFAULT_DECODER, warn: Callable[[str], None] | None = None) -> Decoder:
    """The named back end, or zxing-cpp after telling ``warn`` (default: the log) why not."""
    try:
        return load_decoder(name)
    except DecoderUnavailable as exc:
        (warn or log.warning)(str(exc))
        return load_decoder(DEFAULT_DECODER)


def decode_safely(
    decoder: Decoder, grey: GreyFrame, *, thorough: bool = False, formats: tuple[str, ...] | None = None
) -> list[DecodedCode]:
    """Never raises: a decoder fault on a strange frame is logged and reads as "nothing found"."""
    try:
        return decoder.decode(grey, thorough=thorough, formats=formats)
    except Exception:  # a library fault must not take the camera or a batch decode down
        log.exception("%s decoder failed on a %s frame", decoder.name, getattr(grey, "shape", "?"))
        return []
