"""Fitting HubCheck to the installer's laptop, eyes and gloves.

An installer's laptop is often 1366×768 or 1280×720, with the desktop's panel taking part
of it and text enlarged to 125% or 150% so it can be read at arm's length; and the hands
are often in gloves. So:

* the window opens inside the screen's *available* area (``fit_to_screen``), frame
  included, never at a fixed size that pushes the status bar and Record off the bottom;
* the text size is one setting (``text_scale``: 100, 125 or 150 %) applied to the whole
  application — menus, dialogs and tooltips too — at start-up and whenever it is saved
  (``apply_text_scale``), and ``high_contrast`` switches to a black-and-white palette;
* every control a finger presses is at least ``GLOVE_HEIGHT`` pixels high (``glove``);
* a scrolling column brings the field that took the keyboard focus into view, whether
  the focus came by Tab, by a shortcut such as Alt+O or by the program
  (``FocusFollowingScrollArea``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import QMargins, QRect, QSize, Qt
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import QApplication, QCheckBox, QLineEdit, QScrollArea, QWidget

#: The smallest height of anything pressed with a gloved finger, at 100% text.
GLOVE_HEIGHT = 32
#: The smallest base text size HubCheck uses (points), before the ``text_scale`` setting.
BASE_POINTS = 11.5
#: The window's size when the screen has room for it (a typical installer laptop's window).
PREFERRED_SIZE = QSize(1280, 820)
#: A window manager's frame, guessed until the real one is known: side borders and a title
#: bar. Guessing a little large costs a few pixels; guessing small puts Record off-screen.
FRAME_GUESS = QMargins(6, 36, 6, 6)
#: Space kept between the window and the edge of the available area.
SCREEN_GAP = 4

_FONT_FACTOR = "hubcheckFontFactor"
_BASE_FONT = "hubcheckBaseFont"
_CONTRAST = "hubcheckHighContrast"
_PERCENT = "hubcheckTextScale"


def glove(*widgets: QWidget, height: int = GLOVE_HEIGHT) -> None:
    """At least ``height`` pixels high: big enough for a gloved finger at 100% text (larger
    text makes the controls taller by itself). A check box gets a larger box to tick and a
    line edit's clear button is as high as the rule asks (the glove style, applied right
    after the first paint: building a QStyle subclass costs ~7 ms of start-up, and the
    first frame is only looked at, not pressed)."""
    for widget in widgets:
        widget.setMinimumHeight(max(widget.minimumHeight(), height))
        if isinstance(widget, QCheckBox) or (isinstance(widget, QLineEdit) and widget.isClearButtonEnabled()):
            if _glove_style:
                widget.setStyle(_glove_style[0])
            else:
                _waiting_for_style.append(widget)


_glove_style: list[Any] = []  # one GloveStyle for the process: widgets do not own a style set on them
_waiting_for_style: list[QWidget] = []


def glove_style() -> Any:
    """The one ``GloveStyle`` (a QProxyStyle of the application's style), made on first use."""
    if not _glove_style:
        from PySide6.QtWidgets import QProxyStyle, QStyle

        class GloveStyle(QProxyStyle):
            """The application's style with a check box's box and a line edit's clear button
            sized for a gloved finger (the style's own are 13-18 pixels)."""

            INDICATOR = 22

            def pixelMetric(self, metric: QStyle.PixelMetric, option: Any = None, widget: Any = None) -> int:  # noqa: N802
                if metric == QStyle.PixelMetric.PM_LineEditIconSize:
                    return GLOVE_HEIGHT - 2  # the clear button is the icon plus 2 pixels high
                if metric in (QStyle.PixelMetric.PM_IndicatorWidth, QStyle.PixelMetric.PM_IndicatorHeight):
                    return self.INDICATOR
                return int(super().pixelMetric(metric, option, widget))

        style = GloveStyle(_app().style().name())
        style.setParent(_app())
        _glove_style.append(style)
    return _glove_style[0]


def apply_glove_styles() -> None:
    """Give the check boxes and clear buttons built so far their glove-sized style (called
    once the window has painted; later ones get it when built)."""
    style = glove_style()
    waiting, _waiting_for_style[:] = list(_waiting_for_style), []
    for widget in waiting:
        try:
            widget.setStyle(style)
        except RuntimeError:  # deleted meanwhile (a window closed before it painted)
            continue


def set_tab_order(widgets: Sequence[QWidget]) -> None:
    """Tab goes through ``widgets`` in the order given (the order they are seen in)."""
    for first, second in zip(widgets, widgets[1:], strict=False):
        QWidget.setTabOrder(first, second)


# ---------------------------------------------------------------------------- text size
def _app() -> QApplication:
    app = QApplication.instance()
    assert isinstance(app, QApplication), "HubCheck's window needs a QApplication"
    return app


def apply_text_scale(percent: int) -> None:
    """Make the application's text ``percent`` % of HubCheck's base size (``BASE_POINTS``,
    or the desktop's own size when that is larger).

    The application font is what every widget without a font of its own inherits, menus,
    dialogs and tooltips included. Widgets that set their own font (a bold caption, the
    verdict's large words) keep their size *relative* to the base: the factor is noted on
    each the first time it is seen and re-applied to the new base.
    """
    app = _app()
    base = app.property(_BASE_FONT)
    if not isinstance(base, QFont):
        base = QFont(app.font())
        base.setPointSizeF(max(base.pointSizeF(), BASE_POINTS))
        app.setProperty(_BASE_FONT, base)
    old_points = app.font().pointSizeF()
    font = QFont(base)
    font.setPointSizeF(base.pointSizeF() * percent / 100.0)
    if abs(font.pointSizeF() - old_points) < 0.01 and app.property(_BASE_FONT + "Applied"):
        return
    own_fonts = _widgets_with_own_font(app, old_points)
    app.setFont(font)
    app.setProperty(_BASE_FONT + "Applied", True)
    app.setProperty(_PERCENT, percent)
    for widget, factor in own_fonts:
        own = QFont(widget.font())
        own.setPointSizeF(font.pointSizeF() * factor)
        widget.setFont(own)


def _widgets_with_own_font(app: QApplication, base_points: float) -> list[tuple[QWidget, float]]:
    found: list[tuple[QWidget, float]] = []
    for top in app.topLevelWidgets():
        for widget in [top, *top.findChildren(QWidget)]:
            if not widget.testAttribute(Qt.WidgetAttribute.WA_SetFont):
                continue
            factor = widget.property(_FONT_FACTOR)
            if not isinstance(factor, float):
                points = widget.font().pointSizeF()
                factor = points / base_points if points > 0 and base_points > 0 else 1.0
                widget.setProperty(_FONT_FACTOR, factor)
            found.append((widget, factor))
    return found


def text_points(percent: int) -> float:
    """The application font's size (points) at ``percent`` % text, for tests and checks."""
    base = _app().property(_BASE_FONT)
    points = base.pointSizeF() if isinstance(base, QFont) else max(_app().font().pointSizeF(), BASE_POINTS)
    return float(points * percent / 100.0)


# ---------------------------------------------------------------------------- contrast
def apply_contrast(high: bool) -> None:
    """Black and white with a yellow selection (high contrast), or the style's own palette.

    Only touches the palette when it changes, so a window in the default look costs nothing.
    """
    app = _app()
    if bool(app.property(_CONTRAST)) == high:
        return
    app.setProperty(_CONTRAST, high)
    if not high:
        app.setPalette(app.style().standardPalette())
        return
    from PySide6.QtGui import QColor, QPalette

    black, white, yellow, grey = QColor("#000000"), QColor("#FFFFFF"), QColor("#FFEB3B"), QColor("#9E9E9E")
    palette = QPalette()
    role = QPalette.ColorRole
    for r, colour in (
        (role.Window, black), (role.WindowText, white), (role.Base, black), (role.AlternateBase, QColor("#1A1A1A")),
        (role.Text, white), (role.Button, black), (role.ButtonText, white), (role.BrightText, yellow),
        (role.Highlight, yellow), (role.HighlightedText, black), (role.ToolTipBase, black),
        (role.ToolTipText, white), (role.PlaceholderText, QColor("#D0D0D0")), (role.Link, yellow),
        (role.Light, white), (role.Midlight, grey), (role.Mid, grey), (role.Dark, white), (role.Shadow, white),
    ):
        palette.setColor(r, colour)
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(disabled, r, grey)
    app.setPalette(palette)


# ---------------------------------------------------------------------------- the screen
def frame_margins(window: QWidget) -> QMargins:
    """The window manager's frame around ``window``: the real one once the window is shown
    and framed, else ``FRAME_GUESS``."""
    if window.isVisible():
        frame, inner = window.frameGeometry(), window.geometry()
        if frame != inner:
            return QMargins(inner.left() - frame.left(), inner.top() - frame.top(),
                            frame.right() - inner.right(), frame.bottom() - inner.bottom())
        return QMargins(0, 0, 0, 0)
    return FRAME_GUESS


def preferred_size() -> QSize:
    """``PREFERRED_SIZE`` grown with the text (by half the text's growth: 1440×922 at 125%,
    1600×1025 at 150%), for a screen with room to spare."""
    percent = _app().property(_PERCENT)
    grow = 1.0 + (max(100, percent if isinstance(percent, int) else 100) - 100) / 200.0
    return QSize(round(PREFERRED_SIZE.width() * grow), round(PREFERRED_SIZE.height() * grow))


def fit_to_screen(window: QWidget, preferred: QSize | None = None) -> QRect:
    """Size and place ``window`` so that it and its frame lie inside the available area of
    its screen (the desktop's panels left out), centred, no larger than ``preferred``
    (``preferred_size()`` by default). Returns the geometry given (inside the frame)."""
    preferred = preferred or preferred_size()
    screen = window.screen() or QGuiApplication.primaryScreen()
    available = screen.availableGeometry().marginsRemoved(
        QMargins(SCREEN_GAP, SCREEN_GAP, SCREEN_GAP, SCREEN_GAP))
    margins = frame_margins(window)
    room = available.marginsRemoved(margins)
    width = max(1, min(preferred.width(), room.width()))
    height = max(1, min(preferred.height(), room.height()))
    left = room.left() + (room.width() - width) // 2
    top = room.top() + (room.height() - height) // 2
    geometry = QRect(left, top, width, height)
    window.resize(width, height)
    window.move(left - margins.left(), top - margins.top())  # move() places the frame
    return geometry


def inside_available(window: QWidget) -> bool:
    """True when the whole window, frame included, is inside its screen's available area."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    return bool(screen.availableGeometry().contains(window.frameGeometry()))


# ---------------------------------------------------------------------------- scrolling
def follow_focus(area: QScrollArea) -> Any:
    """Make ``area`` bring the widget taking the keyboard focus into view (once; call after
    the first paint): see :class:`app.ui.focus_follow.FocusFollower`."""
    from app.ui.focus_follow import FocusFollower

    existing = area.findChild(FocusFollower)
    return existing if existing is not None else FocusFollower(area)


def visible_in(widget: QWidget, window: QWidget) -> bool:
    """``widget`` is shown and its whole rectangle lies inside ``window`` (for checks and tests)."""
    if not widget.isVisible():
        return False
    rect = widget.rect()
    top_left, bottom_right = widget.mapTo(window, rect.topLeft()), widget.mapTo(window, rect.bottomRight())
    return bool(window.rect().contains(top_left) and window.rect().contains(bottom_right))


def tall_enough(widgets: Iterable[QWidget], height: int = GLOVE_HEIGHT) -> list[str]:
    """The object names of ``widgets`` lower than ``height`` (empty when all are big enough)."""
    return [f"{w.objectName() or type(w).__name__}: {w.height()} px" for w in widgets if w.height() < height]
