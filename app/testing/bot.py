"""``ScriptBot``: the few ``qtbot`` methods the driver uses, for scripts run outside pytest.

Screenshot and demo scripts drive the window with the same ``HubCheckDriver`` the tests
use; this stands in for pytest-qt's ``qtbot`` there (waits spin the event loop, keys and
clicks go through ``QTest``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget


class _Blocker:
    def __init__(self) -> None:
        self.args: list[Any] = []
        self.signal_triggered = False

    def __call__(self, *args: Any) -> None:
        self.args = list(args)
        self.signal_triggered = True


class ScriptBot:
    def wait(self, ms: int) -> None:
        end = time.monotonic() + ms / 1000
        while time.monotonic() < end:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            time.sleep(0.005)

    def waitUntil(self, check: Callable[[], Any], timeout: int = 5_000) -> None:  # noqa: N802 - qtbot's name
        end = time.monotonic() + timeout / 1000
        last: BaseException | None = None
        while time.monotonic() < end:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            try:
                result = check()
            except AssertionError as exc:
                last = exc
            else:
                if result is None or result:
                    return
            time.sleep(0.005)
        raise TimeoutError(f"waited {timeout} ms: {last}")

    @contextmanager
    def waitSignal(self, signal: Any, timeout: int = 5_000) -> Iterator[_Blocker]:  # noqa: N802
        blocker = _Blocker()
        signal.connect(blocker)
        try:
            yield blocker
            self.waitUntil(lambda: blocker.signal_triggered, timeout)
        finally:
            signal.disconnect(blocker)

    def keyClicks(self, widget: QWidget, text: str) -> None:  # noqa: N802
        QTest.keyClicks(widget, text)

    def keyClick(self, widget: QWidget, key: Qt.Key) -> None:  # noqa: N802
        QTest.keyClick(widget, key)

    def mouseClick(self, widget: QWidget, button: Qt.MouseButton) -> None:  # noqa: N802
        QTest.mouseClick(widget, button)
