"""Scanning runs its decoding on the window's task runner: the camera's frames and a dropped
picture go to the runner's ``decode`` pool, no other thread is started, and a decode that
raises reaches the window's error path (an expected failure in words, a bug to the hook)."""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QPoint, Qt, QThread, QUrl
from PySide6.QtGui import QDropEvent, QImage

from app.domain.labels import parse_label
from app.scan.frames import FrameError
from app.scan.pipeline import LiveDecoder
from app.testing.samples import case_for
from app.ui.tasks import TaskRunner
from tests.scan_helpers import png_bytes, symbol

pytest_plugins = ["app.testing.plugin"]


def _blank_frame() -> QImage:
    """A camera frame with no label in view: every one is decoded, none is accepted."""
    frame = QImage(1280, 720, QImage.Format.Format_RGB32)
    frame.fill(0xFF808080)
    return frame


class _ThreadNoting:
    """The real live pipeline, noting the name of each thread a frame was read on."""

    def __init__(self, seen: set[str]) -> None:
        self._live = LiveDecoder()
        self._seen = seen

    def decode_frame(self, frame: Any) -> list[Any]:
        self._seen.add(QThread.currentThread().objectName())
        return self._live.decode_frame(frame)

    def reset(self) -> None:
        self._live.reset()


class _Failing:
    """A frame reader that raises on every frame."""

    def __init__(self, exc: BaseException) -> None:
        self._exc = exc

    def decode_frame(self, frame: Any) -> list[Any]:
        raise self._exc


def _os_thread_names() -> dict[str, str] | None:
    """Thread id → the OS thread's name (Linux); None elsewhere."""
    tasks = Path("/proc/self/task")
    if not tasks.is_dir():
        return None
    names = {}
    for task in tasks.iterdir():
        try:
            names[task.name] = (task / "comm").read_text().strip()
        except OSError:  # the thread ended while it was being listed
            continue
    return names


def _open_camera(hubcheck: Any, box: str, frames: list[QImage], reader: Any = None) -> Any:
    from app.scan.camera import FakeFrameSource

    source = FakeFrameSource(frames, fps=30)
    hubcheck.window.camera_source_factory = lambda: source
    if reader is not None:
        hubcheck.window.camera_decoder_factory = reader
    hubcheck.qtbot.mouseClick(hubcheck.widget(f"{box}ScanCameraButton"), Qt.MouseButton.LeftButton)
    assert hubcheck.widget("cameraPane").isVisible()
    return hubcheck.window._camera  # noqa: SLF001 - the scanner the window built


def test_camera_frames_and_a_dropped_picture_are_read_on_the_decode_pool_and_no_thread_is_started(
    hubcheck: Any, tmp_path: Path
) -> None:
    case = case_for("OK under both regimes")
    hubcheck.pick_job(case.job_ref)
    runner = hubcheck.window.runner
    photo = tmp_path / "hub-label.png"
    photo.write_bytes(png_bytes(symbol(case.hub_label, "qr", module_px=5)))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])

    started_threads: list[str] = []

    def note_thread_start(_frame: Any, _event: str, _arg: Any) -> None:
        # Installed by threading in every thread it starts from now on; notes it once.
        started_threads.append(threading.current_thread().name)
        sys.setprofile(None)

    os_before = _os_thread_names()
    os_seen: dict[str, str] = {}
    decoded_on: set[str] = set()
    decode_tasks_before = runner.started("decode")
    threading.setprofile(note_thread_start)
    try:
        camera = _open_camera(hubcheck, "hub", [_blank_frame()], reader=lambda: _ThreadNoting(decoded_on))
        hubcheck.qtbot.waitUntil(lambda: camera.frames_decoded >= 3, timeout=10_000)
        decoded_before_drop = camera.frames_decoded
        drop = QDropEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                          Qt.KeyboardModifier.NoModifier)
        hubcheck.window.dropEvent(drop)  # while the camera keeps reading; it goes to the empty PPMID field

        def picture_read_while_camera_reads() -> None:
            os_seen.update(_os_thread_names() or {})
            assert hubcheck.window.view.hub.label is not None
            assert camera.frames_decoded >= decoded_before_drop + 3

        hubcheck.qtbot.waitUntil(picture_read_while_camera_reads, timeout=10_000)
        hubcheck.window.close_camera()
        decoded = camera.frames_decoded
    finally:
        threading.setprofile(None)

    assert hubcheck.window.view.hub.label == parse_label(case.hub_label)
    assert started_threads == []  # neither the camera nor the picture started a thread
    assert decoded_on == {"hubcheck-decode"}  # every frame was read on the runner's decode pool
    # Every frame out plus the picture went to the decode pool (a frame may still be out).
    assert runner.started("decode") - decode_tasks_before >= decoded + 1
    if os_before is not None:  # Linux: the only new OS threads are the runner's pool threads
        new = {name for tid, name in os_seen.items() if tid not in os_before}
        assert "hubcheck-decode" in set(os_seen.values())
        assert all(name.startswith("hubcheck-") for name in new), new
    assert runner.pending == 0  # decoding never lit "Working…"


def test_a_frame_that_cannot_be_read_is_told_in_the_camera_pane_once(
    hubcheck: Any, caplog: Any
) -> None:
    caplog.set_level(logging.WARNING, logger="app.ui.main_window")
    with hubcheck.qtbot.capture_exceptions() as bugs:
        camera = _open_camera(hubcheck, "ppmid", [_blank_frame()],
                              reader=lambda: _Failing(FrameError("the camera sent a frame with no pixels")))
        hubcheck.qtbot.waitUntil(lambda: camera.frames_failed >= 4, timeout=10_000)
    assert bugs == []  # an expected failure is not a bug
    assert hubcheck.text("cameraStatusLabel") == "Cannot read the camera picture: the camera sent a frame with no pixels"
    assert camera.state == "running" and camera.last_error == "the camera sent a frame with no pixels"
    told = [r for r in caplog.records if r.name == "app.ui.main_window" and "decoding failed" in r.getMessage()]
    assert len(told) == 1  # four failed frames, one line in the log


def test_a_bug_while_reading_a_frame_reaches_the_exception_hook(hubcheck: Any) -> None:
    with hubcheck.qtbot.capture_exceptions() as bugs:
        camera = _open_camera(hubcheck, "ppmid", [_blank_frame()],
                              reader=lambda: _Failing(AttributeError("'NoneType' object has no attribute 'shape'")))
        hubcheck.qtbot.waitUntil(lambda: camera.frames_failed >= 4, timeout=10_000)
    assert len(bugs) == 1  # told once, not once a frame
    exc_type, exc, _tb = bugs[0]
    assert exc_type is AttributeError and "shape" in str(exc)
    status = hubcheck.text("cameraStatusLabel")
    assert status == "The camera picture could not be read; the details are in the log." and "shape" not in status
    assert camera.state == "running"  # the next frame may read fine


def test_the_decode_pool_reports_on_the_ui_thread_and_is_not_counted_as_busy(qtbot: Any) -> None:
    runner = TaskRunner()
    submit = runner.submitter("decode")
    busy: list[int] = []
    runner.busyChanged.connect(busy.append)
    got: list[tuple[str, bool]] = []
    failed: list[BaseException] = []
    ui_thread = QThread.currentThread()
    submit(lambda: QThread.currentThread().objectName(),
           lambda name: got.append((name, QThread.currentThread() is ui_thread)), failed.append)
    submit(lambda: 1 / 0, got.append, failed.append)
    assert runner.pending == 0
    qtbot.waitUntil(lambda: bool(got and failed))
    assert got == [("hubcheck-decode", True)] and isinstance(failed[0], ZeroDivisionError)
    assert busy == [] and runner.started("decode") == 2
    try:
        runner.submitter("camera")
    except ValueError as exc:
        assert "decode" in str(exc)
    else:
        raise AssertionError("an unknown pool must be refused")
    assert runner.wait_for_done(5_000)
