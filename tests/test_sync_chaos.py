"""Chaos: SIGKILL ``hubcheck sync`` at random moments while 1,000 intents sync, 50 times.

After each kill the laptop syncs to completion; then the back office must hold every
intent exactly once and every local row must be in the state the back office reports.
Each run has its own installer (token) and fresh idempotency keys on a copy of one
prepared laptop database, so the 50 runs stay short (the whole test: about 2-3 minutes).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services.context import AppContext
from app.store import audit
from app.store.settings import SettingsStore
from app.sync.engine import sync_once
from tests.sync_helpers import (
    REPO,
    Backoffice,
    backoffice_token,
    running_backoffice,
    server_keys,
    server_states,
)
from tests.test_sync_backoffice import fill

RUNS = 50
INTENTS = 1000
BATCH = 100
SEED = int(os.environ.get("HUBCHECK_CHAOS_SEED", "20261122"))


@pytest.fixture(scope="module")
def backoffice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backoffice]:
    with running_backoffice(tmp_path_factory.mktemp("bo") / "backoffice.db") as bo:
        yield bo


def _template(root: Path) -> Path:
    """A laptop data folder with 1,000 queued intents, made once and copied for each run."""
    folder = root / "template"
    ctx = AppContext(folder)
    fill(ctx, INTENTS)
    ctx.close()
    return folder


def _prepare_run(template: Path, folder: Path, url: str, token: str) -> list[str]:
    shutil.copytree(template, folder)
    keys = [str(uuid.uuid4()) for _ in range(INTENTS)]
    db = sqlite3.connect(folder / "hubcheck.db")
    try:
        ids = [row[0] for row in db.execute("SELECT id FROM outbox_intents ORDER BY id")]
        db.executemany("UPDATE outbox_intents SET idempotency_key = ? WHERE id = ?", list(zip(keys, ids, strict=True)))
        db.commit()
    finally:
        db.close()
    SettingsStore(folder).set_many({"backoffice_url": url, "backoffice_token": token})
    return keys


def _local(folder: Path) -> dict[str, tuple[str, int]]:
    db = sqlite3.connect(folder / "hubcheck.db")
    try:
        return {k: (s, a) for k, s, a in db.execute("SELECT idempotency_key, state, attempts FROM outbox_intents")}
    finally:
        db.close()


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_and_doubles_nothing(tmp_path: Path, backoffice: Backoffice) -> None:
    rng = random.Random(SEED)
    template = _template(tmp_path)
    landed: Counter[str] = Counter()

    def start(folder: Path) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "app.cli", "--data-dir", str(folder), "sync", "--batch-size", str(BATCH)],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    # Calibrate on this machine: how long an uninterrupted `hubcheck sync` of 1,000 intents takes,
    # so the kills spread over start-up and the sync itself however fast or slow the machine is.
    calibration = tmp_path / "calibration"
    _prepare_run(template, calibration, backoffice.url, backoffice_token(backoffice.db_url, "chaos-calibration"))
    began = time.monotonic()
    assert start(calibration).wait(timeout=120) == 0
    full = time.monotonic() - began
    started = time.monotonic()
    # The machine's speed drifts while the test runs (other work, disk flushes), so the
    # kill window follows where the previous kills landed: later after a kill that came
    # before the first batch, earlier after one that came too late. Moments stay random.
    scale = 1.0
    for run in range(RUNS):
        installer = f"chaos-{run}-{uuid.uuid4().hex[:6]}"
        token = backoffice_token(backoffice.db_url, installer)
        folder = tmp_path / f"run-{run}"
        keys = _prepare_run(template, folder, backoffice.url, token)
        proc = start(folder)
        time.sleep(rng.uniform(0.15, 0.8) * full * scale)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        before = len(server_keys(backoffice.db_url, installer))
        if proc.returncode == 0:
            landed["after completion"] += 1
            scale = max(0.2, scale * 0.8)
        elif before == 0:
            landed["before the first batch"] += 1
            scale = min(5.0, scale * 1.25)
        elif before < INTENTS:
            landed["mid-sync"] += 1
        else:
            landed["after the last batch, before exit"] += 1
            scale = max(0.2, scale * 0.8)

        ctx = AppContext(folder)
        try:
            for _ in range(5):  # normally one pass; more only if a pass was cut short
                report = sync_once(ctx, ignore_backoff=True, batch_size=BATCH, adopt_regime=False)
                assert report.status == "ok", (run, report.errors)
                if report.queued_left == 0 and report.in_flight_left == 0:
                    break
            with ctx.engine.connect() as conn:
                assert audit.verify_chain(conn).ok
        finally:
            ctx.close()

        held = server_keys(backoffice.db_url, installer)
        assert set(held) == set(keys), f"run {run}: the back office is missing or has extra intents"
        assert set(held.values()) == {1}, f"run {run}: an intent is on the back office twice"
        remote = server_states(backoffice.db_url, installer)
        local = _local(folder)
        assert {k: s for k, (s, _) in local.items()} == remote, f"run {run}: local states differ"
        assert all(attempts >= 1 for _, attempts in local.values())
        shutil.rmtree(folder)
    elapsed = time.monotonic() - started
    print(
        f"\nchaos: {RUNS} runs x {INTENTS} intents in {elapsed:.1f} s (uninterrupted sync {full:.2f} s); "
        f"kills landed: {dict(landed)}"
    )
    assert landed["mid-sync"] >= RUNS // 5, f"too few kills landed mid-sync to mean anything: {dict(landed)}"
