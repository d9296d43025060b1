"""The table of install records: pages fetched lazily from a ReviewSource, never in the UI thread.

Why not a proxy model for filtering and sorting: the back office holds a million visits,
so the source filters, sorts and pages in its database (keyset pages) and the model only
ever holds what the analyst scrolled to. ``canFetchMore``/``fetchMore`` ask for the next
page on the task runner's ``quick`` pool; clicking a header maps to a :class:`ReviewSort`
and starts again from the first page.

A filter or sort changed while a page is on its way makes that answer stale: every
request carries the generation it was made for, and an answer for an older generation is
dropped unread. The rows on screen stay until the first page of the new question arrives,
so the table does not flash empty on every keystroke.
"""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from app.services.review.contract import (
    ReviewFilter,
    ReviewPage,
    ReviewRow,
    ReviewSort,
    ReviewSource,
    SortColumn,
    SrProgress,
)
from app.ui.levels import Look, level_look
from app.ui.review.errors import explain
from app.ui.table_model import AnyIndex, RowTableModel
from app.ui.tasks import TaskRunner

#: Rows asked for per page: a screenful several times over, small enough to arrive at once.
PAGE_SIZE = 200
#: The role holding the row's :class:`ReviewRow` itself.
RECORD_ROLE = int(Qt.ItemDataRole.UserRole) + 1

_C = "ReviewRecordsModel"

#: The verdict comes second so it stays in sight when the detail pane narrows the table.
COL_DATE, COL_VERDICT, COL_INSTALLER, COL_JOB, COL_PPMID, COL_HUB, COL_REGIME, COL_OVERRIDE, COL_SCENARIO, COL_SR = (
    range(10)
)

#: Which columns the source can sort by (each has an index behind it at the back office).
SORTABLE: dict[int, SortColumn] = {
    COL_DATE: SortColumn.STARTED_AT,
    COL_INSTALLER: SortColumn.INSTALLER,
    COL_JOB: SortColumn.JOB_REF,
    COL_VERDICT: SortColumn.VERDICT_LEVEL,
    COL_SR: SortColumn.SR_STATE,
}
COLUMN_OF_SORT: dict[SortColumn, int] = {value: key for key, value in SORTABLE.items()}

SR_WORDS: dict[SrProgress, object] = {  # each a str, marked for translation
    SrProgress.FAILED: QT_TRANSLATE_NOOP(_C, "failed"),
    SrProgress.WAITING: QT_TRANSLATE_NOOP(_C, "waiting"),
    SrProgress.DONE: QT_TRANSLATE_NOOP(_C, "done"),
    SrProgress.WITHDRAWN: QT_TRANSLATE_NOOP(_C, "withdrawn"),
    SrProgress.NONE: QT_TRANSLATE_NOOP(_C, "none sent"),
}
REGIME_SOURCE_WORDS: dict[str, object] = {
    "settings": QT_TRANSLATE_NOOP(_C, "settings"),
    "backoffice": QT_TRANSLATE_NOOP(_C, "back office"),
    "local": QT_TRANSLATE_NOOP(_C, "laptop"),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate(_C, text)


def regime_text(row: ReviewRow) -> str:
    """"MP202 (back office)": the regime the verdict was given under and where it came from."""
    if not row.regime:
        return _tr("not recorded")
    regime = "MP202" if row.regime.lower() == "mp202" else row.regime.capitalize()
    source = REGIME_SOURCE_WORDS.get(row.regime_source)
    return f"{regime} ({_tr(str(source))})" if source else regime


def verdict_look(row: ReviewRow) -> Look:
    """How a row's verdict reads: an aborted visit installed nothing, so it reads "ABORTED" in a
    neutral colour whatever level was on screen when it ended (never a green OK)."""
    if row.outcome == "aborted":
        return level_look("aborted")
    return level_look(row.verdict_level if row.verdict_level in ("ok", "warn", "block", "unknown") else "unknown")


def sr_text(row: ReviewRow) -> str:
    """"done 7/7", "failed 1, 5/7 done", "none sent (aborted)"."""
    word = _tr(str(SR_WORDS[row.sr_state]))
    if row.sr_state is SrProgress.NONE:
        return f"{word} ({_tr('aborted')})" if row.outcome == "aborted" else word
    if row.sr_state is SrProgress.FAILED:
        return _tr("{0} {1}, {2}/{3} done").format(word, row.sr_failed, row.sr_done, row.sr_total)
    return f"{word} {row.sr_done}/{row.sr_total}"


def started_text(row: ReviewRow) -> str:
    """The visit's start in the analyst's local time, to the minute."""
    return row.started_at.astimezone().strftime("%Y-%m-%d %H:%M")


class ReviewRecordsModel(RowTableModel[ReviewRow]):
    """Signals: ``loadingChanged(bool)``, ``pageLoaded(int rows_held, bool at_end)``,
    ``failed(str)`` (a plain sentence), ``sortApplied(int column, Qt.SortOrder)`` (the sort
    now in force, for the header's indicator: a click on a column the source cannot sort by
    leaves the sort as it was)."""

    HEADERS: ClassVar[tuple[object, ...]] = (
        QT_TRANSLATE_NOOP(_C, "Date"),
        QT_TRANSLATE_NOOP(_C, "Verdict"),
        QT_TRANSLATE_NOOP(_C, "Installer"),
        QT_TRANSLATE_NOOP(_C, "Job"),
        QT_TRANSLATE_NOOP(_C, "PPMID"),
        QT_TRANSLATE_NOOP(_C, "Hub"),
        QT_TRANSLATE_NOOP(_C, "Regime"),
        QT_TRANSLATE_NOOP(_C, "Override"),
        QT_TRANSLATE_NOOP(_C, "Scenario"),
        QT_TRANSLATE_NOOP(_C, "Service Requests"),
    )
    CONTEXT: ClassVar[str] = _C

    loadingChanged = Signal(bool)
    pageLoaded = Signal(int, bool)
    failed = Signal(str)
    sortApplied = Signal(int, object)

    def __init__(self, runner: TaskRunner, parent: Any = None, page_size: int = PAGE_SIZE) -> None:
        super().__init__(parent)
        self._runner = runner
        self._page_size = page_size
        self._source: ReviewSource | None = None
        self._filter = ReviewFilter()
        self._sort = ReviewSort()
        self._generation = 0
        self._cursor: str | None = None
        self._at_end = True
        self._fresh_pending = False  # the first page of the current generation is on its way
        self._fetching = False  # a further page of the current generation is on its way
        self._stopped = False  # the current generation failed: no retry until asked again
        #: Answers dropped because the question had changed meanwhile (diagnostics and tests).
        self.stale_dropped = 0

    # ------------------------------------------------------------------ the question
    @property
    def source(self) -> ReviewSource | None:
        return self._source

    @property
    def review_filter(self) -> ReviewFilter:
        return self._filter

    @property
    def review_sort(self) -> ReviewSort:
        return self._sort

    @property
    def loading(self) -> bool:
        return self._fresh_pending or self._fetching

    @property
    def at_end(self) -> bool:
        return self._at_end

    def set_source(self, source: ReviewSource | None) -> None:
        """Read from ``source`` from now on (None: show nothing)."""
        self._source = source
        self.refresh()

    def set_filter(self, flt: ReviewFilter) -> None:
        if flt != self._filter:
            self._filter = flt
            self.refresh()

    def set_sort(self, sort: ReviewSort) -> None:
        if sort != self._sort:
            self._sort = sort
            self.refresh()
        self.sortApplied.emit(COLUMN_OF_SORT[sort.column], self.qt_order(sort))

    def refresh(self) -> None:
        """Ask the question again from its first page; answers to earlier questions are dropped."""
        self._generation += 1
        self._cursor = None
        self._fetching = False
        self._stopped = False
        if self._source is None:
            self._fresh_pending = False
            self._at_end = True
            self.set_rows([])
            self._set_loading()
            return
        self._fresh_pending = True
        self._at_end = False
        self._request(None)
        self._set_loading()

    # ------------------------------------------------------------------ Qt's lazy fetching
    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008 - Qt's default argument
        if parent.isValid() or self._source is None:
            return False
        return not (self._at_end or self._fresh_pending or self._stopped)

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent) or self._fetching:
            return
        self._fetching = True
        self._request(self._cursor)
        self._set_loading()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """A header click: sort at the source when it can sort by ``column``."""
        if column not in SORTABLE:
            self.sortApplied.emit(COLUMN_OF_SORT[self._sort.column], self.qt_order(self._sort))
            return
        self.set_sort(ReviewSort(SORTABLE[column], descending=order == Qt.SortOrder.DescendingOrder))

    @staticmethod
    def qt_order(sort: ReviewSort) -> Qt.SortOrder:
        return Qt.SortOrder.DescendingOrder if sort.descending else Qt.SortOrder.AscendingOrder

    # ------------------------------------------------------------------ pages
    def _request(self, after: str | None) -> None:
        source, flt, sort, size, generation = self._source, self._filter, self._sort, self._page_size, self._generation
        assert source is not None

        def work() -> ReviewPage:
            return source.page(flt, sort, after=after, limit=size)

        self._runner.run(
            work,
            on_done=lambda page: self._on_page(generation, after is None, page),
            on_error=lambda exc: self._on_error(generation, exc),
            pool="quick",
        )

    def _on_page(self, generation: int, first: bool, page: ReviewPage) -> None:
        if generation != self._generation:
            self.stale_dropped += 1
            return
        self._cursor = page.next_cursor
        self._at_end = page.next_cursor is None
        if first:
            self._fresh_pending = False
            self.set_rows(page.rows)
        else:
            self._fetching = False
            if page.rows:
                start = len(self._rows)
                self.beginInsertRows(QModelIndex(), start, start + len(page.rows) - 1)
                self._rows.extend(page.rows)
                self.endInsertRows()
        self._set_loading()
        self.pageLoaded.emit(len(self._rows), self._at_end)

    def _on_error(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            self.stale_dropped += 1
            return
        if self._fresh_pending:
            self.set_rows([])  # the rows shown answered another question
        self._fresh_pending = self._fetching = False
        self._stopped = True
        self._set_loading()
        message = explain(exc, _tr("reading the records"))
        if message is not None:
            self.failed.emit(message)

    def _set_loading(self) -> None:
        self.loadingChanged.emit(self.loading)

    # ------------------------------------------------------------------ cells
    def cell(self, row: ReviewRow, column: int, role: int) -> Any:
        if role == RECORD_ROLE:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if column == COL_VERDICT and role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole):
            look = verdict_look(row)
            return QColor(look.background if role == Qt.ItemDataRole.BackgroundRole else look.foreground)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == COL_VERDICT:
                return verdict_look(row).headline
            if column == COL_SR:
                return _tr("{0} of {1} done, {2} failed").format(row.sr_done, row.sr_total, row.sr_failed)
        return None

    def _display(self, row: ReviewRow, column: int) -> str:
        if column == COL_DATE:
            return started_text(row)
        if column == COL_INSTALLER:
            return row.installer
        if column == COL_JOB:
            return row.job_ref
        if column == COL_PPMID:
            return row.ppmid or "—"
        if column == COL_HUB:
            return row.hub or "—"
        if column == COL_REGIME:
            return regime_text(row)
        if column == COL_VERDICT:
            return verdict_look(row).word
        if column == COL_OVERRIDE:
            return _tr("Yes") if row.overridden else ""
        if column == COL_SCENARIO:
            return row.scenario
        return sr_text(row)
