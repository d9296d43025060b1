"""The laptop's review source over a real SQLite file: filters, sorts, keyset pages, detail, upgrade."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from app.services.context import AppContext
from app.services.review.contract import (
    ReviewError,
    ReviewFilter,
    ReviewSort,
    SortColumn,
    SrProgress,
)
from app.services.review.local import THIS_LAPTOP, LocalReviewSource
from app.store import audit, outbox, visit_repo
from app.store.migrations import LATEST_VERSION
from tests.review_helpers import SeedVisit, expected, intent_rows, seed, sort_key, walk


def store_visits(ctx: AppContext, visits: list[SeedVisit]) -> None:
    """Write the seed through the laptop's own writers (triggers keep the review index)."""
    with ctx.engine.begin() as conn:
        for v in visits:
            started = v.started_at.isoformat(timespec="microseconds")
            outbox.insert_visit(
                conn,
                outbox.VisitValues(
                    id=v.id, job_ref=v.job_ref, ppmid=v.ppmid, hub=v.hub, meter=None, meter_type=None,
                    verdict_level=v.verdict_level, regime=v.regime, regime_source="settings",
                    reasons=[{"code": c, "severity": v.verdict_level, "message": f"said {c}"} for c in v.reasons],
                    override_reason="customer insisted" if v.overridden else None,
                    outcome=v.outcome, abort_reason="no access" if v.outcome == "aborted" else None,
                    meta={"scenario": v.scenario, "resulting_smets": "SMETS2+"},
                    started_at=started, finished_at=started,
                ),
            )
            rows = intent_rows(v)
            outbox.insert_intents(
                conn,
                [
                    outbox.NewIntent(key, "UpdateHANDeviceLog", srv, 1, v.ppmid, False, {}, "<x/>",
                                     needs_approval=(srv == "8.7.1" and state == "queued"))
                    for key, srv, state, _code in rows
                ],
                install_id=v.id, job_ref=v.job_ref, now=started,
            )
            audit.append(conn, "install.recorded", v.id, {"job_ref": v.job_ref}, at=started)
            if v.plan == "withdrawn":
                visit_repo.withdraw(conn, v.id, "wrong job", started)
            for key, _srv, state, code in rows:
                if state not in ("queued", "withdrawn"):
                    conn.execute(
                        text("UPDATE outbox_intents SET state = :s, response_code = :c, updated_at = :t "
                             "WHERE idempotency_key = :k"),
                        {"s": state, "c": code, "t": started, "k": key},
                    )


@pytest.fixture()
def laptop(tmp_path: Path) -> tuple[LocalReviewSource, list[SeedVisit]]:
    ctx = AppContext(tmp_path / "data")
    visits = seed()
    store_visits(ctx, visits)
    source = LocalReviewSource(ctx)
    yield source, visits
    ctx.close()


def ids(pages: list) -> list[str]:  # type: ignore[type-arg]
    return [row.record_id for page in pages for row in page.rows]


FILTERS = [
    ReviewFilter(),
    ReviewFilter(date_from=date(2025, 3, 30)),
    ReviewFilter(date_to=date(2025, 3, 29)),
    ReviewFilter(date_from=date(2025, 3, 30), date_to=date(2025, 3, 30)),
    ReviewFilter(installer=THIS_LAPTOP),
    ReviewFilter(installer="someone else"),
    ReviewFilter(verdict_level="block"),
    ReviewFilter(verdict_level="unknown"),
    ReviewFilter(reason_code="NOT_ON_CPL"),
    ReviewFilter(reason_code="CPL_STATUS"),
    ReviewFilter(overridden=True),
    ReviewFilter(overridden=False),
    *[ReviewFilter(sr_state=s) for s in SrProgress],
    ReviewFilter(text="J-0003"),
    ReviewFilter(text="j-000"),
    ReviewFilter(text="aa00000000000001"),  # PPMID prefix typed without hyphens (…01, …10-…1F)
    ReviewFilter(text="BB-00-00-00-00-00-00-05"),
    ReviewFilter(verdict_level="block", overridden=False, sr_state=SrProgress.FAILED),
]


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: ",".join(f"{k}={v}" for k, v in vars(f).items() if v not in (None, "")) or "any")
def test_every_filter_answers_what_the_seed_says(laptop: tuple[LocalReviewSource, list[SeedVisit]], flt: ReviewFilter) -> None:
    source, visits = laptop
    want = expected(visits, flt, installer_of=lambda v: THIS_LAPTOP)
    got = ids(list(walk(source, flt, ReviewSort(), 7)))
    want_order = sorted(want, key=lambda v: (v.started_at, v.id), reverse=True)
    assert got == [v.id for v in want_order]
    if flt not in (ReviewFilter(), ReviewFilter(installer=THIS_LAPTOP)):
        assert len(want) < len(visits)  # the filter really narrowed something


@pytest.mark.parametrize("column", list(SortColumn))
@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("limit", [1, 4, 500])
def test_each_sort_both_ways_pages_without_gaps_or_repeats(
    laptop: tuple[LocalReviewSource, list[SeedVisit]], column: SortColumn, descending: bool, limit: int
) -> None:
    source, visits = laptop
    pages = list(walk(source, ReviewFilter(), ReviewSort(column, descending), limit))
    got = ids(pages)
    want = sorted(visits, key=lambda v: (*sort_key(v, column, lambda _v: THIS_LAPTOP), v.id), reverse=descending)
    assert got == [v.id for v in want]
    assert all(len(p.rows) == limit for p in pages[:-1])
    assert pages[-1].next_cursor is None


def test_reason_filter_pages_across_ties(laptop: tuple[LocalReviewSource, list[SeedVisit]]) -> None:
    source, visits = laptop
    flt = ReviewFilter(reason_code="SMETS_MISMATCH")
    for descending in (True, False):
        got = ids(list(walk(source, flt, ReviewSort(SortColumn.STARTED_AT, descending), 2)))
        want = sorted(expected(visits, flt), key=lambda v: (v.started_at, v.id), reverse=descending)
        assert got == [v.id for v in want]


def test_rows_carry_the_visit_as_recorded(laptop: tuple[LocalReviewSource, list[SeedVisit]]) -> None:
    source, visits = laptop
    rows = {r.record_id: r for p in walk(source, ReviewFilter(), ReviewSort(), 500) for r in p.rows}
    for v in visits:
        row = rows[v.id]
        assert (row.job_ref, row.ppmid, row.hub, row.verdict_level, row.overridden, row.sr_state) == (
            v.job_ref, v.ppmid, v.hub, v.verdict_level, v.overridden, v.sr_state
        )
        assert row.started_at == v.started_at and row.installer == THIS_LAPTOP
        assert (row.scenario, row.regime, row.outcome) == (v.scenario, v.regime, v.outcome)
        states = [s for _k, _srv, s, _c in intent_rows(v)]
        assert (row.sr_total, row.sr_done, row.sr_failed) == (
            len(states), states.count("succeeded"), states.count("failed")
        )


def test_a_sync_moving_an_intent_on_changes_the_visits_progress(laptop: tuple[LocalReviewSource, list[SeedVisit]]) -> None:
    source, visits = laptop
    waiting = next(v for v in visits if v.plan == "waiting")
    with source._ctx.engine.begin() as conn:  # noqa: SLF001 - the same database the sync worker writes
        conn.execute(text("UPDATE outbox_intents SET state = 'failed' WHERE install_id = :i"), {"i": waiting.id})
    failed = ids(list(walk(source, ReviewFilter(sr_state=SrProgress.FAILED), ReviewSort(), 500)))
    assert waiting.id in failed


def test_detail_has_reasons_remedies_timelines_job_and_journal_hash(
    laptop: tuple[LocalReviewSource, list[SeedVisit]],
) -> None:
    source, visits = laptop
    failed_block = next(v for v in visits if v.verdict_level == "block" and v.plan == "failed")
    with source._ctx.engine.begin() as conn:  # noqa: SLF001
        conn.execute(
            text("INSERT INTO jobs (job_ref, personal_mpxn, personal_address_lines, personal_postcode, visit_date, "
                 "source_file, imported_at) VALUES (:j, '1234567890123', '[\"1 High St\", \"Leeds\"]', 'LS1 1AA', "
                 "'', '', '2025-01-01 00:00:00')"),
            {"j": failed_block.job_ref},
        )
        journal_hash = conn.execute(
            text("SELECT entry_hash FROM audit_journal WHERE subject = :i"), {"i": failed_block.id}
        ).scalar_one()
    detail = source.detail(failed_block.id)
    assert detail.row.record_id == failed_block.id
    assert [r["code"] for r in detail.reasons] == ["SMETS_MISMATCH", "NOT_ON_CPL"]
    assert detail.reasons[0]["text"] == "said SMETS_MISMATCH" and detail.reasons[0]["level"] == "block"
    assert detail.reasons[0]["remedy"]  # the catalogue's remedies for the code
    assert detail.resulting_smets == "SMETS2+"
    assert (detail.mpxn, detail.address, detail.postcode) == ("1234567890123", ["1 High St", "Leeds"], "LS1 1AA")
    assert detail.audit_hash == journal_hash
    assert [r.srv for r in detail.requests] == ["8.11", "8.7.1"]
    failed = detail.requests[1]
    assert failed.state == "failed" and failed.response_code == "E12" and failed.srv_name.startswith("Join")
    assert [e.state for e in failed.events][-1] == "failed"
    with pytest.raises(ReviewError, match="no visit"):
        source.detail("not-a-visit")


def test_summary_counts_gb_days_overrides_failures_and_regimes(laptop: tuple[LocalReviewSource, list[SeedVisit]]) -> None:
    source, visits = laptop
    summary = source.summary(ReviewFilter())
    assert sum(d.count for d in summary.visits_per_day) == len(visits)
    # 22:30 UTC on 29 March is still the 29th in GB; 23:30 UTC is 00:30 BST on the 30th.
    first_day = {d.day for d in summary.visits_per_day}
    assert first_day == {date(2025, 3, 29), date(2025, 3, 30)}
    recorded = [v for v in visits if v.outcome == "recorded"]
    assert summary.override_rate == {THIS_LAPTOP: (sum(v.overridden for v in recorded), len(recorded))}
    assert summary.sr_failures == {("8.7.1", "E12"): sum(v.plan == "failed" for v in visits)}
    assert [r for _d, r in summary.regime_periods] == ["tactical", "mp202"]
    narrowed = source.summary(ReviewFilter(verdict_level="ok"))
    assert {d.level for d in narrowed.visits_per_day} == {"ok"}


def test_approvals_listed_but_never_decided_on_a_laptop(laptop: tuple[LocalReviewSource, list[SeedVisit]]) -> None:
    source, visits = laptop
    assert source.can_approve is False
    pending = source.approvals()
    assert {p.record_id for p in pending} == {v.id for v in visits if v.plan == "waiting"}
    assert all(p.kind == "remedy_8_4" and p.srv == "8.7.1" for p in pending)
    with pytest.raises(ReviewError, match="back office"):
        source.decide(pending[0].approval_id, True, "fine")


def test_chain_state_is_the_journal_check(laptop: tuple[LocalReviewSource, list[SeedVisit]], tmp_path: Path) -> None:
    source, visits = laptop
    [chain] = source.chains()
    assert chain.intact and chain.entries == len(visits) and chain.first_broken is None
    db = tmp_path / "data" / "hubcheck.db"
    raw = sqlite3.connect(db)
    raw.execute("UPDATE audit_journal SET subject = 'edited' WHERE id = 5")
    raw.commit()
    raw.close()
    [chain] = source.chains()
    assert not chain.intact and "entry 5" in (chain.first_broken or "")


def test_bad_cursor_and_bad_range_are_plain_errors(laptop: tuple[LocalReviewSource, list[SeedVisit]]) -> None:
    source, _visits = laptop
    first = source.page(ReviewFilter(), ReviewSort(), None, 3)
    assert first.next_cursor
    with pytest.raises(ReviewError, match="another sort"):
        source.page(ReviewFilter(), ReviewSort(SortColumn.JOB_REF), first.next_cursor, 3)
    with pytest.raises(ReviewError, match="damaged"):
        source.page(ReviewFilter(), ReviewSort(), "%%%not-a-cursor", 3)
    with pytest.raises(ReviewError, match="before it starts"):
        source.page(ReviewFilter(date_from=date(2025, 4, 2), date_to=date(2025, 4, 1)), ReviewSort())


def test_a_version_5_database_gets_the_index_filled_from_its_visits(tmp_path: Path) -> None:
    """Schema step 6 on a laptop that recorded visits before the review existed."""
    data = tmp_path / "old"
    ctx = AppContext(data)
    visits = seed(12)
    store_visits(ctx, visits)
    ctx.close()
    raw = sqlite3.connect(data / "hubcheck.db")
    for name in ("review_visit_added", "review_visit_changed", "review_visit_removed", "review_intent_added",
                 "review_intent_moved"):
        raw.execute(f"DROP TRIGGER {name}")
    raw.execute("DROP TABLE review_visit_reasons")
    raw.execute("DROP TABLE review_visits")
    raw.execute("DROP INDEX ix_audit_subject")
    raw.execute("PRAGMA user_version = 5")
    raw.commit()
    raw.close()
    source = LocalReviewSource(data)
    try:
        got = ids(list(walk(source, ReviewFilter(), ReviewSort(SortColumn.SR_STATE, False), 5)))
        want = sorted(visits, key=lambda v: (*sort_key(v, SortColumn.SR_STATE), v.id))
        assert got == [v.id for v in want]
        assert ids(list(walk(source, ReviewFilter(reason_code="CPL_STATUS"), ReviewSort(), 5))) == [
            v.id for v in sorted(expected(visits, ReviewFilter(reason_code="CPL_STATUS")),
                                 key=lambda v: (v.started_at, v.id), reverse=True)
        ]
    finally:
        source.close()
    raw = sqlite3.connect(data / "hubcheck.db")
    assert raw.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION >= 6
    triggers = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"review_visit_added", "review_intent_moved"} <= triggers
    raw.close()
    assert list(data.glob("hubcheck.db.v5.*.bak"))  # backed up before the step
