"""The analyst's review window: records, approvals, dashboard and journal, from one source.

A shell like the installer's main window: it owns the task runner (its own, so a slow back
office never delays an installer's verdict when both windows are open) and the source, and
passes both to the panes; each pane shows state and forwards intent. Switching the source
(this laptop / back office) opens the new one on a worker and hands it to every pane; the
old one is closed once nothing reads from it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QSize, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStatusBar,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.services.context import AppContext
from app.services.review.contract import ReviewFilter, ReviewRow, ReviewSource
from app.ui import fit
from app.ui.levels import level_look
from app.ui.review.approvals_page import ApprovalsPage
from app.ui.review.dashboard_page import DashboardPage
from app.ui.review.detail_pane import ReviewDetailPane
from app.ui.review.errors import explain
from app.ui.review.export_bar import ExportBar
from app.ui.review.filter_bar import ReviewFilterBar
from app.ui.review.journal_page import JournalPage
from app.ui.review.records_model import COL_DATE, RECORD_ROLE, ReviewRecordsModel
from app.ui.review.sources import SourceChoice, SourceKind, close_source, default_choice, open_source
from app.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent

log = logging.getLogger(__name__)

TAB_RECORDS, TAB_APPROVALS, TAB_DASHBOARD, TAB_JOURNAL = range(4)
#: The window's size where the screen has room; smaller screens get their available area.
PREFERRED = QSize(1340, 820)


def _tr(text: str) -> str:
    return QCoreApplication.translate("ReviewWindow", text)


class ReviewWindow(QMainWindow):
    """Signals: ``sourceOpened(ReviewSource)``, ``sourceFailed(str)``; the panes' own signals
    (``model.pageLoaded``, ``detail.detailShown``, ``approvals.decided``…) for tests and testers."""

    sourceOpened = Signal(object)
    sourceFailed = Signal(str)
    #: Emitted from any thread by the process's exception hook; shown on the status bar.
    unexpectedError = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, backoffice_url: str | None = None,
                 choice: SourceChoice | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewWindow")
        self.ctx = ctx
        self.runner = TaskRunner(self)
        self.source: ReviewSource | None = None
        self._backoffice_url = backoffice_url
        self._opening = 0
        self.setWindowTitle(_tr("HubCheck — review visits"))

        central = QWidget(self)
        central.setObjectName("reviewCentral")
        self.setCentralWidget(central)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(8, 6, 8, 4)
        outer.setSpacing(6)

        top = QHBoxLayout()
        source_label = QLabel(_tr("&Source:"), central)
        self.source_picker = QComboBox(central)
        self.source_picker.setObjectName("reviewSourcePicker")
        self.source_picker.addItem(_tr("This laptop"), SourceKind.LAPTOP.value)
        self.source_picker.addItem(_tr("Back office"), SourceKind.BACKOFFICE.value)
        source_label.setBuddy(self.source_picker)
        self.source_description = QLabel(central)
        self.source_description.setObjectName("reviewSourceDescription")
        self.reload = QPushButton(_tr("&Reload"), central)
        self.reload.setObjectName("reviewReload")
        top.addWidget(source_label)
        top.addWidget(self.source_picker)
        top.addWidget(self.source_description, 1)
        top.addWidget(self.reload)
        outer.addLayout(top)

        self.tabs = QTabWidget(central)
        self.tabs.setObjectName("reviewTabs")
        self.tabs.setDocumentMode(True)
        outer.addWidget(self.tabs, 1)

        # Records: the filter, the table beside the detail, the export bar.
        records = QWidget(self.tabs)
        records.setObjectName("reviewRecordsPage")
        records_layout = QVBoxLayout(records)
        records_layout.setContentsMargins(0, 6, 0, 0)
        self.filter_bar = ReviewFilterBar(records)
        self.model = ReviewRecordsModel(self.runner, self)
        self.table = QTableView(records)
        self.table.setObjectName("reviewTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(COL_DATE, self.model.qt_order(self.model.review_sort))
        self.table.setSortingEnabled(True)
        self.detail = ReviewDetailPane(self.runner, records)
        self.splitter = QSplitter(records)
        self.splitter.setObjectName("reviewSplitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.detail.setMinimumWidth(320)
        self.splitter.setChildrenCollapsible(False)
        self.export_bar = ExportBar(self.runner, records)
        self.count = QLabel(records)
        self.count.setObjectName("reviewCount")
        bottom = QHBoxLayout()
        bottom.addWidget(self.export_bar, 1)
        bottom.addWidget(self.count)
        records_layout.addWidget(self.filter_bar)
        records_layout.addWidget(self.splitter, 1)
        records_layout.addLayout(bottom)

        self.approvals = ApprovalsPage(self.runner, self.tabs)
        self.dashboard = DashboardPage(self.runner, self.tabs)
        self.journal = JournalPage(self.runner, self.tabs)
        self.tabs.addTab(records, _tr("Records"))
        self.tabs.addTab(self.approvals, _tr("Approvals"))
        self.tabs.addTab(self.dashboard, _tr("Dashboard"))
        self.tabs.addTab(self.journal, _tr("Journal"))

        self.status = QStatusBar(self)
        self.status.setObjectName("reviewStatusBar")
        self.setStatusBar(self.status)

        self._connect()
        fit.fit_to_screen(self, PREFERRED)
        self._column_widths()
        self.open(choice or default_choice(ctx, backoffice_url))

    def _connect(self) -> None:
        self.source_picker.activated.connect(lambda _index: self._picked())
        self.reload.clicked.connect(self.reload_all)
        self.filter_bar.filterChanged.connect(self.apply_filter)
        self.model.sortApplied.connect(self._show_sort)
        self.model.pageLoaded.connect(lambda _rows, _end: self._show_count())
        self.model.loadingChanged.connect(lambda _busy: self._show_count())
        self.model.failed.connect(self._show_error)
        self.model.modelReset.connect(self.detail.clear)
        self.table.selectionModel().currentRowChanged.connect(lambda current, _previous: self._row_chosen(current.row()))
        self.detail.failed.connect(self._show_error)
        self.approvals.failed.connect(self._show_error)
        self.dashboard.failed.connect(self._show_error)
        self.dashboard.filterRequested.connect(self.show_filtered)
        self.journal.failed.connect(self._show_error)
        self.export_bar.failed.connect(self._show_error)
        self.tabs.currentChanged.connect(self._tab_shown)
        self.unexpectedError.connect(self._show_error)

    def _column_widths(self) -> None:
        metrics = self.table.fontMetrics()
        # The verdict column reads one word: OK, WARNING, STOP, UNKNOWN or ABORTED (an aborted visit).
        verdicts = [level_look(level).word for level in ("ok", "warn", "block", "unknown", "aborted")]
        widest_verdict = max(verdicts, key=metrics.horizontalAdvance)
        samples = ("2026-05-14 09:41", widest_verdict, "installer name", "J-000101", "00-00-00-00-00-00-00-00",
                   "00-00-00-00-00-00-00-00", "Tactical (back office)", "Yes", "existing-hub")
        for column, sample in enumerate(samples):
            self.table.setColumnWidth(column, metrics.horizontalAdvance(sample) + 18)

    # ------------------------------------------------------------------ the source
    def open(self, choice: SourceChoice) -> None:
        """Read from ``choice`` (opened on a worker; the panes keep the old source until then)."""
        self.source_picker.setCurrentIndex(max(0, self.source_picker.findData(choice.kind.value)))
        self._opening += 1
        opening = self._opening
        self.source_description.setText(_tr("Opening…"))
        self.runner.run(lambda: open_source(self.ctx, choice), on_done=lambda source: self._opened(opening, source),
                        on_error=lambda exc: self._open_failed(opening, exc))

    def _picked(self) -> None:
        kind = SourceKind(self.source_picker.currentData())
        if kind is SourceKind.LAPTOP:
            self.open(SourceChoice(SourceKind.LAPTOP))
        else:
            from app.ui.review.sources import backoffice_choice

            self.open(backoffice_choice(self.ctx, self._backoffice_url))

    def _opened(self, opening: int, source: ReviewSource) -> None:
        if opening != self._opening:
            close_source(source)  # the analyst picked another meanwhile
            return
        old, self.source = self.source, source
        self.source_description.setText(source.description)
        self.setWindowTitle(_tr("HubCheck — review visits — {0}").format(source.description))
        self.model.set_source(source)
        self.detail.set_source(source)
        self.export_bar.set_source(source)
        self.approvals.set_source(source)
        self.dashboard.set_source(source)
        self.journal.set_source(source)
        self._refresh_installers()
        if self.tabs.currentIndex() == TAB_JOURNAL:
            self.journal.refresh()
        if old is not None:
            # Whatever still reads from the old source is on the runner's queues: close it after them.
            self.runner.run(lambda: close_source(old), pool="quick")
        self.sourceOpened.emit(source)

    def _open_failed(self, opening: int, exc: BaseException) -> None:
        if opening != self._opening:
            return
        message = explain(exc, _tr("opening the source")) or _tr("The source could not be opened.")
        self.source_description.setText(message)
        if self.source is not None:  # the picker goes back to the source still in use
            kind = SourceKind.LAPTOP if self.source.description.lower().startswith("this laptop") else SourceKind.BACKOFFICE
            self.source_picker.setCurrentIndex(max(0, self.source_picker.findData(kind.value)))
        self._show_error(message)
        self.sourceFailed.emit(message)

    def _refresh_installers(self) -> None:
        source = self.source
        if source is None:
            return
        self.runner.run(source.installers, on_done=self._on_installers,
                        on_error=lambda exc: self._show_error(explain(exc, _tr("listing the installers")) or ""),
                        pool="quick")

    def _on_installers(self, names: list[str]) -> None:
        self.filter_bar.set_installers(names)

    def reload_all(self) -> None:
        """Ask every question again (the source may have changed since)."""
        self.model.refresh()
        self._refresh_installers()
        self.approvals.refresh()
        self.dashboard.set_source(self.source)
        if self.tabs.currentIndex() == TAB_JOURNAL:
            self.journal.refresh()

    # ------------------------------------------------------------------ filter, table, detail
    def apply_filter(self, flt: ReviewFilter) -> None:
        self.model.set_filter(flt)
        self.dashboard.set_filter(flt)
        self.export_bar.set_filter(flt)

    def show_filtered(self, flt: ReviewFilter) -> None:
        """A dashboard click: the table with that filter."""
        self.filter_bar.set_filter(flt)
        self.tabs.setCurrentIndex(TAB_RECORDS)

    def _show_sort(self, column: int, order: object) -> None:
        header = self.table.horizontalHeader()
        if header.sortIndicatorSection() != column or header.sortIndicatorOrder() != order:
            header.blockSignals(True)
            header.setSortIndicator(column, order)  # type: ignore[arg-type]
            header.blockSignals(False)
            header.viewport().update()

    def _row_chosen(self, row: int) -> None:
        record = self.model.index(row, 0).data(RECORD_ROLE) if row >= 0 else None
        self.detail.show_row(record if isinstance(record, ReviewRow) else None)

    def _show_count(self) -> None:
        rows = self.model.rowCount()
        if self.model.loading and not rows:
            text = _tr("Loading…")
        elif not rows:
            text = _tr("No visits match.")
        elif self.model.at_end:
            text = _tr("{0} visits").format(rows)
        else:
            text = _tr("{0} visits so far; more as you scroll").format(rows)
        self.count.setText(text)

    def _show_error(self, message: str) -> None:
        if message:
            self.status.showMessage(message, 15_000)

    def _tab_shown(self, index: int) -> None:
        if index == TAB_DASHBOARD:
            self.dashboard.ensure_built()
            self.dashboard.refresh_if_stale()
        elif index == TAB_JOURNAL and not self.journal.model.rowCount():
            self.journal.refresh()

    # ------------------------------------------------------------------ closing
    def shutdown(self, msecs: int = 5_000) -> None:
        """Cancel an export, let running questions finish and close the source."""
        self.export_bar.cancel_export()
        self.runner.wait_for_done(msecs)
        close_source(self.source)
        self.source = None

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)
