"""The one template every HubCheck table model follows.

``COL_*`` constants and translated headers in the subclass; ``set_rows`` swaps the
whole content inside ``beginResetModel``/``endResetModel`` (rows arrive whole from a
worker, so there is nothing to diff); a valid parent has no rows, because these are
flat tables; roles a model does not handle return ``None``. Subclasses implement
``cell(row, column, role)`` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

Row = TypeVar("Row")
AnyIndex = QModelIndex | QPersistentModelIndex


class RowTableModel(QAbstractTableModel, Generic[Row]):
    """A read-only table of immutable row objects (plain dataclasses, never ORM objects)."""

    #: Column titles as marked with QT_TRANSLATE_NOOP (typed as object by the stubs; each is a str).
    HEADERS: ClassVar[tuple[object, ...]] = ()
    CONTEXT: ClassVar[str] = "RowTableModel"

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []

    def set_rows(self, rows: Sequence[Row]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[Row]:
        return list(self._rows)

    def row_at(self, row: int) -> Row | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's default argument
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def header_titles(self) -> list[str]:
        """The column titles as shown (translated)."""
        return [QCoreApplication.translate(self.CONTEXT, str(title)) for title in self.HEADERS]

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.HEADERS)
        ):
            return QCoreApplication.translate(self.CONTEXT, str(self.HEADERS[section]))
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        if not (0 <= index.row() < len(self._rows) and 0 <= index.column() < len(self.HEADERS)):
            return None
        return self.cell(self._rows[index.row()], index.column(), role)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def cell(self, row: Row, column: int, role: int) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError
