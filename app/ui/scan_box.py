"""One scan row (PPMID or Communications Hub) around ``app.scan.field.ScanField``.

The field itself parses scanner bursts, typing, pastes and dropped pictures, shows the
canonical device ID and the install-code check; this row adds what the installer needs
at arm's length: a bold caption with a keyboard mnemonic, a state *shape* beside the
field (tick, warning triangle, stop octagon — never colour alone), and a camera button.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLineEdit, QWidget

from app.scan.field import STATE_EMPTY, STATE_ERROR, STATE_OK, STATE_WARNING, ScanField
from app.ui.levels import draw_shape
from app.ui.scan_box_view import ICON_SIZE, ScanBoxView

if TYPE_CHECKING:
    from app.domain.labels import LabelData

_SHAPES = {
    STATE_EMPTY: ("dash", "#ECEFF1", "#000000"),
    STATE_OK: ("tick", "#1B5E20", "#FFFFFF"),
    STATE_WARNING: ("triangle", "#FFD54F", "#000000"),
    STATE_ERROR: ("octagon", "#B71C1C", "#FFFFFF"),
}


class ScanBox(QWidget):
    """Re-emits the field's ``scanned(LabelData)``, ``rejected(str)``, ``cleared()``; ``cameraRequested()``."""

    scanned = Signal(object)
    rejected = Signal(str)
    cleared = Signal()
    cameraRequested = Signal()

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{name}Box")
        self.view = ScanBoxView(self, name)
        self.view.camera_button.setText(self.tr("Camera"))
        self.view.camera_button.setToolTip(self.tr("Read this label with the camera"))
        self.field.input.setPlaceholderText(self.tr("Scan or type the label, then Enter"))
        self.field.scanned.connect(self._on_scanned)
        self.field.rejected.connect(self._on_rejected)
        self.field.cleared.connect(self._on_cleared)
        self.view.camera_button.clicked.connect(self.cameraRequested)
        #: What the verdict found about the scanned device's type: (state, sentence) when it
        #: is not the device this row is for (no tick then), None when nothing to say.
        self._type_problem: tuple[str, str] | None = None
        self._show_state()

    @property
    def field(self) -> ScanField:
        return self.view.field

    @property
    def edit(self) -> QLineEdit:
        return self.view.field.input

    @property
    def label(self) -> LabelData | None:
        return self.view.field.label_data

    def set_caption(self, caption: str) -> None:
        """The visible caption (with an ``&`` mnemonic) and the accessible names of the row."""
        self.view.caption.setText(caption)
        plain = caption.replace("&", "")
        self.edit.setAccessibleName(plain)
        self.view.camera_button.setAccessibleName(self.tr("Camera for %1").replace("%1", plain))

    def submit_text(self, text: str, entry: str | None = None) -> LabelData | None:
        """One complete scan from elsewhere (camera, a dropped picture, the wedge detector);
        ``entry`` says which ("camera", …) when the caller knows."""
        return self.field.accept_scan(text, entry)

    def clear(self) -> None:
        self.field.clear()
        self._type_problem = None
        self._show_state()

    def set_type_problem(self, problem: tuple[str, str] | None) -> None:
        """``(STATE_ERROR | STATE_WARNING, sentence)`` when the device scanned here is not (or
        not known to be) the device this row is for: the row then shows no tick."""
        self._type_problem = problem
        if problem is not None:
            self.field.status.setText(problem[1])
        self._show_state()

    def _on_scanned(self, data: LabelData) -> None:
        self._type_problem = None
        self._show_state()
        self.edit.selectAll()
        self.scanned.emit(data)

    def _on_rejected(self, message: str) -> None:
        self._type_problem = None
        self._show_state()
        self.edit.selectAll()
        self.rejected.emit(message)

    def _on_cleared(self) -> None:
        self._type_problem = None
        self._show_state()
        self.cleared.emit()

    def _show_state(self) -> None:
        state = self.field.state if self.field.state in _SHAPES else STATE_EMPTY
        problem = self._type_problem if state == STATE_OK else None
        if problem is not None:
            state = problem[0]
        shape, fill, mark = _SHAPES[state]
        self.view.icon.setPixmap(draw_shape(shape, ICON_SIZE, fill, mark))
        words = {STATE_EMPTY: self.tr("Nothing scanned"), STATE_OK: self.tr("Accepted"),
                 STATE_WARNING: self.tr("Accepted with a problem"), STATE_ERROR: self.tr("Not accepted")}[state]
        self.view.icon.setToolTip(words)
        self.view.icon.setAccessibleName(words)
        status = problem[1] if problem is not None else self.field.status.text()
        if problem is not None:
            self.view.icon.setToolTip(problem[1])
        self.edit.setAccessibleDescription(f"{words}. {status}" if status else words)
