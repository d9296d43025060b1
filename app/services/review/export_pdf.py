"""Install records as PDF visit certificates: one A4 page per visit, with a QR code.

A certificate is what a supplier hands to a customer's complaint desk, a DCC support
case or an auditor: what was fitted, what HubCheck said and under which regime, whether
the installer overrode a STOP and why, and what the DCC answered to each Service Request.
Its QR code (``app.domain.visit_code``) holds the record ID and the hash of the journal
entry that recorded the visit, so ``hubcheck decode`` on a scan or a photo of the page
leads back to the record and shows whether it is the one the journal proves.

Why it is built this way:

* Qt is imported inside the functions: the command line and the back office load this
  module without Qt, and only a PDF export pays for it.
* QPdfWriter + QPainter need a QGuiApplication (fonts); one is created on the offscreen
  platform when none exists, so a command with no display works. Painting on a QPdfWriter is
  allowed on a worker thread, which is where the review window runs exports.
* Everything on a page is laid out for one A4 sheet: a long list of reasons or requests
  is cut with a line saying how many were left out, never spilled onto a second page
  (one page is one visit, so page N is record N of the export).
* The QR code is drawn as vector squares, 50 mm wide: at 150 dpi (a cheap scan or a
  screen render) each module is 5 pixels or more for any record ID up to 60 characters.
* Ligatures are switched off so the PDF's text layer says "certificate", not "ﬁ": a
  viewer's search and text extraction find the words as printed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.domain.level_words import LEVELS, SEVERITY_WORDS
from app.domain.visit_code import VisitCode
from app.scan.pdf_pages import ensure_gui_application
from app.services.review.contract import ReviewDetail

if TYPE_CHECKING:
    from PySide6.QtGui import QFont, QPainter

RESOLUTION = 300  # device pixels per inch: text and the QR code are vector, this sets the grid
MM = RESOLUTION / 25.4
MARGIN_MM = 15.0
QR_MM = 50.0
QR_QUIET_MODULES = 4
FONT_FAMILY = "DejaVu Sans"

LEVEL_COLOURS: dict[str, str] = {"ok": "#1B5E20", "warn": "#8A5A00", "block": "#B00020", "unknown": "#455A64"}
REGIME_SOURCES: dict[str, str] = {
    "local": "set in the laptop's settings",
    "settings": "set in the laptop's settings",
    "backoffice": "announced by the back office",
}
SCENARIO_WORDS: dict[str, str] = {
    "existing-hub": "PPMID at an existing hub",
    "new-hub": "new DCC hub with the PPMID",
}

try:
    _GB: ZoneInfo | None = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError:  # pragma: no cover - no tz data on the machine: UTC, said so on the page
    _GB = None


def visit_code_text(detail: ReviewDetail) -> str:
    """The QR code's text for a record (``HUBCHECK-VISIT:1:<record_id>:<audit_hash>``)."""
    return VisitCode(detail.row.record_id, detail.audit_hash).text()


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR code's modules (True = dark), quiet zone included; error correction M (15 %)
    so a crease or a pen mark on a printed page does not stop it reading."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QR_QUIET_MODULES)
    code.add_data(text)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def gb_time_text(moment: datetime) -> str:
    """The visit's start as a GB reader reads it: ``2025-03-01 10:15 GMT``."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    local = aware.astimezone(_GB or UTC)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or 'UTC'}"


def write_pdf(details: Iterable[ReviewDetail], path: Path, *, redacted: bool, empty_note: str = "") -> int:
    """Paint one certificate page per record into ``path``; the number of pages with a visit.

    With no record at all the file holds one page saying ``empty_note``, so an empty export
    is a readable document rather than a blank sheet. Raises OSError when the file cannot
    be opened for writing.
    """
    ensure_gui_application()
    from PySide6.QtCore import QMarginsF
    from PySide6.QtGui import QPageLayout, QPageSize, QPainter, QPdfWriter

    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageOrientation(QPageLayout.Orientation.Portrait)
    writer.setPageMargins(QMarginsF(0, 0, 0, 0))
    writer.setResolution(RESOLUTION)
    writer.setTitle("HubCheck visit certificates" + (" (redacted)" if redacted else ""))
    writer.setCreator("HubCheck")
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"cannot open {path} for writing (is the folder writable, the disk full?)")
    count = 0
    try:
        for detail in details:
            if count:
                writer.newPage()
            _Certificate(painter, writer.width(), writer.height(), redacted).paint(detail)
            count += 1
        if count == 0:
            _Certificate(painter, writer.width(), writer.height(), redacted).paint_empty(empty_note)
    finally:
        painter.end()
    return count


class _Certificate:
    """Lays out one page top to bottom; ``y`` is the next free line in device pixels."""

    def __init__(self, painter: QPainter, width: int, height: int, redacted: bool) -> None:
        self.p = painter
        self.width = width
        self.height = height
        self.redacted = redacted
        self.left = round(MARGIN_MM * MM)
        self.right = width - round(MARGIN_MM * MM)
        self.footer_top = height - round((MARGIN_MM + 8) * MM)
        self.y = round(MARGIN_MM * MM)

    # -- fonts and text ---------------------------------------------------------------

    def font(self, points: float, *, bold: bool = False, mono: bool = False) -> QFont:
        from PySide6.QtGui import QFont

        font = QFont("DejaVu Sans Mono" if mono else FONT_FAMILY)
        font.setPointSizeF(points)
        font.setBold(bold)
        font.setFeature(QFont.Tag("liga"), 0)
        return font

    def text_block(
        self, text: str, points: float, *, x: int | None = None, right: int | None = None,
        bold: bool = False, mono: bool = False, colour: str = "#000000", gap_mm: float = 1.0,
        centred: bool = False,
    ) -> int:
        """Draw wrapped text at the current line; returns its height (0 when it did not fit)."""
        from PySide6.QtCore import QRect, Qt
        from PySide6.QtGui import QColor

        left = self.left if x is None else x
        width = (self.right if right is None else right) - left
        self.p.setFont(self.font(points, bold=bold, mono=mono))
        # the pen first: with no pen set (after a filled shape) Qt measures text as empty
        self.p.setPen(QColor(colour))
        # long hashes and IDs in the monospaced lines may break anywhere; prose breaks at words
        wrap = Qt.TextFlag.TextWrapAnywhere if mono else Qt.TextFlag.TextWordWrap
        across = Qt.AlignmentFlag.AlignHCenter if centred else Qt.AlignmentFlag.AlignLeft
        flags = int(across | Qt.AlignmentFlag.AlignTop | wrap)
        box = self.p.boundingRect(QRect(left, self.y, width, 10_000), flags, text)
        if self.y + box.height() > self.footer_top:
            return 0
        self.p.drawText(QRect(left, self.y, width, box.height()), flags, text)
        height = box.height()
        self.y += height + round(gap_mm * MM)
        return height

    def fits(self, lines: int, points: float) -> bool:
        """Whether ``lines`` lines of ``points`` text still fit above the footer."""
        return self.y + lines * points * 1.6 / 72 * RESOLUTION <= self.footer_top

    def heading(self, text: str) -> None:
        from PySide6.QtGui import QColor, QPen

        self.y += round(3 * MM)
        self.text_block(text, 12, bold=True, gap_mm=0.8)
        self.p.setPen(QPen(QColor("#9E9E9E"), max(1, round(0.3 * MM))))
        self.p.drawLine(self.left, self.y, self.right, self.y)
        self.y += round(2 * MM)

    def facts(self, rows: list[tuple[str, str]], right: int) -> None:
        """Label / value lines; a value wraps within its column."""
        label_width = round(44 * MM)
        for label, value in rows:
            top = self.y
            self.text_block(label, 9.5, colour="#555555", right=self.left + label_width - round(2 * MM), gap_mm=0)
            label_bottom = self.y
            self.y = top
            self.text_block(value or "—", 10, x=self.left + label_width, right=right, gap_mm=0)
            self.y = max(self.y, label_bottom) + round(1.6 * MM)

    # -- the page -----------------------------------------------------------------

    def paint(self, detail: ReviewDetail) -> None:
        row = detail.row
        self.title(f"Visit certificate — job {row.job_ref}")
        qr_size = round(QR_MM * MM)
        qr_left = self.right - qr_size
        qr_top = self.y
        self.qr(visit_code_text(detail), qr_left, qr_top, qr_size)
        fact_right = qr_left - round(6 * MM)
        address = ", ".join(line for line in detail.address if line)
        self.facts(
            [
                ("Job reference", row.job_ref),
                ("Installer", row.installer),
                ("Visit started", gb_time_text(row.started_at)),
                ("Outcome", _outcome_words(row.outcome, row.scenario)),
                ("PPMID", row.ppmid or ""),
                ("Communications hub", row.hub or ""),
                ("Meter", detail.meter or ""),
                ("MPxN", detail.mpxn or ""),
                ("Address", address),
                ("Postcode", detail.postcode or ""),
            ],
            right=fact_right,
        )
        self.y = max(self.y, qr_top + qr_size + round(12 * MM))
        self.heading("Verdict")
        self.verdict(detail)
        if detail.override_reason:
            self.text_block(f"Override by the installer: {detail.override_reason}", 10, bold=True, colour="#B00020")
        if detail.abort_reason:
            self.text_block(f"Visit ended without an install: {detail.abort_reason}", 10, bold=True)
        self.y += round(1.5 * MM)
        self.reasons(detail)
        self.heading("Service Requests")
        self.requests(detail)
        self.footer(detail)

    def paint_empty(self, note: str) -> None:
        self.title("Visit certificates")
        self.text_block(note or "No install records to export.", 12)
        self.footer(None)

    def title(self, text: str) -> None:
        from PySide6.QtGui import QColor, QPen

        if self.redacted:
            self.text_block(
                "REDACTED COPY: MPxN, address and postcode masked", 10, bold=True, colour="#B00020", gap_mm=1.5
            )
        self.text_block(text, 18, bold=True, gap_mm=1.0)
        self.text_block("HubCheck install record, as kept in the audit journal", 9.5, colour="#555555", gap_mm=2.0)
        self.p.setPen(QPen(QColor("#000000"), max(1, round(0.5 * MM))))
        self.p.drawLine(self.left, self.y, self.right, self.y)
        self.y += round(4 * MM)

    def verdict(self, detail: ReviewDetail) -> None:
        from PySide6.QtCore import QRect, Qt
        from PySide6.QtGui import QColor

        row = detail.row
        level = row.verdict_level
        word = LEVELS[level].word if level in LEVELS else level.upper() or "—"
        colour = LEVEL_COLOURS.get(level, "#455A64")
        badge = QRect(self.left, self.y, round(32 * MM), round(11 * MM))
        self.p.fillRect(badge, QColor(colour))
        self.p.setPen(QColor("#FFFFFF"))
        self.p.setFont(self.font(14, bold=True))
        self.p.drawText(badge, int(Qt.AlignmentFlag.AlignCenter), word)
        top = self.y
        x = badge.right() + round(5 * MM)
        headline = LEVELS[level].headline if level in LEVELS else ""
        self.text_block(f"Verdict level: {level or 'not recorded'}. {headline}".strip(), 10, x=x, gap_mm=0.5)
        regime = row.regime or "not recorded"
        source = REGIME_SOURCES.get(row.regime_source, row.regime_source or "source not recorded")
        self.text_block(
            f"Resulting SMETS version: {detail.resulting_smets or 'none (no working PPMID results)'}", 10, x=x, gap_mm=0.5
        )
        self.text_block(f"Regime: {regime} ({source})", 10, x=x, gap_mm=0.5)
        self.y = max(self.y, top + badge.height()) + round(3 * MM)

    def reasons(self, detail: ReviewDetail) -> None:
        if not detail.reasons:
            self.text_block("No reasons: every check passed.", 10, colour="#555555")
            return
        self.text_block("Reasons", 10.5, bold=True, gap_mm=0.8)
        shown = 0
        for reason in detail.reasons:
            severity = SEVERITY_WORDS.get(reason.get("level", ""), reason.get("level", ""))
            line = f"{reason.get('code', '')} ({severity}): {reason.get('text', '')}"
            # keep room for the Service Requests heading and at least two of their lines
            if not self.fits(6, 9.5) or not self.text_block(line, 9.5, x=self.left + round(3 * MM), gap_mm=0.4):
                break
            remedy = reason.get("remedy", "")
            if remedy:
                self.text_block(f"Remedy: {remedy}", 8.5, x=self.left + round(8 * MM), colour="#37474F", gap_mm=0.8)
            shown += 1
        if shown < len(detail.reasons):
            self.text_block(f"… {len(detail.reasons) - shown} more reasons not shown: see the CSV export.", 9)

    def requests(self, detail: ReviewDetail) -> None:
        if not detail.requests:
            self.text_block("None: this visit queued no Service Request.", 10, colour="#555555")
            return
        columns = [(0, "SRV"), (18, "Request"), (120, "State"), (146, "DCC response")]
        self.table_row([(mm, text) for mm, text in columns], bold=True)
        shown = 0
        for request in detail.requests:
            if not self.fits(2, 9.5):
                break
            self.table_row(
                [
                    (0, request.srv),
                    (18, request.srv_name),
                    (120, request.state),
                    (146, request.response_code or "—"),
                ]
            )
            shown += 1
        if shown < len(detail.requests):
            self.text_block(f"… {len(detail.requests) - shown} more requests not shown: see the CSV export.", 9)

    def table_row(self, cells: list[tuple[float, str]], *, bold: bool = False) -> None:
        top = self.y
        bottom = top
        edges = [self.left + round(mm * MM) for mm, _ in cells] + [self.right]
        for index, (_, text) in enumerate(cells):
            self.y = top
            self.text_block(text, 9.5, x=edges[index], right=edges[index + 1] - round(2 * MM), bold=bold, gap_mm=0)
            bottom = max(bottom, self.y)
        self.y = bottom + round(1.2 * MM)

    def qr(self, text: str, left: int, top: int, size: int) -> None:
        from PySide6.QtCore import QRectF, Qt
        from PySide6.QtGui import QColor

        matrix = qr_matrix(text)
        modules = len(matrix)
        step = size / modules
        self.p.fillRect(QRectF(left, top, size, size), QColor("#FFFFFF"))
        self.p.setPen(Qt.PenStyle.NoPen)
        dark = QColor("#000000")
        for r, line in enumerate(matrix):
            c = 0
            while c < modules:  # one rectangle per run of dark modules: a smaller, cleaner PDF
                if not line[c]:
                    c += 1
                    continue
                start = c
                while c < modules and line[c]:
                    c += 1
                # a hair wider than the grid so neighbouring runs leave no white seam in renders
                self.p.fillRect(QRectF(left + start * step, top + r * step, (c - start) * step + 0.5, step + 0.5), dark)
        caption_y = self.y
        self.y = top + size + round(1 * MM)
        self.text_block("Record ID and audit hash", 7.5, x=left, right=left + size, colour="#555555", gap_mm=0, centred=True)
        self.y = caption_y

    def footer(self, detail: ReviewDetail | None) -> None:
        from PySide6.QtGui import QColor, QPen

        self.p.setPen(QPen(QColor("#9E9E9E"), max(1, round(0.3 * MM))))
        self.p.drawLine(self.left, self.footer_top + round(1 * MM), self.right, self.footer_top + round(1 * MM))
        self.y = self.footer_top + round(2 * MM)
        self.footer_top = self.height  # the footer itself may use the bottom margin
        if detail is None:
            self.text_block("HubCheck visit certificates.", 7.5, colour="#555555", gap_mm=0)
            return
        digest = detail.audit_hash or "none recorded"
        self.text_block(f"Record ID {detail.row.record_id}", 7.5, mono=True, colour="#333333", gap_mm=0.3)
        self.text_block(f"Audit hash {digest}", 7.5, mono=True, colour="#333333", gap_mm=0)


def _outcome_words(outcome: str, scenario: str) -> str:
    if outcome == "aborted":
        return "ended without an install (aborted)"
    words = "installed (recorded)" if outcome == "recorded" else outcome or "—"
    return f"{words}, {SCENARIO_WORDS.get(scenario, scenario)}" if scenario else words
