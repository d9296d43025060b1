"""The analyst's filter: date range, installer, verdict level, reason, override, SR state, text.

Choosing from a list or ticking a box asks the source at once; typing waits until the
analyst pauses (``TEXT_DEBOUNCE_MS``), so a job reference typed at speed is one question,
not twelve. ``set_filter`` (a dashboard click) changes every control and asks once.
"""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QCoreApplication, QDate, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.domain.reasons import ReasonCode
from app.services.review.contract import ReviewFilter, SrProgress
from app.ui.levels import level_look
from app.ui.review.records_model import SR_WORDS

#: How long typing must pause before the text filter asks the source.
TEXT_DEBOUNCE_MS = 250
LEVEL_CHOICES = ("ok", "warn", "block", "unknown")


def _tr(text: str) -> str:
    return QCoreApplication.translate("ReviewFilterBar", text)


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


class ReviewFilterBar(QWidget):
    """Emits ``filterChanged(ReviewFilter)`` whenever the analyst's question changes."""

    filterChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewFilterBar")
        self._emitted = ReviewFilter()
        self._quiet = False
        today = date.today()

        self.date_from_on = QCheckBox(_tr("From"), self)
        self.date_from_on.setObjectName("reviewDateFromOn")
        self.date_from = self._date_edit("reviewDateFrom", today - timedelta(days=30))
        self.date_to_on = QCheckBox(_tr("To"), self)
        self.date_to_on.setObjectName("reviewDateToOn")
        self.date_to = self._date_edit("reviewDateTo", today)

        self.installer = QComboBox(self)
        self.installer.setObjectName("reviewInstaller")
        self.installer.addItem(_tr("Any installer"), None)
        self.installer.setMinimumContentsLength(12)

        self.level = QComboBox(self)
        self.level.setObjectName("reviewLevel")
        self.level.addItem(_tr("Any verdict"), None)
        for level in LEVEL_CHOICES:
            self.level.addItem(level_look(level).word, level)

        self.reason = QComboBox(self)
        self.reason.setObjectName("reviewReason")
        self.reason.addItem(_tr("Any reason"), None)
        for code in sorted(ReasonCode, key=str):
            self.reason.addItem(str(code), str(code))
        self.reason.setMinimumContentsLength(14)

        self.override = QComboBox(self)
        self.override.setObjectName("reviewOverride")
        self.override.addItem(_tr("Override: any"), None)
        self.override.addItem(_tr("Overridden"), True)
        self.override.addItem(_tr("Not overridden"), False)

        self.sr_state = QComboBox(self)
        self.sr_state.setObjectName("reviewSrState")
        self.sr_state.addItem(_tr("Any SR state"), None)
        for state in SrProgress:
            self.sr_state.addItem(QCoreApplication.translate("ReviewRecordsModel", str(SR_WORDS[state])), state)

        self.search = QLineEdit(self)
        self.search.setObjectName("reviewSearch")
        self.search.setPlaceholderText(_tr("Job reference or device ID"))
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(_tr("Search"))

        self.clear = QPushButton(_tr("Clear filters"), self)
        self.clear.setObjectName("reviewClearFilters")

        # Two rows that fit 1280 pixels at 100% text: the choices above, the text below.
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        dates = QHBoxLayout()
        dates.setSpacing(4)
        for widget in (self.date_from_on, self.date_from, self.date_to_on, self.date_to):
            dates.addWidget(widget)
        dates.addStretch(1)
        grid.addLayout(dates, 0, 0)
        grid.addWidget(self.installer, 0, 1)
        grid.addWidget(self.level, 0, 2)
        grid.addWidget(self.override, 0, 3)
        grid.addWidget(self.sr_state, 0, 4)
        search_label = QLabel(_tr("&Search:"), self)
        search_label.setBuddy(self.search)
        search_row = QHBoxLayout()
        search_row.setSpacing(4)
        search_row.addWidget(search_label)
        search_row.addWidget(self.search, 1)
        grid.addLayout(search_row, 1, 0)
        grid.addWidget(self.reason, 1, 1, 1, 2)
        grid.addWidget(self.clear, 1, 3, 1, 2)
        grid.setColumnStretch(0, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(TEXT_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._changed)
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        for box in (self.date_from_on, self.date_to_on):
            box.toggled.connect(self._dates_toggled)
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(lambda _day: self._changed())
        for combo in (self.installer, self.level, self.reason, self.override, self.sr_state):
            combo.currentIndexChanged.connect(lambda _index: self._changed())
        self.clear.clicked.connect(lambda: self.set_filter(ReviewFilter()))
        self._dates_toggled()

    def _date_edit(self, name: str, day: date) -> QDateEdit:
        edit = QDateEdit(_qdate(day), self)
        edit.setObjectName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        return edit

    # ------------------------------------------------------------------ reading and setting
    def current_filter(self) -> ReviewFilter:
        """The filter the controls show now (the text as typed, even before the pause)."""
        return ReviewFilter(
            date_from=_pydate(self.date_from.date()) if self.date_from_on.isChecked() else None,
            date_to=_pydate(self.date_to.date()) if self.date_to_on.isChecked() else None,
            installer=self.installer.currentData(),
            verdict_level=self.level.currentData(),
            reason_code=self.reason.currentData(),
            overridden=self.override.currentData(),
            sr_state=SrProgress(state) if (state := self.sr_state.currentData()) else None,
            text=self.search.text().strip(),
        )

    def set_filter(self, flt: ReviewFilter) -> None:
        """Show ``flt`` in the controls and emit it once (a dashboard click, *Clear filters*)."""
        self._quiet = True
        try:
            self.date_from_on.setChecked(flt.date_from is not None)
            if flt.date_from is not None:
                self.date_from.setDate(_qdate(flt.date_from))
            self.date_to_on.setChecked(flt.date_to is not None)
            if flt.date_to is not None:
                self.date_to.setDate(_qdate(flt.date_to))
            if flt.installer is not None and self.installer.findData(flt.installer) < 0:
                self.installer.addItem(flt.installer, flt.installer)
            self.installer.setCurrentIndex(max(0, self.installer.findData(flt.installer)))
            self.level.setCurrentIndex(max(0, self.level.findData(flt.verdict_level)))
            self.reason.setCurrentIndex(max(0, self.reason.findData(flt.reason_code)))
            self.override.setCurrentIndex(max(0, self.override.findData(flt.overridden)))
            self.sr_state.setCurrentIndex(max(0, self.sr_state.findData(flt.sr_state)))
            self.search.setText(flt.text)
        finally:
            self._quiet = False
        self._debounce.stop()
        self._changed()

    def set_installers(self, names: list[str]) -> None:
        """The installers the source knows; the current choice is kept."""
        current = self.installer.currentData()
        self.installer.blockSignals(True)
        try:
            self.installer.clear()
            self.installer.addItem(_tr("Any installer"), None)
            for name in names:
                self.installer.addItem(name, name)
            if current is not None and self.installer.findData(current) < 0:
                self.installer.addItem(current, current)
            self.installer.setCurrentIndex(max(0, self.installer.findData(current)))
        finally:
            self.installer.blockSignals(False)

    # ------------------------------------------------------------------ changes
    def _dates_toggled(self) -> None:
        self.date_from.setEnabled(self.date_from_on.isChecked())
        self.date_to.setEnabled(self.date_to_on.isChecked())
        self._changed()

    def _changed(self) -> None:
        if self._quiet:
            return
        self._debounce.stop()  # whatever was typed so far goes with this question
        flt = self.current_filter()
        if flt != self._emitted:
            self._emitted = flt
            self.filterChanged.emit(flt)
