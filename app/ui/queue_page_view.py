"""Layout of the queue pane: a summary line, Sync now, and the table of queued requests."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
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
        # Undo before anything is sent: the selected request's visit, with a reason.
        self.withdraw_reason = QLineEdit(owner)
        self.withdraw_reason.setObjectName("withdrawReasonInput")
        self.withdraw_reason.setMinimumHeight(32)
        self.withdraw = QPushButton(owner)
        self.withdraw.setObjectName("withdrawVisitButton")
        self.withdraw.setMinimumHeight(40)
        self.withdraw_result = QLabel(owner)
        self.withdraw_result.setObjectName("withdrawResultLabel")
        self.withdraw_result.setWordWrap(True)
        undo = QHBoxLayout()
        undo.addWidget(self.withdraw_reason, 1)
        undo.addWidget(self.withdraw)
        self.addLayout(top)
        self.addWidget(self.sync_result)
        self.addWidget(self.table, 1)
        self.addLayout(undo)
        self.addWidget(self.withdraw_result)
