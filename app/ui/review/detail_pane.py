"""One visit in full: the verdict and its reasons with remedies, both scans and how each was
entered, the override (and the decision on a manual inventory change asked for instead of an
8.4), the customer's MPxN and address, and each Service Request's timeline with the DCC's code.

Read-only text in a browser widget: an analyst copies a request ID or a reason into an
email, and long timelines scroll. Every value from the record is escaped (a label's text
is whatever the installer scanned). The pane asks for the detail on the task runner; a
selection changed meanwhile makes the answer stale and it is dropped.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget

from app.domain.catalogue import fill
from app.services.review.contract import InventoryDecision, ReviewDetail, ReviewRow, ReviewSource, SrTimeline
from app.ui.levels import Look, level_look, severity_look
from app.ui.review.errors import explain
from app.ui.review.records_model import regime_text, sr_text, started_text, verdict_look
from app.ui.tasks import TaskRunner

_C = "ReviewDetailPane"

#: How a label was entered (the visit meta's ``*_scan_entry`` word), in the analyst's words;
#: each a str, marked for translation. A typed ID may be mis-typed: the pane marks it.
ENTRY_WORDS: dict[str, object] = {
    "scanner": QT_TRANSLATE_NOOP(_C, "scanned (barcode scanner)"),
    "camera": QT_TRANSLATE_NOOP(_C, "scanned (camera)"),
    "photo": QT_TRANSLATE_NOOP(_C, "read from a photo"),
    "typed": QT_TRANSLATE_NOOP(_C, "typed by hand"),
}


#: Where a manual inventory change stands, one sentence each: %1 who decided, %2 when, %3 why.
CHANGE_WORDS: dict[tuple[str, bool], object] = {
    ("approved", True): QT_TRANSLATE_NOOP(_C, "Approved by %1 on %2: %3"),
    ("approved", False): QT_TRANSLATE_NOOP(_C, "Approved by %1 on %2"),
    ("refused", True): QT_TRANSLATE_NOOP(_C, "Refused by %1 on %2: %3"),
    ("refused", False): QT_TRANSLATE_NOOP(_C, "Refused by %1 on %2"),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate(_C, text)


def _change_html(change: InventoryDecision) -> str:
    """The decision on the visit's manual inventory change: who, when and why, or that it waits."""
    template = CHANGE_WORDS.get((change.decision, bool(change.reason)))
    if template is None:
        return escape(_tr("Waiting for a decision at the back office"))
    return escape(fill(_tr(str(template)), change.decided_by or "—", _local(change.decided_at) or "—",
                       change.reason or ""))


def _local(at: object) -> str:
    from datetime import datetime

    return at.astimezone().strftime("%Y-%m-%d %H:%M:%S") if isinstance(at, datetime) else ""


def _or_dash(value: str | None) -> str:
    return escape(value) if value else "—"


def _label_html(scan: str | None, entry: str | None) -> str:
    """A label's text and, under it, how it was entered; "typed by hand" in bold on the warning
    colours (the word says it, the look only draws the eye). Nothing extra when not known."""
    word = ENTRY_WORDS.get(entry or "")
    if word is None:
        return _or_dash(scan)
    how = escape(_tr(str(word)))
    if entry == "typed":
        warn = severity_look("warn")
        how = f"<span style='background-color:{warn.background}; color:{warn.foreground}'><b>&nbsp;{how}&nbsp;</b></span>"
    else:
        how = f"<i>{how}</i>"
    return f"{_or_dash(scan)}<br/>{how}"


def detail_html(detail: ReviewDetail) -> str:
    """The pane's text for ``detail`` (HTML; every value escaped)."""
    row = detail.row
    look = verdict_look(row)
    parts = [
        f"<h3>{escape(_tr('Job'))} {escape(row.job_ref)} · {escape(row.installer)} · {escape(started_text(row))}</h3>",
        "<table cellspacing='2'>",
        _field(_tr("Verdict"), f"<b>{escape(look.word)}</b> — {escape(look.headline)}"),
        _field(_tr("Outcome"), escape(_tr("recorded") if row.outcome == "recorded" else _tr("aborted"))),
        _field(_tr("Regime"), escape(regime_text(row))),
        _field(_tr("Resulting SMETS"), _or_dash(detail.resulting_smets)),
        _field(_tr("Scenario"), _or_dash(row.scenario)),
        _field(_tr("Service Requests"), escape(sr_text(row))),
        "</table>",
        f"<h4>{escape(_tr('Reasons'))}</h4>",
    ]
    if detail.reasons:
        parts.append("<ul>")
        for reason in detail.reasons:
            severity = reason.get("level", "")
            word = severity_look(severity).word if severity in ("block", "warn", "info") else severity
            parts.append(
                f"<li><b>{escape(word)}</b> <code>{escape(reason.get('code', ''))}</code>: "
                f"{escape(reason.get('text', ''))}"
            )
            if reason.get("remedy"):
                parts.append(f"<br/><i>{escape(_tr('Remedy'))}:</i> {escape(reason['remedy'])}")
            parts.append("</li>")
        parts.append("</ul>")
    else:
        parts.append(f"<p>{escape(_tr('No reasons: every check passed.'))}</p>")
    parts += [
        f"<h4>{escape(_tr('Override and abort'))}</h4><table cellspacing='2'>",
        _field(_tr("Override reason"), _or_dash(detail.override_reason) if row.overridden else escape(_tr("Not overridden"))),
    ]
    if detail.inventory_change is not None:
        parts.append(_field(_tr("Manual inventory change"), _change_html(detail.inventory_change)))
    if detail.abort_reason:
        parts.append(_field(_tr("Abort reason"), escape(detail.abort_reason)))
    parts += [
        "</table>",
        f"<h4>{escape(_tr('Scans'))}</h4><table cellspacing='2'>",
        _field(_tr("PPMID"), _or_dash(row.ppmid)),
        _field(_tr("PPMID label"), _label_html(detail.ppmid_scan, detail.ppmid_scan_entry)),
        _field(_tr("Hub"), _or_dash(row.hub)),
        _field(_tr("Hub label"), _label_html(detail.hub_scan, detail.hub_scan_entry)),
        _field(_tr("Meter"), _or_dash(detail.meter)),
        "</table>",
        f"<h4>{escape(_tr('Customer'))}</h4><table cellspacing='2'>",
        _field(_tr("MPxN"), _or_dash(detail.mpxn)),
        _field(_tr("Address"), "<br/>".join(escape(line) for line in detail.address) or "—"),
        _field(_tr("Postcode"), _or_dash(detail.postcode)),
        "</table>",
        f"<h4>{escape(_tr('Service Requests'))}</h4>",
    ]
    if detail.requests:
        parts += [_timeline_html(request) for request in detail.requests]
    else:
        parts.append(f"<p>{escape(_tr('No Service Request was queued for this visit.'))}</p>")
    if detail.audit_hash:
        parts.append(f"<p><small>{escape(_tr('Journal entry'))}: <code>{escape(detail.audit_hash)}</code></small></p>")
    return "".join(parts)


def _field(name: str, value_html: str) -> str:
    return f"<tr><td valign='top'><b>{escape(name)}</b></td><td>{value_html}</td></tr>"


def _timeline_html(request: SrTimeline) -> str:
    code = f" · {escape(_tr('DCC response'))} <b>{escape(request.response_code)}</b>" if request.response_code else ""
    request_id = f" · {escape(_tr('request'))} <code>{escape(request.request_id)}</code>" if request.request_id else ""
    head = (
        f"<p><b>{escape(request.srv)} {escape(request.srv_name)}</b> → {escape(request.target)}: "
        f"<b>{escape(request.state)}</b>{code}{request_id}</p>"
    )
    if not request.events:
        return head
    rows = []
    for event in request.events:
        extra = " ".join(
            part for part in (
                f"[{escape(event.response_code)}]" if event.response_code else "",
                escape(event.reason) if event.reason else "",
            ) if part
        )
        rows.append(f"<tr><td>{escape(_local(event.at))}</td><td>{escape(event.state)}</td><td>{extra}</td></tr>")
    return head + "<table cellspacing='4' style='margin-left:12px'>" + "".join(rows) + "</table>"


class ReviewDetailPane(QWidget):
    """Signals: ``detailShown(ReviewDetail)``, ``failed(str)``."""

    detailShown = Signal(object)
    failed = Signal(str)

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewDetailPane")
        self._runner = runner
        self._source: ReviewSource | None = None
        self._wanted: str | None = None
        self.detail: ReviewDetail | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.verdict = QLabel(self)
        self.verdict.setObjectName("reviewDetailVerdict")
        self.verdict.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.verdict.setMargin(6)
        self.text = QTextBrowser(self)
        self.text.setObjectName("reviewDetailText")
        self.text.setOpenLinks(False)
        layout.addWidget(self.verdict)
        layout.addWidget(self.text, 1)
        self.clear()

    def set_source(self, source: ReviewSource | None) -> None:
        self._source = source
        self.clear()

    def clear(self) -> None:
        self._wanted = None
        self.detail = None
        self._paint_verdict(level_look(None))
        self.verdict.setText(_tr("Choose a visit to read it in full."))
        self.text.clear()

    def show_row(self, row: ReviewRow | None) -> None:
        """Ask for ``row``'s detail; the pane shows the row's verdict at once."""
        if row is None or self._source is None:
            self.clear()
            return
        self._wanted = row.record_id
        look = verdict_look(row)
        self._paint_verdict(look)
        self.verdict.setText(f"{look.word} · {row.job_ref}")
        self.text.setPlainText(_tr("Loading…"))
        source, record_id = self._source, row.record_id
        self._runner.run(
            lambda: source.detail(record_id),
            on_done=lambda detail: self._on_detail(record_id, detail),
            on_error=lambda exc: self._on_error(record_id, exc),
            pool="quick",
        )

    def _paint_verdict(self, look: Look) -> None:
        self.verdict.setStyleSheet(
            f"QLabel#reviewDetailVerdict {{ background: {look.background}; color: {look.foreground}; font-weight: bold; }}"
        )

    def _on_detail(self, record_id: str, detail: ReviewDetail) -> None:
        if record_id != self._wanted:
            return  # the analyst chose another visit meanwhile
        self.detail = detail
        self.text.setHtml(detail_html(detail))
        self.detailShown.emit(detail)

    def _on_error(self, record_id: str, exc: BaseException) -> None:
        if record_id != self._wanted:
            return
        message = explain(exc, _tr("reading the visit"))
        self.text.setPlainText(message or _tr("This visit could not be read."))
        if message:
            self.failed.emit(message)
