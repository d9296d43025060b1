"""Export the records the table shows (the current filter) to CSV or PDF, redacted or not.

The export runs on the task runner's ``io`` pool with a progress bar and a Cancel button
(a cancelled export leaves no file behind: ``export_records`` writes under a temporary
name). Redacted is ticked by default: a copy handed out should not carry a customer's
MPxN, address or postcode unless the analyst chose so.

Each button is shown only when its exporter is installed in this build
(``exporter_available``), so a build without the PDF writer never offers a button that
fails.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from app.services.review.contract import ReviewFilter, ReviewSource
from app.ui.review.errors import explain
from app.ui.tasks import TaskRunner

FORMATS = ("csv", "pdf")


def _tr(text: str) -> str:
    return QCoreApplication.translate("ReviewExport", text)


def exporter_available(fmt: str) -> bool:
    """True when this build holds the export entry point and ``fmt``'s writer."""
    try:
        return all(importlib.util.find_spec(name) is not None
                   for name in ("app.services.review.export", f"app.services.review.export_{fmt}"))
    except (ImportError, ValueError):
        return False


class ExportBar(QWidget):
    """Signals: ``exportFinished(ExportResult)`` (written or cancelled), ``failed(str)``."""

    exportFinished = Signal(object)
    failed = Signal(str)

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewExportBar")
        self._runner = runner
        self._source: ReviewSource | None = None
        self._filter = ReviewFilter()
        self._cancel = threading.Event()
        self._total = 0  # written by the worker, read on the UI thread (a plain int: atomic)
        self.running = False
        #: Asks where to write a ``fmt`` export; None: the analyst changed their mind.
        self.choose_path: Callable[[str], Path | None] = self._ask_path

        self.buttons: dict[str, QPushButton] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for fmt, text in (("csv", _tr("Export &CSV…")), ("pdf", _tr("Export &PDF…"))):
            button = QPushButton(text, self)
            button.setObjectName(f"reviewExport{fmt.capitalize()}")
            button.setVisible(exporter_available(fmt))
            button.clicked.connect(lambda _checked=False, f=fmt: self._clicked(f))
            self.buttons[fmt] = button
            layout.addWidget(button)
        self.redact = QCheckBox(_tr("&Redacted (MPxN, address and postcode masked)"), self)
        self.redact.setObjectName("reviewExportRedact")
        self.redact.setChecked(True)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("reviewExportProgress")
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        self.cancel = QPushButton(_tr("Cancel export"), self)
        self.cancel.setObjectName("reviewExportCancel")
        self.cancel.hide()
        self.status = QLabel(self)
        self.status.setObjectName("reviewExportStatus")
        self.redact.setVisible(any(button.isVisibleTo(self) for button in self.buttons.values()))
        layout.addWidget(self.redact)
        layout.addWidget(self.progress)
        layout.addWidget(self.cancel)
        layout.addWidget(self.status, 1)
        self.cancel.clicked.connect(self.cancel_export)

    def set_source(self, source: ReviewSource | None) -> None:
        self._source = source
        self._update()

    def set_filter(self, flt: ReviewFilter) -> None:
        self._filter = flt

    def _ask_path(self, fmt: str) -> Path | None:
        from PySide6.QtWidgets import QFileDialog

        suffix = f"*.{fmt}"
        name, _chosen = QFileDialog.getSaveFileName(self, _tr("Export install records"),
                                                    str(Path.home() / f"install-records.{fmt}"),
                                                    f"{fmt.upper()} ({suffix})")
        return Path(name) if name else None

    def _clicked(self, fmt: str) -> None:
        path = self.choose_path(fmt)
        if path is not None:
            self.start_export(fmt, path)

    def start_export(self, fmt: str, path: Path) -> None:
        """Export what the current filter selects to ``path`` (on a worker)."""
        if self._source is None or self.running:
            return
        from app.services.review.export import export_records

        self.running = True
        self._cancel.clear()
        self._total = 0
        self.progress.setRange(0, 0)  # busy until the first record says how many there are
        self.progress.show()
        self.cancel.show()
        self.cancel.setEnabled(True)
        self.status.setText(_tr("Exporting…"))
        self._update()
        source, flt, redact, cancel = self._source, self._filter, self.redact.isChecked(), self._cancel

        def work(progress: Callable[[int], None]) -> Any:
            def report(done: int, total: int) -> None:
                self._total = total
                progress(done)

            return export_records(source, flt, fmt, redact, path, progress=report, cancelled=cancel.is_set)

        self._runner.run(work, on_done=self._on_done, on_error=self._on_error, on_progress=self._on_progress,
                         pool="io")

    def cancel_export(self) -> None:
        if self.running:
            self._cancel.set()
            self.cancel.setEnabled(False)
            self.status.setText(_tr("Cancelling…"))

    def _on_progress(self, done: int) -> None:
        if self._total:
            self.progress.setRange(0, self._total)
            self.progress.setValue(min(done, self._total))
        self.progress.setFormat(_tr("%v of %m") if self._total else "")

    def _finish(self) -> None:
        self.running = False
        self.progress.hide()
        self.cancel.hide()
        self._update()

    def _on_done(self, result: Any) -> None:
        self._finish()
        if result.cancelled:
            self.status.setText(_tr("Export cancelled; nothing was written."))
        else:
            words = _tr("redacted") if result.redacted else _tr("not redacted")
            self.status.setText(_tr("{0} records written to {1} ({2}).").format(result.records, result.path, words))
        self.exportFinished.emit(result)

    def _on_error(self, exc: BaseException) -> None:
        self._finish()
        from app.services.review.export import ExportError

        message = str(exc) if isinstance(exc, ExportError) else explain(exc, _tr("exporting"))
        if message:
            self.status.setText(message)
            self.failed.emit(message)

    def _update(self) -> None:
        for button in self.buttons.values():
            button.setEnabled(self._source is not None and not self.running)
