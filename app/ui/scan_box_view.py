"""Layout of one scan row: caption, a state icon, the scan field (input + status), a camera button."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QWidget

from app.scan.field import ScanField
from app.ui.fit import glove

ICON_SIZE = 28
#: The widest text the field shows: a device ID, which must never be cut short.
WIDEST_ID = "0A-1B-2C-00-00-00-00-24"


class ScanBoxView(QGridLayout):
    """Public children: ``caption``, ``icon``, ``field`` (ScanField), ``camera_button``."""

    def __init__(self, owner: QWidget, name: str) -> None:
        super().__init__(owner)
        self.setContentsMargins(0, 0, 0, 0)
        self.setHorizontalSpacing(8)
        self.setVerticalSpacing(3)
        self.caption = QLabel(owner)
        self.caption.setObjectName(f"{name}Caption")
        font = self.caption.font()
        font.setBold(True)
        self.caption.setFont(font)

        self.field = ScanField(name, parent=owner)
        self.field.input.setMinimumHeight(42)
        edit_font = self.field.input.font()
        edit_font.setPointSizeF(edit_font.pointSizeF() * 1.25)
        edit_font.setFamilies(["DejaVu Sans Mono", "Consolas", "Menlo", "monospace"])
        self.field.input.setFont(edit_font)
        self.caption.setBuddy(self.field.input)
        self._fit_id_width()
        self.field.input.installEventFilter(self)  # the text size may change while it is shown

        self.icon = QLabel(owner)
        self.icon.setObjectName(f"{name}Icon")
        self.icon.setFixedSize(ICON_SIZE, ICON_SIZE)

        self.camera_button = QPushButton(owner)
        self.camera_button.setObjectName(f"{name}CameraButton")
        self.camera_button.setMinimumHeight(42)
        glove(self.field.input, self.camera_button)

        self.addWidget(self.caption, 0, 1, 1, 2)
        self.addWidget(self.icon, 1, 0, Qt.AlignmentFlag.AlignTop)
        self.addWidget(self.field, 1, 1)
        self.addWidget(self.camera_button, 1, 2, Qt.AlignmentFlag.AlignTop)
        self.setColumnStretch(1, 1)

    def _fit_id_width(self) -> None:
        """Wide enough for a whole device ID beside the clear button, at the current text size."""
        edit = self.field.input
        text = edit.fontMetrics().horizontalAdvance(WIDEST_ID)
        clear = edit.minimumHeight()  # the clear button is about as wide as the field is high
        edit.setMinimumWidth(text + clear + 24)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.field.input and event.type() == QEvent.Type.FontChange:
            self._fit_id_width()
        return False
