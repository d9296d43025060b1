"""A USB scanner's real key sequence: Shift pressed and released around every capital, ``:`` and ``$``.

``qtbot.keyClicks`` sends a capital as one key event and never a Shift key, so the tests in
test_scan_wedge.py could not see what a scanner does (measured under X with xdotool, the
same order a USB HID scanner produces): Shift press, the character's press (with the Shift
modifier), Shift release, the character's release — 2–5 ms per character. Here those exact
events go to whatever has the focus in HubCheck's own window: the job search box, a combo
box, a push button, a check box. The whole label must land in its scan field and nothing
in the focused widget; a person typing a job reference at human speed must be left alone.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QLineEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from app.scan.field import STATE_EMPTY, STATE_ERROR, STATE_OK, ScanField
from app.scan.wedge import WedgeDetector
from app.testing.devices import FakeScanner
from app.testing.driver import HubCheckDriver
from app.testing.samples import case_for

pytest_plugins = ["app.testing.plugin"]

# The sample job whose hub label the tester saw cut in two (J-000102).
CASE = case_for("tactical STOP (mismatch)")
PPMID_ID = "0A-1B-2C-00-00-00-00-24"
HUB_ID = "0A-1B-2C-00-00-00-00-22"
_SHIFTED = frozenset('ABCDEFGHIJKLMNOPQRSTUVWXYZ~!@#$%^&*()_+{}|:"<>?')
_SHIFT = Qt.KeyboardModifier.ShiftModifier
_NONE = Qt.KeyboardModifier.NoModifier


def _key_code(char: str) -> int:
    return ord(char.upper()) if char.isalpha() else ord(char)  # Qt's key codes for ASCII are the code points


def _send(kind: QEvent.Type, key: int, modifiers: Qt.KeyboardModifier, text: str) -> None:
    target = QApplication.focusWidget() or QApplication.activeWindow()
    assert target is not None, "no widget has the keyboard focus"
    QApplication.sendEvent(target, QKeyEvent(kind, key, modifiers, text))


def scanner_types(qtbot: QtBot, text: str, ms_per_key: float, suffix: Qt.Key = Qt.Key.Key_Return) -> float:
    """Type ``text`` and the suffix the way a scanner does (the tester kit's ``FakeScanner``);
    returns the mean ms per key it took."""
    return FakeScanner(qtbot).scan(text, ms_per_key=ms_per_key, suffix=suffix)


def focus_on(qtbot: QtBot, widget: QWidget) -> None:
    widget.window().activateWindow()
    widget.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget)


# --- HubCheck's window: a burst wherever the focus is ----------------------------------
@pytest.mark.parametrize(
    ("focus_name", "ms_per_key"),
    [("jobSearchInput", 2), ("jobSearchInput", 5), ("smWanInput", 3), ("ppmidScanCameraButton", 4),
     ("aerialInput", 5)],
)
def test_a_scanner_burst_lands_whole_in_its_field_wherever_the_focus_is(
    qtbot: QtBot, hubcheck: HubCheckDriver, focus_name: str, ms_per_key: int
) -> None:
    focused = hubcheck.widget(focus_name)
    before = _widget_state(focused)
    focus_on(qtbot, focused)
    ppmid, hub = hubcheck.widget("ppmidScan", ScanField), hubcheck.widget("hubScan", ScanField)

    took = scanner_types(qtbot, CASE.ppmid_label, ms_per_key)
    qtbot.waitUntil(lambda: _reached(ppmid, focused))
    focus_on(qtbot, focused)  # the window moved it on to the hub field: put it back, as the tester did
    took = max(took, scanner_types(qtbot, CASE.hub_label, ms_per_key))
    qtbot.waitUntil(lambda: _reached(hub, focused))

    assert took < 30, f"the keys took {took:.1f} ms each: too slow to stand for a scanner on this machine"
    assert ppmid.input.text() == PPMID_ID and ppmid.state == STATE_OK, ppmid.status.text()
    assert ppmid.label_data is not None and ppmid.label_data.install_code_ok
    assert hub.input.text() == HUB_ID and hub.state == STATE_OK, hub.status.text()
    # Not one character of either label typed there: the search holds only what the window put
    # in it itself, the scanned PPMID's ID to find its job (no job had been chosen).
    assert hubcheck.text("jobSearchInput") == PPMID_ID
    qtbot.waitUntil(lambda: _chosen(hubcheck, CASE.job_ref))
    if focused is not hubcheck.widget("jobSearchInput"):
        assert _widget_state(focused) == before


def _chosen(hubcheck: HubCheckDriver, job_ref: str | None) -> None:
    job = hubcheck.widget("jobPicker").job
    assert job is not None and job.job_ref == job_ref, f"job {job_ref} not chosen (have {job})"


def _reached(field: ScanField, focused: QWidget) -> None:
    assert field.state != STATE_EMPTY, (
        f"nothing reached {field.objectName()}; {focused.objectName()} (focused) shows {_widget_state(focused)!r}, "
        f"the job search {field.window().findChild(QLineEdit, 'jobSearchInput').text()!r}"
    )


def _widget_state(widget: QWidget) -> object:
    if isinstance(widget, QLineEdit):
        return widget.text()
    if isinstance(widget, QComboBox):
        return widget.currentIndex()  # a combo box jumps to the item a typed letter starts
    if isinstance(widget, QCheckBox):
        return widget.checkState()
    return None


def test_a_person_typing_a_job_reference_in_the_search_box_is_left_alone(
    qtbot: QtBot, hubcheck: HubCheckDriver
) -> None:
    window = hubcheck.window
    search = hubcheck.widget("jobSearchInput", QLineEdit)
    bursts: list[str] = []
    window.findChild(WedgeDetector, "wedgeDetector").scanned.connect(bursts.append)
    focus_on(qtbot, search)
    took = scanner_types(qtbot, CASE.job_ref or "", 85)  # the capital J comes with Shift, as from a keyboard
    assert took >= 80  # at least that slow (a wait may end a little early)
    qtbot.waitUntil(lambda: _chosen(hubcheck, CASE.job_ref))
    assert search.text() == CASE.job_ref
    assert bursts == []
    assert hubcheck.widget("ppmidScan", ScanField).state == STATE_EMPTY
    assert hubcheck.widget("hubScan", ScanField).state == STATE_EMPTY


# --- routing by content: a PPMID label to the PPMID field, a hub label to the hub's ----
class Window(QWidget):
    """Two scan fields that say what their labels carry, and an ordinary search box."""

    def __init__(self) -> None:
        super().__init__()
        self.ppmid = ScanField("ppmidField", expects_install_code=True)
        self.hub = ScanField("hubField", expects_install_code=False)
        self.search = QLineEdit(objectName="search")
        layout = QVBoxLayout(self)
        for widget in (self.search, self.ppmid, self.hub):
            layout.addWidget(widget)


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[Window]:
    win = Window()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    wedge = WedgeDetector(parent=win)
    wedge.set_targets([win.ppmid, win.hub])
    wedge.install()
    focus_on(qtbot, win.search)
    yield win
    wedge.uninstall()


def test_a_hub_label_scanned_first_goes_to_the_hub_field(qtbot: QtBot, window: Window) -> None:
    scanner_types(qtbot, CASE.hub_label, 3)
    qtbot.waitUntil(lambda: window.hub.state == STATE_OK)
    assert window.hub.input.text() == HUB_ID and window.ppmid.state == STATE_EMPTY
    scanner_types(qtbot, CASE.ppmid_label, 3)
    qtbot.waitUntil(lambda: window.ppmid.state == STATE_OK)
    assert window.ppmid.input.text() == PPMID_ID and window.hub.input.text() == HUB_ID
    assert window.search.text() == ""


def test_a_new_ppmid_label_replaces_the_ppmid_and_unsure_scans_take_the_next_empty_field(
    qtbot: QtBot, window: Window
) -> None:
    scanner_types(qtbot, CASE.ppmid_label, 3)
    qtbot.waitUntil(lambda: window.ppmid.state == STATE_OK)
    other = case_for("withdrawn firmware")  # another PPMID label: it replaces the first, the hub stays empty
    scanner_types(qtbot, other.ppmid_label, 3)
    qtbot.waitUntil(lambda: window.ppmid.input.text() == "0A-1B-2C-00-00-00-00-74")
    assert window.hub.state == STATE_EMPTY
    scanner_types(qtbot, "NOT-A-LABEL", 3)  # no device ID: the next empty field says why
    qtbot.waitUntil(lambda: window.hub.state == STATE_ERROR)
    assert "device ID" in window.hub.status.text() and window.ppmid.input.text() == "0A-1B-2C-00-00-00-00-74"


def test_shortcuts_after_quick_typing_still_come_after_the_typed_keys(qtbot: QtBot, window: Window) -> None:
    """Ctrl is passed on at once while the keys before it are held: Ctrl+A must still select them."""
    for char in "ab":
        _send(QEvent.Type.KeyPress, _key_code(char), _NONE, char)
        _send(QEvent.Type.KeyRelease, _key_code(char), _NONE, char)
    _send(QEvent.Type.KeyPress, int(Qt.Key.Key_Control), Qt.KeyboardModifier.ControlModifier, "")
    _send(QEvent.Type.KeyPress, int(Qt.Key.Key_A), Qt.KeyboardModifier.ControlModifier, "\x01")
    _send(QEvent.Type.KeyRelease, int(Qt.Key.Key_A), Qt.KeyboardModifier.ControlModifier, "\x01")
    _send(QEvent.Type.KeyRelease, int(Qt.Key.Key_Control), _NONE, "")
    _send(QEvent.Type.KeyPress, int(Qt.Key.Key_X), _NONE, "x")
    qtbot.waitUntil(lambda: window.search.text() == "x")  # "ab" typed, selected and replaced


# --- a busy window: the keys' own timestamps, not when this thread got round to them -----
def _scan_with_a_stall(qtbot: QtBot, text: str, stall_after: int, stall_ms: int) -> None:
    """A scanner's burst at 3 ms a key, each key stamped when the device sent it, while this
    process stops for ``stall_ms`` after key ``stall_after`` — what a loaded machine does."""
    scanner = FakeScanner(qtbot)
    sent = time.monotonic() * 1000.0
    for index, char in enumerate(text):
        scanner.key(char, sent_ms=sent + 3 * index)
        qtbot.wait(3)
        if index == stall_after:
            time.sleep(stall_ms / 1000)  # the thread is busy: no event loop, no timers
            qtbot.wait(1)  # then the window runs again: an overdue silence timer fires now
    end = sent + 3 * len(text)
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        event = QKeyEvent(kind, int(Qt.Key.Key_Return), _NONE, "\r")
        event.setTimestamp(round(end))
        QApplication.sendEvent(QApplication.focusWidget(), event)


@pytest.mark.parametrize("stall_after", [10, 55, 56], ids=["mid-label", "before-the-last-key", "before-enter"])
def test_a_stall_of_the_window_during_a_burst_does_not_cut_the_label(
    qtbot: QtBot, window: Window, stall_after: int
) -> None:
    """CI once cut a PPMID label this way: the thread stalled ~150 ms near the end of the
    burst, the silence timer fired late and the held keys were typed into the focused box."""
    assert len(CASE.ppmid_label) == 57
    _scan_with_a_stall(qtbot, CASE.ppmid_label, stall_after, 180)
    qtbot.waitUntil(lambda: window.ppmid.state != STATE_EMPTY)
    assert window.ppmid.input.text() == PPMID_ID and window.ppmid.state == STATE_OK, window.ppmid.status.text()
    assert window.search.text() == "" and window.hub.state == STATE_EMPTY


def test_typing_that_reaches_the_window_all_at_once_after_a_stall_is_still_typing(
    qtbot: QtBot, window: Window
) -> None:
    """Keys a person typed 120 ms apart, queued while the window was busy and then read back
    to back: their timestamps say typing, so they go to the search box, not to a scan field."""
    typed = CASE.job_ref or ""
    assert len(typed) >= 6
    start = time.monotonic() * 1000.0
    for index, char in enumerate(typed):
        FakeScanner(qtbot).key(char, sent_ms=start + 120 * index)
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        event = QKeyEvent(kind, int(Qt.Key.Key_Return), _NONE, "\r")
        event.setTimestamp(round(start + 120 * len(typed)))
        QApplication.sendEvent(QApplication.focusWidget(), event)
    qtbot.waitUntil(lambda: window.search.text() == typed)
    assert window.ppmid.state == STATE_EMPTY and window.hub.state == STATE_EMPTY


def test_a_window_that_keeps_stalling_still_delivers_typed_keys(qtbot: QtBot, window: Window) -> None:
    """The silence is extended for a late timer only up to a bound: typed keys are never held for good."""
    wedge = window.findChild(WedgeDetector)
    assert wedge is not None
    ticks = iter(range(10**6))
    wedge._clock = lambda: next(ticks) * 5000.0  # each look at the clock: the window "was stalled" 5 s
    _send(QEvent.Type.KeyPress, _key_code("q"), _NONE, "q")
    qtbot.waitUntil(lambda: window.search.text() == "q", timeout=4000)  # 10 extensions of 100 ms, then typed


# --- how a label typed into its own field was entered: a scanner's keys or a person's --------
def _keys_into_focus(text: str, ms_apart: float, edits: str = "") -> None:
    """``text`` then Enter as key events stamped ``ms_apart`` (the device's clock), sent back to
    back; ``edits`` ("\\b" for Backspace) are pressed after the text, at the same pace."""
    scanner = FakeScanner(None)
    start = time.monotonic() * 1000.0
    for index, char in enumerate(text):
        scanner.key(char, sent_ms=start + ms_apart * index)
    at = start + ms_apart * len(text)
    for char in edits:
        if char == "\b":
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                event = QKeyEvent(kind, int(Qt.Key.Key_Backspace), _NONE, "")
                event.setTimestamp(round(at))
                QApplication.sendEvent(QApplication.focusWidget(), event)
        else:
            scanner.key(char, sent_ms=at)
        at += ms_apart
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        event = QKeyEvent(kind, int(Qt.Key.Key_Return), _NONE, "\r")
        event.setTimestamp(round(at))
        QApplication.sendEvent(QApplication.focusWidget(), event)


def test_a_burst_typed_straight_into_its_field_is_recorded_as_the_scanners(qtbot: QtBot, window: Window) -> None:
    focus_on(qtbot, window.ppmid.input)
    _keys_into_focus(CASE.ppmid_label, 3)
    assert window.ppmid.state == STATE_OK and window.ppmid.entry == "scanner"


def test_an_id_typed_at_a_persons_pace_into_its_field_is_recorded_as_typed(qtbot: QtBot, window: Window) -> None:
    focus_on(qtbot, window.hub.input)
    _keys_into_focus(HUB_ID, 150)
    assert window.hub.state == STATE_OK and window.hub.entry == "typed"


def test_a_burst_then_edited_by_hand_is_typed_not_scanned(qtbot: QtBot, window: Window) -> None:
    """A scanner read, then a character corrected: the ID in the field is no longer what the
    scanner sent, so it counts as typed."""
    focus_on(qtbot, window.hub.input)
    _keys_into_focus(HUB_ID, 3, edits="\b" + HUB_ID[-1])
    assert window.hub.input.text() == HUB_ID and window.hub.entry == "typed"


def test_a_new_burst_after_a_typed_id_is_judged_on_its_own_keys(qtbot: QtBot, window: Window) -> None:
    focus_on(qtbot, window.hub.input)
    _keys_into_focus(HUB_ID, 150)
    assert window.hub.entry == "typed"
    _keys_into_focus(CASE.hub_label, 3)  # the first key replaces the shown value: a fresh entry
    assert window.hub.state == STATE_OK and window.hub.entry == "scanner"


def test_the_window_records_a_hub_id_typed_by_hand_as_typed(qtbot: QtBot, hubcheck: HubCheckDriver) -> None:
    import json

    from sqlalchemy import text

    good = case_for("OK under both")
    hubcheck.pick_job(good.job_ref or "")
    hubcheck.wedge_burst(good.ppmid_label)
    field = hubcheck.widget("hubScan", ScanField)
    focus_on(qtbot, field.input)
    _keys_into_focus(good.hub_label, 150)
    hubcheck.wait_verdict("ok")
    outcome = hubcheck.record()
    with hubcheck.window.ctx.engine.connect() as conn:
        meta = json.loads(conn.execute(text("SELECT meta_json FROM install_visits WHERE id = :i"),
                                       {"i": outcome.install_id}).scalar_one())
    assert (meta["ppmid_scan_entry"], meta["hub_scan_entry"]) == ("scanner", "typed")
