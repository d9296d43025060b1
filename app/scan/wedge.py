"""Keyboard-wedge scanners: recognise a scanner's burst of keys wherever the focus is.

A USB or Bluetooth scanner "types" a label far faster than a person (a few ms per key)
and ends with Enter or Tab. ``WedgeDetector`` is an application-wide event filter: it
holds printable keys for up to ``scan_timeout_ms``; if they turn out to be a burst that
ends in a suffix key, the text is routed to a scan field (or a callback) and the focused
widget never sees it; otherwise the held keys are delivered, in order, to the widget
they were meant for. Keys typed at human speed therefore arrive unchanged, only late by
at most ``scan_timeout_ms`` (more only while the window itself is stalled: time it could
not listen is not counted as silence). Keys are timed by the window system's timestamps,
taken when the device sent them, so a busy UI thread does not cut a label in two. When the focus is already in a ``ScanField`` the detector
stays out of the way: the field reads the burst itself.

Thresholds follow onScan.js as summarised in ANCHORS.md §5 (30 ms per character on
average, at least 6 characters, Enter or Tab suffix, 100 ms before a burst is judged)
and are configurable per scanner model through ``WedgeConfig``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from app.scan.bursts import BurstTracker, WedgeConfig
from app.scan.field import ScanField, enclosing_scan_field

__all__ = ["BurstTracker", "WedgeConfig", "WedgeDetector"]

_HELD_MODIFIERS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier
# Keys that type nothing on their own. A scanner presses and releases Shift around every
# capital letter, ``:`` and ``$`` (a real keyboard event, unlike a test's key click with a
# modifier flag); such a key must neither end a burst nor be held, or a label is cut at
# its first capital and the part before it is typed into whatever has the focus.
_MODIFIER_KEYS = frozenset(int(k) for k in (
    Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_AltGr, Qt.Key.Key_Meta,
    Qt.Key.Key_Super_L, Qt.Key.Key_Super_R, Qt.Key.Key_Hyper_L, Qt.Key.Key_Hyper_R, Qt.Key.Key_Mode_switch,
    Qt.Key.Key_CapsLock, Qt.Key.Key_NumLock, Qt.Key.Key_ScrollLock,
))

# A silence timer firing later than this was held up by a busy thread, not by the keys.
_LATE_SLACK_MS = 20.0
# The most a burst's silence is extended for such stalls: typed keys are never held longer.
_MOST_SILENCE_EXTENSION_MS = 1000.0


@dataclass(slots=True)
class _Held:
    receiver: QWidget
    key: int
    modifiers: Qt.KeyboardModifier
    text: str


Target = ScanField | Callable[[str], Any]


class WedgeDetector(QObject):
    """Application-wide burst detector. ``install()`` puts it on the QApplication.

    Routing: by content first, when the fields say what they expect
    (``ScanField.expects_install_code``): a label with an install code goes to the field
    expecting one (a PPMID label; a new one replaces the PPMID shown), a bare device ID to
    the empty field expecting none (the hub). Otherwise — text that is no label, a bare ID
    when that field is filled, fields that declare nothing — the targets given to
    ``set_targets`` in order: the first ScanField still empty gets the scan, or the first
    target when all are filled; a callable target is simply called with the text. A
    ``router(text)`` returning a target overrides all of that.
    ``scanned(str)`` is emitted for every burst, routed or not.
    """

    scanned = Signal(str)

    def __init__(
        self,
        config: WedgeConfig | None = None,
        parent: QObject | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("wedgeDetector")
        self.config = config or WedgeConfig()
        # A key is timed by its event's timestamp when it has one: the window system stamps
        # a key when the device sends it, so a stall of this thread neither splits a
        # scanner's burst nor squeezes typing into one. Events built in code carry none
        # (0); those are timed by ``clock`` as they arrive. The same clock times the
        # silence timer (see ``_on_silence``).
        self._clock = clock or (lambda: time.monotonic() * 1000.0)
        self._silence_due_ms = 0.0  # when the silence timer should fire, on ``clock``
        self._silence_extended_ms = 0.0  # how far stalls have pushed this burst's silence so far
        self._burst = BurstTracker(self.config)
        self._held: list[_Held] = []
        self._replaying = False
        self._targets: list[Target] = []
        self.router: Callable[[str], Target | None] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_silence)
        self._app: QApplication | None = None

    # --- set-up -----------------------------------------------------------------------
    def install(self, app: QApplication | None = None) -> None:
        self._app = app or QApplication.instance()  # type: ignore[assignment]
        if self._app is not None:
            self._app.installEventFilter(self)

    def uninstall(self) -> None:
        self.flush()
        if self._app is not None:
            self._app.removeEventFilter(self)
            self._app = None

    def set_config(self, config: WedgeConfig) -> None:
        self.flush()
        self.config = config
        self._burst = BurstTracker(config)

    def set_targets(self, targets: Sequence[Target]) -> None:
        self._targets = list(targets)

    def set_target(self, target: Target | None) -> None:
        self._targets = [] if target is None else [target]

    # --- event handling ---------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if self._replaying or event.type() != QEvent.Type.KeyPress or not isinstance(watched, QWidget):
            return False
        focus = QApplication.focusWidget()
        if watched is not (focus or watched.window()):
            return False  # the same event propagating to a parent, or a window's own copy
        if enclosing_scan_field(watched) is not None or _is_secret(watched):
            self.flush()
            return False
        assert isinstance(event, QKeyEvent)
        now = float(event.timestamp()) or self._clock()
        key, text, modifiers = event.key(), event.text(), event.modifiers()
        if key in _MODIFIER_KEYS:
            return False  # passed on in place: it types nothing, and Ctrl+… after it still flushes
        if key in self.config.suffix_keys and self._held:
            if self._burst.is_scan(now):
                self._complete()
                return True
            self.flush()
            return False
        if key == int(Qt.Key.Key_Space) and not self._held:
            return False  # no label starts with a space; held, a button's Space press would land after its release
        if len(text) == 1 and text.isprintable() and not (modifiers & _HELD_MODIFIERS):
            if self._burst.gap_breaks(now):
                self.flush()
            self._burst.add(text, now)
            self._held.append(_Held(watched, key, modifiers, text))
            self._silence_extended_ms = 0.0
            self._start_silence_timer(self.config.scan_timeout_ms)
            return True
        self.flush()
        return False

    def _start_silence_timer(self, ms: float) -> None:
        self._silence_due_ms = self._clock() + ms
        self._timer.start(max(1, round(ms)))

    def _on_silence(self) -> None:
        # Fired late, this thread was busy past the deadline: keys the scanner sent meanwhile
        # may be waiting in the queue, unread. The time it could not listen is not silence:
        # listen again, at most one more period per late firing and a bounded total, so a
        # window that keeps stalling still delivers typed keys.
        late = self._clock() - self._silence_due_ms
        extension = min(late, self.config.scan_timeout_ms, _MOST_SILENCE_EXTENSION_MS - self._silence_extended_ms)
        if late > _LATE_SLACK_MS and extension >= 1:
            self._silence_extended_ms += extension
            self._start_silence_timer(extension)
            return
        if not self.config.require_suffix and self._burst.is_scan(self._burst.times[-1] if self._burst.times else 0):
            self._complete()
        else:
            self.flush()

    def flush(self) -> None:
        """Deliver held keys to the widgets they were meant for: they were typing, not a scan."""
        self._timer.stop()
        held, self._held = self._held, []
        self._burst.clear()
        self._replaying = True
        try:
            for item in held:
                if _alive(item.receiver):
                    press = QKeyEvent(QEvent.Type.KeyPress, item.key, item.modifiers, item.text)
                    QApplication.sendEvent(item.receiver, press)
        finally:
            self._replaying = False

    def _complete(self) -> None:
        self._timer.stop()
        text = self._burst.text
        self._held.clear()
        self._burst.clear()
        self.scanned.emit(text)
        target = self.router(text) if self.router is not None else self._default_target(text)
        if target is None:
            return
        if isinstance(target, ScanField):
            target.accept_scan(text, entry="scanner")
        else:
            target(text)

    def _default_target(self, text: str) -> Target | None:
        carries_code = _carries_install_code(text)
        if carries_code is not None:
            for target in self._targets:
                if (
                    isinstance(target, ScanField)
                    and target.expects_install_code is carries_code
                    and (carries_code or target.label_data is None)
                ):
                    return target
        for target in self._targets:
            if isinstance(target, ScanField) and target.label_data is None:
                return target
        return self._targets[0] if self._targets else None


def _carries_install_code(text: str) -> bool | None:
    """True for a label with an install code, False for a bare device ID, None for no label."""
    from app.domain.labels import LabelError, parse_label  # loaded on the first scan, not at start-up

    try:
        return parse_label(text).has_install_code
    except LabelError:
        return None


def _is_secret(widget: QWidget) -> bool:
    return isinstance(widget, QLineEdit) and widget.echoMode() != QLineEdit.EchoMode.Normal


def _alive(obj: QObject) -> bool:
    from shiboken6 import isValid

    return bool(isValid(obj))
