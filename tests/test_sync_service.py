"""The background worker: the timer drains the queue, "Sync now" skips the wait, a returning network syncs at once (due work only)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services.context import AppContext
from app.services.queue import queue_counts
from app.sync.engine import SyncReport
from app.sync.service import SyncService
from tests.sync_helpers import Backoffice, backoffice_token, free_port, running_backoffice
from tests.test_sync_backoffice import fill


@pytest.fixture(scope="module")
def backoffice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backoffice]:
    with running_backoffice(tmp_path_factory.mktemp("bo") / "backoffice.db") as bo:
        yield bo


def _laptop(tmp_path: Path, bo: Backoffice, url: str | None = None) -> AppContext:
    ctx = AppContext(tmp_path / "laptop")
    token = backoffice_token(bo.db_url, f"inst-{uuid.uuid4().hex[:10]}")
    ctx.settings.set_many({"backoffice_url": url or bo.url, "backoffice_token": token})
    return ctx


def _wait_until(predicate: object, timeout: float = 45.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_the_timer_drains_the_queue_without_anyone_asking(tmp_path: Path, backoffice: Backoffice) -> None:
    ctx = _laptop(tmp_path, backoffice)
    reports: list[SyncReport] = []
    service = SyncService(ctx, interval=0.2, on_report=reports.append)
    service.start()
    try:
        assert service.wait_for_passes(1)
        fill(ctx, 25)
        assert _wait_until(lambda: queue_counts(ctx)["accepted"] == 25)
    finally:
        service.stop()
    assert not service.running
    assert reports and all(r.status == "ok" for r in reports)


def test_sync_now_runs_a_pass_at_once(tmp_path: Path, backoffice: Backoffice) -> None:
    ctx = _laptop(tmp_path, backoffice)
    service = SyncService(ctx, interval=3600)
    service.start()
    try:
        assert service.wait_for_passes(1)
        fill(ctx, 10)
        started = time.monotonic()
        service.sync_now()
        assert service.wait_for_passes(2, timeout=45)
        assert time.monotonic() - started < 5
        assert queue_counts(ctx)["accepted"] == 10
    finally:
        service.stop()


def test_when_the_back_office_comes_back_the_worker_syncs_at_once(tmp_path: Path) -> None:
    port = free_port()
    db = tmp_path / "later.db"
    from app.backoffice.db import open_store

    open_store(f"sqlite:///{db}").dispose()
    bo_stub = Backoffice(url=f"http://127.0.0.1:{port}", db_url=f"sqlite:///{db}", process=None, port=port)  # type: ignore[arg-type]
    ctx = _laptop(tmp_path, bo_stub)
    fill(ctx, 15)
    service = SyncService(ctx, interval=3600, probe_interval=0.2)
    service.start()
    try:
        assert service.wait_for_passes(1)
        assert service.last_report is not None and service.last_report.status == "offline"
        with running_backoffice(db, port=port):
            assert _wait_until(lambda: queue_counts(ctx)["accepted"] == 15)
        assert service.last_report is not None and service.last_report.status == "ok"
    finally:
        service.stop()


def test_network_changed_triggers_a_pass(tmp_path: Path, backoffice: Backoffice) -> None:
    ctx = _laptop(tmp_path, backoffice)
    service = SyncService(ctx, interval=3600)
    service.network_changed(False)
    service.start()
    try:
        assert service.wait_for_passes(1)
        fill(ctx, 5)
        service.network_changed(True)
        assert service.wait_for_passes(2, timeout=45)
        assert queue_counts(ctx)["accepted"] == 5
    finally:
        service.stop()


def test_a_listener_that_raises_does_not_stop_the_worker(tmp_path: Path, backoffice: Backoffice) -> None:
    ctx = _laptop(tmp_path, backoffice)

    def bad_listener(_report: SyncReport) -> None:
        raise RuntimeError("widget gone")

    service = SyncService(ctx, interval=0.1, on_report=bad_listener)
    service.start()
    try:
        assert service.wait_for_passes(3)
        assert service.running
    finally:
        service.stop()
