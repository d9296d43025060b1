"""Barcode decoding benchmark: one run, baselines measured in the same run.

    .venv/bin/python benchmarks/decode.py [--quick]

1. Per-frame time at 640x480 and 1280x720: HubCheck's live pipeline (``LiveDecoder``,
   including frame preparation and its periodic full pass, averaged over whole cycles)
   against the raw zxing-cpp call with the recommended live settings on the same frames.
   Goal: ratio <= 1.2.
2. Success on 200 generated degraded 1280x720 frames: our live pipeline (each frame once,
   in stream order), our still-picture pass, raw zxing-cpp with default settings, raw
   pyzbar. Goal: ours >= each, at <= 1/4 of the default zxing-cpp time per frame.
3. Longest UI event-loop stall while the camera pipeline decodes 1280x720 frames at its
   rate (10/s), against the same loop with no decoding. Goal: <= 20 ms.

Frames are synthetic (tests/scan_helpers.py): compare decoders, do not read these as
real-camera success rates. Speed goals live here, never in timed unit tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.symbolsresolver=false;qt.multimedia.ffmpeg=false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import zxingcpp  # noqa: E402

from app.scan.codes import DecodedCode  # noqa: E402
from app.scan.decoders import ZxingDecoder, load_decoder  # noqa: E402
from app.scan.pipeline import LiveDecoder, decode_image  # noqa: E402
from tests.scan_helpers import EUI, degraded_set, scene, symbol, zigbee_payload  # noqa: E402

F = zxingcpp.BarcodeFormat
LIVE_FORMATS = (F.QRCode, F.Code128, F.DataMatrix)


def raw_live(frame: np.ndarray) -> list[str]:
    """The recommended live call from PLATFORM.md §5.3, nothing around it."""
    return [r.text for r in zxingcpp.read_barcodes(frame, formats=LIVE_FORMATS, try_rotate=False, try_invert=False)]


def raw_default(frame: np.ndarray) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(frame)]


def raw_pyzbar(frame: np.ndarray) -> list[str]:
    from pyzbar import pyzbar

    return [r.data.decode("utf-8", "replace") for r in pyzbar.decode(frame)]


def timed_mean(fn: Callable[[], object], calls: int) -> float:
    fn()  # warm up
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1000.0


def per_frame_times(calls: int) -> list[tuple[str, float, float, bool, bool]]:
    """(frame, ours ms, raw ms, ours found, raw found) for the PLATFORM.md §5.3 style frames."""
    rows = []
    zig = zigbee_payload()
    for size, qr_w, c128_w, dm_w in (((640, 480), 160, 560, 240), ((1280, 720), 260, 700, 300)):
        cases = {
            "QR": (symbol(zig, "qr", quiet=4), qr_w, (55, 205), 8.0, zig),
            "Code128": (symbol(EUI, "code128", module_px=4), c128_w, (0, 255), 2.0, EUI),
            "DataMatrix": (symbol(zig, "datamatrix", quiet=4), dm_w, (55, 205), 5.0, zig),
            "none": (np.full((8, 8), 128, np.uint8), 1, (128, 128), 0.0, None),
        }
        for name, (sym, width, contrast, angle, text) in cases.items():
            noise = 4.0 if name == "Code128" else 10.0
            frame = scene(sym, size=size, width_px=width, angle=angle, contrast=contrast, blur=1.0, noise=noise, seed=9)
            live = LiveDecoder(ZxingDecoder())
            live.decode_frame(frame)
            ours = timed_mean(lambda live=live, frame=frame: live.decode_frame(frame), calls)
            raw = timed_mean(lambda frame=frame: raw_live(frame), calls)
            ours_found = text is not None and text in [c.text for c in live.decode_frame(frame)]
            raw_found = text is not None and text in raw_live(frame)
            rows.append((f"{size[0]}x{size[1]} {name}", ours, raw, ours_found, raw_found))
    return rows


def success_rates(n: int) -> list[tuple[str, int, float]]:
    samples = degraded_set(n)
    zx = ZxingDecoder()
    live = LiveDecoder(zx)
    methods: list[tuple[str, Callable[[np.ndarray], list[str]]]] = [
        ("ours: live pipeline (zxing-cpp)", lambda f: [c.text for c in live.decode_frame(f)]),
        ("ours: still-picture pass (zxing-cpp)", lambda f: [c.text for c in decode_image(f, zx)]),
        ("raw zxing-cpp, default settings", raw_default),
        ("raw zxing-cpp, live settings", raw_live),
    ]
    try:
        zb = load_decoder("zbar")
        live_zb = LiveDecoder(zb)
        methods += [
            ("ours: live pipeline (pyzbar)", lambda f: [c.text for c in live_zb.decode_frame(f)]),
            ("raw pyzbar, default settings", raw_pyzbar),
        ]
    except Exception as exc:  # no libzbar0: report and go on
        print(f"pyzbar rows skipped: {exc}")
    out = []
    for name, fn in methods:
        found = 0
        start = time.perf_counter()
        for sample in samples:
            found += sample.text in fn(sample.frame)
        out.append((name, found, (time.perf_counter() - start) / len(samples) * 1000.0))
    return out


def ui_stall(seconds: float) -> list[tuple[str, float, float, int]]:
    """(setting, longest gap ms, p99 gap ms, frames decoded) with a 1 ms timer on the GUI thread."""
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    from app.scan.camera import CameraScanner, FakeFrameSource

    app = QApplication.instance() or QApplication([])
    zig = zigbee_payload()
    frames = []
    for i, (text, fmt, invert) in enumerate(
        [(zig, "qr", False), (EUI, "code128", False), (zig, "datamatrix", False), (None, "qr", False), (zig, "qr", True)]
    ):
        sym = symbol(text, fmt, quiet=4) if text else np.full((8, 8), 128, np.uint8)
        grey = scene(sym, width_px=600 if fmt == "code128" else 240, contrast=(40, 215), blur=1, noise=10,
                     invert=invert, seed=30 + i)
        image = QImage(grey.tobytes(), 1280, 720, 1280, QImage.Format.Format_Grayscale8)
        frames += [image.convertToFormat(QImage.Format.Format_RGB32)] * 15  # each label held for ~0.5 s

    def measure(scanner: CameraScanner | None, source: FakeFrameSource) -> tuple[float, float, int]:
        gaps: list[float] = []
        clock = QElapsedTimer()
        tick = QTimer()
        tick.setInterval(1)
        last = [0]

        def on_tick() -> None:
            now = clock.nsecsElapsed()
            gaps.append((now - last[0]) / 1e6)
            last[0] = now

        tick.timeout.connect(on_tick)
        if scanner is not None:
            scanner.start()
        else:
            source.start()
        clock.start()
        tick.start()
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.0005)
        tick.stop()
        decoded = scanner.frames_decoded if scanner else 0
        if scanner is not None:
            scanner.close()
        else:
            source.stop()
        gaps = gaps[5:]
        return max(gaps), statistics.quantiles(gaps, n=100)[98], decoded

    def default_settings_live() -> object:
        class Raw:
            def decode_frame(self, image: object) -> list:
                grey = image.convertToFormat(QImage.Format.Format_Grayscale8)
                return [DecodedCode(r.format.name, r.text) for r in zxingcpp.read_barcodes(grey)]

        return Raw()

    rows = []
    baseline = measure(None, FakeFrameSource(frames, fps=30))
    rows.append(("frames only, no decoding (baseline)", *baseline))
    ours = CameraScanner(FakeFrameSource(frames, fps=30), max_rate=10)
    rows.append(("ours: CameraScanner, live pipeline, 10/s", *measure(ours, ours.source)))  # type: ignore[arg-type]
    naive = CameraScanner(FakeFrameSource(frames, fps=30), max_rate=10, live_factory=default_settings_live)
    rows.append(("same thread set-up, zxing-cpp default settings", *measure(naive, naive.source)))  # type: ignore[arg-type]
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls and frames (smoke run)")
    args = parser.parse_args()
    calls, n, seconds = (10, 40, 2.0) if args.quick else (60, 200, 6.0)

    print("## 1. Per-frame decode time (mean ms; ours averaged over whole full-pass cycles)\n")
    print("| frame | ours | raw zxing-cpp live call | ratio (goal <= 1.2) | ours found | raw found |")
    print("|---|---|---|---|---|---|")
    for name, ours, raw, ours_found, raw_found in per_frame_times(calls):
        print(f"| {name} | {ours:.2f} | {raw:.2f} | {ours / raw:.2f} | {'yes' if ours_found else '-'} | "
              f"{'yes' if raw_found else '-'} |")

    print(f"\n## 2. Success on {n} degraded 1280x720 frames\n")
    rates = success_rates(n)
    default_ms = next(ms for name, _, ms in rates if name.startswith("raw zxing-cpp, default"))
    print("| method | decoded | ms/frame | time vs default zxing-cpp (goal <= 0.25 for live) |")
    print("|---|---|---|---|")
    for name, found, ms in rates:
        print(f"| {name} | {found}/{n} ({100 * found / n:.0f}%) | {ms:.1f} | {ms / default_ms:.2f} |")

    print(f"\n## 3. UI event-loop stall, {seconds:.0f} s of 1280x720 frames at 30 fps (1 ms timer)\n")
    print("| setting | longest gap ms (goal <= 20) | p99 gap ms | frames decoded |")
    print("|---|---|---|---|")
    for name, longest, p99, decoded in ui_stall(seconds):
        print(f"| {name} | {longest:.1f} | {p99:.1f} | {decoded} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
