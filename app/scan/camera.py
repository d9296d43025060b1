"""Camera scanning: frame source → one worker thread decoding at a bounded rate → ``decoded``.

The pipeline follows KDE Prison and Electrum (ANCHORS.md §1.5, §5): frames arrive on the
GUI thread; while the worker is busy, or sooner than ``1/max_rate`` after the last one,
a frame is dropped (back-pressure instead of a queue); the worker converts, crops and
decodes with ``LiveDecoder``; results come back through a queue the GUI thread polls (see ``_DecodeWorker``) and pass the
``ConsecutiveValidator`` before ``decoded(str)`` fires. zxing-cpp holds the GIL during a
decode, so the live schedule keeps every library call short (benchmarks/decode.py
measures the longest event-loop stall).

Sources are injectable: ``QtCameraSource`` wraps QtMultimedia (imported on ``start``,
not at import time), ``FakeFrameSource`` replays pictures on a timer so tests and testers
run without a camera.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from app.scan.codes import DecodedCode

log = logging.getLogger(__name__)


class CameraState(StrEnum):
    IDLE = "idle"
    STARTING = "starting"
    RUNNING = "running"
    NO_CAMERA = "no-camera"
    ERROR = "error"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class CameraInfo:
    id: str
    description: str
    is_default: bool = False


# --- frame sources ---------------------------------------------------------------------
class FrameSource(QObject):
    """Emits ``frameReady(frame)`` with a QImage or a QVideoFrame; ``failed(str)`` on errors.

    ``start()`` returns False when there is nothing to capture from (no camera).
    """

    frameReady = Signal(object)
    failed = Signal(str)

    description = "frames"

    def start(self) -> bool:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError


class FakeFrameSource(FrameSource):
    """Replays pictures (QImage, numpy array or PIL image) at ``fps``, looping by default."""

    description = "test frames"

    def __init__(self, frames: Sequence[Any], fps: float = 30.0, loop: bool = True, parent: QObject | None = None):
        super().__init__(parent)
        self.setObjectName("fakeFrameSource")
        self._frames = [_as_qimage(f) for f in frames]
        self._loop = loop
        self._index = 0
        self.emitted = 0
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, round(1000 / fps)))
        self._timer.timeout.connect(self._tick)

    def start(self) -> bool:
        if not self._frames:
            return False
        self._timer.start()
        return True

    def stop(self) -> None:
        self._timer.stop()

    def set_frames(self, frames: Sequence[Any]) -> None:
        self._frames = [_as_qimage(f) for f in frames]
        self._index = 0

    def _tick(self) -> None:
        if self._index >= len(self._frames):
            if not self._loop:
                self._timer.stop()
                return
            self._index = 0
        frame = self._frames[self._index]
        self._index += 1
        self.emitted += 1
        self.frameReady.emit(frame)


def list_cameras() -> list[CameraInfo]:
    """Video inputs QtMultimedia knows; [] when there are none or QtMultimedia cannot load."""
    try:
        from PySide6.QtMultimedia import QMediaDevices
    except ImportError as exc:  # libpulse0 missing (PLATFORM.md §3)
        log.warning("camera support unavailable: %s", exc)
        return []
    default = QMediaDevices.defaultVideoInput()
    return [
        CameraInfo(bytes(d.id().data()).decode(errors="replace"), d.description(), d.id() == default.id())
        for d in QMediaDevices.videoInputs()
    ]


class QtCameraSource(FrameSource):
    """A real camera through QtMultimedia; ``camera_id`` from ``list_cameras()`` (default camera if None)."""

    def __init__(
        self,
        camera_id: str | None = None,
        parent: QObject | None = None,
        lister: Callable[[], list[CameraInfo]] = list_cameras,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("qtCameraSource")
        self.camera_id = camera_id
        self._lister = lister
        self._camera: Any = None
        self._session: Any = None
        self._sink: Any = None
        self.description = "camera"

    def start(self) -> bool:
        cameras = self._lister()
        if not cameras:
            return False
        chosen = next((c for c in cameras if c.id == self.camera_id), None) or next(
            (c for c in cameras if c.is_default), cameras[0]
        )
        from PySide6.QtMultimedia import QCamera, QMediaCaptureSession, QMediaDevices, QVideoSink

        device = next((d for d in QMediaDevices.videoInputs() if bytes(d.id().data()).decode(errors="replace") == chosen.id), None)
        if device is None:
            return False
        self.description = chosen.description
        self._camera = QCamera(device, self)
        self._camera.errorOccurred.connect(lambda _err, text: self.failed.emit(text or "camera error"))
        self._sink = QVideoSink(self)
        self._sink.videoFrameChanged.connect(self.frameReady.emit)  # QVideoFrame: converted only if used
        self._session = QMediaCaptureSession(self)
        self._session.setCamera(self._camera)
        self._session.setVideoSink(self._sink)
        self._camera.start()
        return True

    def stop(self) -> None:
        if self._camera is not None:
            self._camera.stop()


def _as_qimage(frame: Any) -> QImage:
    if isinstance(frame, QImage):
        return frame
    from app.scan.frames import to_grey

    grey = to_grey(frame)
    height, width = grey.shape
    return QImage(grey.tobytes(), width, height, width, QImage.Format.Format_Grayscale8).copy()


def frame_to_qimage(frame: Any) -> QImage | None:
    """A QImage from a QImage or QVideoFrame; None for an invalid frame."""
    if isinstance(frame, QImage):
        return None if frame.isNull() else frame
    to_image = getattr(frame, "toImage", None)
    if to_image is None or not frame.isValid():
        return None
    image = to_image()
    return None if image.isNull() else image


# --- decoding worker -------------------------------------------------------------------
_STOP = object()
_RESET = object()


class _DecodeWorker:
    """A plain Python thread that owns the (stateful) LiveDecoder.

    Jobs and results travel through ``queue.SimpleQueue`` and the GUI thread collects
    results on a short timer that runs only while a decode is out, so nothing is emitted
    per frame from the worker: the UI loop sees at most one wake-up per decode, and a
    decode that finishes after ``stop()`` is simply never collected.
    """

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._live: Any = None
        self.jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.results: queue.SimpleQueue[tuple[list[DecodedCode], float]] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="hubcheck-camera-decode", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self.jobs.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            if job is _STOP:
                return
            if job is _RESET:
                reset = getattr(self._live, "reset", None)
                if reset is not None:
                    reset()
                continue
            self.results.put(self._decode(job))

    def _decode(self, frame: Any) -> tuple[list[DecodedCode], float]:
        started = time.perf_counter()
        codes: list[DecodedCode] = []
        try:
            if self._live is None:
                self._live = self._factory()  # imports numpy/zxing-cpp here, off the GUI thread
            codes = list(self._live.decode_frame(frame))  # QImage or QVideoFrame, read without Qt conversion
        except Exception:  # the camera must keep running whatever one frame does
            log.exception("camera frame decode failed")
        return codes, (time.perf_counter() - started) * 1000.0


class CameraScanner(QObject):
    """Frame source → worker decode → ``decoded(str)``; see the module docstring.

    Signals: ``decoded(str)`` (accepted text, once per appearance), ``codeDecoded(DecodedCode)``
    (the same with its format), ``labelScanned(LabelData)`` (when the text holds a device ID),
    ``stateChanged(str)`` (a ``CameraState`` value), ``frameDecoded(float)`` (ms per decode).
    """

    decoded = Signal(str)
    codeDecoded = Signal(object)
    labelScanned = Signal(object)
    stateChanged = Signal(str)
    frameDecoded = Signal(float)

    def __init__(
        self,
        source: FrameSource | None = None,
        *,
        decoder_name: str = "zxing",
        max_rate: float = 10.0,
        confirm_frames: int = 3,
        forget_after: int = 10,
        full_pass_every: int = 6,
        roi: Any = None,
        max_side: int | None = None,
        live_factory: Callable[[], Any] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("cameraScanner")
        self._live_factory = live_factory  # builds the per-frame decoder (``decode_frame``) on the worker
        if max_rate <= 0:
            raise ValueError("max_rate must be positive")
        from app.scan.validate import ConsecutiveValidator

        self._source = source
        self._min_interval = 1.0 / max_rate
        self._validator = ConsecutiveValidator(confirm_frames, forget_after)
        self._decoder_settings = (decoder_name, roi, max_side, full_pass_every)
        self._state = CameraState.IDLE
        self._busy = False
        self._last_start = 0.0
        self._worker: _DecodeWorker | None = None
        self._poll = QTimer(self)
        self._poll.setInterval(4)  # result pick-up latency; the timer only runs while a decode is out
        self._poll.timeout.connect(self._collect)
        self._connected = False
        self.frames_seen = 0
        self.frames_decoded = 0
        self.frames_dropped = 0
        self.last_error = ""

    @property
    def state(self) -> CameraState:
        return self._state

    @property
    def source(self) -> FrameSource | None:
        return self._source

    def start(self) -> CameraState:
        """Start capturing; returns the new state (``NO_CAMERA`` when there is nothing to open)."""
        if self._state in (CameraState.RUNNING, CameraState.STARTING):
            return self._state
        self._set_state(CameraState.STARTING)
        if self._source is None:
            self._source = QtCameraSource(parent=self)
        self._ensure_worker()
        self._source.frameReady.connect(self._on_frame)
        self._source.failed.connect(self._on_failed)
        self._connected = True
        try:
            started = self._source.start()
        except Exception as exc:  # QtMultimedia plugin failures surface here on some systems
            log.exception("camera start failed")
            self._on_failed(str(exc))
            return self._state
        if not started:
            self._disconnect_source()
            self._set_state(CameraState.NO_CAMERA)
            return self._state
        self._set_state(CameraState.RUNNING)
        return self._state

    def stop(self) -> None:
        if self._source is not None:
            self._source.stop()
            self._disconnect_source()
        self._validator.reset()
        if self._worker is not None:
            self._worker.jobs.put(_RESET)
        if self._state != CameraState.NO_CAMERA:
            self._set_state(CameraState.STOPPED)

    def close(self) -> None:
        """Stop and end the worker thread (call before the application quits)."""
        self.stop()
        self._poll.stop()
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        self._busy = False

    def reset(self) -> None:
        """Forget accepted codes, so the label in view is reported again."""
        self._validator.reset()

    # --- internals --------------------------------------------------------------------
    def _ensure_worker(self) -> None:
        if self._worker is not None:
            return
        decoder_name, roi, max_side, full_pass_every = self._decoder_settings

        def factory() -> Any:
            from app.scan.decoders import choose_decoder
            from app.scan.pipeline import LiveDecoder

            return LiveDecoder(choose_decoder(decoder_name), roi=roi, max_side=max_side, full_pass_every=full_pass_every)

        self._worker = _DecodeWorker(self._live_factory or factory)

    def _disconnect_source(self) -> None:
        if self._source is None or not self._connected:
            return
        self._source.frameReady.disconnect(self._on_frame)
        self._source.failed.disconnect(self._on_failed)
        self._connected = False

    @Slot(object)
    def _on_frame(self, frame: Any) -> None:
        self.frames_seen += 1
        now = time.perf_counter()
        if self._busy or now - self._last_start < self._min_interval:
            self.frames_dropped += 1
            return
        if self._worker is None:
            return
        self._busy = True
        self._last_start = now
        self._worker.jobs.put(frame)
        self._poll.start()

    def _collect(self) -> None:
        worker = self._worker
        if worker is None:
            self._poll.stop()
            return
        while True:
            try:
                codes, ms = worker.results.get_nowait()
            except queue.Empty:
                break
            self._on_decoded(codes, ms)
        if not self._busy:
            self._poll.stop()

    def _on_decoded(self, codes: list[DecodedCode], ms: float) -> None:
        self._busy = False
        self.frames_decoded += 1
        self.frameDecoded.emit(ms)
        if self._state != CameraState.RUNNING:
            return
        by_text = {c.text: c for c in codes}
        for text in self._validator.feed(by_text):
            code = by_text[text]
            self.decoded.emit(text)
            self.codeDecoded.emit(code)
            data = code.label()
            if data is not None:
                self.labelScanned.emit(data)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.last_error = message
        log.warning("camera error: %s", message)
        self._set_state(CameraState.ERROR)

    def _set_state(self, state: CameraState) -> None:
        if state != self._state:
            self._state = state
            self.stateChanged.emit(state.value)
