"""Pictures of a PDF's pages, so ``hubcheck decode`` reads the QR code of a visit certificate
straight from the exported file, without a print-and-scan or a screenshot.

QtPdf (PySide6-Addons, already a dependency for the camera) renders the pages; it is
imported here only, when a PDF is given. Rendering needs a QGuiApplication (fonts): see
:func:`ensure_gui_application`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: Dots per inch of the rendered page: what a flatbed scan or an office copier gives.
RENDER_DPI = 150
#: A certificate run may be thousands of pages; decoding stops after this many.
MAX_PAGES = 2000


class PdfReadError(ValueError):
    """A PDF that is missing, damaged or protected; the message names the file."""


def ensure_gui_application() -> Any:
    """The running Qt application, or a new one on the offscreen platform.

    Painting and rendering PDFs needs fonts, hence a QGuiApplication, but no window: a
    command run over SSH or from a scheduled job has no display, and Qt's default
    platform would abort the process there. The window's own QApplication is used as is.
    A new one is a QApplication (not the lighter QGuiApplication) so that code in the same
    process which later needs widgets (a test run, the self-test) finds the kind it needs.
    """
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    app = QCoreApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv and sys.argv[0] else "hubcheck", "-platform", "offscreen"])
    return app


def is_pdf(path: Path) -> bool:
    """By suffix or by the file's first bytes (``%PDF-``)."""
    if path.suffix.lower() == ".pdf":
        return True
    try:
        with path.open("rb") as handle:
            return handle.read(5) == b"%PDF-"
    except OSError:
        return False


def render_pages(path: Path, dpi: int = RENDER_DPI) -> Iterator[tuple[int, Any]]:
    """Each page (1-based number, QImage) rendered at ``dpi``; PdfReadError when it cannot open."""
    from PySide6.QtCore import QSize
    from PySide6.QtPdf import QPdfDocument

    ensure_gui_application()
    if not path.is_file():
        raise PdfReadError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    document = QPdfDocument()
    problem = document.load(str(path))
    if problem != QPdfDocument.Error.None_:
        words = {
            QPdfDocument.Error.FileNotFound: "no such file",
            QPdfDocument.Error.InvalidFileFormat: "not a PDF HubCheck can read",
            QPdfDocument.Error.IncorrectPassword: "protected by a password",
            QPdfDocument.Error.UnsupportedSecurityScheme: "protected in a way HubCheck cannot open",
        }
        raise PdfReadError(f"{path}: {words.get(problem, 'cannot read the PDF')}")
    try:
        for index in range(min(document.pageCount(), MAX_PAGES)):
            points = document.pagePointSize(index)
            size = QSize(round(points.width() * dpi / 72), round(points.height() * dpi / 72))
            yield index + 1, document.render(index, size)
    finally:
        document.close()
