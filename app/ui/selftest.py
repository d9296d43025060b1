"""The self-test's Qt and scanning steps, and the face both programs call for ``--self-test``.

The service steps (data folder, sample imports, the check) live in
``app/services/selftest.py``; the ones here need what only a full build carries: each
decoder reading a label generated on the spot, the main window painted offscreen, and
QtMultimedia with its FFmpeg back end listing the cameras. A packaged build that lost a
Qt plugin or the zbar library fails here, on the laptop, before a visit does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from app.services.selftest import (
    SERVICE_STEPS,
    SelfTestState,
    Step,
    StepFailed,
    close,
    data_folder,
    run_steps,
    summary,
)

WINDOW_TIMEOUT_MS = 30_000
# What the generated labels hold: a PPMID's Zigbee install-code label, and a bare EUI-64
# as printed under a Code 128 bar code.
ZIGBEE_PAYLOAD = "Z:0A1B2C0000000014$I:30313233343536373839414243444546F596"
EUI_PAYLOAD = "0A1B2C0000000012"
_FORMAT_OF = {"QRCode": "qr", "Code128": "code128", "DataMatrix": "datamatrix"}


def zbar_expected() -> bool:
    """zbar must work in a packaged build (it ships the library) and wherever the system has
    libzbar; elsewhere (a source checkout without libzbar0) its absence is not a fault."""
    if getattr(sys, "frozen", False):
        return True
    import ctypes.util

    return ctypes.util.find_library("zbar") is not None


def decoder_step(name: str, expected: Callable[[], bool]) -> Step:
    """Decode a freshly rendered label of every format the back end reads."""

    def run(_state: SelfTestState) -> str:
        from app.scan.decoders import DecoderUnavailable, load_decoder
        from app.scan.frames import prepare
        from app.scan.printing import render_label

        try:
            decoder = load_decoder(name)
        except DecoderUnavailable as exc:
            if expected():
                raise StepFailed(f"unavailable but it should be here: {exc}") from exc
            return f"unavailable on this machine, not required here ({exc})"
        read: list[str] = []
        for fmt in decoder.formats:
            payload = EUI_PAYLOAD if fmt == "Code128" else ZIGBEE_PAYLOAD
            found = decoder.decode(prepare(render_label(payload, _FORMAT_OF[fmt])), thorough=True)
            if payload not in [code.text for code in found]:
                raise StepFailed(f"a generated {fmt} label was not read back (found {[c.text for c in found]})")
            read.append(fmt)
        return "read " + ", ".join(read)

    return Step(f"decoder {name}", run)


def render_window(state: SelfTestState) -> str:
    """Build the main window on the self-test's data folder, paint it, wait for its cache."""
    from PySide6.QtCore import QEventLoop, QTimer

    from app.ui import ensure_app
    from app.ui.main_window import MainWindow

    app = ensure_app()
    window = MainWindow(state.context())
    seen: dict[str, object] = {}
    loop = QEventLoop()

    def note(key: str, value: object = True) -> None:
        seen[key] = value
        if "painted" in seen and "cache" in seen:
            loop.quit()

    window.firstPainted.connect(lambda: note("painted"))
    window.cacheOpened.connect(lambda cache: note("cache", cache))
    QTimer.singleShot(WINDOW_TIMEOUT_MS, loop.quit)
    try:
        window.show()
        loop.exec()
        if "painted" not in seen:
            raise StepFailed(f"the window did not paint within {WINDOW_TIMEOUT_MS // 1000} s")
        if "cache" not in seen:
            raise StepFailed(f"the window's cache did not open within {WINDOW_TIMEOUT_MS // 1000} s")
        image = window.grab().toImage()
        if image.isNull() or image.width() < 100 or image.height() < 100:
            raise StepFailed(f"the window grabbed as a {image.width()}x{image.height()} picture")
        return f"painted {image.width()}x{image.height()} on the {app.platformName()} platform, cache open"
    finally:
        window.shutdown(5_000)
        window.close()
        window.deleteLater()
        app.processEvents()


def list_cameras(_state: SelfTestState) -> str:
    """QtMultimedia loads, its FFmpeg back end with it, and the cameras are listed (none is fine)."""
    from PySide6.QtMultimedia import QMediaFormat

    from app.ui import ensure_app

    ensure_app()
    # The media back end is a plugin: without it Qt lists no camera and no format at all.
    if not QMediaFormat().supportedFileFormats(QMediaFormat.ConversionMode.Decode):
        raise StepFailed("QtMultimedia has no media back end (its FFmpeg plugin did not load)")
    from app.scan.camera import list_cameras as cameras

    found = cameras()
    if not found:
        return "no camera on this machine (QtMultimedia and its FFmpeg back end loaded)"
    return f"{len(found)}: " + "; ".join(c.description + (" (default)" if c.is_default else "") for c in found)


# app.scan.decoders.DECODER_NAMES, written out: importing the scanning package (numpy) is
# itself something the decoder steps check, so building the list must not need it.
DECODERS = ("zxing", "zbar")


def all_steps(zbar: Callable[[], bool] = zbar_expected) -> list[Step]:
    decoders = [decoder_step(name, zbar if name == "zbar" else (lambda: True)) for name in DECODERS]
    return [*SERVICE_STEPS, *decoders, Step("main window", render_window), Step("cameras", list_cameras)]


def main(data_dir: Path | None = None, out: TextIO | None = None) -> int:
    """``--self-test``: run every step in a temporary data folder (or ``data_dir``, kept), print
    each, and return 0 only when all passed."""
    stream = out if out is not None else sys.stdout
    # Offscreen: the self-test runs in CI and over SSH, and never flashes a window at anyone.
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.symbolsresolver=false;qt.multimedia.ffmpeg=false")
    print(f"HubCheck self-test ({'packaged build' if getattr(sys, 'frozen', False) else 'source'}, "
          f"{sys.executable})", file=stream, flush=True)
    with data_folder(data_dir) as folder:
        state = SelfTestState(folder)
        try:
            results = run_steps(all_steps(), state, stream)
        finally:
            close(state)
    code, line = summary(results)
    print(line, file=stream, flush=True)
    return code
