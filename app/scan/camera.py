"""Camera scanning: frame source → one decode at a time on a worker → ``decoded``.

The pipeline follows KDE Prison and Electrum (ANCHORS.md §1.5, §5): frames arrive on the
GUI thread; while a decode is out, or sooner than ``1/max_rate`` after the last one, a
frame is dropped (back-pressure instead of a queue); the worker converts, crops and
decodes with ``LiveDecoder`` (every ``full_pass_every``-th frame gets the thorough pass);
the result comes back to the GUI thread and passes the ``ConsecutiveValidator`` before
``decoded(str)`` fires. zxing-cpp holds the GIL during a decode, so the live schedule
keeps every library call short (benchmarks/decode.py measures the longest event-loop stall).

The worker is not a thread of the scanner's own: decoding goes through an injected
``submit`` (``app.scan.background``), which the window wires to its task runner's
``decode`` pool; without one, the shared runner's ``decode`` pool is used. A decode that
raises reaches ``decodeFailed(exception)`` (once per distinct failure while the camera
runs) and the camera keeps going.

Sources are injectable: ``QtCameraSource`` wraps QtMultimedia (imported on ``start``,
not at import time), ``FakeFrameSource`` replays pictures on a timer so tests and testers
run without a camera.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QImage
from shiboken6 import isValid

from app.scan.background import Submit, default_submit
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


# --- decoding ---------------------------------------------------------------------------
class _FrameDecoder:
    """Owns the (stateful, not thread-safe) LiveDecoder of one camera session.

    Used by one decode at a time: the scanner keeps at most one frame out. The decoder is
    built by the first decode, on the worker, so numpy and zxing-cpp load off the GUI thread.
    """

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._live: Any = None

    def decode(self, frame: Any, reset: bool) -> tuple[list[DecodedCode], float]:
        started = time.perf_counter()
        if self._live is None:
            self._live = self._factory()
        elif reset:
            reset_live = getattr(self._live, "reset", None)
            if reset_live is not None:
                reset_live()
        codes = list(self._live.decode_frame(frame))  # QImage or QVideoFrame, read without Qt conversion
        return codes, (time.perf_counter() - started) * 1000.0


class CameraScanner(QObject):
    """Frame source → worker decode → ``decoded(str)``; see the module docstring.

    Signals: ``decoded(str)`` (accepted text, once per appearance), ``codeDecoded(DecodedCode)``
    (the same with its format), ``labelScanned(LabelData)`` (when the text holds a device ID),
    ``stateChanged(str)`` (a ``CameraState`` value), ``frameDecoded(float)`` (ms per decode),
    ``decodeFailed(BaseException)`` (a decode raised; once per distinct failure per start).

    ``submit`` runs each decode (see ``app.scan.background``); ``live_factory`` builds
    what reads a frame (``decode_frame(frame)``, optionally ``reset()``), a
    ``LiveDecoder`` by default.
    """

    decoded = Signal(str)
    codeDecoded = Signal(object)
    labelScanned = Signal(object)
    stateChanged = Signal(str)
    frameDecoded = Signal(float)
    decodeFailed = Signal(object)

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
        submit: Submit | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("cameraScanner")
        self._live_factory = live_factory  # builds the per-frame decoder (``decode_frame``) on the worker
        self._submit = submit
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
        self._decoder: _FrameDecoder | None = None
        self._reset_due = False  # the next decode starts the LiveDecoder's schedule afresh
        self._session = 0  # bumped by close(): a decode from before is not collected
        self._failures_told: set[tuple[type[BaseException], str]] = set()
        self._connected = False
        self.frames_seen = 0
        self.frames_decoded = 0
        self.frames_dropped = 0
        self.frames_failed = 0
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
        self._ensure_decoder()
        if self._submit is None:
            self._submit = default_submit()  # made now, not while the first frame waits
        self._failures_told.clear()
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
        self._reset_due = True
        if self._state != CameraState.NO_CAMERA:
            self._set_state(CameraState.STOPPED)

    def close(self) -> None:
        """Stop, drop the decoder and ignore a decode still out (call before the application
        quits; the window's runner then waits for its pools)."""
        self.stop()
        self._session += 1
        self._decoder = None
        self._busy = False

    def reset(self) -> None:
        """Forget accepted codes, so the label in view is reported again."""
        self._validator.reset()

    # --- internals --------------------------------------------------------------------
    def _ensure_decoder(self) -> None:
        if self._decoder is not None:
            return
        decoder_name, roi, max_side, full_pass_every = self._decoder_settings

        def factory() -> Any:
            from app.scan.decoders import choose_decoder
            from app.scan.pipeline import LiveDecoder

            return LiveDecoder(choose_decoder(decoder_name), roi=roi, max_side=max_side, full_pass_every=full_pass_every)

        self._decoder = _FrameDecoder(self._live_factory or factory)

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
        decoder = self._decoder
        if decoder is None:
            return
        self._busy = True
        self._last_start = now
        session, reset = self._session, self._reset_due
        self._reset_due = False
        submit = self._submit or default_submit()
        submit(
            lambda: decoder.decode(frame, reset),
            lambda result: self._on_decoded(session, *result),
            lambda exc: self._on_decode_failed(session, exc),
        )

    def _on_decoded(self, session: int, codes: list[DecodedCode], ms: float) -> None:
        if session != self._session or not isValid(self):
            return  # closed (or deleted) while this frame was being read
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

    def _on_decode_failed(self, session: int, exc: BaseException) -> None:
        """A decode raised: count it, say it once, keep the camera running (the next frame
        may read fine; a decoder that cannot load fails every frame but is told only once)."""
        if not isValid(self):
            log.warning("camera frame decode failed after the scanner was deleted: %r", exc)
            return
        if session == self._session:
            self._busy = False
        self.frames_failed += 1
        self.last_error = str(exc) or type(exc).__name__
        key = (type(exc), str(exc))
        if key in self._failures_told:
            return
        self._failures_told.add(key)
        log.warning("camera frame decode failed: %s: %s", type(exc).__name__, exc)
        self.decodeFailed.emit(exc)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.last_error = message
        log.warning("camera error: %s", message)
        self._set_state(CameraState.ERROR)

    def _set_state(self, state: CameraState) -> None:
        if state != self._state:
            self._state = state
            self.stateChanged.emit(state.value)
