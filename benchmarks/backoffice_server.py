"""A back office for the benchmarks: an empty database of either kind, and ``hubcheck-backoffice
serve`` on 127.0.0.1 in its own process.

The benchmarks measure the service as a supplier runs it: the real command line, its own
process, its own connection pool. Imported by the scripts beside it (``python
benchmarks/<script>.py`` puts this folder on ``sys.path``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def database(kind: str, label: str) -> Iterator[str]:
    """An empty database of that kind for one run, removed afterwards; its URL. PostgreSQL: a
    throw-away schema (``bo_<label>_…``) in the server ``scripts/ci-postgres.sh`` starts."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix=f"hubcheck-bench-{label}-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'backoffice.db'}"
        return
    from sqlalchemy import create_engine, make_url, text

    base = os.environ.get("HUBCHECK_TEST_PG_URL")
    if not base:
        raise SystemExit('PostgreSQL: run eval "$(bash scripts/ci-postgres.sh)" first (sets HUBCHECK_TEST_PG_URL)')
    schema = f"bo_{label}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(db_url: str, extra: Sequence[str] = ()) -> Iterator[str]:
    """The service on ``db_url`` (``extra``: more ``serve`` options), answering ``/v1/health``;
    yields its base URL and stops it on exit. Exits the benchmark with one line if it cannot start."""
    port = free_port()
    env = dict(os.environ)
    env.pop("HUBCHECK_BACKOFFICE_DB", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.backoffice.cli", "--db", db_url, "serve", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", *extra],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"the back office exited early ({proc.returncode})")
            try:
                if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the back office did not start within 30 s")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
