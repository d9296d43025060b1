"""Layout of the job picker: a search line, a short results table, and the chosen job's summary."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.ui.fit import glove


class JobTable(QTableView):
    """The results table, sized in rows of the current text rather than in pixels: it shows
    at least ``MIN_ROWS`` jobs (a street's worth on a 1366×768 laptop) and asks for
    ``ROWS`` when there is room, at any text size."""

    MIN_ROWS = 4
    ROWS = 5

    def _height_for(self, rows: int) -> int:
        row = max(self.verticalHeader().defaultSectionSize(), self.fontMetrics().height() + 8)
        header = self.horizontalHeader().sizeHint().height()
        return int(header + rows * row + 2 * self.frameWidth())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(super().minimumSizeHint().width(), self._height_for(self.MIN_ROWS))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(super().sizeHint().width(), self._height_for(self.ROWS))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.updateGeometry()  # the rows' height follows the text size


class JobPickerView(QVBoxLayout):
    """Public children: ``caption``, ``search``, ``table``, ``summary``."""

    def __init__(self, owner: QWidget) -> None:
        super().__init__(owner)
        self.setContentsMargins(0, 0, 0, 0)
        self.setSpacing(4)
        self.caption = QLabel(owner)
        font = self.caption.font()
        font.setBold(True)
        self.caption.setFont(font)
        self.caption.setWordWrap(True)
        self.search = QLineEdit(owner)
        self.search.setObjectName("jobSearchInput")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumHeight(36)
        glove(self.search)
        self.caption.setBuddy(self.search)
        self.table = JobTable(owner)
        self.table.setObjectName("jobTable")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.summary = QLabel(owner)
        self.summary.setObjectName("jobSummaryLabel")
        self.summary.setWordWrap(True)
        # Today's round only: an installer's job pack often holds the week's visits.
        self.today_only = QCheckBox(owner)
        self.today_only.setObjectName("todayOnlyInput")
        glove(self.today_only)
        search_row = QHBoxLayout()
        search_row.addWidget(self.search, 1)
        search_row.addWidget(self.today_only)
        self.addWidget(self.caption)
        self.addLayout(search_row)
        self.addWidget(self.table)
        self.addWidget(self.summary)
