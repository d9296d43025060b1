"""``hubcheck-backoffice serve`` on 127.0.0.1 in its own process, for the back-office benchmarks.

The benchmarks measure the service as a supplier runs it: the real command line, its own
process, its own connection pool. Imported by the scripts beside it (``python
benchmarks/<script>.py`` puts this folder on ``sys.path``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


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
