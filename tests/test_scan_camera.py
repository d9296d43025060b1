"""Camera pipeline with injected frames (no camera needed), its states, and the preview."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from app.scan.camera import (
    CameraScanner,
    CameraState,
    FakeFrameSource,
    QtCameraSource,
    frame_to_qimage,
    list_cameras,
)
from app.scan.preview import CameraPreview
from tests.scan_helpers import CODE_HEX, EUI, EUI_DASHED, scene, symbol, zigbee_payload

ZIGBEE = zigbee_payload()


def frame_with(text: str, fmt: str = "qr", seed: int = 1) -> QImage:
    """A 1280x720 camera-like RGB frame holding one label."""
    grey = scene(symbol(text, fmt, module_px=4), width_px=600 if fmt == "code128" else 300, angle=4,
                 contrast=(30, 220), blur=0.8, noise=6, seed=seed)
    rgb = QImage(grey.tobytes(), 1280, 720, 1280, QImage.Format.Format_Grayscale8)
    return rgb.convertToFormat(QImage.Format.Format_RGB32)


@pytest.fixture
def make_scanner(qtbot: QtBot) -> Iterator:
    made: list[CameraScanner] = []

    def make(source, **kwargs) -> CameraScanner:
        scanner = CameraScanner(source, **kwargs)
        made.append(scanner)
        return scanner

    yield make
    for scanner in made:
        scanner.close()


def test_install_code_qr_end_to_end(qtbot: QtBot, make_scanner) -> None:
    source = FakeFrameSource([frame_with(ZIGBEE)], fps=30)
    scanner = make_scanner(source, max_rate=20, confirm_frames=3)
    labels = []
    scanner.labelScanned.connect(labels.append)
    with qtbot.waitSignal(scanner.decoded, timeout=10_000) as got:
        assert scanner.start() == CameraState.RUNNING
    assert got.args == [ZIGBEE]
    assert scanner.frames_decoded >= 3
    qtbot.waitUntil(lambda: len(labels) == 1)
    assert str(labels[0].device_id) == EUI_DASHED and labels[0].install_code.code_hex == CODE_HEX


def test_emits_only_when_content_changes_and_drops_frames_while_busy(qtbot: QtBot, make_scanner) -> None:
    source = FakeFrameSource([frame_with(ZIGBEE, seed=1), frame_with(ZIGBEE, seed=2)], fps=60)
    scanner = make_scanner(source, max_rate=15, confirm_frames=2)
    seen: list[str] = []
    scanner.decoded.connect(seen.append)
    scanner.start()
    qtbot.waitUntil(lambda: seen == [ZIGBEE], timeout=10_000)
    decoded_then = scanner.frames_decoded
    qtbot.waitUntil(lambda: scanner.frames_decoded >= decoded_then + 5, timeout=10_000)
    assert seen == [ZIGBEE]  # the same label in view is reported once
    assert scanner.frames_dropped > 0 and scanner.frames_seen > scanner.frames_decoded
    source.set_frames([frame_with(EUI, "code128", seed=3)])
    qtbot.waitUntil(lambda: seen == [ZIGBEE, EUI], timeout=10_000)


def test_single_frame_misread_is_not_accepted(qtbot: QtBot, make_scanner) -> None:
    blank = QImage(1280, 720, QImage.Format.Format_RGB32)
    blank.fill(0xFF808080)
    # the label shows in one frame out of three: never three consecutive reads
    source = FakeFrameSource([frame_with(ZIGBEE), blank, blank], fps=30)
    scanner = make_scanner(source, max_rate=1000, confirm_frames=3)
    seen: list[str] = []
    scanner.decoded.connect(seen.append)
    scanner.start()
    qtbot.waitUntil(lambda: scanner.frames_decoded >= 12, timeout=10_000)
    assert seen == []


def test_video_frames_from_a_sink_are_decoded(qtbot: QtBot, make_scanner) -> None:
    from PySide6.QtMultimedia import QVideoFrame

    class VideoFrameSource(FakeFrameSource):
        def _tick(self) -> None:
            self.frameReady.emit(QVideoFrame(self._frames[0]))

    scanner = make_scanner(VideoFrameSource([frame_with(ZIGBEE)], fps=30), confirm_frames=2)
    with qtbot.waitSignal(scanner.decoded, timeout=10_000) as got:
        scanner.start()
    assert got.args == [ZIGBEE]
    assert frame_to_qimage(QVideoFrame()) is None


def test_no_camera_state(qtbot: QtBot, make_scanner) -> None:
    scanner = make_scanner(QtCameraSource(lister=lambda: []))
    preview = CameraPreview()
    qtbot.addWidget(preview)
    preview.attach(scanner)
    states: list[str] = []
    scanner.stateChanged.connect(states.append)
    assert scanner.start() == CameraState.NO_CAMERA == scanner.state
    assert states == ["starting", "no-camera"]
    assert "No camera found" in preview.message
    preview.show()
    assert not preview.grab().isNull()  # paints the message instead of a black box
    scanner.stop()
    assert scanner.state == CameraState.NO_CAMERA


def test_qtmultimedia_lists_cameras_headless(qapp: object) -> None:
    # qapp: QtMultimedia needs the application object, which this test must not count on an
    # earlier test in the same process having made (run alone, or first on an xdist worker).
    cameras = list_cameras()  # [] on CI (no /dev/video*), but QtMultimedia must load
    assert isinstance(cameras, list)


def test_camera_error_state(qtbot: QtBot, make_scanner) -> None:
    source = FakeFrameSource([frame_with(EUI, "code128")], fps=30)
    scanner = make_scanner(source)
    scanner.start()
    with qtbot.waitSignal(scanner.stateChanged) as got:
        source.failed.emit("device unplugged")
    assert got.args == ["error"] and scanner.last_error == "device unplugged"


def test_preview_shows_frames_while_running(qtbot: QtBot, make_scanner) -> None:
    from app.scan.frames import Roi

    source = FakeFrameSource([frame_with(ZIGBEE)], fps=30)
    scanner = make_scanner(source, roi=Roi.centre(0.8, 0.8))
    preview = CameraPreview()
    qtbot.addWidget(preview)
    preview.attach(scanner)
    preview.show()
    assert "off" in preview.message.lower()
    scanner.start()
    qtbot.waitUntil(lambda: preview._image is not None)  # noqa: SLF001
    assert preview.message == "" and not preview.grab().isNull()
    scanner.stop()
    assert preview._image is None and scanner.state == CameraState.STOPPED  # noqa: SLF001
