"""Timed syncs honour each intent's backoff and the back office's Retry-After; only "Sync now" skips them.

Real parts only: a back office on 127.0.0.1 that answers ``503`` with ``Retry-After``
(``app.testing.stub_backoffice``), the real back-office process behind a real fault proxy,
a real SQLite data folder, and the real command line.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

import pytest

from app.cli import main
from app.services.context import AppContext
from app.services.queue import list_intents, queue_counts
from app.store import outbox
from app.sync.engine import not_before_name, sync_once, waiting_until
from app.testing.stub_backoffice import StubBackoffice
from tests.sync_helpers import Backoffice, FaultProxy, backoffice_token, running_backoffice, server_keys
from tests.test_sync_backoffice import fill


@pytest.fixture(scope="module")
def backoffice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backoffice]:
    with running_backoffice(tmp_path_factory.mktemp("bo") / "backoffice.db") as bo:
        yield bo


@pytest.fixture
def busy() -> Iterator[StubBackoffice]:
    with StubBackoffice("busy", retry_after=120) as bo:
        yield bo


def _laptop(data_dir: Path, url: str, token: str = "some-token") -> AppContext:
    ctx = AppContext(data_dir)
    ctx.settings.set_many({"backoffice_url": url, "backoffice_token": token})
    return ctx


def test_after_a_503_retry_after_timed_passes_leave_the_back_office_alone_and_sync_now_does_not(
    tmp_path: Path, busy: StubBackoffice
) -> None:
    ctx = _laptop(tmp_path / "laptop", busy.url)
    fill(ctx, 5)

    first = sync_once(ctx)  # a timed pass: the intents are due, so it asks
    assert first.status == "partial" and first.retry_after == 120
    assert busy.requests == ["POST /v1/intents"]  # asked to wait: no status pull, no regime after it
    assert first.not_before is not None and 110 < first.not_before - time.time() <= 121
    assert "asked HubCheck to wait 2 min" in first.message and "5 requests stay queued" in first.message
    assert all(v.next_attempt_at >= time.time() + 110 for v in list_intents(ctx))  # backoff ≥ Retry-After

    for _ in range(3):
        timed = sync_once(ctx)
        assert timed.status == "waiting" and timed.queued_left == 5
        assert "wait until" in timed.message and "Sync now" in timed.message
    assert len(busy.requests) == 1  # nobody knocked again

    ctx.close()  # a restart: the wait is kept in the data folder
    ctx = _laptop(tmp_path / "laptop", busy.url)
    assert sync_once(ctx).status == "waiting"
    assert len(busy.requests) == 1

    now = sync_once(ctx, ignore_backoff=True)  # "Sync now" asks anyway, and says the answer
    assert len(busy.requests) == 2 and busy.requests[-1] == "POST /v1/intents"
    assert now.status == "partial" and "asked HubCheck to wait" in now.message
    assert queue_counts(ctx)["queued"] == 5  # nothing lost
    ctx.close()


def test_the_wait_ends_when_its_time_has_passed(tmp_path: Path, busy: StubBackoffice) -> None:
    ctx = _laptop(tmp_path / "laptop", busy.url)
    sync_once(ctx)
    assert len(busy.requests) == 1
    with ctx.engine.begin() as conn:  # the 120 s have gone by
        outbox.set_counter(conn, not_before_name(busy.url), int(time.time()) - 1)
    assert waiting_until(ctx, busy.url) is None
    assert sync_once(ctx).status == "partial"
    assert len(busy.requests) == 2
    ctx.close()


def test_a_wait_from_a_clock_moved_back_is_not_honoured_for_hours(tmp_path: Path, busy: StubBackoffice) -> None:
    ctx = _laptop(tmp_path / "laptop", busy.url)
    with ctx.engine.begin() as conn:  # further ahead than any wait the engine keeps (15 min)
        outbox.set_counter(conn, not_before_name(busy.url), int(time.time()) + 6 * 3600)
    assert sync_once(ctx).status == "partial"
    assert len(busy.requests) == 1
    ctx.close()


def test_the_wait_belongs_to_one_back_office(tmp_path: Path, busy: StubBackoffice) -> None:
    ctx = _laptop(tmp_path / "laptop", busy.url)
    sync_once(ctx)
    with StubBackoffice("busy", retry_after=60) as other:
        ctx.settings.set("backoffice_url", other.url)
        assert sync_once(ctx).status == "partial"  # another back office: no wait inherited
        assert len(other.requests) == 1
    ctx.close()


def test_retry_after_as_an_http_date_is_honoured(tmp_path: Path) -> None:
    with StubBackoffice("busy", retry_after=formatdate(time.time() + 300, usegmt=True)) as bo:
        ctx = _laptop(tmp_path / "laptop", bo.url)
        report = sync_once(ctx)
        assert report.retry_after is not None and 290 < report.retry_after <= 300
        assert sync_once(ctx).status == "waiting"
        assert len(bo.requests) == 1
        ctx.close()


def test_a_good_sync_now_clears_the_wait(tmp_path: Path, backoffice: Backoffice) -> None:
    token = backoffice_token(backoffice.db_url, f"inst-{uuid.uuid4().hex[:10]}")
    ctx = _laptop(tmp_path / "laptop", backoffice.url, token)
    with ctx.engine.begin() as conn:  # a wait the back office asked for earlier
        outbox.set_counter(conn, not_before_name(backoffice.url), int(time.time()) + 120)
    fill(ctx, 3)
    assert sync_once(ctx).status == "waiting"
    assert sync_once(ctx, ignore_backoff=True).status == "ok"
    assert waiting_until(ctx, backoffice.url) is None
    report = sync_once(ctx)  # timed passes talk to it again
    assert report.status == "ok" and report.not_before is None
    ctx.close()


def test_a_timed_pass_sends_only_the_intents_that_are_due(tmp_path: Path, backoffice: Backoffice) -> None:
    name = f"inst-{uuid.uuid4().hex[:10]}"
    with FaultProxy(backoffice.port) as proxy:
        ctx = _laptop(tmp_path / "laptop", proxy.url, backoffice_token(backoffice.db_url, name))
        early = fill(ctx, 4)
        proxy.set("http500")  # no Retry-After: only each intent's own backoff applies
        assert sync_once(ctx).status == "partial"
        assert {v.attempts for v in list_intents(ctx)} == {1}
        with ctx.engine.begin() as conn:  # their backoff runs a minute (jitter keeps it short otherwise)
            conn.exec_driver_sql("UPDATE outbox_intents SET next_attempt_at = ?", (time.time() + 60,))
        proxy.set("pass")
        late = fill(ctx, 3, start=100)  # recorded after the fault: due at once

        timed = sync_once(ctx)
        assert (timed.status, timed.sent, timed.queued_left) == ("ok", 3, 4)
        assert set(server_keys(backoffice.db_url, name)) == set(late)  # the waiting four stayed home

        now = sync_once(ctx, ignore_backoff=True)  # "Sync now" sends them regardless
        assert (now.status, now.sent, now.queued_left) == ("ok", 4, 0)
        assert set(server_keys(backoffice.db_url, name)) == set(early) | set(late)
        ctx.close()


def test_cli_sync_sends_at_once_reports_the_wait_and_keeps_its_exit_codes(
    tmp_path: Path, busy: StubBackoffice, capsys: pytest.CaptureFixture[str]
) -> None:
    ctx = _laptop(tmp_path / "laptop", busy.url)
    fill(ctx, 2)
    sync_once(ctx)  # a timed pass earlier set the wait
    ctx.close()
    data = ["--data-dir", str(tmp_path / "laptop")]

    assert main([*data, "sync", "--once"]) == 1  # some left
    assert len(busy.requests) == 2  # the person's sync asked despite the wait
    assert "asked HubCheck to wait 2 min" in capsys.readouterr().out

    started = time.monotonic()
    assert main([*data, "sync", "--timeout", "20"]) == 1
    assert time.monotonic() - started < 10  # no pass could run before --timeout: it stops, not sleeps
    assert len(busy.requests) == 3
    assert "asked HubCheck to wait" in capsys.readouterr().out

    assert main([*data, "settings", "set", "backoffice_token", ""]) == 0
    assert main([*data, "sync", "--once"]) == 2  # not configured
