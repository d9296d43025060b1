"""A visit certificate page as a PNG, to look at the PDF export's layout without a PDF viewer.

Records the sample visits in a temporary laptop data folder (the same visits the export
tests use: an overridden STOP with free text and SR states), exports them as PDF through
``export_records`` and renders the STOP's page at 150 dpi with QtPdf::

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_pdf_page.py [--redact]

Writes ``pdf-certificate.png`` (or ``pdf-certificate-redacted.png``) next to this script.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from app.scan.pdf_pages import render_pages
    from app.services.review.contract import ReviewFilter
    from app.services.review.export import export_records
    from app.services.review.local import LocalReviewSource
    from tests.export_helpers import laptop_with_visits

    redact = "--redact" in argv
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        laptop_with_visits(data)
        source = LocalReviewSource(data)
        try:
            pdf = Path(folder) / "certificates.pdf"
            export_records(source, ReviewFilter(), "pdf", redact, pdf)
        finally:
            source.close()
        out = HERE / ("pdf-certificate-redacted.png" if redact else "pdf-certificate.png")
        for number, image in render_pages(pdf, dpi=150):
            if number == 2:  # the overridden STOP: the fullest page
                image.save(str(out))
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
