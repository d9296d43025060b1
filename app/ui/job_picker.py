"""Pick today's job by reference, postcode or device ID.

Searching runs on a worker (the query is quick, but the UI thread never waits on SQLite)
and is debounced while typing; a result that arrives after a newer search was started is
dropped, so the table never shows the answer to an older question.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHeaderView, QWidget

if TYPE_CHECKING:  # annotations only: building QEvent's Python type (its ~180 kinds) costs start-up
    from PySide6.QtCore import QEvent, QObject

from app.ui.job_picker_view import JobPickerView
from app.ui.models import JobRow, JobsModel

Search = Callable[[str, Callable[[list[JobRow]], None]], None]


def _today_iso() -> str:
    from datetime import date  # not before the first paint: start-up never needs it

    return date.today().isoformat()


class JobPicker(QWidget):
    """Emits ``jobChosen(JobRow)`` when a job is selected and ``resultsShown(int)`` after each search."""

    jobChosen = Signal(object)
    resultsShown = Signal(int)

    def __init__(self, search: Search, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobPicker")
        self.view = JobPickerView(self)
        self._search = search
        self._asked = 0
        self._want_ref: str | None = None
        self._job: JobRow | None = None
        self.model = JobsModel(self)
        self.view.table.setModel(self.model)
        self.view.table.horizontalHeader().setSectionResizeMode(JobsModel.COL_REF, QHeaderView.ResizeMode.ResizeToContents)
        self.view.caption.setText(self.tr("&Job  (Ctrl+F): job reference, postcode or device ID"))
        self.view.search.setPlaceholderText(self.tr("e.g. J-000101, ZZ1 1AA or a device ID"))
        self.view.search.setAccessibleName(self.tr("Search jobs"))
        self.view.table.setAccessibleName(self.tr("Jobs found"))
        self.view.summary.setText(self.tr("No job chosen yet."))
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self.refresh)
        self.view.search.textEdited.connect(lambda _t: self._debounce.start())
        self.view.search.returnPressed.connect(self._on_enter)
        self.view.search.installEventFilter(self)
        self.view.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.view.today_only.setText(self.tr("&Today only"))
        self.view.today_only.setToolTip(self.tr("List only the jobs whose visit date is today"))
        self.view.today_only.toggled.connect(lambda _on: self.refresh())
        #: Today's date as the job pack writes it (ISO); a test or a late-night round may set it.
        self.today: Callable[[], str] = _today_iso

    @property
    def job(self) -> JobRow | None:
        return self._job

    def refresh(self) -> None:
        self._asked += 1
        asked = self._asked
        self._search(self.view.search.text(), lambda rows: self._show(asked, rows))

    def choose(self, job_ref: str) -> None:
        """Search for ``job_ref`` and select it when the result arrives (scanner, tester, auto-pick)."""
        self._want_ref = job_ref
        self.view.search.setText(job_ref)
        self.refresh()

    def choose_by_device(self, device_id: str) -> None:
        """Search by a scanned device ID; a single matching job is selected when the result arrives."""
        self.view.search.setText(device_id)
        self.refresh()

    def _show(self, asked: int, rows: list[JobRow]) -> None:
        if asked != self._asked:
            return
        current = self._job.job_ref if self._job else None
        if self.view.today_only.isChecked():
            today = self.today()
            rows = [r for r in rows if r.visit_date.startswith(today)]
        self.model.set_rows(rows)
        wanted = self._want_ref or current
        self._want_ref = None
        row = self.model.find(wanted) if wanted else -1
        if row < 0 and len(rows) == 1 and self.view.search.text().strip():
            row = 0
        if row >= 0:
            self._select(row)
        self.resultsShown.emit(len(rows))

    def _select(self, row: int) -> None:
        self.view.table.selectionModel().select(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.view.table.setCurrentIndex(self.model.index(row, 0))

    def _on_enter(self) -> None:
        if self._debounce.isActive():
            self._debounce.stop()
            self._want_ref = self.view.search.text().strip()
            self.refresh()
        elif self.model.rowCount() > 0 and self._job is None:
            self._select(0)

    def _on_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if not indexes:
            return
        job = self.model.row_at(indexes[0].row())
        if job is None or (self._job is not None and job.job_ref == self._job.job_ref):
            return
        self._job = job
        where = ", ".join(part for part in (job.address, job.postcode) if part)
        if where:
            text = self.tr("Chosen: %1 — %2").replace("%1", job.job_ref).replace("%2", where)
        else:  # a job pack with no address: say nothing rather than print placeholders
            text = self.tr("Chosen: %1").replace("%1", job.job_ref)
        self.view.summary.setText(text)
        self.jobChosen.emit(job)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.view.search
            and isinstance(event, QKeyEvent)
            and event.type() == event.Type.KeyPress
            and event.key() == Qt.Key.Key_Down
            and self.model.rowCount()
        ):
            self.view.table.setFocus()
            if not self.view.table.currentIndex().isValid():
                self._select(0)
            return True
        return super().eventFilter(watched, event)
