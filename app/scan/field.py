"""``ScanField``: one input for a device label, fed by a scanner, a person, a paste or a drop.

A keyboard-wedge scanner types the label and ends with Enter or Tab; a person may type
or paste the same thing. Either way the text goes through ``parse_label`` and the field
shows the canonical device ID and whether the install code's CRC holds, then emits
``scanned(LabelData)`` — or ``rejected(message)`` with the parser's explanation.
Dropping or pasting a picture of a label decodes it on a worker (the decoder is imported
there, not when the window is built, and a large photo never freezes the window); the
field says it is reading the picture until ``scanned`` or ``rejected`` follows. The worker
is whatever ``submit`` the field was given (``app.scan.background``: the window's task
runner's ``decode`` pool, or the shared runner's when there is no window), never a thread
of the field's own.

Text committed in the field itself (Enter or Tab) is judged by its keys' timing, with the
same thresholds as the window's wedge detector (:mod:`app.scan.bursts`): a burst is a
scanner's (``entry`` "scanner"), anything else a person's ("typed"). The analyst sees
which: a device ID typed by hand is where mis-typed IDs come from.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget
from shiboken6 import isValid

from app.scan.background import Submit, default_submit, is_scanning_error

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

    from app.domain.labels import LabelData
    from app.scan.bursts import BurstTracker, WedgeConfig

log = logging.getLogger(__name__)

STATE_EMPTY = "empty"
STATE_OK = "ok"
STATE_WARNING = "warning"
STATE_ERROR = "error"


class ScanField(QWidget):
    """A labelled line edit plus a status line; objectNames ``<name>``, ``<name>Input``, ``<name>Status``.

    Signals: ``scanned(LabelData)`` after a good read, ``rejected(str)`` with the reason
    a read held no single device ID, ``cleared()`` when the person edits a committed value,
    ``decodeFailed(BaseException)`` when decoding a picture raised (the field also shows a
    message and emits ``rejected``; the window sends a bug on to its exception hook).
    The ``state`` dynamic property (empty/ok/warning/error) is there for style sheets.

    ``expects_install_code`` says what this field's device labels carry, so a scanner burst
    read elsewhere in the window can be routed by its content: True for a device joined
    with an install code (a PPMID: its label has one, and an install cannot be recorded
    without it), False for one whose label never has one (a Communications Hub), None when
    either may come (the default: routing then takes the next empty field).
    """

    scanned = Signal(object)
    rejected = Signal(str)
    cleared = Signal()
    decodeFailed = Signal(object)

    def __init__(
        self, name: str, placeholder: str = "", parent: QWidget | None = None, *,
        expects_install_code: bool | None = None, submit: Submit | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.expects_install_code = expects_install_code
        self._submit = submit
        self._data: LabelData | None = None
        #: How the last good read was entered: "scanner" (a burst, routed here by the wedge
        #: detector or typed into the field), "camera", "photo" (a dropped or pasted
        #: picture), "typed" (keys at a person's pace, or edited); None: not known.
        self.entry: str | None = None
        #: Thresholds that tell a scanner's keys from a person's (the window sets its own).
        self.burst_config: WedgeConfig | None = None
        self._keys: BurstTracker | None = None  # the keys typed since the field was last empty
        self._ended_ms: float | None = None  # when the Enter or Tab that commits them came
        self.input = QLineEdit(self)
        self.input.setObjectName(f"{name}Input")
        self.input.setPlaceholderText(placeholder or self.tr("Scan or type the device ID"))
        self.input.setClearButtonEnabled(True)
        self.status = QLabel(self)
        self.status.setObjectName(f"{name}Status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.input)
        layout.addWidget(self.status)
        self.setFocusProxy(self.input)
        self.input.returnPressed.connect(self._commit_typed)
        self.input.textEdited.connect(self._on_edited)
        self.input.installEventFilter(self)
        self.input.setAcceptDrops(True)
        self._pictures_asked = 0
        self._set_state(STATE_EMPTY, "")

    # --- public API -------------------------------------------------------------------
    @property
    def label_data(self) -> LabelData | None:
        """The last good read, or None."""
        return self._data

    @property
    def state(self) -> str:
        return str(self.property("state"))

    def accept_scan(self, text: str, entry: str | None = None) -> LabelData | None:
        """Parse scanned or typed text, show the outcome, emit ``scanned`` or ``rejected``.
        ``entry`` (kept as :attr:`entry` before ``scanned``) says how the text came, when known."""
        # The label parser loads on the first scan (or with the cache, after the first
        # paint), not when the window is built.
        from app.domain.labels import LabelError, parse_label

        self._pictures_asked += 1  # a picture still being read must not replace this newer scan
        try:
            data = parse_label(text.replace("\r", "").replace("\n", ""))
        except LabelError as exc:
            self._data = None
            self.entry = None
            self.input.setText(text.strip())
            self._forget_keys()
            self._set_state(STATE_ERROR, str(exc))
            self.rejected.emit(str(exc))
            return None
        self._data = data
        self.entry = entry
        self._forget_keys()
        self.input.setText(str(data.device_id))
        self.input.setCursorPosition(0)
        self._show(data)
        self.scanned.emit(data)
        return data

    def set_submit(self, submit: Submit | None) -> None:
        """Where pictures are decoded from now on (None: the shared runner's ``decode`` pool)."""
        self._submit = submit

    def clear(self) -> None:
        self._pictures_asked += 1
        self._data = None
        self.entry = None
        self._forget_keys()
        self.input.clear()
        self._set_state(STATE_EMPTY, "")

    # --- behaviour --------------------------------------------------------------------
    def _show(self, data: LabelData) -> None:
        if data.install_code_ok and data.install_code is not None:
            crc = data.install_code.label_hex[-4:]
            self._set_state(STATE_OK, self.tr("Install code OK (CRC %1)").replace("%1", crc))
        elif data.has_install_code:
            self._set_state(STATE_WARNING, self.tr("Install code problem: %1").replace("%1", data.install_code_problem or ""))
        else:
            self._set_state(STATE_OK, self.tr("No install code on this label"))

    def _set_state(self, state: str, message: str) -> None:
        changed = self.property("state") != state
        self.setProperty("state", state)
        self.status.setText(message)
        self.status.setVisible(bool(message))
        # A style sheet keyed on ``[state=…]`` only re-reads the property on a re-polish.
        # A widget not yet polished picks it up when first shown, and skipping it then keeps
        # the window from building QStyle's Python type before its first paint.
        if changed and self.testAttribute(Qt.WidgetAttribute.WA_WState_Polished):
            for widget in (self, self.input, self.status):
                widget.style().unpolish(widget)
                widget.style().polish(widget)

    def _commit_typed(self) -> None:
        text = self.input.text()
        if text.strip() and (self._data is None or text != str(self._data.device_id)):
            self.accept_scan(text, entry=self._typed_entry(text))

    def _typed_entry(self, text: str) -> str:
        """"scanner" when every character in the field came in one fast burst of keys and
        nothing else changed it; otherwise "typed" (a person's pace, an edit or a paste)."""
        keys, ended = self._keys, self._ended_ms
        if keys is None or not keys.chars or keys.text.strip() != text.strip():
            return "typed"
        return "scanner" if keys.is_scan(ended if ended is not None else _now_ms()) else "typed"

    def _note_key(self, char: str, at_ms: float) -> None:
        if self._keys is None:
            from app.scan.bursts import BurstTracker, WedgeConfig  # on the first key, not at start-up

            self._keys = BurstTracker(self.burst_config or WedgeConfig())
        elif self.burst_config is not None and self._keys.config is not self.burst_config:
            self._keys.config = self.burst_config
        self._keys.add(char, at_ms)
        self._ended_ms = None

    def _forget_keys(self) -> None:
        if self._keys is not None:
            self._keys.clear()
        self._ended_ms = None

    def _on_edited(self, _text: str) -> None:
        if not _text:
            self._forget_keys()  # emptied by hand: the next keys start a new entry
        self._pictures_asked += 1
        if self._data is not None or self.state != STATE_EMPTY:
            self._data = None
            self._set_state(STATE_EMPTY, "")
            self.cleared.emit()

    def _restart(self) -> None:
        self.input.clear()
        self._on_edited("")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is not self.input:
            return False
        kind = event.type()
        if kind == QEvent.Type.KeyPress:
            from PySide6.QtGui import QKeySequence  # here, not at the top: drawing the field does not need it

            key = event.key()  # type: ignore[attr-defined]
            if _starts_new_entry(event):
                if self.state != STATE_EMPTY:
                    self._restart()  # a new scan replaces the shown value instead of mixing with it
                self._note_key(event.text(), _event_ms(event))  # type: ignore[attr-defined]
            elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._ended_ms = _event_ms(event)  # QLineEdit's returnPressed follows: it commits
            elif key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and self.input.text().strip():
                self._ended_ms = _event_ms(event)
                self._commit_typed()  # a scanner set to a Tab suffix; focus still moves on
            elif event.matches(QKeySequence.StandardKey.Paste) and self._paste_picture():  # type: ignore[attr-defined]
                return True
        elif kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            from app.scan.images import mime_has_picture

            if mime_has_picture(event.mimeData()):  # type: ignore[attr-defined]
                event.acceptProposedAction()  # type: ignore[attr-defined]
                return True
        elif kind == QEvent.Type.Drop:
            from app.scan.images import mime_has_picture

            mime = event.mimeData()  # type: ignore[attr-defined]
            if mime_has_picture(mime):
                event.acceptProposedAction()  # type: ignore[attr-defined]
                self.accept_picture_mime(mime)
                return True
        return False

    def _paste_picture(self) -> bool:
        from PySide6.QtGui import QGuiApplication

        from app.scan.images import mime_has_picture

        mime = QGuiApplication.clipboard().mimeData()
        if mime is None or mime.hasText() and not mime.hasImage() and not mime.hasUrls():
            return False
        if not mime_has_picture(mime):
            return False
        self.accept_picture_mime(mime)
        return True

    def accept_picture_mime(self, mime: Any) -> None:
        """Decode a dropped or pasted picture on a worker; ``scanned`` (the first code that
        holds a device ID) or ``rejected`` follows on the UI thread.

        The picture and file names are copied out now: a drop's mime data dies with the event.
        """
        from PySide6.QtGui import QImage  # pictures only: not needed to build the window

        image = mime.imageData() if mime is not None and mime.hasImage() else None
        image = image.copy() if isinstance(image, QImage) and not image.isNull() else None
        files = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()] if mime is not None else []
        self._pictures_asked += 1
        asked = self._pictures_asked
        self._set_state(self.state, self.tr("Reading the picture…"))
        submit = self._submit or default_submit()
        submit(
            lambda: _read_picture(image, files),
            lambda outcome: self._on_picture_read(asked, *outcome),
            lambda exc: self._on_picture_failed(asked, exc),
        )

    def _on_picture_read(self, asked: int, codes: list[Any], problems: list[str]) -> None:
        if not isValid(self) or asked != self._pictures_asked:
            return  # the field is gone, or a newer scan, picture or edit came first
        for code in codes:
            if code.label() is not None:
                self.accept_scan(code.text, entry="photo")
                return
        message = problems[0] if problems else (
            self.tr("No barcode with a device ID in that picture") if not codes
            else self.tr("The barcode in that picture holds no device ID: %1").replace("%1", codes[0].text[:60])
        )
        self._data = None
        self._set_state(STATE_ERROR, message)
        self.rejected.emit(message)

    def _on_picture_failed(self, asked: int, exc: BaseException) -> None:
        """Decoding raised: the installer hears it in the field (a bug's details stay in the
        log), and ``decodeFailed`` hands the exception on, even when a newer scan came first."""
        if not isValid(self):
            log.warning("reading a dropped picture failed after its field was closed: %r", exc)
            return
        log.warning("reading a dropped picture failed: %s: %s", type(exc).__name__, exc)
        if asked == self._pictures_asked:
            message = (
                self.tr("Cannot read the picture: %1").replace("%1", str(exc)) if is_scanning_error(exc)
                else self.tr("HubCheck could not read that picture; the details are in the log.")
            )
            self._data = None
            self._set_state(STATE_ERROR, message)
            self.rejected.emit(message)
        self.decodeFailed.emit(exc)


def _read_picture(image: QImage | None, files: list[str]) -> tuple[list[Any], list[str]]:
    """On the worker: every code in the picture and the files, plus one line per unreadable
    file (touches no widget)."""
    from app.scan.images import decode_pictures, picture_paths

    return decode_pictures(image, picture_paths(files))


def _now_ms() -> float:
    return time.monotonic() * 1000.0


def _event_ms(event: QEvent) -> float:
    """When the key was pressed: the window system's timestamp (taken when the device sent
    it, the same clock as the wedge detector's), or now for an event made in code."""
    return float(event.timestamp()) or _now_ms()  # type: ignore[attr-defined]


def _starts_new_entry(event: QEvent) -> bool:
    text = event.text()  # type: ignore[attr-defined]
    blocked = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier
    return len(text) == 1 and text.isprintable() and not (event.modifiers() & blocked)  # type: ignore[attr-defined]


def enclosing_scan_field(widget: QObject | None) -> ScanField | None:
    """The ScanField a widget belongs to (the field itself or its line edit), if any."""
    while widget is not None:
        if isinstance(widget, ScanField):
            return widget
        widget = widget.parent()
    return None
