"""Render HubCheck's icon (hubcheck.svg, drawn by hand) to the PNG sizes desktops ask for,
and a Windows .ico, with Qt's own SVG renderer: no other tool is needed to redraw them.

Run after editing the SVG: QT_QPA_PLATFORM=offscreen .venv/bin/python resources/icons/make_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

HERE = Path(__file__).resolve().parent
SVG = HERE / "hubcheck.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256)
ICO_SIZE = 256  # Windows scales it down; Qt's ICO writer stores one picture


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def main() -> None:
    _app = QGuiApplication([])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"{SVG} is not a valid SVG")
    for size in SIZES:
        out = HERE / f"hubcheck-{size}.png"
        if not render(renderer, size).save(str(out)):
            raise SystemExit(f"could not write {out}")
        print(out.name)
    ico = HERE / "hubcheck.ico"
    if not render(renderer, ICO_SIZE).save(str(ico), "ICO"):
        raise SystemExit(f"could not write {ico}")
    print(ico.name)


if __name__ == "__main__":
    main()
