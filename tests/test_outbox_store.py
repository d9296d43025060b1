"""The outbox tables and state changes, on real SQLite files."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text

from app.services.context import AppContext
from app.store import outbox
from app.store.db import make_engine
from app.store.migrations import LATEST_VERSION, migrate

OUTBOX = {"install_visits", "outbox_intents", "outbox_counters", "outbox_exports", "audit_journal"}


def _ctx(tmp_path: Path) -> AppContext:
    return AppContext(tmp_path / "data")


def _new(n: int, srv: str = "11.2") -> list[outbox.NewIntent]:
    return [
        outbox.NewIntent(
            idempotency_key=str(uuid.uuid4()),
            kind="ReadFirmwareVersion",
            srv=srv,
            command_variant=1,
            target=f"00-00-00-00-00-00-00-{i % 250 + 1:02X}",
            critical=False,
            payload={"format": "hubcheck-duis-intent/1", "kind": "ReadFirmwareVersion", "body": {"i": i}},
            duis_xml="<x/>",
        )
        for i in range(n)
    ]


def _fill(ctx: AppContext, n: int) -> None:
    with ctx.engine.begin() as conn:
        outbox.insert_intents(conn, _new(n), install_id=None, job_ref="J-1", now="2026-01-01T00:00:00+00:00")


def _states(ctx: AppContext) -> list[str]:
    with ctx.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT state FROM outbox_intents ORDER BY id"))]


def test_new_database_has_outbox_tables_at_latest_version(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    names = set(inspect(ctx.engine).get_table_names())
    assert names >= OUTBOX
    with ctx.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA user_version").scalar() == LATEST_VERSION >= 2


def test_version_1_database_is_upgraded_with_a_backup(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    raw = sqlite3.connect(db)
    raw.execute("CREATE TABLE jobs (job_ref TEXT PRIMARY KEY, personal_mpxn TEXT)")
    raw.execute("INSERT INTO jobs VALUES ('J-OLD', '1900000000001')")
    raw.execute("PRAGMA user_version=1")
    raw.commit()
    raw.close()
    engine = make_engine(db)
    try:
        assert migrate(engine, db) == 1
        names = set(inspect(engine).get_table_names())
        assert names >= OUTBOX
        with engine.connect() as conn:
            assert conn.execute(text("SELECT job_ref FROM jobs")).scalar() == "J-OLD"
    finally:
        engine.dispose()
    assert list(tmp_path.glob("old.db.v1.*.bak"))


def test_claim_marks_sent_and_counts_the_attempt(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    _fill(ctx, 5)
    with ctx.engine.begin() as conn:
        claimed = outbox.claim_due(conn, now=100.0, now_text="t", limit=3)
    assert [c.id for c in claimed] == [1, 2, 3]
    assert all(c.attempts == 1 for c in claimed)
    assert _states(ctx) == ["sent", "sent", "sent", "queued", "queued"]


def test_backoff_holds_a_row_until_due_unless_ignored(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    _fill(ctx, 1)
    with ctx.engine.begin() as conn:
        (c,) = outbox.claim_due(conn, now=100.0, now_text="t", limit=10)
        outbox.release(conn, [(c.id, 160.0)], "HTTP 500", "t")
    with ctx.engine.begin() as conn:
        assert outbox.claim_due(conn, now=150.0, now_text="t", limit=10) == []
        assert outbox.earliest_due(conn) == 160.0
    with ctx.engine.begin() as conn:
        again = outbox.claim_due(conn, now=150.0, now_text="t", limit=10, ignore_backoff=True)
    assert [a.attempts for a in again] == [2]
    view = outbox.list_intents(ctx.engine.connect())[0]
    assert view.last_error == "HTTP 500"


def test_answers_move_forward_only(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    _fill(ctx, 2)
    with ctx.engine.begin() as conn:
        a, b = outbox.claim_due(conn, now=1.0, now_text="t", limit=2)
        outbox.record_answers(
            conn,
            [(a.id, outbox.ServerAnswer("submitted", request_id="R1")), (b.id, outbox.ServerAnswer("accepted"))],
            "t",
        )
        # a late "accepted" never pulls a submitted intent back
        assert outbox.record_answers(conn, [(a.id, outbox.ServerAnswer("accepted"))], "t") == 0
        # a late failure release never touches an answered row
        assert outbox.release(conn, [(b.id, 0.0)], "late", "t") == 0
    assert _states(ctx) == ["submitted", "accepted"]


def test_status_changes_apply_by_key_and_forward_only(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    _fill(ctx, 1)
    key = outbox.list_intents(ctx.engine.connect())[0].idempotency_key
    with ctx.engine.begin() as conn:
        changes = [
            outbox.StatusUpdate(key, outbox.ServerAnswer("accepted", seq=1)),
            outbox.StatusUpdate(key, outbox.ServerAnswer("submitted", request_id="O:T:7", seq=2)),
            outbox.StatusUpdate(key, outbox.ServerAnswer("failed", response_code="E65", reason="no answer", seq=3)),
        ]
        assert outbox.apply_status_changes(conn, changes, "t") == 3
        assert outbox.apply_status_changes(conn, [changes[0]], "t") == 0
    view = outbox.list_intents(ctx.engine.connect())[0]
    assert (view.state, view.request_id, view.response_code, view.last_error) == ("failed", "O:T:7", "E65", "no answer")


def test_recovery_returns_sent_rows_to_queued(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    _fill(ctx, 4)
    with ctx.engine.begin() as conn:
        outbox.claim_due(conn, now=1.0, now_text="t", limit=2)
    ctx.close()  # "crash": the process goes away with rows in flight
    ctx2 = _ctx(tmp_path)
    with ctx2.engine.begin() as conn:
        assert outbox.recover_in_flight(conn) == 2
    assert _states(ctx2) == ["queued"] * 4


def test_counter_is_monotonic_and_respects_its_floor(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    with ctx.engine.begin() as conn:
        first = outbox.next_counter(conn, "c", floor=1000)
        second = outbox.next_counter(conn, "c", floor=10)
        third = outbox.next_counter(conn, "c", floor=5000)
    assert (first, second, third) == (1000, 1001, 5000)
    ctx.close()
    with _ctx(tmp_path).engine.begin() as conn:  # persisted across a restart
        assert outbox.next_counter(conn, "c") == 5001


def test_the_status_cursor_only_advances(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    with ctx.engine.begin() as conn:
        outbox.raise_counter(conn, "cur", 40)
        outbox.raise_counter(conn, "cur", 12)
        assert outbox.read_counter(conn, "cur") == 40


_OPS = st.lists(
    st.tuples(
        st.sampled_from(["claim", "answer", "release", "recover", "status"]),
        st.integers(min_value=1, max_value=6),
        st.sampled_from(sorted(outbox.SERVER_STATES)),
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_OPS)
def test_any_sequence_of_events_never_loses_or_regresses_an_intent(tmp_path: Path, ops: list) -> None:
    ctx = AppContext(tmp_path / f"h{uuid.uuid4().hex}")
    _fill(ctx, 6)
    server_rank: dict[int, int] = {}
    with ctx.engine.connect() as conn:
        keys = {v.id: v.idempotency_key for v in outbox.list_intents(conn)}
    for op, n, state in ops:
        with ctx.engine.begin() as conn:
            before = {v.id: v.state for v in outbox.list_intents(conn)}
            if op == "claim":
                outbox.claim_due(conn, now=1e12, now_text="t", limit=n)
            elif op == "answer":
                sent = [i for i, s in before.items() if s == "sent"][:n]
                outbox.record_answers(conn, [(i, outbox.ServerAnswer(state)) for i in sent], "t")
            elif op == "release":
                outbox.release(conn, [(i, 0.0) for i, s in before.items() if s == "sent"], "e", "t")
            elif op == "recover":
                outbox.recover_in_flight(conn)
            else:
                outbox.apply_status_changes(conn, [outbox.StatusUpdate(keys[n], outbox.ServerAnswer(state))], "t")
            after = {v.id: v.state for v in outbox.list_intents(conn)}
        assert set(after) == set(before)  # nothing is ever deleted
        for i, s in after.items():
            old = before[i]
            back_to_queue = old == "sent" and s == "queued"
            assert back_to_queue or outbox.RANK[s] >= outbox.RANK[old], (old, s)
            if outbox.RANK[s] >= 2:
                server_rank[i] = max(server_rank.get(i, 0), outbox.RANK[s])
            assert outbox.RANK[s] >= server_rank.get(i, 0)  # once the server has it, it stays ahead
    ctx.close()
