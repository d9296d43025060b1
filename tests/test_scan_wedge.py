"""Keyboard-wedge scanners and ScanField, driven with pytest-qt key events (offscreen)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from app.scan.field import STATE_ERROR, STATE_OK, STATE_WARNING, ScanField
from app.scan.wedge import BurstTracker, WedgeConfig, WedgeDetector
from tests.scan_helpers import CODE_HEX, EUI, EUI_DASHED, png_bytes, symbol, zigbee_payload

ZIGBEE = zigbee_payload()


class Window(QWidget):
    """A stand-in for the main window: two scan fields and two ordinary inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("testWindow")
        self.ppmid = ScanField("ppmidField")
        self.hub = ScanField("hubField")
        self.notes = QLineEdit(objectName="notes")
        self.comments = QPlainTextEdit(objectName="comments")
        layout = QVBoxLayout(self)
        for widget in (self.ppmid, self.hub, self.notes, self.comments):
            layout.addWidget(widget)


@pytest.fixture
def window(qtbot: QtBot) -> Window:
    win = Window()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    return win


@pytest.fixture
def detector(window: Window) -> Iterator[WedgeDetector]:
    wedge = WedgeDetector(parent=window)
    wedge.set_targets([window.ppmid, window.hub])
    wedge.install()
    yield wedge
    wedge.uninstall()


def focus(qtbot: QtBot, widget: QWidget) -> QWidget:
    widget.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None and widget.isAncestorOf(QApplication.focusWidget())
                    or QApplication.focusWidget() is widget)
    return QApplication.focusWidget()


def burst(qtbot: QtBot, widget: QWidget, text: str, suffix: Qt.Key = Qt.Key.Key_Return) -> None:
    """What a scanner does: every key back to back, then the suffix."""
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, suffix)


# --- ScanField on its own --------------------------------------------------------------
@pytest.mark.parametrize("suffix", [Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab])
def test_burst_into_each_field(qtbot: QtBot, window: Window, suffix: Qt.Key) -> None:
    for field in (window.ppmid, window.hub):
        edit = focus(qtbot, field)
        with qtbot.waitSignal(field.scanned) as got:
            burst(qtbot, edit, ZIGBEE, suffix)
        data = got.args[0]
        assert str(data.device_id) == EUI_DASHED and data.install_code.code_hex == CODE_HEX
        assert field.input.text() == EUI_DASHED
        assert field.state == STATE_OK and "CRC" in field.status.text()


def test_tab_suffix_moves_on_to_the_next_field(qtbot: QtBot, window: Window) -> None:
    edit = focus(qtbot, window.ppmid)
    burst(qtbot, edit, EUI, Qt.Key.Key_Tab)
    assert window.ppmid.label_data is not None
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.hub.input)


def test_field_reports_crc_problem_and_rejection(qtbot: QtBot, window: Window) -> None:
    edit = focus(qtbot, window.ppmid)
    with qtbot.waitSignal(window.ppmid.scanned) as got:
        burst(qtbot, edit, ZIGBEE[:-4] + "0000")
    assert got.args[0].install_code is None and window.ppmid.state == STATE_WARNING
    assert "CRC" in window.ppmid.status.text()
    with qtbot.waitSignal(window.ppmid.rejected) as bad:
        burst(qtbot, edit, "HELLO-WORLD")  # a new scan replaces the shown value
    assert "device ID" in bad.args[0] and window.ppmid.state == STATE_ERROR
    assert window.ppmid.label_data is None and window.ppmid.input.text() == "HELLO-WORLD"


def test_field_accepts_a_dropped_picture(qtbot: QtBot, window: Window, tmp_path) -> None:
    path = tmp_path / "label.png"
    path.write_bytes(png_bytes(symbol(ZIGBEE, "datamatrix")))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    with qtbot.waitSignal(window.hub.scanned) as got:
        window.hub.accept_picture_mime(mime)
    assert str(got.args[0].device_id) == EUI_DASHED
    image_mime = QMimeData()
    image_mime.setImageData(QImage.fromData(png_bytes(symbol("NO ID HERE", "qr"))))
    with qtbot.waitSignal(window.hub.rejected) as bad:
        window.hub.accept_picture_mime(image_mime)
    assert "NO ID HERE" in bad.args[0]


def test_a_picture_is_read_off_the_ui_thread_and_a_newer_scan_wins(qtbot: QtBot, window: Window, tmp_path) -> None:
    path = tmp_path / "label.png"
    path.write_bytes(png_bytes(symbol(ZIGBEE, "datamatrix")))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    window.hub.accept_picture_mime(mime)
    assert window.hub.status.text() == "Reading the picture…"  # the window says so while it decodes
    with qtbot.waitSignal(window.hub.rejected):
        window.hub.accept_scan("HELLO-WORLD")  # typed before the picture was read
    with qtbot.assertNotEmitted(window.hub.scanned, wait=1500):
        pass  # the picture's late answer must not replace the newer scan
    assert window.hub.label_data is None and window.hub.state == STATE_ERROR


# --- the application-wide detector -----------------------------------------------------
def test_burst_anywhere_in_the_window_goes_to_the_first_empty_field(
    qtbot: QtBot, window: Window, detector: WedgeDetector
) -> None:
    for widget, field in ((window.notes, window.ppmid), (window.comments, window.hub)):
        target = focus(qtbot, widget)
        with qtbot.waitSignals([detector.scanned, field.scanned]):
            burst(qtbot, target, ZIGBEE)
        assert field.input.text() == EUI_DASHED
    assert window.notes.text() == "" and window.comments.toPlainText() == ""


def test_burst_with_no_focus_widget_is_still_caught(qtbot: QtBot, window: Window, detector: WedgeDetector) -> None:
    window.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window)
    with qtbot.waitSignal(window.ppmid.scanned):
        burst(qtbot, window, EUI)


def test_callback_target_and_router(qtbot: QtBot, window: Window, detector: WedgeDetector) -> None:
    got: list[str] = []
    detector.set_target(got.append)
    burst(qtbot, focus(qtbot, window.notes), EUI)
    assert got == [EUI]
    detector.router = lambda text: window.hub
    with qtbot.waitSignal(window.hub.scanned):
        burst(qtbot, focus(qtbot, window.notes), EUI)


def test_human_typing_is_left_alone(qtbot: QtBot, window: Window, detector: WedgeDetector) -> None:
    seen: list[str] = []
    detector.scanned.connect(seen.append)
    edit = focus(qtbot, window.notes)
    qtbot.keyClicks(edit, "meter cupboard", delay=140)  # ~140 ms a key: a quick typist
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.notes.text() == "meter cupboard")
    comments = focus(qtbot, window.comments)
    qtbot.keyClicks(comments, "abc", delay=5)  # fast, but shorter than any label
    qtbot.keyClick(comments, Qt.Key.Key_Return)
    qtbot.keyClicks(comments, "ok", delay=120)
    qtbot.waitUntil(lambda: window.comments.toPlainText() == "abc\nok")
    assert seen == [] and window.ppmid.label_data is None


def test_shortcuts_and_secret_fields_pass_straight_through(qtbot: QtBot, window: Window, detector: WedgeDetector) -> None:
    window.notes.setText("keep")
    edit = focus(qtbot, window.notes)
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)  # copy: not held
    assert QApplication.clipboard().text() == "keep"
    window.notes.setEchoMode(QLineEdit.EchoMode.Password)
    window.notes.clear()
    burst(qtbot, focus(qtbot, window.notes), "SECRET123")
    assert window.notes.text() == "SECRET123" and window.ppmid.label_data is None


def test_typing_into_a_scan_field_by_hand(qtbot: QtBot, window: Window, detector: WedgeDetector) -> None:
    edit = focus(qtbot, window.hub)
    with qtbot.waitSignal(window.hub.scanned):
        qtbot.keyClicks(edit, EUI_DASHED, delay=60)
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert window.hub.input.text() == EUI_DASHED


def test_burst_tracker_thresholds() -> None:
    tracker = BurstTracker(WedgeConfig(avg_ms_per_char=30, min_length=6, scan_timeout_ms=100))
    for i, ch in enumerate("ABCDEF"):
        tracker.add(ch, i * 10.0)
    assert tracker.is_scan(60.0)
    assert not tracker.is_scan(6 * 30.0 + 1)
    assert tracker.gap_breaks(50 + 101) and not tracker.gap_breaks(50 + 99)
    tracker.clear()
    for i, ch in enumerate("ABCDE"):
        tracker.add(ch, i * 1.0)
    assert not tracker.is_scan(5.0)  # too short
    with pytest.raises(ValueError):
        WedgeConfig(min_length=0)


def test_a_key_timed_on_another_clock_never_joins_or_makes_a_burst() -> None:
    """A window-system timestamp (device time) and an arrival time (this process's clock) are
    not comparable: a key earlier than the burst's last one breaks it, and an end before the
    first key is no scan (it would be a negative, hence "fast", mean)."""
    tracker = BurstTracker(WedgeConfig(avg_ms_per_char=30, min_length=6, scan_timeout_ms=100))
    for i, ch in enumerate("ABCDEF"):
        tracker.add(ch, 1_000_000 + i * 3.0)
    assert tracker.gap_breaks(1_000_000 + 5 * 3.0 - 1)
    assert not tracker.gap_breaks(1_000_000 + 5 * 3.0)
    assert not tracker.is_scan(500.0)
    assert tracker.is_scan(1_000_000 + 20.0)


def test_configurable_thresholds_and_no_suffix_scanners(qtbot: QtBot, window: Window, detector: WedgeDetector) -> None:
    detector.set_config(WedgeConfig(require_suffix=False, scan_timeout_ms=60, min_length=12))
    edit = focus(qtbot, window.notes)
    with qtbot.waitSignal(window.ppmid.scanned):
        qtbot.keyClicks(edit, EUI)  # no Enter: the silence ends the burst
    qtbot.keyClicks(edit, "short1")  # fast but under min_length: typed text
    qtbot.waitUntil(lambda: window.notes.text() == "short1")
