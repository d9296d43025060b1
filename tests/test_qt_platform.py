"""Guards on the Qt binding HubCheck ships with.

PySide6 6.12.0 leaks a reference to the value each Python-side signal emit or slot call
touches; on Python 3.11 ``None``/``True``/``False`` reach zero after a few hundred calls
and the process aborts. A camera at 30 fps would kill the app within seconds, so the
dependency is pinned below 6.12 and this test fails loudly if a build with the bug
comes back. It runs in a subprocess because the failure is an abort, not an exception.
"""

from __future__ import annotations

import subprocess
import sys

PROGRAM = r"""
from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
app = QCoreApplication([])
class Emitter(QObject):
    anything = Signal(object)
    flag = Signal(bool)
    bare = Signal()
e = Emitter()
e.anything.connect(lambda value: None)
e.flag.connect(lambda value: None)
e.bare.connect(lambda: None)
for _ in range(20000):
    e.anything.emit(None)
    e.flag.emit(True)
    e.bare.emit()
ticks = [0]
def tick():
    ticks[0] += 1
    if ticks[0] >= 5000:
        app.quit()
timer = QTimer()
timer.setInterval(0)
timer.timeout.connect(tick)
timer.start()
app.exec()
print("survived", ticks[0])
"""


def test_signal_emits_and_slot_calls_do_not_corrupt_reference_counts() -> None:
    result = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"the Qt binding aborted (rc {result.returncode}): {result.stderr[-400:]}"
    assert "survived 5000" in result.stdout
