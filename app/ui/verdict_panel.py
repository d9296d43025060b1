"""The verdict banner and its details: what the installer reads from arm's length.

The level is an icon *and* a word, the resulting SMETS version is the largest text on
the screen, the regime is always printed in the banner (a Tactical STOP and an MP202 OK
can be the same two devices), and each reason stands beside what to do about it.
``painted`` fires after the banner has been painted with a new verdict: the start-up
benchmark and tests measure scan → verdict on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QHeaderView, QWidget

from app.ui.levels import level_look, level_pixmap
from app.ui.models import CplEntriesModel, CplRow, ReasonsModel, reason_rows
from app.ui.verdict_view import BANNER_ICON_SIZE, VerdictView

if TYPE_CHECKING:  # annotations only: the domain loads after the first paint
    from app.domain.reasons import Level
    from app.domain.smets import Regime


def _visible_width(table: Any) -> int:
    """The width the columns can use. The horizontal header spans exactly the viewport;
    asking for ``viewport()`` itself makes PySide6 resolve every QtWidgets class (about 70
    enums, 8 ms) to type a plain QWidget."""
    return int(table.horizontalHeader().width())


class VerdictPanel(QWidget):
    painted = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("verdictPanel")
        self.view = VerdictView(self)
        self.reasons_model = ReasonsModel(self)
        self.cpl_model = CplEntriesModel(self)
        self.view.reasons.setModel(self.reasons_model)
        self.view.cpl.setModel(self.cpl_model)
        header = self.view.reasons.horizontalHeader()
        header.setSectionResizeMode(ReasonsModel.COL_SEVERITY, QHeaderView.ResizeMode.ResizeToContents)
        self.view.reasons_caption.setText(self.tr("Rea&sons and what to do"))
        self.view.cpl_caption.setText(self.tr("CPL &entries matched"))
        self.view.resulting_caption.setText(self.tr("Resulting version"))
        self.view.banner.setAccessibleName(self.tr("Verdict"))
        self.view.reasons.setAccessibleName(self.tr("Reasons and what to do"))
        self.view.cpl.setAccessibleName(self.tr("CPL entries matched"))
        self.view.banner.installEventFilter(self)
        self._generation = 0
        self._painted_generation = 0
        self._level: str | None = None
        self._regime: Regime | None = None
        self.show_idle(None)

    @property
    def level(self) -> str | None:
        return self._level

    def set_regime(self, regime: Regime) -> None:
        self._regime = regime
        if self._level is None:
            self._show_regime()

    def _show_reasons(self, rows: list[Any]) -> None:
        self.reasons_model.set_rows(rows)
        has_rows = bool(rows)
        self.view.reasons.setVisible(has_rows)
        self.view.no_reasons.setVisible(not has_rows)
        if self._level is None:
            self.view.no_reasons.setText(self.tr("Reasons appear here after both labels are scanned."))
        else:
            self.view.no_reasons.setText(self.tr("No warnings and no problems: nothing to do before pairing."))
        self._size_reason_columns()

    def show_idle(self, message: str | None, look: str | None = None) -> None:
        """No verdict: waiting for scans (``message`` says what is missing); ``look="recorded"``
        after a visit was recorded, so the banner confirms it instead of looking idle."""
        self._level = None
        self._paint_banner(look, message)
        self.view.resulting_caption.setText(self.tr("Resulting version"))
        self.view.resulting.setText("—")
        self.view.resulting.setAccessibleName(self.tr("Resulting version: none yet"))
        self._show_reasons([])
        self.cpl_model.set_rows([])
        self._bump()

    def show_result(self, result: Any, headline: str | None = None) -> None:
        """Show a ``PairingResult`` from the pairing service; ``headline`` replaces the
        level's own (a mis-scan says to re-scan rather than "will not work")."""
        verdict = result.verdict
        self._level = verdict.level.value
        self._regime = verdict.regime
        self._paint_banner(verdict.level, headline)
        if verdict.resulting_smets is not None:
            resulting = verdict.resulting_smets.value
            self.view.resulting_caption.setText(self.tr("Resulting version"))
            self.view.resulting.setText(resulting)
            self.view.resulting.setAccessibleName(self.tr("Resulting version: %1").replace("%1", resulting))
        else:
            self.view.resulting_caption.setText(self.tr("Resulting version: no working PPMID"))
            self.view.resulting.setText("—")
            self.view.resulting.setAccessibleName(self.tr("Resulting version: none, no working PPMID"))
        self._show_reasons(reason_rows(verdict, self.tr("Nothing to do: for your information.")))
        rows = []
        if verdict.ppmid_cpl_entry is not None:
            rows.append(CplRow(self.tr("PPMID"), verdict.ppmid_cpl_entry))
        if verdict.hub_cpl_entry is not None:
            rows.append(CplRow(self.tr("Hub"), verdict.hub_cpl_entry))
        self.cpl_model.set_rows(rows)
        self._size_cpl_columns()
        self._bump()

    def show_recorded(self, result: Any | None, note: str, look: str = "recorded") -> None:
        """After Record (``look="recorded"``) or Abort (``"aborted"``): the banner says so,
        and the verdict that was recorded (level, resulting version, reasons) stays in view
        so the installer can still read what was decided."""
        if result is not None:
            self.show_result(result)
        else:
            self.show_idle(None)
        self._level = None  # no verdict is pending: the next scans start a new one
        self._paint_banner(look, note)
        self._bump()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._size_reason_columns()
        self._size_cpl_columns()  # empty too: the header alone must fit, with no scroll bar at idle

    def _size_reason_columns(self) -> None:
        table = self.view.reasons
        if not self.reasons_model.rowCount():
            return  # hidden while empty; sizing rows would cost a layout pass at start-up
        table.resizeColumnToContents(ReasonsModel.COL_SEVERITY)
        width = _visible_width(table) - table.columnWidth(ReasonsModel.COL_SEVERITY)
        table.setColumnWidth(ReasonsModel.COL_MESSAGE, max(200, int(width * 0.55)))
        table.resizeRowsToContents()

    def _size_cpl_columns(self) -> None:
        """Fit the short columns to their text; the manufacturer's name takes what is left (elided).

        Empty (before the first verdict), the header's words are measured directly: asking
        the view to size to contents would cost a whole layout pass before the first paint.
        """
        table = self.view.cpl
        if self.cpl_model.rowCount():
            table.resizeColumnsToContents()
        else:
            metrics = table.horizontalHeader().fontMetrics()
            for number, title in enumerate(self.cpl_model.header_titles()):
                table.setColumnWidth(number, metrics.horizontalAdvance(title) + 24)
        column = CplEntriesModel.COL_MANUFACTURER
        others = sum(table.columnWidth(c) for c in range(self.cpl_model.columnCount()) if c != column)
        table.setColumnWidth(column, max(110, _visible_width(table) - others))

    def _paint_banner(self, level: Level | str | None, message: str | None) -> None:
        look = level_look(level)
        palette = self.view.banner.palette()
        for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base):
            palette.setColor(role, QColor(look.background))
        for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text):
            palette.setColor(role, QColor(look.foreground))
        self.view.banner.setPalette(palette)
        self.view.icon.setPixmap(level_pixmap(level, BANNER_ICON_SIZE))
        self.view.level.setText(look.word)
        self.view.headline.setText(message or look.headline)
        self._show_regime()
        self.view.banner.setAccessibleDescription(f"{look.word}. {message or look.headline}")

    def _show_regime(self) -> None:
        regime = self._regime.label if self._regime else "—"
        self.view.regime.setText(self.tr("Regime: %1").replace("%1", regime))

    def _bump(self) -> None:
        self._generation += 1
        self.view.banner.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view.banner and event.type() == QEvent.Type.Paint:
            handled = super().eventFilter(watched, event)
            if self._painted_generation != self._generation:
                self._painted_generation = self._generation
                self.painted.emit(self._generation)
            return handled
        return super().eventFilter(watched, event)
