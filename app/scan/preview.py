"""``CameraPreview``: what the camera sees, the aiming box, and a plain-words state line.

A QLabel-free painter so it shows injected test frames and real QVideoFrames alike; it
repaints at most ``max_fps`` times a second, converting a QVideoFrame only when it is
about to be drawn. When there is no camera it says so instead of showing a black box.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.scan.camera import CameraScanner, CameraState, frame_to_qimage

_MESSAGES = {
    CameraState.IDLE: "Camera off",
    CameraState.STARTING: "Starting the camera…",
    CameraState.RUNNING: "",
    CameraState.NO_CAMERA: "No camera found. Connect a camera, or scan with a barcode scanner or a photo.",
    CameraState.ERROR: "The camera stopped working",
    CameraState.STOPPED: "Camera off",
}


class CameraPreview(QWidget):
    """objectName ``cameraPreview``. ``attach(scanner)`` follows its source and state."""

    def __init__(self, parent: QWidget | None = None, max_fps: float = 15.0, roi: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("cameraPreview")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 120)
        self._image: QImage | None = None
        self._interval = 1.0 / max_fps
        self._last = 0.0
        self._roi = roi
        self._state = CameraState.IDLE
        self._detail = ""
        self._scanner: CameraScanner | None = None
        self._watched: Any = None

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(480, 270)

    @property
    def message(self) -> str:
        """The state line currently shown (empty while frames are showing)."""
        text = self.tr(_MESSAGES[self._state])
        return f"{text} ({self._detail})" if self._detail and self._state == CameraState.ERROR else text

    def attach(self, scanner: CameraScanner) -> None:
        self._scanner = scanner
        self._roi = self._roi or scanner._decoder_settings[1]
        scanner.stateChanged.connect(self._on_state)
        self._on_state(scanner.state.value)

    def show_frame(self, frame: Any) -> None:
        """Take a QImage or QVideoFrame; frames beyond ``max_fps`` are skipped unconverted."""
        now = time.perf_counter()
        if now - self._last < self._interval:
            return
        image = frame_to_qimage(frame)
        if image is None:
            return
        self._last = now
        self._image = image
        self.update()

    def _on_state(self, state: str) -> None:
        self._state = CameraState(state)
        source = self._scanner.source if self._scanner else None
        if self._state == CameraState.RUNNING and source is not None and source is not self._watched:
            source.frameReady.connect(self.show_frame)
            self._watched = source
        if self._state != CameraState.RUNNING:
            self._image = None
        self._detail = self._scanner.last_error if self._scanner else ""
        self.setToolTip(self.message)
        self.update()

    def paintEvent(self, _event: Any) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(30, 30, 30))
        if self._image is not None:
            target = _fit(self._image.size(), self.rect())
            painter.drawImage(target, self._image)
            if self._roi is not None:
                x, y, w, h = self._roi.pixels(target.width(), target.height())
                painter.setPen(QPen(QColor(80, 220, 120), 2))
                painter.drawRect(QRectF(target.x() + x, target.y() + y, w, h))
        else:
            painter.setPen(QColor(230, 230, 230))
            painter.drawText(self.rect().adjusted(12, 12, -12, -12), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
        painter.end()


def _fit(size: QSize, area: QRect) -> QRect:
    scaled = size.scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
    return QRect(area.x() + (area.width() - scaled.width()) // 2, area.y() + (area.height() - scaled.height()) // 2,
                 scaled.width(), scaled.height())
