"""The queue pane: every queued Service Request with its SRV, target, state and last error.

Refreshes come from a worker (``MainWindow`` asks for a snapshot after each record, sync
or import); "Sync now" asks the window to run one sync round on a worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHeaderView, QWidget

from app.ui.models import QueueModel, QueueRow
from app.ui.queue_page_view import QueuePageView

if TYPE_CHECKING:  # the queue backend loads with the database, after the first paint
    from app.ui.queue_backend import QueueSnapshot


class QueuePage(QWidget):
    syncRequested = Signal()
    #: (install id, reason): withdraw the selected request's visit.
    withdrawRequested = Signal(str, str)

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
        v = self.view
        v.withdraw.setText(self.tr("&Withdraw this visit"))
        v.withdraw.setAccessibleName(self.tr("Withdraw the selected request's visit"))
        v.withdraw_reason.setPlaceholderText(self.tr("Why the visit is withdrawn (needed)"))
        v.withdraw_reason.setAccessibleName(self.tr("Reason for withdrawing"))
        v.withdraw.clicked.connect(self._on_withdraw)
        v.withdraw_reason.textChanged.connect(lambda _text: self._update_withdraw())
        v.table.selectionModel().selectionChanged.connect(lambda *_args: self._update_withdraw())
        self.show_snapshot(None)
        self._update_withdraw()

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

    def show_unavailable(self, text: str) -> None:
        """The queue could not be read: say why (in place of "Opening the queue…" or an old
        list that may no longer be true) and offer nothing to withdraw."""
        self.model.set_rows(())
        self.view.summary.setWordWrap(True)  # a sentence and the next step: never widen the window
        self.view.summary.setText(text)
        self._update_withdraw()

    def selected_row(self) -> QueueRow | None:
        indexes = self.view.table.selectionModel().selectedRows()
        return self.model.row_at(indexes[0].row()) if indexes else None

    def _update_withdraw(self) -> None:
        row = self.selected_row()
        ok = row is not None and bool(row.install_id) and len(self.view.withdraw_reason.text().strip()) >= 5
        self.view.withdraw.setEnabled(ok)
        if row is not None and not row.install_id:
            self.view.withdraw_result.setText(self.tr("This request was queued outside a visit."))

    def _on_withdraw(self) -> None:
        row = self.selected_row()
        if row is not None and row.install_id:
            self.view.withdraw.setEnabled(False)
            self.withdrawRequested.emit(row.install_id, self.view.withdraw_reason.text().strip())

    def show_withdraw_result(self, text: str, done: bool) -> None:
        self.view.withdraw_result.setText(text)
        if done:
            self.view.withdraw_reason.clear()
        self._update_withdraw()

    def set_syncing(self, syncing: bool) -> None:
        self.view.sync.setEnabled(not syncing)
        if syncing:
            self.view.sync_result.setText(self.tr("Syncing…"))

    def show_sync_result(self, text: str) -> None:
        self.view.sync_result.setText(text)
