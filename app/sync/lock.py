"""One sync worker per data folder, across processes: an OS file lock on ``sync.lock``.

Why an OS lock: start-up recovery puts every ``sent`` row back to ``queued``, which is
only right when no other worker has rows in flight. The operating system drops the lock
when its holder dies (even by SIGKILL), so a crashed worker never blocks the next one.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from types import TracebackType

LOCK_NAME = "sync.lock"
_registry_guard = threading.Lock()
_thread_locks: dict[str, threading.Lock] = {}


def _thread_lock(path: Path) -> threading.Lock:
    """flock does not exclude threads of one process from each other; this does."""
    key = str(path.resolve())
    with _registry_guard:
        return _thread_locks.setdefault(key, threading.Lock())


class SyncLock:
    """Non-blocking exclusive lock; ``acquire()`` returns False when another worker holds it."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_NAME
        self._fd: int | None = None
        self._thread_held = False
        self._thread_lock = _thread_lock(data_dir / LOCK_NAME)

    def acquire(self) -> bool:
        if not self._thread_lock.acquire(blocking=False):
            return False
        self._thread_held = True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if sys.platform == "win32":  # pragma: no cover - exercised on Windows laptops only
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            self._release_thread()
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            try:
                if sys.platform == "win32":  # pragma: no cover
                    import msvcrt

                    os.lseek(self._fd, 0, os.SEEK_SET)
                    msvcrt.locking(self._fd, msvcrt.LK_UNLCK, 1)
            finally:
                os.close(self._fd)  # closing drops a flock on POSIX
                self._fd = None
        self._release_thread()

    def _release_thread(self) -> None:
        if self._thread_held:
            self._thread_held = False
            self._thread_lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
