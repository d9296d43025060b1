"""What waits for the analyst: 8.4 remedies and manual inventory changes, approved or refused
with a reason that is required (it goes into the journal at the source, exactly as the
command line's ``intents approve``/``refuse`` do it).

A source that cannot decide (the laptop's own database, or a back-office token without
the admin role) still lists what waits; the buttons are disabled and a plain sentence
says why, rather than a click that fails.
"""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
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

from app.services.review.contract import PendingApproval, ReviewSource
from app.ui.review.errors import explain
from app.ui.table_model import RowTableModel
from app.ui.tasks import TaskRunner

_C = "ReviewApprovals"
KIND_WORDS: dict[str, object] = {
    "remedy_8_4": QT_TRANSLATE_NOOP(_C, "8.4 remedy"),
    "inventory_change": QT_TRANSLATE_NOOP(_C, "Inventory change"),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate(_C, text)


class ApprovalsModel(RowTableModel[PendingApproval]):
    HEADERS: ClassVar[tuple[object, ...]] = (
        QT_TRANSLATE_NOOP(_C, "Requested"),
        QT_TRANSLATE_NOOP(_C, "Kind"),
        QT_TRANSLATE_NOOP(_C, "Installer"),
        QT_TRANSLATE_NOOP(_C, "Job"),
        QT_TRANSLATE_NOOP(_C, "SRV"),
        QT_TRANSLATE_NOOP(_C, "Target"),
        QT_TRANSLATE_NOOP(_C, "If approved"),
    )
    CONTEXT: ClassVar[str] = _C

    def cell(self, row: PendingApproval, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column == 6:
            return row.summary
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        kind = KIND_WORDS.get(row.kind)
        values = (
            row.requested_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            _tr(str(kind)) if kind else row.kind,
            row.installer,
            row.job_ref or "—",
            row.srv or "—",  # a manual inventory change queues no Service Request
            row.target,
            row.summary,
        )
        return values[column]


class ApprovalsPage(QWidget):
    """Signals: ``approvalsLoaded(int)``, ``decided(str approval_id, bool approved)``, ``failed(str)``."""

    approvalsLoaded = Signal(int)
    decided = Signal(str, bool)
    failed = Signal(str)

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewApprovalsPage")
        self._runner = runner
        self._source: ReviewSource | None = None
        self._deciding = False
        self._decision = ""  # the sentence of the last decision, kept until the list has reloaded
        self._generation = 0
        self.model = ApprovalsModel(self)

        self.note = QLabel(self)
        self.note.setObjectName("reviewApprovalsNote")
        self.note.setWordWrap(True)
        self.table = QTableView(self)
        self.table.setObjectName("reviewApprovalsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.reason = QLineEdit(self)
        self.reason.setObjectName("reviewApprovalReason")
        self.reason.setPlaceholderText(_tr("Reason (required, kept in the journal)"))
        self.reason.setAccessibleName(_tr("Reason for the decision"))
        self.approve = QPushButton(_tr("&Approve"), self)
        self.approve.setObjectName("reviewApprove")
        self.refuse = QPushButton(_tr("Re&fuse"), self)
        self.refuse.setObjectName("reviewRefuse")
        self.reload = QPushButton(_tr("Check again"), self)
        self.reload.setObjectName("reviewApprovalsRefresh")
        self.status = QLabel(self)
        self.status.setObjectName("reviewApprovalsStatus")
        self.status.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        actions = QHBoxLayout()
        reason_label = QLabel(_tr("&Reason:"), self)
        reason_label.setBuddy(self.reason)
        actions.addWidget(reason_label)
        actions.addWidget(self.reason, 1)
        actions.addWidget(self.approve)
        actions.addWidget(self.refuse)
        actions.addWidget(self.reload)
        layout.addLayout(actions)
        layout.addWidget(self.status)

        self.reason.textChanged.connect(lambda _text: self._update_buttons())
        self.table.selectionModel().selectionChanged.connect(lambda *_args: self._update_buttons())
        self.model.modelReset.connect(self._update_buttons)
        self.approve.clicked.connect(lambda: self.decide(True))
        self.refuse.clicked.connect(lambda: self.decide(False))
        self.reload.clicked.connect(self.refresh)
        self._update_buttons()

    def set_source(self, source: ReviewSource | None) -> None:
        self._source = source
        self.model.set_rows([])
        self.status.clear()
        self.refresh()

    def refresh(self) -> None:
        self._generation += 1
        self._update_buttons()
        if self._source is None:
            return
        source, generation = self._source, self._generation
        self.status.setText(_tr("Loading what waits for approval…"))
        self._runner.run(source.approvals, on_done=lambda rows: self._on_loaded(generation, rows),
                         on_error=lambda exc: self._on_error(generation, exc, _tr("listing the approvals")),
                         pool="quick")

    def selected(self) -> PendingApproval | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def decide(self, approve: bool) -> None:
        """Approve or refuse the selected request with the reason typed (both required)."""
        pending, reason = self.selected(), self.reason.text().strip()
        if self._source is None or pending is None or not reason or not self._source.can_approve or self._deciding:
            self._update_buttons()
            return
        self._deciding = True
        self._update_buttons()
        source, approval_id, kind = self._source, pending.approval_id, pending.kind
        self.status.setText(_tr("Approving…") if approve else _tr("Refusing…"))
        self._runner.run(lambda: source.decide(approval_id, approve, reason),
                         on_done=lambda _none: self._on_decided(approval_id, approve, kind),
                         on_error=self._on_decide_error, pool="io")

    def _on_loaded(self, generation: int, rows: list[PendingApproval]) -> None:
        if generation != self._generation:
            return
        self.model.set_rows(rows)
        waiting = (_tr("Nothing waits for approval.") if not rows
                   else _tr("{0} waiting for approval.").format(len(rows)))
        # The decision just made stays in sight above the new count (the list reloads after it).
        self.status.setText(f"{self._decision} {waiting}" if self._decision else waiting)
        self._decision = ""
        self.approvalsLoaded.emit(len(rows))

    def _on_decided(self, approval_id: str, approved: bool, kind: str = "remedy_8_4") -> None:
        self._deciding = False
        self.reason.clear()
        if kind == "inventory_change":
            self._decision = (_tr("Approved; the back office asks the DCC for the manual inventory change.")
                              if approved else _tr("Refused; the manual inventory change will not be asked for."))
        else:
            self._decision = (_tr("Approved; it goes to the DCC with the next send.") if approved
                              else _tr("Refused; the installer's laptop hears it with its next sync."))
        self.decided.emit(approval_id, approved)
        self.refresh()
        self.status.setText(self._decision)

    def _on_decide_error(self, exc: BaseException) -> None:
        self._deciding = False
        self._update_buttons()
        self._on_error(self._generation, exc, _tr("recording the decision"))

    def _on_error(self, generation: int, exc: BaseException, doing: str) -> None:
        if generation != self._generation:
            return
        message = explain(exc, doing)
        if message:
            self.status.setText(message)
            self.failed.emit(message)

    def _update_buttons(self) -> None:
        source = self._source
        if source is None:
            note = _tr("No source is open.")
        elif not source.can_approve and source.description.startswith("Back office"):
            note = _tr("This back-office access reads but may not decide (an analyst's token is read only). "
                       "Approving or refusing needs an admin token.")
        elif not source.can_approve:
            note = _tr("Approvals are decided at the back office with an admin token. "
                       "This source shows what waits but cannot approve or refuse it.")
        elif self.selected() is None:
            note = _tr("Choose a request, write the reason, then approve or refuse it.")
        elif not self.reason.text().strip():
            note = _tr("Write the reason for your decision: it is kept in the journal.")
        else:
            note = ""
        self.note.setText(note)
        self.note.setVisible(bool(note))
        enabled = bool(source and source.can_approve and not note and not self._deciding)
        self.approve.setEnabled(enabled)
        self.refuse.setEnabled(enabled)
