"""The review window's table models on a real laptop database: lazy keyset pages on the task
runner, sorting at the source, stale answers dropped, plain errors; Qt's model checks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QTableView
from pytestqt.qtbot import QtBot

from app.services.context import AppContext
from app.services.review.contract import ReviewFilter, ReviewRow, ReviewSort, SortColumn, SrProgress
from app.services.review.local import LocalReviewSource
from app.ui.review.approvals_page import ApprovalsModel
from app.ui.review.journal_page import ChainsModel
from app.ui.review.records_model import (
    COL_DATE,
    COL_JOB,
    COL_OVERRIDE,
    COL_PPMID,
    COL_REGIME,
    COL_SR,
    COL_VERDICT,
    RECORD_ROLE,
    ReviewRecordsModel,
)
from app.ui.tasks import TaskRunner
from tests.review_window_helpers import Laptop, SlowSource


@pytest.fixture(scope="module")
def laptop(tmp_path_factory: pytest.TempPathFactory) -> Laptop:
    return Laptop(tmp_path_factory.mktemp("review-model") / "data")


@pytest.fixture
def source(laptop: Laptop, tmp_path: Path) -> Iterator[LocalReviewSource]:
    ctx = AppContext(laptop.copy(tmp_path / "data"))
    yield LocalReviewSource(ctx)
    ctx.close()


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    runner.wait_for_done()


def _loaded(qtbot: QtBot, model: ReviewRecordsModel) -> None:
    qtbot.waitUntil(lambda: not model.loading, timeout=10_000)


def _rows(model: ReviewRecordsModel) -> list[ReviewRow]:
    return [model.index(r, 0).data(RECORD_ROLE) for r in range(model.rowCount())]


def test_pages_arrive_lazily_in_order_without_gaps_or_repeats(
    qtbot: QtBot, runner: TaskRunner, source: LocalReviewSource, laptop: Laptop
) -> None:
    model = ReviewRecordsModel(runner, page_size=2)
    with qtbot.waitSignal(model.pageLoaded, timeout=10_000) as first:
        model.set_source(source)
    assert first.args == [2, False] and model.rowCount() == 2
    assert model.canFetchMore(QModelIndex())
    pages = 1
    while model.canFetchMore(QModelIndex()):
        with qtbot.waitSignal(model.pageLoaded, timeout=10_000):
            model.fetchMore(QModelIndex())
            model.fetchMore(QModelIndex())  # a second ask while one is on its way is ignored
        pages += 1
    rows = _rows(model)
    assert pages == 4 and len(rows) == len(laptop.visits) == 7
    assert len({row.record_id for row in rows}) == 7
    assert [row.started_at for row in rows] == sorted((row.started_at for row in rows), reverse=True)
    assert {row.record_id for row in rows} == {v.install_id for v in laptop.visits}


def test_a_view_fetches_more_as_it_needs_rows_and_never_blocks(
    qtbot: QtBot, runner: TaskRunner, source: LocalReviewSource
) -> None:
    slow = SlowSource(source)
    model = ReviewRecordsModel(runner, page_size=3)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(900, 600)  # room for every row: the view asks for more until the end
    view.show()
    slow.hold()
    model.set_source(slow)
    qtbot.wait(50)
    assert model.rowCount() == 0 and model.loading  # the UI thread went on while the source waits
    slow.release()
    qtbot.waitUntil(lambda: model.rowCount() == 7 and model.at_end, timeout=10_000)


def test_sorting_is_asked_of_the_source_and_unsortable_columns_keep_the_sort(
    qtbot: QtBot, runner: TaskRunner, source: LocalReviewSource
) -> None:
    model = ReviewRecordsModel(runner)
    model.set_source(source)
    _loaded(qtbot, model)
    with qtbot.waitSignal(model.sortApplied) as applied:
        model.sort(COL_JOB, Qt.SortOrder.AscendingOrder)
    assert applied.args == [COL_JOB, Qt.SortOrder.AscendingOrder]
    assert model.review_sort == ReviewSort(SortColumn.JOB_REF, descending=False)
    _loaded(qtbot, model)
    jobs = [row.job_ref for row in _rows(model)]
    assert jobs == sorted(jobs)
    model.sort(COL_VERDICT, Qt.SortOrder.AscendingOrder)  # the contract's rank: worst first
    _loaded(qtbot, model)
    levels = [row.verdict_level for row in _rows(model)]
    assert levels == sorted(levels, key=["block", "warn", "unknown", "ok"].index)
    model.sort(COL_SR, Qt.SortOrder.DescendingOrder)
    _loaded(qtbot, model)
    assert [row.sr_state for row in _rows(model)][-2:] == [SrProgress.FAILED] * 2
    before = model.review_sort
    with qtbot.waitSignal(model.sortApplied) as kept:
        model.sort(COL_PPMID, Qt.SortOrder.AscendingOrder)  # the source has no index for it
    assert model.review_sort == before and kept.args == [COL_SR, Qt.SortOrder.DescendingOrder]
    assert not model.loading  # nothing was asked


def test_an_answer_to_an_earlier_filter_is_dropped(qtbot: QtBot, runner: TaskRunner, source: LocalReviewSource) -> None:
    slow = SlowSource(source)
    model = ReviewRecordsModel(runner)
    model.set_source(slow)
    _loaded(qtbot, model)
    shown: list[set[str]] = []
    model.modelReset.connect(lambda: shown.append({row.verdict_level for row in _rows(model)}))
    slow.hold()
    model.set_filter(ReviewFilter(verdict_level="ok"))
    qtbot.waitUntil(lambda: len(slow.asked) == 2)  # the "ok" question is at the source
    model.set_filter(ReviewFilter(verdict_level="block"))
    slow.release()
    qtbot.waitUntil(lambda: model.stale_dropped == 1 and not model.loading, timeout=10_000)
    assert shown == [{"block"}]  # the "ok" rows were never on screen
    assert {row.job_ref for row in _rows(model)} == {"J-000102", "J-000109", "J-000104"}


def test_cells_say_the_verdict_in_words_and_colours(qtbot: QtBot, runner: TaskRunner, source: LocalReviewSource) -> None:
    model = ReviewRecordsModel(runner)
    model.set_source(source)
    model.set_filter(ReviewFilter(text="J-000102"))
    _loaded(qtbot, model)
    assert model.rowCount() == 1
    verdict = model.index(0, COL_VERDICT)
    assert verdict.data() == "STOP"
    assert verdict.data(Qt.ItemDataRole.BackgroundRole).name().upper() == "#B71C1C"
    assert model.index(0, COL_OVERRIDE).data() == "Yes"
    assert model.index(0, COL_SR).data() == "failed 1, 4/5 done"
    assert model.index(0, COL_REGIME).data().startswith("Tactical")
    assert model.headerData(COL_DATE, Qt.Orientation.Horizontal) == "Date"
    model.set_filter(ReviewFilter(text="J-000103"))
    _loaded(qtbot, model)
    aborted = model.index(0, COL_VERDICT)  # an aborted visit reads as aborted, in a neutral colour, never OK
    assert aborted.data() == "ABORTED"
    assert aborted.data(Qt.ItemDataRole.BackgroundRole).name().upper() == "#37474F"
    assert model.index(0, COL_SR).data() == "none sent (aborted)"


def test_a_database_that_cannot_be_read_is_one_plain_sentence(
    qtbot: QtBot, runner: TaskRunner, tmp_path: Path
) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    ctx = AppContext(folder)
    ctx.db_path.write_bytes(b"this is not a database" * 100)
    model = ReviewRecordsModel(runner)
    with qtbot.waitSignal(model.failed, timeout=10_000) as failed:
        model.set_source(LocalReviewSource(ctx))
    message = str(failed.args[0])
    assert "database" in message and "Traceback" not in message and "SELECT" not in message
    assert model.rowCount() == 0 and not model.canFetchMore(QModelIndex())  # no retry loop
    ctx.close()


def test_qt_model_checks_pass_on_every_model(
    qtbot: QtBot, qtmodeltester: object, runner: TaskRunner, source: LocalReviewSource
) -> None:
    model = ReviewRecordsModel(runner, page_size=3)
    model.set_source(source)
    _loaded(qtbot, model)
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
        _loaded(qtbot, model)
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    approvals = ApprovalsModel()
    approvals.set_rows(source.approvals())
    assert approvals.rowCount() == 1
    qtmodeltester.check(approvals)  # type: ignore[attr-defined]
    chains = ChainsModel()
    chains.set_rows(source.chains())
    qtmodeltester.check(chains)  # type: ignore[attr-defined]
