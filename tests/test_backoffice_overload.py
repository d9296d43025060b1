"""Overload and health against the real service on 127.0.0.1: admission control, liveness that
does not queue behind intake, readiness that tells the truth, and 507 for a full database.

Intakes are held "in progress" by holding the database's write lock from the test (SQLite:
``BEGIN IMMEDIATE``; PostgreSQL: ``LOCK TABLE bo_intents IN EXCLUSIVE MODE``), so the count
in flight is exact rather than a matter of timing.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from app.backoffice.db import Store, normalise_url, open_store
from app.backoffice.web.app import create_app
from app.sync.client import BackofficeClient, TransientError
from tests.availability import unavailable
from tests.test_backoffice_live import REPO, _cli, app_in_thread, free_port
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import TestClient, bearer, issue_token, make_intent

HELD = 45  # more than the 40 threads of the request pool: health must still answer at once
EXTRA = 5


@contextmanager
def write_lock(db_url: str) -> Iterator[None]:
    """Hold the database's write lock so every intake waits inside the server."""
    url = make_url(normalise_url(db_url))
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(str(url.database), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    engine = create_engine(url)
    try:
        with engine.connect() as conn, conn.begin():
            conn.execute(text("LOCK TABLE bo_intents IN EXCLUSIVE MODE"))
            yield
    finally:
        engine.dispose()


@contextmanager
def serving(db_url: str, tmp_path: Path, *args: str) -> Iterator[str]:
    """``hubcheck-backoffice serve`` on a free port on 127.0.0.1; its base URL."""
    env = {**os.environ, "HUBCHECK_BACKOFFICE_DB": db_url}
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [*_cli(), "serve", "--port", str(port), "--log-level", "warning", *args],
            env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(base + "/v1/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "the service did not come up"
                time.sleep(0.1)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def _count_intents(store: Store) -> int:
    with store.read() as session:
        return int(session.execute(text("SELECT count(*) FROM bo_intents")).scalar_one())


@pytest.mark.slow  # 45 held batches against a real server
def test_admission_control_and_liveness_under_full_intake(db_url: str, tmp_path: Path, store: Store) -> None:
    token = issue_token(store, "alice")
    headers = bearer(token)
    batches = [[make_intent() for _ in range(3)] for _ in range(HELD + EXTRA)]
    answers: list[httpx.Response | BaseException] = []

    def send(batch: list[dict[str, Any]]) -> None:
        try:
            answers.append(httpx.post(f"{base}/v1/intents", json=batch, headers=headers, timeout=60))
        except BaseException as exc:  # noqa: BLE001  (kept for the assertion below)
            answers.append(exc)

    with serving(db_url, tmp_path, "--max-intakes", str(HELD)) as base:
        assert httpx.get(base + "/v1/ready", timeout=10).json()["status"] == "ready"
        with write_lock(db_url):
            threads = [threading.Thread(target=send, args=(b,)) for b in batches[:HELD]]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 20
            while httpx.get(base + "/v1/health", timeout=5).json()["intakes"]["in_progress"] < HELD:
                assert time.monotonic() < deadline, "the held intakes never all arrived"
                time.sleep(0.05)

            # Liveness is answered at once although every pool thread is waiting on the database.
            took = []
            for _ in range(20):
                started = time.monotonic()
                assert httpx.get(base + "/v1/health", timeout=5).status_code == 200
                took.append(time.monotonic() - started)
            assert max(took) < 0.5, took

            # Past the limit: 503 with Retry-After at once, nothing read or stored.
            for batch in batches[HELD : HELD + EXTRA - 1]:
                started = time.monotonic()
                refused = httpx.post(f"{base}/v1/intents", json=batch, headers=headers, timeout=10)
                assert time.monotonic() - started < 1.0
                assert refused.status_code == 503
                assert 2 <= int(refused.headers["retry-after"]) <= 4
                assert refused.json()["retry_after"] == int(refused.headers["retry-after"])
            # The laptop's own client reads it as "try again after Retry-After".
            with BackofficeClient(base, token, timeout=10) as laptop:
                with pytest.raises(TransientError) as caught:
                    laptop.post_intents(batches[-1])
                assert caught.value.retry_after is not None and 2 <= caught.value.retry_after <= 4
            assert httpx.get(base + "/v1/health", timeout=5).json()["intakes"]["refused"] == EXTRA
        for thread in threads:
            thread.join(timeout=60)
        assert len(answers) == HELD
        assert all(isinstance(a, httpx.Response) and a.status_code == 200 for a in answers), [
            a if isinstance(a, BaseException) else (a.status_code, a.text[:200]) for a in answers
        ]
        assert sum(a.json()["created"] for a in answers if isinstance(a, httpx.Response)) == HELD * 3
        assert httpx.get(base + "/v1/health", timeout=5).json()["intakes"]["in_progress"] == 0
    assert _count_intents(store) == HELD * 3  # the refused batches left nothing behind


def test_bad_max_intakes_is_one_line(db_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "HUBCHECK_BACKOFFICE_DB": db_url}
    for args, extra_env in ((["--max-intakes", "0"], {}), ([], {"HUBCHECK_BACKOFFICE_MAX_INTAKES": "lots"})):
        done = subprocess.run(
            [*_cli(), "serve", "--port", str(free_port()), *args],
            env={**env, **extra_env}, cwd=REPO, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert "is not a number of intakes from 1 to 100000" in done.stderr
        assert "Traceback" not in done.stderr


def in_thread(store: Store) -> Any:
    """The app in a thread, for stores the command could not open (quiet: errors are expected)."""
    return app_in_thread(store, log_level="critical")


def test_ready_is_503_when_the_postgresql_server_does_not_answer() -> None:
    closed = free_port()  # nothing listens there
    store = open_store(
        f"postgresql+psycopg://hubcheck:x@127.0.0.1:{closed}/nowhere?connect_timeout=2", create=False
    )
    try:
        with in_thread(store) as base:
            assert httpx.get(base + "/v1/health", timeout=5).json()["status"] == "ok"
            answer = httpx.get(base + "/v1/ready", timeout=15)
            assert answer.status_code == 503
            assert answer.json() == {"status": "not ready", "detail": "the database does not answer"}
            assert answer.headers["retry-after"] == "5"
    finally:
        store.dispose()


def test_ready_is_503_when_the_sqlite_file_is_read_only(tmp_path: Path) -> None:
    """A read-only bind mount: unlike file modes, root cannot write through it either."""
    folder = tmp_path / "data"
    folder.mkdir()
    store = open_store(str(folder / "backoffice.db"))
    try:
        with in_thread(store) as base:
            assert httpx.get(base + "/v1/ready", timeout=10).json()["status"] == "ready"
            bind = subprocess.run(
                ["mount", "--bind", str(folder), str(folder)], capture_output=True, text=True
            )
            if bind.returncode != 0:
                unavailable(f"cannot bind-mount {folder} read-only: {bind.stderr.strip()}", "run as root")
            try:
                subprocess.run(
                    ["mount", "-o", "remount,bind,ro", str(folder)], check=True, capture_output=True
                )
                store.engine.dispose()  # new connections see the read-only file
                answer = httpx.get(base + "/v1/ready", timeout=15)
                assert answer.status_code == 503, answer.text
                assert answer.json()["detail"] in (
                    "the database is read-only",
                    "the database does not answer",
                )
                assert httpx.get(base + "/v1/health", timeout=5).status_code == 200
            finally:
                store.engine.dispose()
                subprocess.run(["umount", str(folder)], check=True, capture_output=True)
            assert httpx.get(base + "/v1/ready", timeout=10).json()["status"] == "ready"
    finally:
        store.dispose()


def _fill_sqlite(store: Store) -> None:
    """Cap the file at its present size (plus a page or two) on every connection."""
    with store.engine.connect() as conn:
        pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())
    store.engine.dispose()

    @event.listens_for(store.engine, "connect")
    def _cap(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute(f"PRAGMA max_page_count={pages + 2}")


def _fill_postgresql(store: Store) -> None:
    """PostgreSQL's own disk_full error (SQLSTATE 53100), raised by the server on every insert."""
    with store.write() as session:
        session.execute(text(
            "CREATE FUNCTION bo_test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; "
            "END $$"
        ))  # fmt: skip
        session.execute(text(
            "CREATE TRIGGER bo_test_disk_full BEFORE INSERT ON bo_intents "
            "FOR EACH ROW EXECUTE FUNCTION bo_test_disk_full()"
        ))  # fmt: skip


def test_a_full_database_is_507_not_busy(store: Store, alice: dict[str, str]) -> None:
    with TestClient(create_app(store)) as client:
        assert client.post("/v1/intents", json=[make_intent()], headers=alice).json()["created"] == 1
        (_fill_sqlite if store.dialect == "sqlite" else _fill_postgresql)(store)
        answer = None
        for _ in range(200):  # SQLite: until the capped file has no page left
            answer = client.post("/v1/intents", json=[make_intent() for _ in range(20)], headers=alice)
            if answer.status_code != 200:
                break
        assert answer is not None and answer.status_code == 507, answer.text if answer else None
        assert "retry-after" not in answer.headers
        assert "full" in answer.json()["detail"] and "INSERT" not in answer.text
        ready = client.get("/v1/ready")
        if store.dialect == "postgresql":  # the probe writes bo_settings, which still has room
            assert ready.status_code == 200
        assert client.get("/v1/health").status_code == 200
