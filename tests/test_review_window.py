"""The analyst's review window on a real laptop database with recorded visits: every filter
through its control, sorting by header clicks, the detail pane, approvals, the dashboard's
charts leading into the table, the journal's state, exports, and the ways in."""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QPoint, QPointF, Qt
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from app.services.context import AppContext
from app.services.review.contract import ReviewFilter, SrProgress
from app.ui.fit import visible_in
from app.ui.review.records_model import COL_DATE, COL_JOB, COL_PPMID, RECORD_ROLE
from app.ui.review.sources import SourceChoice, SourceKind
from app.ui.review.window import TAB_APPROVALS, TAB_DASHBOARD, TAB_JOURNAL, TAB_RECORDS, ReviewWindow
from tests.review_window_helpers import Laptop, SlowSource

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def laptop(tmp_path_factory: pytest.TempPathFactory) -> Laptop:
    return Laptop(tmp_path_factory.mktemp("review-window") / "data")


@pytest.fixture
def open_window(qtbot: QtBot, laptop: Laptop, tmp_path: Path) -> Iterator[Callable[[], ReviewWindow]]:
    windows: list[tuple[ReviewWindow, AppContext]] = []

    def open_() -> ReviewWindow:
        ctx = AppContext(laptop.copy(tmp_path / f"data{len(windows)}"))
        window = ReviewWindow(ctx, choice=SourceChoice(SourceKind.LAPTOP))
        qtbot.addWidget(window)
        windows.append((window, ctx))
        window.resize(1280, 720)
        window.show()
        qtbot.waitUntil(lambda: window.source is not None and not window.model.loading, timeout=10_000)
        return window

    yield open_
    for window, ctx in windows:
        window.shutdown()
        ctx.close()


@pytest.fixture
def window(open_window: Callable[[], ReviewWindow]) -> ReviewWindow:
    return open_window()


def jobs(window: ReviewWindow) -> list[str]:
    return [window.model.index(r, 0).data(RECORD_ROLE).job_ref for r in range(window.model.rowCount())]


def settle(qtbot: QtBot, window: ReviewWindow) -> None:
    qtbot.waitUntil(lambda: not window.model.loading, timeout=10_000)


def choose(qtbot: QtBot, window: ReviewWindow, combo: QComboBox, data: object) -> None:
    """Pick the item holding ``data`` as the analyst does (the combo's own signal), then wait."""
    index = combo.findData(data)
    assert index >= 0, f"{combo.objectName()} has no {data!r}"
    combo.setCurrentIndex(index)
    settle(qtbot, window)


# ---------------------------------------------------------------------------- filters
def test_the_table_opens_with_every_visit_newest_first(window: ReviewWindow, laptop: Laptop) -> None:
    assert window.source_picker.currentData() == "laptop"
    assert "This laptop" in window.source_description.text()
    assert jobs(window) == [v.job_ref for v in sorted(laptop.visits, key=lambda v: v.started_at, reverse=True)]
    assert window.count.text() == "7 visits"


@pytest.mark.parametrize(
    ("control", "data", "match"),
    [
        ("level", "block", {"verdict_level": "block"}),
        ("level", "warn", {"verdict_level": "warn"}),
        ("override", True, {"overridden": True}),
        ("override", False, {"overridden": False}),
        ("sr_state", SrProgress.FAILED, {"sr_plan": "failed"}),
        ("sr_state", SrProgress.WAITING, {"sr_plan": "waiting"}),
        ("sr_state", SrProgress.DONE, {"sr_plan": "done"}),
        ("sr_state", SrProgress.NONE, {"outcome": "aborted"}),
    ],
)
def test_each_choice_filter_lists_exactly_its_visits(
    qtbot: QtBot, window: ReviewWindow, laptop: Laptop, control: str, data: object, match: dict[str, object]
) -> None:
    choose(qtbot, window, getattr(window.filter_bar, control), data)
    expected = laptop.jobs(**match)
    assert expected and set(jobs(window)) == expected and len(jobs(window)) == len(expected)


def test_the_reason_filter_lists_the_visits_whose_verdict_gave_that_reason(qtbot: QtBot, window: ReviewWindow) -> None:
    source = window.source
    assert source is not None
    every = {row.job_ref: [r["code"] for r in source.detail(row.record_id).reasons]
             for row in (window.model.index(r, 0).data(RECORD_ROLE) for r in range(window.model.rowCount()))}
    choose(qtbot, window, window.filter_bar.reason, "SMETS_MISMATCH")
    assert set(jobs(window)) == {job for job, codes in every.items() if "SMETS_MISMATCH" in codes} != set()


def test_the_installer_filter_uses_the_sources_installers(qtbot: QtBot, window: ReviewWindow) -> None:
    combo = window.filter_bar.installer
    qtbot.waitUntil(lambda: combo.count() == 2)
    assert combo.itemText(0) == "Any installer" and combo.itemData(1) == "this laptop"
    choose(qtbot, window, combo, "this laptop")
    assert len(jobs(window)) == 7
    window.filter_bar.set_filter(ReviewFilter(installer="someone else"))
    settle(qtbot, window)
    assert jobs(window) == [] and window.count.text() == "No visits match."


def test_the_date_range_is_inclusive_of_whole_days(qtbot: QtBot, window: ReviewWindow, laptop: Laptop) -> None:
    first_day = min(v.started_at for v in laptop.visits).date()
    bar = window.filter_bar
    second_day = QDate(first_day.year, first_day.month, first_day.day).addDays(1)
    bar.date_from.setDate(second_day)
    bar.date_to.setDate(second_day)
    assert len(jobs(window)) == 7  # dates not ticked: no range yet
    bar.date_from_on.click()
    settle(qtbot, window)
    assert set(jobs(window)) == {v.job_ref for v in laptop.visits if v.started_at.date() > first_day}
    bar.date_to_on.click()
    settle(qtbot, window)
    assert set(jobs(window)) == {"J-000110", "J-000103"}  # the second day only


def test_text_waits_for_a_pause_then_matches_job_or_device_prefixes(qtbot: QtBot, window: ReviewWindow) -> None:
    search = window.filter_bar.search
    qtbot.keyClicks(search, "J-00011")
    assert window.model.review_filter.text == ""  # typing has not asked the source yet
    qtbot.waitUntil(lambda: window.model.review_filter.text == "J-00011", timeout=2_000)
    settle(qtbot, window)
    assert sorted(jobs(window)) == ["J-000110", "J-000111"]
    search.clear()
    qtbot.keyClicks(search, "0a-1b-2c-00-00-00-00-b4")  # a PPMID, typed in lower case
    qtbot.waitUntil(lambda: jobs(window) == ["J-000111"], timeout=3_000)
    window.filter_bar.clear.click()
    settle(qtbot, window)
    assert len(jobs(window)) == 7 and search.text() == "" and window.filter_bar.level.currentIndex() == 0


# ---------------------------------------------------------------------------- sorting
def _click_header(qtbot: QtBot, window: ReviewWindow, column: int) -> None:
    header = window.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
    settle(qtbot, window)


def test_clicking_headers_sorts_at_the_source(qtbot: QtBot, window: ReviewWindow, laptop: Laptop) -> None:
    header = window.table.horizontalHeader()
    assert header.sortIndicatorSection() == COL_DATE
    by_date = jobs(window)
    _click_header(qtbot, window, COL_JOB)
    first = jobs(window)
    assert first in (sorted(by_date), sorted(by_date, reverse=True)) and first != by_date
    _click_header(qtbot, window, COL_JOB)
    assert jobs(window) == list(reversed(first))
    assert header.sortIndicatorSection() == COL_JOB
    order = header.sortIndicatorOrder()
    _click_header(qtbot, window, COL_PPMID)  # not sortable at the source: the sort stays
    assert header.sortIndicatorSection() == COL_JOB and header.sortIndicatorOrder() == order
    assert jobs(window) == list(reversed(first))


# ---------------------------------------------------------------------------- detail
def test_the_detail_pane_shows_verdict_reasons_override_customer_and_timelines(
    qtbot: QtBot, window: ReviewWindow
) -> None:
    row = jobs(window).index("J-000102")
    with qtbot.waitSignal(window.detail.detailShown, timeout=10_000) as shown:
        window.table.selectRow(row)
    detail = shown.args[0]
    assert detail.row.job_ref == "J-000102"
    assert window.detail.verdict.text().startswith("STOP")
    text = window.detail.text.toPlainText()
    for expected in ("SMETS_MISMATCH", "Remedy:", "Back office approved the 8.4 move by phone",
                     detail.mpxn, detail.postcode, "DCC response E80102", "The DCC refused the request",
                     "8.11 Update HAN Device Log", "Resulting SMETS", "Tactical"):
        assert expected and expected in text, expected
    window.filter_bar.set_filter(ReviewFilter(verdict_level="ok"))
    settle(qtbot, window)
    assert window.detail.detail is None and "Choose a visit" in window.detail.verdict.text()


def test_a_detail_answer_for_a_visit_no_longer_chosen_is_dropped(qtbot: QtBot, window: ReviewWindow) -> None:
    slow = SlowSource(window.source)
    window.detail.set_source(slow)
    slow.hold()
    window.table.selectRow(jobs(window).index("J-000101"))
    window.table.selectRow(jobs(window).index("J-000103"))
    with qtbot.waitSignal(window.detail.detailShown, timeout=10_000) as shown:
        slow.release()
    qtbot.wait(100)
    assert shown.args[0].row.job_ref == "J-000103" and window.detail.detail.row.job_ref == "J-000103"
    assert "No access" in window.detail.text.toPlainText()


# ---------------------------------------------------------------------------- approvals
def test_a_laptop_lists_the_waiting_remedy_but_cannot_decide_it(qtbot: QtBot, window: ReviewWindow) -> None:
    page = window.approvals
    window.tabs.setCurrentIndex(TAB_APPROVALS)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10_000)
    assert page.model.index(0, 1).data() == "8.4 remedy" and page.model.index(0, 3).data() == "J-000104"
    page.table.selectRow(0)
    qtbot.keyClicks(page.reason, "checked with the DCC")
    assert not page.approve.isEnabled() and not page.refuse.isEnabled()
    assert page.note.isVisible() and "admin token" in page.note.text()


# ---------------------------------------------------------------------------- dashboard
def test_the_dashboard_counts_and_a_bar_click_filters_the_table(qtbot: QtBot, window: ReviewWindow, laptop: Laptop) -> None:
    dashboard = window.dashboard
    assert not dashboard.built
    with qtbot.waitSignal(dashboard.summaryShown, timeout=10_000) as shown:
        window.tabs.setCurrentIndex(TAB_DASHBOARD)
    summary = shown.args[0]
    assert dashboard.built and sum(d.count for d in summary.visits_per_day) == 7
    assert dashboard.status.text().startswith("7 visits")
    assert [s.label() for s in dashboard.bar_sets("perDay")] == ["OK", "WARNING", "STOP"]
    assert summary.override_rate == {"this laptop": (3, 6)}
    # Click the STOP part of the last day's bar with the mouse, as the analyst does.
    last_day = max(v.started_at for v in laptop.visits).date()
    view = dashboard.views["perDay"]
    chart = view.chart()
    series = chart.series()[0]
    stop = dashboard.bar_sets("perDay")[2]
    day_index = stop.count() - 1
    below = sum(s.at(day_index) for s in dashboard.bar_sets("perDay")[:2])
    point = chart.mapToPosition(QPointF(day_index, below + stop.at(day_index) / 2), series)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(point))
    qtbot.waitUntil(lambda: window.tabs.currentIndex() == TAB_RECORDS)
    settle(qtbot, window)
    flt = window.model.review_filter
    assert (flt.verdict_level, flt.date_from, flt.date_to) == ("block", last_day, last_day)
    assert set(jobs(window)) == laptop.jobs(verdict_level="block") & {
        v.job_ref for v in laptop.visits if v.started_at.date() == last_day}
    assert window.filter_bar.level.currentData() == "block" and window.filter_bar.date_from_on.isChecked()
    overrides = dashboard.target("overrides", 0, 0)
    assert (overrides.installer, overrides.overridden) == ("this laptop", True)
    assert dashboard.target("srFailures", 0, 0).sr_state is SrProgress.FAILED


def test_the_dashboard_follows_the_tables_filter(qtbot: QtBot, window: ReviewWindow) -> None:
    window.tabs.setCurrentIndex(TAB_DASHBOARD)
    qtbot.waitUntil(lambda: window.dashboard.summary is not None, timeout=10_000)
    with qtbot.waitSignal(window.dashboard.summaryShown, timeout=10_000) as shown:
        window.filter_bar.set_filter(ReviewFilter(overridden=True))
    assert sum(d.count for d in shown.args[0].visits_per_day) == 3


# ---------------------------------------------------------------------------- journal
def test_the_journal_tab_says_intact_then_names_the_first_broken_link(qtbot: QtBot, window: ReviewWindow) -> None:
    page = window.journal
    with qtbot.waitSignal(page.chainsLoaded, timeout=10_000):
        window.tabs.setCurrentIndex(TAB_JOURNAL)
    assert page.summary.text().startswith("The journal is intact")
    assert page.model.index(0, 3).data() == "Intact"
    raw = sqlite3.connect(window.ctx.db_path)
    raw.execute("UPDATE audit_journal SET subject = 'edited' WHERE id = 3")
    raw.commit()
    raw.close()
    with qtbot.waitSignal(page.chainsLoaded, timeout=10_000):
        page.reload.click()
    state = page.model.index(0, 3).data()
    assert state.startswith("Broken: ") and "entry 3" in state and "entry 3" in page.summary.text()
    assert page.model.index(0, 3).data(Qt.ItemDataRole.BackgroundRole).name().upper() == "#B71C1C"


# ---------------------------------------------------------------------------- export
def test_export_csv_of_the_filtered_records_redacted_by_default(qtbot: QtBot, window: ReviewWindow, tmp_path: Path) -> None:
    bar = window.export_bar
    assert bar.buttons["csv"].isVisible() and bar.buttons["pdf"].isVisible() and bar.redact.isChecked()
    window.filter_bar.set_filter(ReviewFilter(overridden=True))
    settle(qtbot, window)
    out = tmp_path / "out.csv"
    bar.choose_path = lambda fmt: out
    with qtbot.waitSignal(bar.exportFinished, timeout=20_000) as finished:
        bar.buttons["csv"].click()
    assert finished.args[0].records == 3 and not finished.args[0].cancelled
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert sorted(r["job_ref"] for r in rows) == ["J-000102", "J-000104", "J-000109"]
    assert "1900000000002" not in out.read_text(encoding="utf-8-sig")  # J-000102's MPxN is masked
    assert "3 records written" in bar.status.text() and bar.buttons["csv"].isEnabled()


def test_export_pdf_not_redacted_then_a_cancelled_one_leaves_nothing(
    qtbot: QtBot, window: ReviewWindow, tmp_path: Path
) -> None:
    bar = window.export_bar
    bar.redact.setChecked(False)
    out = tmp_path / "visits.pdf"
    with qtbot.waitSignal(bar.exportFinished, timeout=30_000) as finished:
        bar.start_export("pdf", out)
    assert finished.args[0].records == 7 and out.read_bytes().startswith(b"%PDF")
    slow = SlowSource(window.source)
    bar.set_source(slow)
    slow.hold()
    second = tmp_path / "cancelled.pdf"
    bar.start_export("pdf", second)
    assert bar.cancel.isVisible() and not bar.buttons["pdf"].isEnabled()
    bar.cancel.click()
    with qtbot.waitSignal(bar.exportFinished, timeout=20_000) as cancelled:
        slow.release()
    assert cancelled.args[0].cancelled and not second.exists()
    assert bar.status.text() == "Export cancelled; nothing was written."
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no half file left


def test_an_export_that_cannot_be_written_says_so_plainly(qtbot: QtBot, window: ReviewWindow, tmp_path: Path) -> None:
    bar = window.export_bar
    with qtbot.waitSignal(bar.failed, timeout=10_000) as failed:
        bar.start_export("csv", tmp_path)  # a folder, not a file
    assert "folder" in failed.args[0] and "Traceback" not in failed.args[0]
    assert bar.buttons["csv"].isEnabled()


# ---------------------------------------------------------------------------- fit and the ways in
@pytest.mark.parametrize("size", [(1366, 768), (1280, 720)])
def test_everything_fits_a_small_laptop_screen(qtbot: QtBot, window: ReviewWindow, size: tuple[int, int]) -> None:
    width, height = size
    window.resize(width, height - 48)  # a desktop panel and the title bar take their share
    qtbot.wait(50)
    assert window.width() <= width and window.height() <= height - 48
    bar = window.filter_bar
    for widget in (bar.date_from, bar.date_to, bar.installer, bar.level, bar.override, bar.sr_state, bar.search,
                   bar.reason, bar.clear, window.table, window.detail, window.export_bar.buttons["csv"],
                   window.export_bar.buttons["pdf"], window.export_bar.redact, window.count, window.source_picker):
        assert visible_in(widget, window), widget.objectName()
    verdict_right = window.table.columnViewportPosition(1) + window.table.columnWidth(1)
    assert verdict_right <= window.table.viewport().width()  # the verdict is in sight without scrolling


def test_the_source_picker_reports_a_back_office_it_cannot_open(qtbot: QtBot, window: ReviewWindow) -> None:
    window.source_picker.setCurrentIndex(window.source_picker.findData("backoffice"))
    with qtbot.waitSignal(window.sourceFailed, timeout=10_000) as failed:
        window.source_picker.activated.emit(window.source_picker.currentIndex())
    assert "backoffice_url" in failed.args[0]  # nothing saved on this laptop: it says what to set
    assert window.source_picker.currentData() == "laptop" and len(jobs(window)) == 7  # the laptop stays


def test_the_installers_window_opens_the_review_window_from_its_menu(
    qtbot: QtBot, laptop: Laptop, tmp_path: Path
) -> None:
    from app.ui import launch

    main = launch(laptop.copy(tmp_path / "main"))
    qtbot.addWidget(main)
    main.show()
    qtbot.waitUntil(lambda: getattr(main, "action_review", None) is not None, timeout=10_000)
    assert main.action_review.text() == "Re&view visits…"
    main.action_review.trigger()
    review = main.review_window
    assert isinstance(review, ReviewWindow) and review.isVisible()
    qtbot.waitUntil(lambda: review.model.rowCount() == 7, timeout=10_000)
    review.close()
    qtbot.waitUntil(lambda: getattr(main, "review_window", None) is None)
    main.shutdown(10_000)


def test_start_up_pays_for_neither_the_review_window_nor_its_charts() -> None:
    code = (
        "import sys; import app.ui.main_window, app.__main__; "
        "assert 'app.ui.review.window' not in sys.modules, 'installer start-up loaded the review window'; "
        "import app.ui.review.window; "
        "assert 'PySide6.QtCharts' not in sys.modules, 'the review window loaded QtCharts before the dashboard'"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_hubcheck_gui_review_opens_the_review_window_on_the_laptop(laptop: Laptop, tmp_path: Path) -> None:
    data = laptop.copy(tmp_path / "cli")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "app", "--review", "--smoke", "--data-dir", str(data)],
                          cwd=REPO, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "review-first-rows 7"
    assert (data / "logs").is_dir()  # the review mode logs where the installer's window does


def test_hubcheck_gui_backoffice_without_a_token_says_what_to_set(laptop: Laptop, tmp_path: Path) -> None:
    data = laptop.copy(tmp_path / "cli")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "app", "--backoffice", "https://127.0.0.1:9", "--smoke",
                           "--data-dir", str(data)], cwd=REPO, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 1
    assert "backoffice_token" in done.stderr and "Traceback" not in done.stderr
