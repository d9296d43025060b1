"""A scanner's keys through a real X server: ``xdotool`` types a label into HubCheck's window.

The offscreen tests (test_scan_scanner_keys.py) send Qt key events themselves; these let
the X server make them, the way a USB scanner's keystrokes reach the window on an
installer's laptop: XTEST key presses (Shift around every capital, ``:`` and ``$``) turned
into Qt events by the xcb platform, with X's own timing. They run only on the xcb platform
with a display — ``bash scripts/run-tests.sh`` runs them under ``xvfb-run`` in a second
pytest pass (marker ``xserver``). Elsewhere they skip, saying how to run them; in CI a
missing X server or xdotool fails them instead.

No window manager is needed: under a bare Xvfb, Qt gives its window the X input focus
itself (measured: xdotool's keys reach the focused widget with and without one).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from app.scan.field import STATE_EMPTY, STATE_OK, ScanField
from app.scan.wedge import WedgeDetector
from app.testing.driver import HubCheckDriver
from app.testing.samples import case_for
from tests.xserver import require_x_server, xdotool

pytest_plugins = ["app.testing.plugin"]
pytestmark = pytest.mark.xserver

CASE = case_for("tactical STOP (mismatch)")  # J-000102: the hub label the tester saw cut in two
PPMID_ID = "0A-1B-2C-00-00-00-00-24"
HUB_ID = "0A-1B-2C-00-00-00-00-22"
HOW = (
    'run: xvfb-run -a -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb '
    ".venv/bin/python -m pytest -m xserver tests/test_scan_xserver.py (bash scripts/run-tests.sh does)"
)


@pytest.fixture
def x_keys(qapp: QApplication) -> None:
    require_x_server(HOW)


def scanner_types(qtbot: QtBot, label: str) -> None:
    """A scanner's burst: ``xdotool type --delay 3 LABEL``, then ``xdotool key Return``."""
    xdotool(qtbot, "type", "--delay", "3", label)
    xdotool(qtbot, "key", "Return")


def activate(qtbot: QtBot, widget: QWidget) -> None:
    """The window shown and active, and the keyboard focus on ``widget``, before a key is made."""
    window = widget.window()
    window.raise_()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    widget.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget)


def _reached(field: ScanField, focused: QWidget, search: QLineEdit) -> None:
    assert field.state != STATE_EMPTY, (
        f"nothing reached {field.objectName()}; {focused.objectName()} (focused) shows {_state(focused)!r}, "
        f"the job search {search.text()!r}"
    )


def _state(widget: QWidget) -> object:
    if isinstance(widget, QLineEdit):
        return widget.text()
    if isinstance(widget, QComboBox):
        return widget.currentIndex()
    if isinstance(widget, QCheckBox):
        return widget.checkState()
    return None


def _chosen(hubcheck: HubCheckDriver, job_ref: str | None) -> None:
    job = hubcheck.widget("jobPicker").job
    assert job is not None and job.job_ref == job_ref, f"job {job_ref} not chosen (have {job})"


@pytest.mark.parametrize("focus_name", ["jobSearchInput", "smWanInput", "ppmidScanCameraButton", "aerialInput"])
def test_xdotool_labels_land_whole_in_their_fields(
    x_keys: None, qtbot: QtBot, hubcheck: HubCheckDriver, focus_name: str
) -> None:
    focused = hubcheck.widget(focus_name)
    search = hubcheck.widget("jobSearchInput", QLineEdit)
    ppmid, hub = hubcheck.widget("ppmidScan", ScanField), hubcheck.widget("hubScan", ScanField)
    before = _state(focused)

    activate(qtbot, focused)
    scanner_types(qtbot, CASE.ppmid_label)
    qtbot.waitUntil(lambda: _reached(ppmid, focused, search))
    activate(qtbot, focused)  # the window moves on to the hub field after a PPMID: back, as the tester did
    scanner_types(qtbot, CASE.hub_label)
    qtbot.waitUntil(lambda: _reached(hub, focused, search))

    assert ppmid.input.text() == PPMID_ID and ppmid.state == STATE_OK, ppmid.status.text()
    assert ppmid.label_data is not None and ppmid.label_data.install_code_ok
    assert hub.input.text() == HUB_ID and hub.state == STATE_OK, hub.status.text()
    # Nothing of either label typed into the search: it holds what the window put there
    # itself, the scanned PPMID's ID, to find that PPMID's job.
    assert search.text() == PPMID_ID
    qtbot.waitUntil(lambda: _chosen(hubcheck, CASE.job_ref))
    if focused is not search:
        assert _state(focused) == before


def test_xdotool_typing_a_job_reference_by_hand_reaches_the_search(
    x_keys: None, qtbot: QtBot, hubcheck: HubCheckDriver
) -> None:
    search = hubcheck.widget("jobSearchInput", QLineEdit)
    bursts: list[str] = []
    hubcheck.window.findChild(WedgeDetector, "wedgeDetector").scanned.connect(bursts.append)
    activate(qtbot, search)
    xdotool(qtbot, "type", "--delay", "90", CASE.job_ref or "")  # a person: ~90 ms a key, Shift for the J
    xdotool(qtbot, "key", "Return")
    qtbot.waitUntil(lambda: _chosen(hubcheck, CASE.job_ref))
    assert search.text() == CASE.job_ref and bursts == []
    assert hubcheck.widget("ppmidScan", ScanField).state == STATE_EMPTY
    assert hubcheck.widget("hubScan", ScanField).state == STATE_EMPTY


def test_xdotool_keys_typed_into_a_scan_field_say_whether_a_scanner_or_a_person_typed_them(
    x_keys: None, qtbot: QtBot, hubcheck: HubCheckDriver
) -> None:
    """The field judges the keys by X's own timestamps: a burst at 3 ms a key is the scanner's;
    the hub's ID at a person's pace is typed by hand."""
    ppmid, hub = hubcheck.widget("ppmidScan", ScanField), hubcheck.widget("hubScan", ScanField)
    activate(qtbot, ppmid.input)
    scanner_types(qtbot, CASE.ppmid_label)
    qtbot.waitUntil(lambda: ppmid.state == STATE_OK)
    assert ppmid.entry == "scanner"
    activate(qtbot, hub.input)
    xdotool(qtbot, "type", "--delay", "120", HUB_ID)  # a person, about 120 ms a key
    xdotool(qtbot, "key", "Return")
    qtbot.waitUntil(lambda: hub.state == STATE_OK)
    assert hub.input.text() == HUB_ID and hub.entry == "typed"
