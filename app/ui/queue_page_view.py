"""Layout of the queue pane: a summary line, Sync now, and the table of queued requests."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)


class QueuePageView(QVBoxLayout):
    """Public children: ``summary``, ``sync``, ``table``, ``sync_result``."""

    def __init__(self, owner: QWidget) -> None:
        super().__init__(owner)
        self.setContentsMargins(12, 12, 12, 12)
        self.setSpacing(8)
        self.summary = QLabel(owner)
        self.summary.setObjectName("queueSummaryLabel")
        font = self.summary.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.summary.setFont(font)
        self.sync = QPushButton(owner)
        self.sync.setObjectName("syncNowButton")
        self.sync.setMinimumHeight(40)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.sync)
        self.sync_result = QLabel(owner)
        self.sync_result.setObjectName("syncResultLabel")
        self.sync_result.setWordWrap(True)
        self.table = QTableView(owner)
        self.table.setObjectName("queueTable")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setTabKeyNavigation(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.addLayout(top)
        self.addWidget(self.sync_result)
        self.addWidget(self.table, 1)
