"""PDF visit certificates: one page per visit holding the expected fields (read back with a PDF
library), nothing personal in the redacted copy, and a QR code that our decoders read back
from a 150 dpi render to the record ID and its audit hash."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.domain.visit_code import VisitCode, VisitCodeError, parse_visit_code
from app.scan.images import decode_qimage
from app.scan.pdf_pages import render_pages
from app.services.review.contract import ReviewFilter
from app.services.review.export import ExportResult, export_records
from app.services.review.local import LocalReviewSource
from tests.export_helpers import OVERRIDE, Visit, laptop_with_visits


@pytest.fixture(autouse=True)
def _app(qapp: object) -> None:
    """The QApplication a review window would have (the exports also make one when alone)."""


@pytest.fixture
def laptop(tmp_path: Path) -> tuple[LocalReviewSource, list[Visit]]:
    visits = laptop_with_visits(tmp_path / "data")
    source = LocalReviewSource(tmp_path / "data")
    yield source, visits
    source.close()


def page_texts(path: Path) -> list[str]:
    """Each page's text with runs of white space as one space (Qt places words one by one)."""
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(str(path)).pages]


def test_one_certificate_page_per_visit_with_its_fields(
    laptop: tuple[LocalReviewSource, list[Visit]], tmp_path: Path
) -> None:
    source, visits = laptop
    out = tmp_path / "certificates.pdf"
    result = export_records(source, ReviewFilter(), "pdf", False, out)
    assert result.records == 4 and out.read_bytes().startswith(b"%PDF-")
    pages = page_texts(out)
    assert len(pages) == 4
    for text, visit in zip(pages, visits, strict=True):
        for expected in (
            f"Visit certificate — job {visit.job_ref}", visit.record_id, f"Audit hash {visit.audit_hash}",
            visit.mpxn, visit.postcode, ", ".join(visit.address), visit.day.isoformat(), "Regime: tactical",
        ):
            assert expected in text, (expected, text)
        assert "REDACTED" not in text
    ok, stop, aborted, warn = pages
    assert "OK" in ok and "Resulting SMETS version: SMETS2+" in ok
    for name in ("Update HAN Device Log", "Join Service (Critical)", "Read Inventory", "Read Firmware Version"):
        assert name in ok
    assert "8.14.1" in ok and "queued" in ok
    assert "STOP" in stop and "SMETS_MISMATCH" in stop and "Resulting SMETS version: none" in stop
    assert f"Override by the installer: {OVERRIDE}" in stop
    assert "Visit ended without an install" in aborted and "queued no Service Request" in aborted
    assert "WARNING" in warn and "HUB_NOT_ON_CPL" in warn


def test_redacted_certificates_hold_no_mpxn_postcode_or_address(
    laptop: tuple[LocalReviewSource, list[Visit]], tmp_path: Path
) -> None:
    source, visits = laptop
    out = tmp_path / "redacted.pdf"
    export_records(source, ReviewFilter(), "pdf", True, out)
    pages = page_texts(out)
    everything = " ".join(pages)
    for visit in visits:
        assert visit.mpxn not in everything and visit.postcode not in everything
        assert visit.address[0] not in everything
    assert "Sample Street" not in everything and "Testville" not in everything and "1900000000" not in everything
    for text, visit in zip(pages, visits, strict=True):
        assert "REDACTED COPY" in text and "*" * 11 + visit.mpxn[-2:] in text and "ZZ *** ***" in text
        assert visit.record_id in text and visit.audit_hash in text  # still traceable to the record


def _codes_on_pages(path: Path) -> list[VisitCode | None]:
    found = []
    for _number, image in render_pages(path, dpi=150):
        texts = [code.text for code in decode_qimage(image)]
        assert len(texts) == 1, texts
        found.append(parse_visit_code(texts[0]))
    return found


def test_the_qr_code_reads_back_from_a_150_dpi_render(
    laptop: tuple[LocalReviewSource, list[Visit]], tmp_path: Path
) -> None:
    source, visits = laptop
    for redact in (False, True):
        out = tmp_path / f"certificates-{redact}.pdf"
        export_records(source, ReviewFilter(), "pdf", redact, out)
        assert _codes_on_pages(out) == [VisitCode(v.record_id, v.audit_hash) for v in visits]


def test_painting_on_a_worker_thread(laptop: tuple[LocalReviewSource, list[Visit]], tmp_path: Path, qapp: object) -> None:
    """The review window exports from a worker thread while its QApplication runs the UI."""
    source, visits = laptop
    out = tmp_path / "threaded.pdf"
    results: list[ExportResult] = []
    errors: list[BaseException] = []
    progress: list[tuple[int, int]] = []

    def work() -> None:
        try:
            worker_source = LocalReviewSource(tmp_path / "data")  # SQLite connections stay in their thread
            try:
                results.append(
                    export_records(worker_source, ReviewFilter(), "pdf", False, out,
                                   progress=lambda d, t: progress.append((d, t)))
                )
            finally:
                worker_source.close()
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(120)
    assert not thread.is_alive() and errors == []
    assert results[0].records == 4 and [d for d, _ in progress] == [1, 2, 3, 4]
    assert len(page_texts(out)) == 4
    assert _codes_on_pages(out)[0] == VisitCode(visits[0].record_id, visits[0].audit_hash)


def test_an_empty_export_is_one_page_that_says_so(tmp_path: Path) -> None:
    from datetime import date

    laptop_with_visits(tmp_path / "data")
    source = LocalReviewSource(tmp_path / "data")
    try:
        result = export_records(source, ReviewFilter(date_from=date(2030, 1, 1)), "pdf", False, tmp_path / "none.pdf")
    finally:
        source.close()
    assert result.records == 0
    (text,) = page_texts(tmp_path / "none.pdf")
    assert text.startswith("Visit certificates") and "No install records from 2030-01-01." in text


def test_the_visit_code_format() -> None:
    digest = "ab" * 32
    assert VisitCode("r-1", digest).text() == f"HUBCHECK-VISIT:1:r-1:{digest}"
    assert parse_visit_code(f"HUBCHECK-VISIT:1:r-1:{digest}") == VisitCode("r-1", digest)
    assert parse_visit_code("HUBCHECK-VISIT:1:r-1:") == VisitCode("r-1", None)
    assert parse_visit_code("ZB:00-0D-6F-00-00-AB-CD-EF") is None  # a device label, not a certificate
    for bad in ("HUBCHECK-VISIT:2:r-1:", "HUBCHECK-VISIT:1::", "HUBCHECK-VISIT:1:r:xyz", "HUBCHECK-VISIT:1:a:b:c"):
        with pytest.raises(VisitCodeError):
            parse_visit_code(bad)
    with pytest.raises(VisitCodeError):
        VisitCode("a:b", None).text()
