"""Keep ``None``, ``True`` and ``False`` alive under PySide6 6.12 on Python 3.11.

PySide6 6.12 returns ``None`` from every void method, and ``True`` from ``Signal.emit``,
without taking a reference (harmless on Python ≥ 3.12, where those objects are immortal).
On 3.11 each such call drops a reference the caller never had; after some thousands of
calls — minutes of normal use — CPython aborts with "Fatal Python error: none_dealloc"
(or bool_dealloc), often at exit. Measured in tests/test_ui_start.py.

``protect_singletons()`` adds a huge number of references to the three objects once, at
start-up, so the count never reaches zero; they are static objects that are never freed
anyway. It does nothing on Python ≥ 3.12.
"""

from __future__ import annotations

import sys

_HEADROOM = 1 << 40
_done = False


def protect_singletons() -> None:
    global _done
    if _done or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    import ctypes

    for obj in (None, True, False):
        # ob_refcnt is the first field of every CPython object (non-debug build).
        ctypes.c_ssize_t.from_address(id(obj)).value += _HEADROOM
    _done = True
