"""What the tests marked ``xserver`` share: a real X server check and real X key events.

Window behaviour that depends on a screen (its size, focus, a scanner's keys) is tested
under Xvfb on Qt's xcb platform, with keys made by ``xdotool`` (not Qt's synthetic ones).
"""

from __future__ import annotations

import os
import shutil
import subprocess

from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from tests.availability import unavailable


def require_x_server(how: str) -> None:
    """Skip (locally) or fail (CI) unless Qt talks to a real X server and xdotool is there."""
    if QGuiApplication.platformName() != "xcb" or not os.environ.get("DISPLAY"):
        unavailable(
            f"needs a real X server: Qt platform is {QGuiApplication.platformName()!r}, "
            f"DISPLAY is {os.environ.get('DISPLAY')!r}", how,
        )
    if shutil.which("xdotool") is None:
        unavailable("needs xdotool to make X key events", "bash scripts/setup.sh installs it (as root)")


def xdotool(qtbot: QtBot, *args: str) -> None:
    """Run xdotool while the event loop keeps going, so the keys arrive as they are made."""
    with subprocess.Popen(["xdotool", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as proc:
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=20_000)
        output, _ = proc.communicate()
    assert proc.returncode == 0, f"xdotool {' '.join(args)} failed ({proc.returncode}): {output.decode(errors='replace')}"
