"""Stand-ins for the installer's hardware: a camera that sees chosen pictures, a USB scanner.

``FakeCamera`` feeds pictures — generated labels, photos, damaged symbols — into the real
camera path: the window's camera button, ``CameraScanner``, the live decoder on the decode
pool, the consecutive-frame validator and the preview. Only the frame source is replaced
(``MainWindow.camera_source_factory``), the seam the window offers for that.

``FakeScanner`` types the way a keyboard-wedge scanner does, measured under X with
xdotool: Shift pressed and released around every capital, ``:`` and ``$``, a few
milliseconds per key, Enter at the end — real ``QKeyEvent`` objects sent to whatever has
the keyboard focus, so the window's app-wide wedge detector judges them as it would a
scanner's. Each event carries the timestamp a window system gives a real key, the moment
the device sent it: the scanner's own pace, so a test machine that stalls this process
between two keys no longer turns one burst into two, exactly as a busy window does not
with a real scanner.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

SHIFTED = frozenset('ABCDEFGHIJKLMNOPQRSTUVWXYZ~!@#$%^&*()_+{}|:"<>?')
_SHIFT = Qt.KeyboardModifier.ShiftModifier
_NONE = Qt.KeyboardModifier.NoModifier


def _key_code(char: str) -> int:
    """Qt's key code for an ASCII character is its code point (upper case for letters)."""
    return ord(char.upper()) if char.isalpha() else ord(char)


class FakeScanner:
    """``fake_scanner.scan("Z:0A1B…$I:…")``: the label and Enter, typed into the focused widget."""

    def __init__(self, qtbot: Any, ms_per_key: float = 3.0) -> None:
        self.qtbot = qtbot
        #: A USB scanner types 2–5 ms per key; the window's default threshold is 35 ms.
        self.ms_per_key = ms_per_key

    def scan(self, text: str, *, ms_per_key: float | None = None, suffix: Qt.Key = Qt.Key.Key_Return,
             into: QWidget | None = None) -> float:
        """Type ``text`` then ``suffix`` (Enter; ``Qt.Key.Key_Tab`` for a scanner set to Tab) into
        ``into`` or whatever has the focus now. Returns the mean milliseconds per key it took,
        so a test can tell when a loaded machine typed slower than a scanner would."""
        if into is not None:
            into.window().activateWindow()
            into.setFocus(Qt.FocusReason.OtherFocusReason)
            self.qtbot.waitUntil(lambda: QApplication.focusWidget() is into)
        pause = self.ms_per_key if ms_per_key is None else ms_per_key
        started = time.monotonic()
        sent_ms = started * 1000.0  # the device's clock: when it sends each key
        for index, char in enumerate(text):
            self.key(char, sent_ms=sent_ms + index * pause)
            if pause >= 1:
                self.qtbot.wait(int(pause))  # the scanner's pace: time passing, not a wait for a result
        took = (time.monotonic() - started) * 1000 / max(len(text), 1)
        end = "\t" if suffix == Qt.Key.Key_Tab else "\r"
        end_ms = sent_ms + len(text) * pause
        self._send(QEvent.Type.KeyPress, int(suffix), _NONE, end, end_ms)
        self._send(QEvent.Type.KeyRelease, int(suffix), _NONE, end, end_ms)
        return took

    def key(self, char: str, sent_ms: float | None = None) -> None:
        """One character as a scanner sends it (Shift around it when the character needs it),
        stamped ``sent_ms`` (on ``time.monotonic()`` in ms; default: now)."""
        stamp = time.monotonic() * 1000.0 if sent_ms is None else sent_ms
        shifted = char in SHIFTED
        if shifted:
            self._send(QEvent.Type.KeyPress, int(Qt.Key.Key_Shift), _SHIFT, "", stamp)
        self._send(QEvent.Type.KeyPress, _key_code(char), _SHIFT if shifted else _NONE, char, stamp)
        if shifted:
            self._send(QEvent.Type.KeyRelease, int(Qt.Key.Key_Shift), _NONE, "", stamp)
        self._send(QEvent.Type.KeyRelease, _key_code(char), _NONE, char.lower() if shifted else char, stamp)

    @staticmethod
    def _send(kind: QEvent.Type, key: int, modifiers: Qt.KeyboardModifier, text: str, stamp_ms: float) -> None:
        target = QApplication.focusWidget() or QApplication.activeWindow()
        assert target is not None, "no widget has the keyboard focus: the scanner's keys would go nowhere"
        event = QKeyEvent(kind, key, modifiers, text)
        event.setTimestamp(max(1, round(stamp_ms)))  # 0 would mean "no timestamp"
        QApplication.sendEvent(target, event)


class FakeCamera:
    """``fake_camera.show(label_image(...))`` then ``fake_camera.scan_ppmid()``; or in one go
    ``fake_camera.scan_ppmid(picture)``. Pictures: PIL images, QImages, numpy arrays, or a
    ``str`` (drawn as a QR code holding that text)."""

    def __init__(self, window: Any, qtbot: Any, fps: float = 30.0, timeout: int = 10_000) -> None:
        from app.scan.camera import FakeFrameSource

        self.window = window
        self.qtbot = qtbot
        self.timeout = timeout
        #: The camera's frame source: replays the pictures shown, in a loop, at ``fps``.
        self.source = FakeFrameSource([], fps=fps, parent=window)
        window.camera_source_factory = lambda: self.source

    def show(self, *pictures: Any) -> None:
        """What the camera sees from now on (several pictures: one after the other, looping)."""
        self.source.set_frames([self._picture(p) for p in pictures])

    @property
    def frames_shown(self) -> int:
        """Frames the camera has delivered so far."""
        return int(self.source.emitted)

    def open(self, box: str = "ppmid") -> None:
        """Press the camera button beside the PPMID (``"ppmid"``) or hub (``"hub"``) field."""
        from app.testing.driver import click

        button = self.window.findChild(QWidget, f"{box}ScanCameraButton")
        assert button is not None, f"no camera button for {box!r} (use 'ppmid' or 'hub')"
        click(self.qtbot, button)
        pane = self.window.findChild(QWidget, "cameraPane")
        self.qtbot.waitUntil(lambda: pane.isVisible(), timeout=self.timeout)

    def scan_ppmid(self, *pictures: Any) -> Any:
        """Show ``pictures`` (if given), open the camera for the PPMID and wait until its field
        holds what was read; returns the label read (device ID, install code)."""
        return self._scan("ppmid", pictures)

    def scan_hub(self, *pictures: Any) -> Any:
        return self._scan("hub", pictures)

    def close(self) -> None:
        """Press the camera pane's Close button."""
        from app.testing.driver import click

        button = self.window.findChild(QWidget, "cameraCloseButton")
        if button is not None and button.isVisible():
            click(self.qtbot, button)

    def _scan(self, box: str, pictures: Sequence[Any]) -> Any:
        if pictures:
            self.show(*pictures)
        field = self.window.view.ppmid if box == "ppmid" else self.window.view.hub
        before = field.label
        self.open(box)

        def read() -> None:
            assert field.label is not None and field.label is not before, (
                f"the camera has read nothing into the {box} field yet "
                f"({self.frames_shown} frames shown; the pane says {self._status()!r})")

        self.qtbot.waitUntil(read, timeout=self.timeout)
        return field.label

    def _status(self) -> str:
        label = self.window.findChild(QWidget, "cameraStatusLabel")
        return str(label.text()) if label is not None else ""

    @staticmethod
    def _picture(picture: Any) -> Any:
        if isinstance(picture, str):
            from app.testing.labels import text_image

            return text_image(picture)
        return picture
