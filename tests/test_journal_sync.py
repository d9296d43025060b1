"""A laptop's journal travels with each sync to a real back office on 127.0.0.1 (SQLite and PostgreSQL),
and a journal changed with plain SQL, on the laptop before a sync or at the back office after
it, is named by ``hubcheck-backoffice audit verify``."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from app.backoffice.cli import main as backoffice_main
from app.backoffice.db import Store
from app.services.context import AppContext
from app.store import audit, outbox
from app.store.journal_sync import ensure_laptop_id
from app.sync.engine import journal_counter_names, sync_once
from tests.sync_helpers import free_port
from tests.test_backoffice_live import app_in_thread
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import issue_token


@pytest.fixture
def live(store: Store) -> Iterator[str]:
    with app_in_thread(store) as url:
        yield url


def laptop(tmp_path: Path, url: str, token: str) -> AppContext:
    ctx = AppContext(tmp_path / f"laptop-{uuid.uuid4().hex[:8]}")
    ctx.settings.set_many({"backoffice_url": url, "backoffice_token": token})
    return ctx


def write_entries(ctx: AppContext, n: int) -> None:
    with ctx.engine.begin() as conn:
        for i in range(n):
            audit.append(conn, "test.entry", f"visit-{i}", {"n": i})


def plain_sql(ctx: AppContext, *statements: str) -> None:
    """Change the laptop's database behind HubCheck's back, as someone with a SQLite shell would."""
    ctx.close()
    with sqlite3.connect(ctx.db_path) as db:
        for statement in statements:
            db.execute(statement)


def journal_length(ctx: AppContext) -> int:
    with ctx.engine.connect() as conn:
        return len(audit.entries(conn))


def verify(db_url: str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    capsys.readouterr()
    code = backoffice_main(["--db", db_url, "audit", "verify", *extra])
    return code, capsys.readouterr().out


def test_the_journal_arrives_whole_and_a_second_sync_sends_nothing(
    tmp_path: Path, store: Store, db_url: str, live: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ctx = laptop(tmp_path, live, issue_token(store, "alice"))
    write_entries(ctx, 7)
    first = sync_once(ctx)
    assert first.status == "ok", first.errors
    written = journal_length(ctx)  # the 7, the laptop's identity and the regime it adopted
    assert written == 9
    assert (first.journal_sent, first.journal_left, first.journal_intact) == (written, 0, True)
    laptop_id = ctx.setting("laptop_id")
    assert uuid.UUID(laptop_id)
    code, out = verify(db_url, capsys)
    assert code == 0 and f"alice, laptop {laptop_id}: journal intact, {written} entries" in out
    again = sync_once(ctx)
    assert (again.journal_sent, again.journal_left) == (0, 0)
    assert ctx.setting("laptop_id") == laptop_id


@pytest.mark.parametrize(
    ("statements", "named"),
    [
        (["UPDATE audit_journal SET detail_json = '{\"n\":99}' WHERE id = 4"],
         "entry 4 was changed after it was written"),
        (["DELETE FROM audit_journal WHERE id = 4"], "entry 4 is missing: entry 5 follows entry 3"),
        (["UPDATE audit_journal SET id = -1 WHERE id = 4", "UPDATE audit_journal SET id = 4 WHERE id = 5",
          "UPDATE audit_journal SET id = 5 WHERE id = -1"],
         "entry 4 does not follow entry 3"),
        (["DELETE FROM audit_journal WHERE id >= 7"], "2 were cut before they were synced"),
    ],
    ids=["edit", "delete", "reorder", "cut-end"],
)
def test_a_journal_changed_on_the_laptop_before_its_sync_is_named_at_the_back_office(
    tmp_path: Path, store: Store, db_url: str, live: str, capsys: pytest.CaptureFixture[str],
    statements: list[str], named: str,
) -> None:
    ctx = laptop(tmp_path, live, issue_token(store, "bob"))
    ensure_laptop_id(ctx.engine, ctx.settings)  # entry 1
    write_entries(ctx, 7)  # entries 2-8
    plain_sql(ctx, *statements)
    report = sync_once(ctx)
    assert report.status == "ok", report.errors
    assert report.journal_intact is False and named in (report.journal_problem or "")
    code, out = verify(db_url, capsys, "--installer", "bob")
    assert code == 1, out
    assert "journal BROKEN" in out and named in out
    code, out = verify(db_url, capsys, "--installer", "nobody")
    assert code == 0 and "no laptop journal of nobody" in out


@pytest.mark.parametrize(
    ("statements", "named"),
    [
        (["UPDATE bo_journal_entries SET subject = 'visit-x' WHERE entry_id = 3"],
         "entry 3 was changed after it was written"),
        (["DELETE FROM bo_journal_entries WHERE entry_id = 3"], "entry 3 is missing: entry 4 follows entry 2"),
        (["UPDATE bo_journal_entries SET entry_id = -1 WHERE entry_id = 3",
          "UPDATE bo_journal_entries SET entry_id = 3 WHERE entry_id = 4",
          "UPDATE bo_journal_entries SET entry_id = 4 WHERE entry_id = -1"],
         "entry 3 does not follow entry 2"),
        (["DELETE FROM bo_journal_entries WHERE entry_id >= 5"],
         "entries after entry 4 were removed at the back office: it had received up to entry 7"),
    ],
    ids=["edit", "delete", "reorder", "cut-end"],
)
def test_a_journal_changed_at_the_back_office_after_its_sync_is_named(
    tmp_path: Path, store: Store, db_url: str, live: str, capsys: pytest.CaptureFixture[str],
    statements: list[str], named: str,
) -> None:
    ctx = laptop(tmp_path, live, issue_token(store, "carol"))
    write_entries(ctx, 5)
    assert sync_once(ctx).journal_intact is True
    assert verify(db_url, capsys)[0] == 0
    with store.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    code, out = verify(db_url, capsys, "--json")
    assert code == 1
    assert named in out and '"ok": false' in out


def test_a_replay_after_a_lost_answer_stores_nothing_twice(
    tmp_path: Path, store: Store, live: str
) -> None:
    ctx = laptop(tmp_path, live, issue_token(store, "dave"))
    write_entries(ctx, 20)
    assert sync_once(ctx).journal_sent == journal_length(ctx) == 22
    acked, _reported = journal_counter_names(live, str(ctx.setting("backoffice_token")))
    with ctx.engine.begin() as conn:  # as if the back office's answer never arrived
        outbox.set_counter(conn, acked, 0)
    again = sync_once(ctx)
    assert (again.status, again.journal_sent, again.journal_intact) == ("ok", 22, True)
    with store.engine.connect() as conn:
        held = conn.execute(text("SELECT COUNT(*), COUNT(DISTINCT entry_id) FROM bo_journal_entries")).one()
    assert tuple(held) == (22, 22)


def test_an_unreachable_back_office_keeps_the_journal_queued(tmp_path: Path, store: Store, live: str) -> None:
    token = issue_token(store, "erin")
    ctx = laptop(tmp_path, f"http://127.0.0.1:{free_port()}", token)
    write_entries(ctx, 3)
    offline = sync_once(ctx, ignore_backoff=True)
    assert offline.status == "offline" and offline.journal_sent == 0
    ctx.settings.set("backoffice_url", live)
    online = sync_once(ctx, ignore_backoff=True)
    assert (online.status, online.journal_left) == ("ok", 0)
    assert online.journal_sent == journal_length(ctx) == 5  # the three, the identity, the regime: none lost


def test_the_laptop_id_survives_a_lost_or_edited_setting(tmp_path: Path) -> None:
    ctx = AppContext(tmp_path / "laptop")
    first = ensure_laptop_id(ctx.engine, ctx.settings)
    ctx.settings.path.unlink()  # the settings file is lost
    assert ensure_laptop_id(ctx.engine, ctx.settings) == first
    ctx.settings.set("laptop_id", str(uuid.uuid4()))  # someone edits it
    assert ensure_laptop_id(ctx.engine, ctx.settings) == first
    assert ctx.setting("laptop_id") == first
    with ctx.engine.connect() as conn:
        identities = [e for e in audit.entries(conn) if e.action == "laptop.identity"]
        assert len(identities) == 1 and audit.verify_chain(conn).ok
