"""Test rig for sync: the real back-office process on 127.0.0.1, and a faulty network in front of it.

No HTTP mocks: the back office runs as ``python -m app.backoffice.cli serve`` on a free
loopback port, and :class:`FaultProxy` is a real TCP proxy that forwards requests to it
and, on demand, answers 500, stalls past the client's timeout, drops the connection after
the back office has processed the request, or delivers a request twice.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def backoffice_token(db_url: str, name: str, *, admin: bool = False) -> str:
    """Issue a token for installer ``name`` in the back office's database (what an admin would do)."""
    from app.backoffice.db import open_store
    from app.backoffice.timeutil import utcnow
    from app.backoffice.tokens import create_token

    store = open_store(db_url)
    try:
        with store.write() as session:
            return create_token(session, name, utcnow(), admin=admin)
    finally:
        store.dispose()


def set_backoffice_regime(db_url: str, regime: str) -> None:
    from app.backoffice.db import open_store
    from app.backoffice.regime import set_regime
    from app.backoffice.timeutil import gb_today, utcnow

    store = open_store(db_url)
    try:
        with store.write() as session:
            set_regime(session, regime, gb_today(utcnow()), utcnow())
    finally:
        store.dispose()


def server_keys(db_url: str, installer: str | None = None) -> dict[str, int]:
    """Idempotency key → number of rows the back office holds for it."""
    from sqlalchemy import text

    from app.backoffice.db import open_store

    store = open_store(db_url, create=False)
    try:
        with store.engine.connect() as conn:
            sql = "SELECT i.idempotency_key, COUNT(*) FROM bo_intents i"
            params: dict[str, str] = {}
            if installer is not None:
                sql += " JOIN bo_installers u ON u.id = i.installer_id WHERE u.name = :n"
                params["n"] = installer
            sql += " GROUP BY i.idempotency_key"
            return {str(k): int(n) for k, n in conn.execute(text(sql), params).all()}
    finally:
        store.dispose()


def server_states(db_url: str, installer: str) -> dict[str, str]:
    from sqlalchemy import text

    from app.backoffice.db import open_store

    store = open_store(db_url, create=False)
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT i.idempotency_key, i.state FROM bo_intents i JOIN bo_installers u "
                    "ON u.id = i.installer_id WHERE u.name = :n"
                ),
                {"n": installer},
            ).all()
            return {str(k): str(s) for k, s in rows}
    finally:
        store.dispose()


@dataclass
class Backoffice:
    url: str
    db_url: str
    process: subprocess.Popen[bytes]
    port: int


@contextlib.contextmanager
def running_backoffice(db_path: Path, *, extra: tuple[str, ...] = (), port: int | None = None) -> Iterator[Backoffice]:
    """Start the back office (its own process) and wait until it answers; stop it afterwards."""
    db_url = f"sqlite:///{db_path}"
    from app.backoffice.db import open_store

    open_store(db_url).dispose()  # schema ready before tokens are issued
    port = port or free_port()
    env = dict(os.environ)
    env.pop("HUBCHECK_BACKOFFICE_DB", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.backoffice.cli", "--db", db_url, "serve", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", *extra],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                raise RuntimeError(f"the back office exited early ({proc.returncode}): {err[-2000:]}")
            try:
                if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the back office did not start within 30 s")
            time.sleep(0.1)
        yield Backoffice(url, db_url, proc, port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stderr:
            proc.stderr.close()


# --------------------------------------------------------------------------- faulty network


class FaultProxy:
    """A loopback TCP proxy in front of the back office, one HTTP request per upstream connection.

    ``mode`` (changeable at any time) decides what happens to each request:

    * ``pass``: forward and relay the answer;
    * ``refuse``: close the client connection at once (nothing reaches the back office);
    * ``http500``: answer ``500`` without forwarding;
    * ``stall``: forward, then hold the answer for ``stall_seconds`` (the client times out);
    * ``drop_after``: forward, let the back office finish, then drop the client connection
      without an answer (the batch is stored but the laptop never hears so);
    * ``duplicate``: deliver the request to the back office twice, relay the second answer.

    ``fail_next`` limits a fault to that many requests, after which the proxy passes.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.mode = "pass"
        self.fail_next: int | None = None
        self.stall_seconds = 3.0
        self.requests = 0
        self.faults = 0
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.1)  # lets the accept loop notice close() promptly
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def set(self, mode: str, fail_next: int | None = None) -> None:
        with self._lock:
            self.mode, self.fail_next = mode, fail_next

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        with contextlib.suppress(OSError):
            self._sock.close()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _current_mode(self) -> str:
        with self._lock:
            self.requests += 1
            if self.mode == "pass":
                return "pass"
            if self.fail_next is not None:
                if self.fail_next <= 0:
                    return "pass"
                self.fail_next -= 1
            self.faults += 1
            return self.mode

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    @staticmethod
    def _read_request(conn: socket.socket) -> bytes | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(rest) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            rest += chunk
        lines = [ln for ln in head.split(b"\r\n") if not ln.lower().startswith(b"connection:")]
        return b"\r\n".join(lines) + b"\r\nConnection: close\r\n\r\n" + rest[:length]

    def _upstream(self, request: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", self.upstream_port), timeout=60) as up:
            up.sendall(request)
            chunks = []
            while True:
                chunk = up.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        return b"".join(chunks)

    def _serve(self, client: socket.socket) -> None:
        with client:
            while not self._stop.is_set():
                try:
                    request = self._read_request(client)
                except OSError:
                    return
                if request is None:
                    return
                mode = self._current_mode()
                try:
                    if mode == "refuse":
                        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                        return
                    if mode == "http500":
                        body = b'{"detail":"injected failure"}'
                        client.sendall(
                            b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                            + f"Content-Length: {len(body)}\r\n\r\n".encode()
                            + body
                        )
                        continue
                    if mode == "duplicate":
                        self._upstream(request)
                    answer = self._upstream(request)
                    if mode == "drop_after":
                        return
                    if mode == "stall":
                        self._stop.wait(self.stall_seconds)
                        return
                    # Relay, telling the client to open a new connection for the next request.
                    client.sendall(answer)
                    return
                except OSError:
                    return
