"""The real service over real HTTP: uvicorn on 127.0.0.1 at a free port, httpx as the client.

One test runs uvicorn in a thread around ``create_app``; the other starts the actual
``hubcheck-backoffice serve --simulate-dcc`` command in a subprocess and watches an
intent go accepted → submitted → succeeded/failed through the status pull.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from app.backoffice.db import Store
from app.backoffice.web.app import create_app
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import bearer, issue_token, make_intent

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_url(store: Store) -> Iterator[str]:
    """uvicorn serving the app in a thread; stopped after the test."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)


def test_intake_and_pull_over_http(live_url: str, store: Store) -> None:
    headers = bearer(issue_token(store, "alice"))
    intents = [make_intent() for _ in range(50)]
    with httpx.Client(base_url=live_url, timeout=10) as http:
        assert http.get("/v1/health").json()["status"] == "ok"
        assert http.get("/v1/status").status_code == 401
        assert http.get("/v1/status", headers={"Authorization": "Bearer wrong"}).status_code == 401
        first = http.post("/v1/intents", json=intents, headers=headers).json()
        assert first["created"] == 50
        again = http.post("/v1/intents", json=intents[::-1], headers=headers).json()
        assert again["replayed"] == 50
        page = http.get("/v1/status", params={"since": 0}, headers=headers).json()
        assert len(page["changes"]) == 50 and not page["more"]
        assert http.get("/openapi.json").json()["info"]["title"] == "HubCheck back office"


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("hubcheck-backoffice")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.backoffice.cli"]


def test_real_command_with_dcc_simulator(tmp_path: Path, db_url: str) -> None:
    env = {**os.environ, "HUBCHECK_BACKOFFICE_DB": db_url}
    token = subprocess.run(
        [*_cli(), "token", "create", "alice"], env=env, cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [*_cli(), "serve", "--port", str(port), "--simulate-dcc", "--dcc-delay", "0.2",
         "--dcc-rule", "target=ABCDEF:E65", "--log-level", "warning"],
        env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=10, headers=bearer(token)) as http:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if http.get("/v1/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, "the service did not come up"
                time.sleep(0.1)
            ok, bad = (
                make_intent(target="00-1D-6F-00-00-12-34-56"),
                make_intent(),
            )  # default target ends ABCDEF
            assert http.post("/v1/intents", json=[ok, bad]).json()["created"] == 2
            final: dict[str, str] = {}
            cursor = 0
            history: list[tuple[str, str]] = []
            while len(final) < 2 and time.monotonic() < deadline:
                page = http.get("/v1/status", params={"since": cursor}).json()
                cursor = page["cursor"]
                for change in page["changes"]:
                    history.append((change["idempotency_key"], change["state"]))
                    if change["state"] in ("succeeded", "failed"):
                        final[change["idempotency_key"]] = f"{change['state']}:{change['response_code']}"
                        assert change["request_id"].startswith("90-B3-D5-1F-30-01-00-00:")
                time.sleep(0.1)
            assert final == {ok["idempotency_key"]: "succeeded:I0", bad["idempotency_key"]: "failed:E65"}
            for key in (ok["idempotency_key"], bad["idempotency_key"]):
                assert [s for k, s in history if k == key][:2] == ["accepted", "submitted"]
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()
