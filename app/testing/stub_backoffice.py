"""A back office that misbehaves on purpose, on 127.0.0.1, for tests, testers and benchmarks.

Two ways a real back office hurts a laptop, both of which the sync must survive without
holding the installer up:

* ``stall``: it accepts the TCP connection, reads the request and never answers (a hung
  server, a captive portal, a proxy that swallowed the request). The client waits for its
  whole read timeout.
* ``busy``: it answers every request ``503 Service Unavailable`` with ``Retry-After``
  (overloaded, or down for maintenance), asking the laptop to leave it alone for a while.

A plain socket server on its own thread (no web framework, nothing to start or install):
it records each request's line (``"GET /v1/status"``) so a test can count what reached it.
Closing it closes the connections it holds, so a client stuck on a stalled request gets a
dropped connection at once instead of waiting out its timeout.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

MODES = ("stall", "busy")


class StubBackoffice:
    """``with StubBackoffice("busy", retry_after=120) as bo: …`` — ``bo.url``, ``bo.requests``."""

    def __init__(self, mode: str, *, retry_after: int | str = 120) -> None:
        if mode not in MODES:
            raise ValueError(f"mode {mode!r} is not one of {', '.join(MODES)}")
        self.mode = mode
        self.retry_after = str(retry_after)
        self._requests: list[str] = []
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.1)  # lets the accept loop notice close() promptly
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._accept_loop, name="stub-backoffice", daemon=True)
        self._thread.start()

    # -- what a test reads -----------------------------------------------------------------
    @property
    def requests(self) -> list[str]:
        """Every request line received so far, oldest first (``"POST /v1/intents"``)."""
        with self._lock:
            return list(self._requests)

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> bool:
        """Block until at least ``count`` requests have arrived (False on timeout)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self._requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._arrived.wait(left)
        return True

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Stop accepting and drop every held connection (a stalled client fails at once)."""
        self._stop.set()
        self._thread.join(timeout=5)
        with contextlib.suppress(OSError):
            self._sock.close()
        with self._lock:
            held, self._held = self._held, []
        for conn in held:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                conn.close()

    def __enter__(self) -> StubBackoffice:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the server ------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with self._lock:
            if self._stop.is_set():
                conn.close()
                return
            self._held.append(conn)
        while True:
            line = self._read_request(conn)
            if line is None:
                return
            with self._arrived:
                self._requests.append(line)
                self._arrived.notify_all()
            if self.mode == "stall":
                continue  # read and never answer: the client waits for its timeout, or for close()
            body = b'{"detail":"the back office is busy; try again later"}'
            try:
                conn.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                    + f"Retry-After: {self.retry_after}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
            except OSError:
                return

    @staticmethod
    def _read_request(conn: socket.socket) -> str | None:
        """Read one request (head and body); its first line without the HTTP version."""
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return None
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            length = 0
            for header in head.split(b"\r\n")[1:]:
                name, _, value = header.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip() or 0)
            while len(rest) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    return None
                rest += chunk
        except (OSError, ValueError):
            return None
        method, _, target = head.split(b"\r\n", 1)[0].decode("latin-1").partition(" ")
        return f"{method} {target.rsplit(' ', 1)[0].split('?', 1)[0]}"
