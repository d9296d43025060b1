"""Can the journal be trusted? Each installer's (each laptop's) hash chain as the source
verified it: intact, or the first broken link in a plain sentence."""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
from PySide6.QtGui import QColor
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

from app.services.review.contract import ChainState, ReviewSource
from app.ui.levels import level_look
from app.ui.review.errors import explain
from app.ui.table_model import RowTableModel
from app.ui.tasks import TaskRunner

_C = "ReviewJournal"
COL_STATE = 3


def _tr(text: str) -> str:
    return QCoreApplication.translate(_C, text)


class ChainsModel(RowTableModel[ChainState]):
    HEADERS: ClassVar[tuple[object, ...]] = (
        QT_TRANSLATE_NOOP(_C, "Installer"),
        QT_TRANSLATE_NOOP(_C, "Laptop"),
        QT_TRANSLATE_NOOP(_C, "Entries"),
        QT_TRANSLATE_NOOP(_C, "Journal"),
        QT_TRANSLATE_NOOP(_C, "Last synced"),
    )
    CONTEXT: ClassVar[str] = _C

    def cell(self, row: ChainState, column: int, role: int) -> Any:
        if column == COL_STATE and role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole):
            look = level_look("ok" if row.intact else "block")
            return QColor(look.background if role == Qt.ItemDataRole.BackgroundRole else look.foreground)
        if role == Qt.ItemDataRole.ToolTipRole and column == COL_STATE:
            return row.first_broken
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == 0:
            return row.installer
        if column == 1:
            return row.laptop
        if column == 2:
            return str(row.entries)
        if column == COL_STATE:
            return _tr("Intact") if row.intact else _tr("Broken: {0}").format(row.first_broken or _tr("not said"))
        return row.last_synced.astimezone().strftime("%Y-%m-%d %H:%M") if row.last_synced else _tr("never")


class JournalPage(QWidget):
    """Signals: ``chainsLoaded(int)`` (how many chains), ``failed(str)``."""

    chainsLoaded = Signal(int)
    failed = Signal(str)

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewJournalPage")
        self._runner = runner
        self._source: ReviewSource | None = None
        self._generation = 0
        self.model = ChainsModel(self)
        self.summary = QLabel(self)
        self.summary.setObjectName("reviewJournalSummary")
        self.summary.setWordWrap(True)
        self.table = QTableView(self)
        self.table.setObjectName("reviewJournalTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_STATE, QHeaderView.ResizeMode.Stretch)
        self.reload = QPushButton(_tr("Verify again"), self)
        self.reload.setObjectName("reviewJournalRefresh")
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.reload)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self.reload.clicked.connect(self.refresh)

    def set_source(self, source: ReviewSource | None) -> None:
        self._source = source
        self.model.set_rows([])
        self.summary.clear()

    def refresh(self) -> None:
        self._generation += 1
        if self._source is None:
            return
        source, generation = self._source, self._generation
        self.summary.setText(_tr("Verifying the journals…"))
        self._runner.run(source.chains, on_done=lambda chains: self._on_loaded(generation, chains),
                         on_error=lambda exc: self._on_error(generation, exc), pool="quick")

    def _on_loaded(self, generation: int, chains: list[ChainState]) -> None:
        if generation != self._generation:
            return
        self.model.set_rows(chains)
        self.table.resizeRowsToContents()
        broken = [chain for chain in chains if not chain.intact]
        if not chains:
            text = _tr("No journal has reached this source yet.")
        elif not broken and len(chains) == 1:
            text = _tr("The journal is intact: nothing was edited, removed or reordered.")
        elif not broken:
            text = _tr("All {0} journals are intact: nothing was edited, removed or reordered.").format(len(chains))
        else:
            first = broken[0]
            text = _tr("{0} of {1} journals are broken. {2} ({3}): {4}").format(
                len(broken), len(chains), first.installer, first.laptop, first.first_broken or "")
        self.summary.setText(text)
        self.chainsLoaded.emit(len(chains))

    def _on_error(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        message = explain(exc, _tr("verifying the journals"))
        if message:
            self.summary.setText(message)
            self.failed.emit(message)
