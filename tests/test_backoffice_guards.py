"""Request guards against the real ``hubcheck-backoffice serve`` on 127.0.0.1, over raw sockets.

What the guards promise (docs/API.md, "Limits"): a body-carrying request is authenticated
from its headers before any body byte is read (401 at once, the connection closed); a body
streamed past the limit is answered 413 the moment it passes it, chunked or not; request
headers must be complete within the header timeout or the connection is dropped; a token
sent in the query string never reaches the access log.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from app.backoffice.db import open_store
from app.backoffice.web.app import create_app
from app.backoffice.web.guards import HEADER_TIMEOUT_SECONDS, MAX_BODY_BYTES, redact_query

# Slow: real sockets held open to the server's timeouts (5-7 s each). CI and `pytest --slow` run them.
pytestmark = pytest.mark.slow


REPO = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("hubcheck-backoffice")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.backoffice.cli"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    port: int
    token: str
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS for the server process")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The real command on a SQLite file, access log on (the guards do not depend on the database)."""
    folder = tmp_path_factory.mktemp("guards")
    env = {**os.environ, "HUBCHECK_BACKOFFICE_DB": str(folder / "bo.sqlite")}
    token = subprocess.run(
        [*_cli(), "token", "create", "alice"], env=env, cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()
    port = _free_port()
    log = folder / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*_cli(), "serve", "--port", str(port), "--log-level", "info"],
            env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    served = Served(port, token, proc, log)
    try:
        deadline = time.monotonic() + 30
        while not _healthy(served.base):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the service did not come up"
            time.sleep(0.1)
        yield served
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/v1/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _connect(served: Served) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", served.port), timeout=10)
    return sock


def _chunked_head(path: str, token: str | None) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
             "Transfer-Encoding: chunked"]  # fmt: skip
    if token is not None:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _read_status(sock: socket.socket, seconds: float) -> int:
    """The status code of the answer that arrives within ``seconds`` (fails the test if none does)."""
    sock.settimeout(seconds)
    data = b""
    try:
        while b"\r\n" not in data:
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
    except TimeoutError:
        pytest.fail(f"no answer within {seconds} s")
    assert data.startswith(b"HTTP/1.1 "), data[:200]
    return int(data.split()[1])


# --------------------------------------------------------------------------- bodies before authentication


@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["no-token", "wrong-token"])
def test_unauthenticated_300_mib_chunked_post_is_refused_before_its_body(
    served: Served, token: str | None
) -> None:
    rss_before = served.rss_kib()
    with _connect(served) as sock:
        sock.sendall(_chunked_head("/v1/intents", token))
        # Not one body byte sent yet: the 401 must already be on its way.
        assert _read_status(sock, 5) == 401
        # Now try to stream 300 MiB anyway: the server has closed, so this stops early.
        block = _chunk(b" " * MIB)
        sent = 0
        sock.settimeout(10)
        with pytest.raises(OSError):  # EPIPE / ECONNRESET once the closed connection answers
            while sent < 300 * MIB:
                sock.sendall(block)
                sent += MIB
        assert sent < 32 * MIB, f"the server took {sent // MIB} MiB of an unauthenticated body"
    assert served.rss_kib() - rss_before < 50 * 1024, "the server's memory grew on a refused body"
    assert _healthy(served.base)


def test_chunked_body_past_the_limit_is_answered_413_as_soon_as_it_passes(served: Served) -> None:
    with _connect(served) as sock:
        sock.sendall(_chunked_head("/v1/intents", served.token))
        block = _chunk(b" " * MIB)
        for _ in range(MAX_BODY_BYTES // MIB):
            sock.sendall(block)
        sock.sendall(_chunk(b" "))  # one byte past the limit; the body is not finished
        assert _read_status(sock, 5) == 413
    assert _healthy(served.base)


def test_chunked_body_under_the_limit_still_reaches_the_route(served: Served) -> None:
    body = b'[{"srv": "8.11"}]'
    with _connect(served) as sock:
        sock.sendall(_chunked_head("/v1/intents", served.token) + _chunk(body) + b"0\r\n\r\n")
        assert _read_status(sock, 10) == 200  # the item itself is refused inside the batch answer


def test_declared_length_over_the_limit_is_413_unread(served: Served) -> None:
    head = (
        f"POST /v1/intents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {served.token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {MAX_BODY_BYTES + 1}\r\n\r\n"
    )
    with _connect(served) as sock:
        sock.sendall(head.encode())
        assert _read_status(sock, 5) == 413


# --------------------------------------------------------------------------- slow clients


def _wait_closed(socks: list[socket.socket], seconds: float) -> tuple[int, float]:
    """How many of ``socks`` the server closed within ``seconds``, and when the last one went."""
    selector = selectors.DefaultSelector()
    for sock in socks:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
    start = time.monotonic()
    closed, last = 0, 0.0
    while closed < len(socks) and time.monotonic() - start < seconds:
        for key, _ in selector.select(timeout=0.2):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                data = sock.recv(4096)
            except ConnectionResetError:
                data = b""
            if not data:
                selector.unregister(sock)
                closed += 1
                last = time.monotonic() - start
    selector.close()
    return closed, last


def test_a_thousand_connections_that_never_finish_their_headers_are_dropped(served: Served) -> None:
    socks: list[socket.socket] = []
    try:
        start = time.monotonic()
        for _ in range(1000):
            sock = socket.create_connection(("127.0.0.1", served.port), timeout=10)
            sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            socks.append(sock)
        opened = time.monotonic() - start
        assert _healthy(served.base), "a slow client held up an ordinary request"
        closed, last = _wait_closed(socks, HEADER_TIMEOUT_SECONDS + opened + 5)
        assert closed == 1000, f"only {closed} of 1000 slow connections were dropped"
        assert last <= HEADER_TIMEOUT_SECONDS + opened + 3
    finally:
        for sock in socks:
            sock.close()


def test_a_client_trickling_its_headers_is_dropped_at_the_timeout(served: Served) -> None:
    with _connect(served) as sock:
        start = time.monotonic()
        sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        dropped = False
        while time.monotonic() - start < HEADER_TIMEOUT_SECONDS + 5:
            try:
                sock.sendall(b"X-A: b\r\n")  # one header line every half second: never finished
            except OSError:
                dropped = True
                break
            sock.settimeout(0.5)
            try:
                if sock.recv(4096) == b"":
                    dropped = True
                    break
            except TimeoutError:
                pass
            except OSError:
                dropped = True
                break
        assert dropped, "a client trickling header lines was held past the header timeout"
        assert time.monotonic() - start <= HEADER_TIMEOUT_SECONDS + 2


def test_keep_alive_connection_serves_requests_then_times_out_idle(served: Served) -> None:
    with _connect(served) as sock:
        for _ in range(3):
            sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert _read_status(sock, 5) == 200
            sock.settimeout(0.3)
            with contextlib.suppress(TimeoutError):  # the rest of the answer, if it came apart
                sock.recv(65536)
            time.sleep(1)
        closed, _ = _wait_closed([sock], HEADER_TIMEOUT_SECONDS + 3)
        assert closed == 1


# --------------------------------------------------------------------------- tokens stay out of logs


def test_a_token_in_the_query_string_never_reaches_the_access_log(served: Served) -> None:
    secret = "QuErYsEcReT-" + "x" * 31
    answer = httpx.get(f"{served.base}/v1/status", params={"since": 0, "token": secret}, timeout=10)
    assert answer.status_code == 401
    answer = httpx.get(f"{served.base}/v1/status?access_token={secret}&since=0", timeout=10)
    assert answer.status_code == 401
    time.sleep(0.3)
    assert secret not in served.log.read_text()


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_uvicorns_own_access_log_gets_the_query_redacted(tmp_path: Path) -> None:
    """For a supplier who runs the ASGI app under their own uvicorn, with its access log on."""
    store = open_store(str(tmp_path / "bo.sqlite"))
    port = _free_port()
    config = uvicorn.Config(create_app(store), host="127.0.0.1", port=port, access_log=True, log_level="info")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    secret = "QuErYsEcReT-" + "y" * 31
    access = logging.getLogger("uvicorn.access")  # uvicorn configured it (propagation off) above
    collected = _Lines()
    access.addHandler(collected)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        answer = httpx.get(f"http://127.0.0.1:{port}/v1/status?since=0&token={secret}", timeout=10)
        assert answer.status_code == 401
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        store.dispose()
        access.removeHandler(collected)
    lines = collected.lines
    assert any("/v1/status?since=0&token=REDACTED" in line for line in lines), lines
    assert not any(secret in line for line in lines)


def test_redact_query_keeps_other_parameters() -> None:
    assert redact_query(b"since=5&limit=10") == b"since=5&limit=10"
    assert redact_query(b"since=5&Access%5FToken=abc&api_key=def") == (
        b"since=5&Access%5FToken=REDACTED&api_key=REDACTED"
    )


# --------------------------------------------------------------------------- echoed input


def test_error_bodies_cut_an_enormous_field_name(served: Served) -> None:
    name = "F" * 48_000
    intent = {"idempotency_key": "6f1c2b1e-1d2a-4c55-9a3e-0b7d9f5e2a10", "srv": "8.11", name: 1}
    with httpx.Client(
        base_url=served.base, timeout=10, headers={"Authorization": f"Bearer {served.token}"}
    ) as http:
        for path, body in (("/v1/intents", [intent]), ("/v1/installs", [{name: 1}])):
            answer = http.post(path, json=body)
            assert answer.status_code in (200, 422), answer.text[:500]
            assert answer.json()["results"][0]["outcome"] == "invalid"
            assert len(answer.text) < 4000, f"{path} echoed {len(answer.text)} characters"
            assert "F" * 1000 not in answer.text
            assert "more characters" in answer.text  # cut, and says so
