"""Faults between the laptop and the real back office: nothing lost, nothing doubled, nothing rejected wrongly.

The back office is the real process; faults come from a real TCP proxy in front of it
(see ``tests/sync_helpers.py``), never from mocked HTTP.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services.context import AppContext
from app.services.queue import list_intents, queue_counts
from app.sync.backoff import backoff_delay
from app.sync.engine import sync_once
from tests.sync_helpers import (
    Backoffice,
    FaultProxy,
    backoffice_token,
    free_port,
    running_backoffice,
    server_keys,
)
from tests.test_sync_backoffice import fill

N = 120


@pytest.fixture(scope="module")
def backoffice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backoffice]:
    with running_backoffice(tmp_path_factory.mktemp("bo") / "backoffice.db") as bo:
        yield bo


@pytest.fixture
def proxy(backoffice: Backoffice) -> Iterator[FaultProxy]:
    with FaultProxy(backoffice.port) as p:
        yield p


def _laptop(tmp_path: Path, bo: Backoffice, url: str) -> tuple[AppContext, str]:
    name = f"inst-{uuid.uuid4().hex[:10]}"
    ctx = AppContext(tmp_path / "laptop")
    ctx.settings.set_many({"backoffice_url": url, "backoffice_token": backoffice_token(bo.db_url, name)})
    return ctx, name


def _all_queued_with(ctx: AppContext, words: str) -> None:
    views = list_intents(ctx)
    assert {v.state for v in views} == {"queued"}
    assert all(v.attempts >= 1 and v.last_error and words in v.last_error for v in views), views[0].last_error
    assert all(v.next_attempt_at > time.time() for v in views)  # backing off


def _exactly_once(bo: Backoffice, name: str, keys: list[str]) -> None:
    held = server_keys(bo.db_url, name)
    assert set(held) == set(keys)
    assert set(held.values()) == {1}


def test_service_down_keeps_everything_queued_then_delivers(tmp_path: Path, backoffice: Backoffice) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    ctx, name = _laptop(tmp_path, backoffice, dead)
    keys = fill(ctx, N)
    report = sync_once(ctx)
    assert report.status == "offline" and report.queued_left == N
    _all_queued_with(ctx, "cannot reach")
    report = sync_once(ctx)
    assert report.retried == 0  # backoff is honoured by the timer's passes
    assert {v.attempts for v in list_intents(ctx)} == {1}
    ctx.settings.set("backoffice_url", backoffice.url)
    report = sync_once(ctx, ignore_backoff=True)
    assert (report.status, report.created) == ("ok", N)
    _exactly_once(backoffice, name, keys)


def test_http_500_is_retried_later(tmp_path: Path, backoffice: Backoffice, proxy: FaultProxy) -> None:
    ctx, name = _laptop(tmp_path, backoffice, proxy.url)
    keys = fill(ctx, N)
    proxy.set("http500")
    report = sync_once(ctx, batch_size=50)
    assert report.status == "partial" and report.retried == 50  # stops after the first failed batch
    assert queue_counts(ctx)["queued"] == N and not server_keys(backoffice.db_url, name)
    failed = [v for v in list_intents(ctx) if v.attempts]
    assert all("HTTP 500" in (v.last_error or "") for v in failed)
    proxy.set("pass")
    report = sync_once(ctx, ignore_backoff=True, batch_size=50)
    assert (report.status, report.created) == ("ok", N)
    _exactly_once(backoffice, name, keys)


def test_a_timeout_after_the_back_office_stored_the_batch_ends_as_a_replay(
    tmp_path: Path, backoffice: Backoffice, proxy: FaultProxy
) -> None:
    ctx, name = _laptop(tmp_path, backoffice, proxy.url)
    keys = fill(ctx, N)
    # Generous timings: the back office must finish storing the batch (slow on a loaded
    # CI machine) before the client gives up, and the stall must outlast the client.
    proxy.stall_seconds = 6.0
    proxy.set("stall", fail_next=1)
    report = sync_once(ctx, http_timeout=2.5, pull_status=False)
    assert report.status == "partial" and "in time" in report.errors[0]
    assert queue_counts(ctx)["queued"] == N
    _exactly_once(backoffice, name, keys)  # it did arrive; the answer did not
    report = sync_once(ctx, ignore_backoff=True, http_timeout=5)
    assert (report.created, report.replayed) == (0, N)
    assert queue_counts(ctx)["accepted"] == N
    _exactly_once(backoffice, name, keys)


def test_after_a_lost_answer_the_status_pull_settles_the_intents_without_a_resend(
    tmp_path: Path, backoffice: Backoffice, proxy: FaultProxy
) -> None:
    ctx, name = _laptop(tmp_path, backoffice, proxy.url)
    keys = fill(ctx, N)
    proxy.stall_seconds = 6.0
    proxy.set("stall", fail_next=1)
    report = sync_once(ctx, http_timeout=2.5)  # the POST times out; the pull that follows works
    assert report.status == "partial" and report.status_applied == N
    assert queue_counts(ctx)["accepted"] == N
    assert sync_once(ctx, ignore_backoff=True).sent == 0
    _exactly_once(backoffice, name, keys)


@pytest.mark.parametrize("mode", ["drop_after", "refuse"])
def test_a_connection_dropped_mid_batch_loses_and_doubles_nothing(
    tmp_path: Path, backoffice: Backoffice, proxy: FaultProxy, mode: str
) -> None:
    ctx, name = _laptop(tmp_path, backoffice, proxy.url)
    keys = fill(ctx, N)
    report = sync_once(ctx, batch_size=40)  # first batch goes through
    assert report.created == N
    more = fill(ctx, N, start=1000)
    proxy.set(mode, fail_next=1)
    report = sync_once(ctx, batch_size=40)
    assert report.status == "partial" and report.retried == 40
    stored = 40 if mode == "drop_after" else 0  # dropped after / before the back office had it
    # The status pull after the fault settles what the back office did store.
    assert report.status_applied == stored
    assert queue_counts(ctx)["queued"] == N - stored
    report = sync_once(ctx, ignore_backoff=True, batch_size=40)
    assert report.status == "ok"
    assert (report.created, report.replayed) == (N - stored, 0)
    assert queue_counts(ctx)["accepted"] == 2 * N
    _exactly_once(backoffice, name, keys + more)


def test_duplicated_deliveries_are_stored_once(tmp_path: Path, backoffice: Backoffice, proxy: FaultProxy) -> None:
    ctx, name = _laptop(tmp_path, backoffice, proxy.url)
    keys = fill(ctx, N)
    proxy.set("duplicate")
    report = sync_once(ctx, batch_size=30)
    assert report.status == "ok"
    assert report.replayed == N  # the laptop hears the second delivery's answer
    assert queue_counts(ctx)["accepted"] == N
    _exactly_once(backoffice, name, keys)


def test_a_wrong_token_stops_the_pass_and_rejects_nothing(tmp_path: Path, backoffice: Backoffice) -> None:
    ctx, name = _laptop(tmp_path, backoffice, backoffice.url)
    keys = fill(ctx, N)
    good = str(ctx.setting("backoffice_token"))
    ctx.settings.set("backoffice_token", "not-the-token")
    report = sync_once(ctx)
    assert report.status == "auth_failed" and "token" in report.message
    assert queue_counts(ctx)["queued"] == N and queue_counts(ctx)["rejected"] == 0
    assert "refused the token" in (list_intents(ctx)[0].last_error or "")
    assert not server_keys(backoffice.db_url, name)
    ctx.settings.set("backoffice_token", good)
    assert sync_once(ctx, ignore_backoff=True).created == N
    _exactly_once(backoffice, name, keys)


def test_a_second_worker_on_the_same_folder_waits_its_turn(tmp_path: Path, backoffice: Backoffice) -> None:
    from app.sync.lock import SyncLock

    ctx, _ = _laptop(tmp_path, backoffice, backoffice.url)
    fill(ctx, 3)
    lock = SyncLock(ctx.data_dir)
    assert lock.acquire()
    try:
        assert sync_once(ctx).status == "busy"
        assert queue_counts(ctx)["queued"] == 3
    finally:
        lock.release()
    assert sync_once(ctx).created == 3


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    import random

    rng = random.Random(7)
    for attempts in range(1, 40):
        step = min(900.0, 2.0 * 2 ** (attempts - 1))
        delays = [backoff_delay(attempts, rng=rng) for _ in range(50)]
        assert all(step / 2 <= d <= step for d in delays)
        assert len({round(d, 6) for d in delays}) > 1  # jittered
    assert backoff_delay(1, retry_after=30.0) == 30.0
