"""A scroll area that keeps the keyboard focus in view, attached after the first paint.

Its own module so that start-up does not build QObject and QEvent Python types for it
before the window paints (``app.ui.fit.follow_focus`` imports it when attaching).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget


def _app() -> QApplication:
    app = QApplication.instance()
    assert isinstance(app, QApplication), "HubCheck's window needs a QApplication"
    return app


class FocusFollower(QObject):
    """Makes a scroll area bring the widget taking the keyboard focus into view.

    QScrollArea does this for Tab and Shift+Tab only; a mnemonic (Alt+O), a menu shortcut
    (F2) or the program moving the focus would leave the field out of sight below the fold.
    It also keeps the area at least as wide as its content's narrowest layout (the column
    has no horizontal scroll bar, so a narrower area would cut the content off).

    A helper object rather than a QScrollArea subclass, attached after the first paint
    (``follow_focus``): a subclass overriding ``eventFilter`` and ``minimumSizeHint`` made
    every layout event of the column a Python call and cost ~10 ms of start-up.
    """

    MARGIN = 12

    def __init__(self, area: QScrollArea) -> None:
        super().__init__(area)
        self._area = area
        _app().focusChanged.connect(self._on_focus)
        self._content = area.widget()
        if self._content is not None:
            self._content.installEventFilter(self)
        # The viewport or the content changed height (a status line appeared, the strip
        # below grew): keep the field being typed in where the installer can see it.
        area.verticalScrollBar().rangeChanged.connect(self._soon)
        self._fit_width()

    def _on_focus(self, _old: Any, new: Any) -> None:
        content = self._content
        try:
            if isinstance(new, QWidget) and content is not None and content.isAncestorOf(new):
                self._area.ensureWidgetVisible(new, self.MARGIN, self.MARGIN)
        except RuntimeError:  # the area is being destroyed with its window
            pass

    def follow_focus(self) -> None:
        """Bring the focused widget back into view if it is in this area."""
        self._on_focus(None, QApplication.focusWidget())

    def _soon(self, *_args: Any) -> None:
        QTimer.singleShot(0, self, self.follow_focus)

    def _fit_width(self) -> None:
        content = self._area.widget()
        if content is None or self._area.horizontalScrollBarPolicy() != Qt.ScrollBarPolicy.ScrollBarAlwaysOff:
            return
        width = (content.minimumSizeHint().width() + self._area.verticalScrollBar().sizeHint().width()
                 + 2 * self._area.frameWidth())
        if width != self._area.minimumWidth():
            self._area.setMinimumWidth(width)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self._content:
            kind = event.type()
            try:
                if kind == QEvent.Type.LayoutRequest:
                    self._fit_width()  # the content's narrowest width may have changed
                elif kind == QEvent.Type.Resize:
                    self._soon()
            except RuntimeError:  # the area is being destroyed with its window
                pass
        return False
