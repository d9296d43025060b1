"""``FaultyLink``: the network between a laptop and its back office, misbehaving on command.

A loopback HTTP proxy in front of a real server. Testers steer it while a test runs:

* ``fail_next(n, status)``: the next ``n`` requests get ``status`` without reaching the server;
* ``delay(seconds, n=None)``: requests reach the server, their answers are held back;
* ``drop_next(n, after=False)``: the connection is cut without an answer — before the
  request reaches the server, or (``after=True``) once the server has handled it, so the
  server stored what the laptop never hears about;
* ``go_offline()`` / ``come_online()``: the port refuses connections (a laptop with no
  signal) and later accepts them again on the same address.

Each rule may be narrowed to one path prefix (``path="/v1/intents"``). It lives in the
tester kit only: the production code path (the laptop's client, the back office) is the
real one, untouched, on either side of it. One request per upstream connection, and the
client is told ``Connection: close``, so every request is seen and judged on its own.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field

_LINGER_RESET = b"\x01\x00\x00\x00\x00\x00\x00\x00"  # SO_LINGER on, 0 s: close() sends RST

_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
            413: "Payload Too Large", 422: "Unprocessable Entity", 429: "Too Many Requests",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Timeout", 507: "Insufficient Storage"}


@dataclass
class _Rule:
    kind: str  # "fail", "delay", "drop"
    left: int | None  # None: until reset
    path: str | None
    status: int = 500
    retry_after: str | None = None
    seconds: float = 0.0
    after: bool = False
    body: bytes = b""

    def applies(self, path: str) -> bool:
        return (self.left is None or self.left > 0) and (self.path is None or path.startswith(self.path))


@dataclass
class _Decision:
    fail: _Rule | None = None
    drop: _Rule | None = None
    delay: float = 0.0
    rules: list[_Rule] = field(default_factory=list)


class FaultyLink:
    """``FaultyLink(upstream_port)``: ``url`` to give the laptop, ``requests`` it has seen."""

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._requests: list[str] = []
        self._held: set[socket.socket] = set()
        self._stop = threading.Event()
        self._offline = False
        self._sock = self._listen(0)
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = self._start_accepting(self._sock)

    # -- steering ----------------------------------------------------------------------
    def fail_next(self, n: int = 1, status: int = 500, *, path: str | None = None,
                  retry_after: int | None = None, detail: str = "injected by the tester kit") -> None:
        """Answer the next ``n`` requests (on ``path``) with ``status``; the server never sees them.
        ``retry_after`` adds that header (a 503 that asks the laptop to wait)."""
        body = ('{"detail":"' + detail.replace('"', "'") + '"}').encode()
        self._add(_Rule("fail", n, path, status=status, body=body,
                        retry_after=None if retry_after is None else str(retry_after)))

    def delay(self, seconds: float, n: int | None = None, *, path: str | None = None) -> None:
        """Hold each answer back ``seconds`` (the next ``n`` requests, or all until ``reset``)."""
        self._add(_Rule("delay", n, path, seconds=seconds))

    def drop_next(self, n: int = 1, *, after: bool = False, path: str | None = None) -> None:
        """Cut the next ``n`` connections without an answer; ``after=True`` lets the server
        handle the request first (stored there, never confirmed to the laptop)."""
        self._add(_Rule("drop", n, path, after=after))

    def go_offline(self) -> None:
        """Refuse connections from now on, and cut the ones open (nothing answers any more)."""
        with self._lock:
            if self._offline:
                return
            self._offline = True
            sock, held = self._sock, list(self._held)
        self._close_listener(sock)
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)  # until then the kernel still queues connections on it
        for conn in held:
            _reset(conn)

    def come_online(self) -> None:
        """Accept connections again, on the same port (the laptop's URL is unchanged)."""
        with self._lock:
            if not self._offline:
                return
            self._sock = self._listen(self.port)
            self._offline = False
            self._thread = self._start_accepting(self._sock)

    @property
    def offline(self) -> bool:
        return self._offline

    def reset(self) -> None:
        """Forget every fault and the request log, and come back online."""
        with self._lock:
            self._rules.clear()
            self._requests.clear()
        self.come_online()

    # -- reading -----------------------------------------------------------------------
    @property
    def requests(self) -> list[str]:
        """Every request line that arrived, oldest first (``"POST /v1/intents"``), faulted or not."""
        with self._lock:
            return list(self._requests)

    # -- lifecycle ---------------------------------------------------------------------
    def close(self) -> None:
        self._stop.set()
        self.go_offline()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultyLink:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the proxy ---------------------------------------------------------------------
    def _add(self, rule: _Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    @staticmethod
    def _listen(port: int) -> socket.socket:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(64)
        sock.settimeout(0.1)  # the accept loop notices go_offline() and close() promptly
        return sock

    @staticmethod
    def _close_listener(sock: socket.socket) -> None:
        """Shut down first: on Linux that wakes the thread blocked in accept() at once, where
        close() alone would leave the port listening until its accept() times out."""
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()

    def _start_accepting(self, sock: socket.socket) -> threading.Thread:
        thread = threading.Thread(target=self._accept_loop, args=(sock,), name="faulty-link", daemon=True)
        thread.start()
        return thread

    def _accept_loop(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed: offline, or the link is closed
            conn.settimeout(None)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _decide(self, path: str) -> _Decision:
        decision = _Decision()
        with self._lock:
            for rule in self._rules:
                if not rule.applies(path):
                    continue
                if rule.kind == "fail" and decision.fail is None and decision.drop is None:
                    decision.fail = rule
                elif rule.kind == "drop" and decision.fail is None and decision.drop is None:
                    decision.drop = rule
                elif rule.kind == "delay":
                    decision.delay = max(decision.delay, rule.seconds)
                else:
                    continue
                decision.rules.append(rule)
            for rule in decision.rules:
                if rule.left is not None:
                    rule.left -= 1
            self._rules = [r for r in self._rules if r.left is None or r.left > 0]
        return decision

    def _serve(self, conn: socket.socket) -> None:
        with self._lock:
            if self._offline:
                _reset(conn)
                return
            self._held.add(conn)
        try:
            request = _read_request(conn)
            if request is None:
                return
            line, raw = request
            with self._lock:
                self._requests.append(line)
            decision = self._decide(line.split(" ", 1)[1])
            if decision.drop is not None and not decision.drop.after:
                _reset(conn)
                return
            if decision.fail is not None:
                rule = decision.fail
                head = (f"HTTP/1.1 {rule.status} {_REASONS.get(rule.status, 'Error')}\r\n"
                        f"Content-Type: application/json\r\nContent-Length: {len(rule.body)}\r\nConnection: close\r\n")
                if rule.retry_after is not None:
                    head += f"Retry-After: {rule.retry_after}\r\n"
                self._stop.wait(decision.delay)
                conn.sendall(head.encode() + b"\r\n" + rule.body)
                return
            answer = self._forward(raw)
            if decision.drop is not None:
                _reset(conn)
                return
            if decision.delay:
                deadline = time.monotonic() + decision.delay
                while not self._stop.is_set() and not self._offline and time.monotonic() < deadline:
                    self._stop.wait(min(0.05, max(0.0, deadline - time.monotonic())))
                if self._offline or self._stop.is_set():
                    _reset(conn)
                    return
            conn.sendall(answer)
        except OSError:
            return
        finally:
            with self._lock:
                self._held.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()

    def _forward(self, raw: bytes) -> bytes:
        with socket.create_connection(self.upstream, timeout=120) as up:
            up.sendall(raw)
            chunks = []
            while True:
                chunk = up.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        return b"".join(chunks)


def _reset(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
    with contextlib.suppress(OSError):
        conn.close()


def _read_request(conn: socket.socket) -> tuple[str, bytes] | None:
    """One request: its line (``"POST /v1/intents"``) and its bytes, rewritten to ``Connection: close``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = 0
    for header in lines[1:]:
        name, _, value = header.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip() or 0)
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        rest += chunk
    kept = [ln for ln in lines if not ln.lower().startswith(b"connection:")]
    raw = b"\r\n".join(kept) + b"\r\nConnection: close\r\n\r\n" + rest[:length]
    method, _, target = lines[0].decode("latin-1").partition(" ")
    return f"{method} {target.rsplit(' ', 1)[0].split('?', 1)[0]}", raw
