"""Layout of the job picker: a search line, a short results table, and the chosen job's summary."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)


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
        self.caption.setBuddy(self.search)
        self.table = QTableView(owner)
        self.table.setObjectName("jobTable")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setMinimumHeight(90)
        self.table.setMaximumHeight(118)
        self.summary = QLabel(owner)
        self.summary.setObjectName("jobSummaryLabel")
        self.summary.setWordWrap(True)
        self.addWidget(self.caption)
        self.addWidget(self.search)
        self.addWidget(self.table)
        self.addWidget(self.summary)
