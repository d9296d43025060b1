"""The queue pane: every queued Service Request with its SRV, target, state and last error.

Refreshes come from a worker (``MainWindow`` asks for a snapshot after each record, sync
or import); "Sync now" asks the window to run one sync round on a worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHeaderView, QWidget

from app.ui.models import QueueModel
from app.ui.queue_page_view import QueuePageView

if TYPE_CHECKING:  # the queue backend loads with the database, after the first paint
    from app.ui.queue_backend import QueueSnapshot


class QueuePage(QWidget):
    syncRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("queuePage")
        self.view = QueuePageView(self)
        self.model = QueueModel(self)
        self.view.table.setModel(self.model)
        header = self.view.table.horizontalHeader()
        for column in (QueueModel.COL_SRV, QueueModel.COL_STATE, QueueModel.COL_JOB, QueueModel.COL_CREATED):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.view.sync.setText(self.tr("&Sync now"))
        self.view.sync.setAccessibleName(self.tr("Sync now"))
        self.view.table.setAccessibleName(self.tr("Queued Service Requests"))
        self.view.sync.clicked.connect(self.syncRequested)
        self.show_snapshot(None)

    def show_snapshot(self, snapshot: QueueSnapshot | None) -> None:
        if snapshot is None:
            self.view.summary.setText(self.tr("Opening the queue…"))
            return
        self.model.set_rows(snapshot.rows)
        self.view.table.resizeColumnToContents(QueueModel.COL_NAME)
        self.view.table.resizeColumnToContents(QueueModel.COL_TARGET)
        states = ", ".join(f"{n} {state}" for state, n in sorted(snapshot.by_state.items()))
        total = len(snapshot.rows)
        if total == 0:
            self.view.summary.setText(self.tr("Nothing queued yet: recorded visits add their requests here."))
        else:
            self.view.summary.setText(
                self.tr("%1 requests: %2").replace("%1", str(total)).replace("%2", states)
            )

    def set_syncing(self, syncing: bool) -> None:
        self.view.sync.setEnabled(not syncing)
        if syncing:
            self.view.sync_result.setText(self.tr("Syncing…"))

    def show_sync_result(self, text: str) -> None:
        self.view.sync_result.setText(text)
