"""The month at a glance: visits per day by verdict level, override rate per installer, SR
failures by SRV and DCC response code, and the regime in force over time.

Each bar is a way into the table: clicking it emits ``filterRequested`` with the filter
that lists exactly those visits, and the window switches to the records.

QtCharts is a large import an installer never needs, so this module imports it only when
the tab is first shown (``ensure_built``); until then the page is an empty widget. The
figures come from ``source.summary(filter)`` on the task runner, for the table's current
filter (its date range above all); a summary asked for an older filter is dropped.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from app.services.review.contract import DashboardSummary, ReviewFilter, ReviewSource, SrProgress
from app.ui.levels import level_look
from app.ui.review.errors import explain
from app.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from PySide6.QtCharts import QBarSet, QChart, QChartView

LEVEL_ORDER = ("ok", "warn", "block", "unknown")
REGIME_COLOURS = {"tactical": "#6A1B9A", "mp202": "#00695C"}
#: At most this many installers or SRV/code pairs are drawn (the worst first); the table has the rest.
MAX_BARS = 12


def _tr(text: str) -> str:
    return QCoreApplication.translate("ReviewDashboard", text)


class DashboardPage(QWidget):
    """Signals: ``summaryShown(DashboardSummary)``, ``filterRequested(ReviewFilter)``, ``failed(str)``."""

    summaryShown = Signal(object)
    filterRequested = Signal(object)
    failed = Signal(str)

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewDashboardPage")
        self._runner = runner
        self._source: ReviewSource | None = None
        self._filter = ReviewFilter()
        self._generation = 0
        self._dirty = True
        self.summary: DashboardSummary | None = None
        self.status = QLabel(self)
        self.status.setObjectName("reviewDashboardStatus")
        self.status.setWordWrap(True)
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(self.status)
        self.views: dict[str, QChartView] = {}
        #: What each bar set's bars lead to: the filter for bar ``i`` of the set.
        self._targets: list[tuple[QBarSet, list[ReviewFilter]]] = []

    # ------------------------------------------------------------------ building
    @property
    def built(self) -> bool:
        return bool(self.views)

    def ensure_built(self) -> None:
        """Import QtCharts and make the four chart views (once, when the tab is first shown)."""
        if self.views:
            return
        from PySide6.QtCharts import QChart, QChartView

        grid = QGridLayout()
        grid.setSpacing(6)
        for position, name in enumerate(("perDay", "overrides", "srFailures", "regime")):
            chart = QChart()
            chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
            chart.setMargins(chart.margins() * 0)
            view = QChartView(chart, self)
            view.setObjectName(f"reviewChart_{name}")
            view.setRenderHint(QPainter.RenderHint.Antialiasing)
            view.setMinimumHeight(180)
            self.views[name] = view
            grid.addWidget(view, position // 2, position % 2)
        for line in (0, 1):  # four equal charts, whatever each one's own size hint
            grid.setRowStretch(line, 1)
            grid.setColumnStretch(line, 1)
        self._layout.addLayout(grid, 1)
        if self.summary is not None:
            self._draw(self.summary)

    def chart(self, name: str) -> QChart:
        return self.views[name].chart()

    # ------------------------------------------------------------------ data
    def set_source(self, source: ReviewSource | None) -> None:
        self._source = source
        self._dirty = True
        if self.isVisible():
            self.refresh()

    def set_filter(self, flt: ReviewFilter) -> None:
        """The table's filter: the dashboard shows the same visits (reloaded when next seen)."""
        if flt != self._filter:
            self._filter = flt
            self._dirty = True
            if self.isVisible():
                self.refresh()

    def refresh_if_stale(self) -> None:
        if self._dirty:
            self.refresh()

    def refresh(self) -> None:
        self._generation += 1
        self._dirty = False
        if self._source is None:
            return
        source, flt, generation = self._source, self._filter, self._generation
        self.status.setText(_tr("Counting…"))
        self._runner.run(lambda: source.summary(flt), on_done=lambda s: self._on_summary(generation, s),
                         on_error=lambda exc: self._on_error(generation, exc), pool="quick")

    def _on_summary(self, generation: int, summary: DashboardSummary) -> None:
        if generation != self._generation:
            return
        self.summary = summary
        total = sum(day.count for day in summary.visits_per_day)
        self.status.setText(_tr("{0} visits in this selection. Click a bar to list its visits.").format(total)
                            if total else _tr("No visits in this selection."))
        if self.views:
            self._draw(summary)
        self.summaryShown.emit(summary)

    def _on_error(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._dirty = True
        message = explain(exc, _tr("counting the visits"))
        if message:
            self.status.setText(message)
            self.failed.emit(message)

    # ------------------------------------------------------------------ charts
    def _draw(self, summary: DashboardSummary) -> None:
        self._targets.clear()
        self._draw_per_day(summary)
        self._draw_overrides(summary)
        self._draw_failures(summary)
        self._draw_regime(summary)

    def _reset(self, name: str, title: str) -> QChart:
        chart = self.chart(name)
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        chart.setTitle(title)
        return chart

    def _bar_set(self, label: str, colour: str, values: list[float], targets: list[ReviewFilter]) -> QBarSet:
        from PySide6.QtCharts import QBarSet

        bar_set = QBarSet(label)
        bar_set.setColor(QColor(colour))
        bar_set.setBorderColor(QColor("#000000"))
        bar_set.append(values)
        self._targets.append((bar_set, targets))
        bar_set.clicked.connect(lambda index: self._clicked(targets, index))
        return bar_set

    def _clicked(self, targets: list[ReviewFilter], index: int) -> None:
        if 0 <= index < len(targets):
            self.filterRequested.emit(targets[index])

    def target(self, chart_name: str, set_index: int, bar: int) -> ReviewFilter:
        """The filter a click on ``bar`` of the chart's ``set_index``-th bar set asks for (tests)."""
        bar_set = self.bar_sets(chart_name)[set_index]
        for known, targets in self._targets:
            if known is bar_set:
                return targets[bar]
        raise LookupError(f"no bar set {set_index} in {chart_name}")

    def bar_sets(self, chart_name: str) -> list[QBarSet]:
        sets: list[QBarSet] = []
        for series in self.chart(chart_name).series():
            sets.extend(series.barSets())  # type: ignore[attr-defined]
        return sets

    def _axes(self, chart: QChart, series: Any, categories: list[str], horizontal: bool, top: float,
              percent: bool = False) -> None:
        from PySide6.QtCharts import QBarCategoryAxis, QValueAxis

        category = QBarCategoryAxis()
        category.append(categories)
        value = QValueAxis()
        # Counts are whole numbers: ticks at whole steps, about five of them, from 0.
        step = 20 if percent else max(1, math.ceil(top / 5))
        value.setRange(0, 100 if percent else step * max(1, math.ceil(top / step)))
        value.setTickType(QValueAxis.TickType.TicksDynamic)
        value.setTickAnchor(0)
        value.setTickInterval(step)
        value.setLabelFormat("%d%%" if percent else "%d")
        if horizontal:
            chart.addAxis(category, _align("left"))
            chart.addAxis(value, _align("bottom"))
        else:
            if len(categories) > 10:
                category.setLabelsAngle(-90)
            chart.addAxis(category, _align("bottom"))
            chart.addAxis(value, _align("left"))
        series.attachAxis(category)
        series.attachAxis(value)

    def _draw_per_day(self, summary: DashboardSummary) -> None:
        from PySide6.QtCharts import QStackedBarSeries

        chart = self._reset("perDay", _tr("Visits per day by verdict"))
        days = sorted({count.day for count in summary.visits_per_day})
        counts = {(count.day, count.level): count.count for count in summary.visits_per_day}
        series = QStackedBarSeries()
        for level in LEVEL_ORDER:
            values = [float(counts.get((day, level), 0)) for day in days]
            if not any(values):
                continue
            look = level_look(level)
            targets = [replace(self._filter, date_from=day, date_to=day, verdict_level=level) for day in days]
            series.append(self._bar_set(look.word, look.background, values, targets))
        chart.addSeries(series)
        totals = [sum(counts.get((day, level), 0) for level in LEVEL_ORDER) for day in days]
        self._axes(chart, series, [day.strftime("%d %b") for day in days], False, max(totals, default=0))
        chart.legend().setVisible(bool(days))
        chart.legend().setAlignment(_align("bottom"))

    def _draw_overrides(self, summary: DashboardSummary) -> None:
        from PySide6.QtCharts import QHorizontalBarSeries

        chart = self._reset("overrides", _tr("Override rate per installer (% of recorded visits)"))
        rates = sorted(
            ((name, overridden, recorded) for name, (overridden, recorded) in summary.override_rate.items() if recorded),
            key=lambda item: (-item[1] / item[2], item[0]),
        )[:MAX_BARS]
        rates.reverse()  # a horizontal chart draws its first category at the bottom: the worst goes on top
        values = [100.0 * overridden / recorded for _name, overridden, recorded in rates]
        targets = [replace(self._filter, installer=name, overridden=True) for name, _o, _r in rates]
        series = QHorizontalBarSeries()
        series.append(self._bar_set(_tr("Overridden"), level_look("block").background, values, targets))
        chart.addSeries(series)
        labels = [f"{name} ({overridden}/{recorded})" for name, overridden, recorded in rates]
        self._axes(chart, series, labels, True, 100, percent=True)
        chart.legend().setVisible(False)

    def _draw_failures(self, summary: DashboardSummary) -> None:
        from PySide6.QtCharts import QHorizontalBarSeries

        chart = self._reset("srFailures", _tr("Failed Service Requests by SRV and DCC response"))
        pairs = sorted(summary.sr_failures.items(), key=lambda item: (-item[1], item[0]))[:MAX_BARS]
        pairs.reverse()
        values = [float(count) for _key, count in pairs]
        targets = [replace(self._filter, sr_state=SrProgress.FAILED) for _pair in pairs]
        series = QHorizontalBarSeries()
        series.append(self._bar_set(_tr("Failed"), level_look("warn").background, values, targets))
        chart.addSeries(series)
        labels = [f"{srv} · {code or _tr('no code')}" for (srv, code), _count in pairs]
        self._axes(chart, series, labels, True, max(values, default=0))
        chart.legend().setVisible(False)

    def _draw_regime(self, summary: DashboardSummary) -> None:
        from PySide6.QtCharts import QHorizontalStackedBarSeries

        chart = self._reset("regime", _tr("Regime in force (days)"))
        periods = summary.regime_periods
        days = sorted({count.day for count in summary.visits_per_day})
        end = self._filter.date_to or (days[-1] if days else date.today())
        series = QHorizontalStackedBarSeries()
        top = 0.0
        for position, (start, regime) in enumerate(periods):
            until = periods[position + 1][0] - timedelta(days=1) if position + 1 < len(periods) else end
            first = max(start, self._filter.date_from) if self._filter.date_from else start
            length = float((until - first).days + 1)
            if length <= 0:
                continue
            top += length
            name = "MP202" if regime.lower() == "mp202" else regime.capitalize()
            label = _tr("{0} from {1}").format(name, first.isoformat())
            target = replace(self._filter, date_from=first, date_to=until)
            series.append(self._bar_set(label, REGIME_COLOURS.get(regime.lower(), "#455A64"), [length], [target]))
        chart.addSeries(series)
        self._axes(chart, series, [""], True, top)
        chart.legend().setVisible(bool(periods))
        chart.legend().setAlignment(_align("bottom"))


def _align(where: str) -> Any:
    from PySide6.QtCore import Qt

    return {
        "left": Qt.AlignmentFlag.AlignLeft,
        "bottom": Qt.AlignmentFlag.AlignBottom,
    }[where]
