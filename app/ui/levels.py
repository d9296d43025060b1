"""How each verdict level and reason severity looks: a shape, a word, and colours.

Meaning is carried by the shape and the word; colour only reinforces it (an installer
may be colour-blind, or the screen washed out in a bright doorway or dim in a cupboard).
Icons are drawn with QPainter at any size, so they stay crisp on a 4K laptop and need no
image files. Colour pairs keep a contrast ratio of at least 7:1 (WCAG AAA).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import QCoreApplication, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QPixmap

from app.domain.level_words import LEVELS, SEVERITY_WORDS

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon

    from app.domain.reasons import Level, Severity


def _tr(text: str) -> str:
    return QCoreApplication.translate("Verdict", text)


class Look(NamedTuple):
    shape: str  # tick | triangle | octagon | question | info | dash
    word: str
    headline: str
    background: str
    foreground: str


# Words and headlines come from the domain's catalogue (marked there for translation,
# context "Verdict") and go through _tr at use; shapes and colours are this module's.
_LEVELS: dict[str, Look] = {
    "ok": Look("tick", *LEVELS["ok"], "#1B5E20", "#FFFFFF"),
    "warn": Look("triangle", *LEVELS["warn"], "#FFD54F", "#000000"),
    "block": Look("octagon", *LEVELS["block"], "#B71C1C", "#FFFFFF"),
    "unknown": Look("question", *LEVELS["unknown"], "#263238", "#FFFFFF"),
    "idle": Look("dash", *LEVELS["idle"], "#ECEFF1", "#000000"),
    "recorded": Look("tick", *LEVELS["recorded"], "#0D47A1", "#FFFFFF"),
    "aborted": Look("dash", *LEVELS["aborted"], "#37474F", "#FFFFFF"),
}

_SEVERITIES: dict[str, Look] = {
    "block": Look("octagon", SEVERITY_WORDS["block"], "", "#B71C1C", "#FFFFFF"),
    "warn": Look("triangle", SEVERITY_WORDS["warn"], "", "#FFD54F", "#000000"),
    "info": Look("info", SEVERITY_WORDS["info"], "", "#0D47A1", "#FFFFFF"),
}


def level_look(level: Level | str | None) -> Look:
    base = _LEVELS[str(level) if level else "idle"]
    return Look(base.shape, _tr(base.word), _tr(base.headline), base.background, base.foreground)


def severity_look(severity: Severity | str) -> Look:
    base = _SEVERITIES[str(severity)]
    return Look(base.shape, _tr(base.word), "", base.background, base.foreground)


def draw_shape(shape: str, size: int, fill: str, mark: str, outline: str = "#000000") -> QPixmap:
    """A ``size``×``size`` pixmap of the shape with its mark (tick, ``!``, ``×``, ``?``, ``i``)."""
    # QPolygonF and QPainterPath are imported where used: the idle screen's dashes need neither.
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = float(size)
    pen_w = max(1.5, s / 16)
    p.setPen(QPen(QColor(outline), pen_w))
    p.setBrush(QColor(fill))
    inner = QRectF(pen_w, pen_w, s - 2 * pen_w, s - 2 * pen_w)
    if shape == "triangle":
        from PySide6.QtGui import QPolygonF

        p.drawPolygon(QPolygonF([QPointF(s / 2, pen_w), QPointF(s - pen_w, s - pen_w), QPointF(pen_w, s - pen_w)]))
    elif shape == "octagon":
        from PySide6.QtGui import QPolygonF

        k = inner.width() * 0.2929
        x, y, w = inner.x(), inner.y(), inner.width()
        p.drawPolygon(
            QPolygonF(
                [QPointF(x + k, y), QPointF(x + w - k, y), QPointF(x + w, y + k), QPointF(x + w, y + w - k),
                 QPointF(x + w - k, y + w), QPointF(x + k, y + w), QPointF(x, y + w - k), QPointF(x, y + k)]
            )
        )
    elif shape == "dash":
        p.drawRoundedRect(inner, s / 5, s / 5)
    else:
        p.drawEllipse(inner)
    p.setPen(QPen(QColor(mark), max(2.0, s / 9), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                  Qt.PenJoinStyle.RoundJoin))
    p.setBrush(Qt.BrushStyle.NoBrush)
    if shape == "tick":
        from PySide6.QtGui import QPainterPath

        path = QPainterPath(QPointF(s * 0.27, s * 0.52))
        path.lineTo(QPointF(s * 0.44, s * 0.69))
        path.lineTo(QPointF(s * 0.74, s * 0.34))
        p.drawPath(path)
    elif shape == "octagon":
        p.drawLine(QPointF(s * 0.34, s * 0.34), QPointF(s * 0.66, s * 0.66))
        p.drawLine(QPointF(s * 0.66, s * 0.34), QPointF(s * 0.34, s * 0.66))
    elif shape == "dash":
        p.drawLine(QPointF(s * 0.3, s * 0.5), QPointF(s * 0.7, s * 0.5))
    else:
        glyph = {"triangle": "!", "question": "?", "info": "i"}[shape]
        font = QFont()
        font.setBold(True)
        font.setPixelSize(int(s * (0.55 if shape == "triangle" else 0.62)))
        p.setFont(font)
        p.setPen(QColor(mark))
        text_rect = QRectF(0, s * 0.12, s, s * 0.86) if shape == "triangle" else QRectF(0, 0, s, s)
        p.drawText(text_rect, Qt.AlignmentFlag.AlignCenter, glyph)
    p.end()
    return pixmap


def level_pixmap(level: Level | str | None, size: int) -> QPixmap:
    look = _LEVELS[str(level) if level else "idle"]
    # The banner background already has the level's colour, so the icon is drawn in the
    # banner's foreground colour with a contrasting mark: it stays visible on any fill.
    return draw_shape(look.shape, size, look.foreground, look.background, outline=look.foreground)


def severity_icon(severity: Severity | str, size: int = 24) -> QIcon:
    from PySide6.QtGui import QIcon  # reasons lists only: QIcon's type is built after the first paint

    look = _SEVERITIES[str(severity)]
    return QIcon(draw_shape(look.shape, size, look.background, look.foreground))
