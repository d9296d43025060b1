"""``HubCheckDriver``: drive the main window the way an installer does, and read what it shows.

Every action goes through the real widgets, found by their objectNames (keys into the
scan fields, clicks on the buttons, choices in the combo boxes) and then waits — with
``qtbot.waitUntil``/``waitSignal``, never sleeps — for the worker result it triggers, so
tests read the screen only after it has changed. What it returns is read off the screen
(the verdict's words, the queue's rows as shown), so a test checks what a person sees.

The tester's vocabulary (docs/testing.md): ``load_cpl``, ``load_jobs``, ``set_regime``,
``open_job``, ``scan_ppmid``, ``scan_hub``, ``give_hub_generation``, ``verdict``,
``record_install``, ``abort_visit``, ``queue``, ``sync_now``, ``wait_for_state``. The
older names this project's own tests use (``pick_job``, ``record``, ``queue_rows`` …) stay.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.ui.main_window import TAB_CHECK, TAB_QUEUE, TAB_SETTINGS, MainWindow
from app.ui.models import QueueRow


def click(qtbot: Any, button: QWidget) -> None:
    """A left click in the middle of ``button``, refused when a person could not click it."""
    assert button.isVisible(), f"{button.objectName()} is not on screen"
    assert button.isEnabled(), f"{button.objectName()} is disabled: {button.toolTip()}"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


@dataclass(frozen=True)
class Verdict:
    """The verdict as the banner shows it.

    ``level``: ``"ok"``, ``"warn"``, ``"block"`` or ``"unknown"`` (None: no verdict on screen);
    ``resulting_smets``: ``"SMETS1"`` / ``"SMETS2+"`` as printed, None where the screen shows
    "—"; ``reason_codes``: the reasons' codes in the order listed (``"SMETS_MISMATCH"`` …);
    then the texts as shown: the level's word (``"STOP"``), the headline, the regime line,
    the resulting-version caption, and each reason row (severity, message, what to do).
    """

    level: str | None
    resulting_smets: str | None
    reason_codes: tuple[str, ...]
    level_text: str
    headline: str
    regime_text: str
    resulting_caption: str
    reasons: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class QueueEntry:
    """One row of the Queue tab as shown (``key``: the request's idempotency key, not a column).

    ``last_error`` is the Last error column: for a request the DCC failed, ``"DCC response
    E65"`` (and the back office's reason after a colon, when it gave one). ``response_code``
    is that code by itself (``"E65"``, ``"I0"``; ``""`` until the DCC answered), for a test
    that wants to compare it exactly.
    """

    key: str
    srv: str
    request: str
    target: str
    state: str
    last_error: str
    job_ref: str
    queued_at: str
    response_code: str = ""


#: ``record_install`` choices → the record form's widgets (docs/testing.md lists them).
RECORD_CHOICES: dict[str, str] = {
    "scenario": "visitScenarioInput",
    "wan": "smWanInput",
    "premise": "premiseTypeInput",
    "metal": "metalObstructionInput",
    "connectivity": "connectivityObstructionInput",
    "shared": "sharedObstructionInput",
    "location": "hubLocationInput",
    "aerial": "aerialInput",
    "remedy": "remedyInput",
    "manual_change": "manualInventoryChangeInput",
    "override": "overrideReasonInput",
}


def _hex(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch in "0123456789ABCDEF")


class HubCheckDriver:
    def __init__(self, window: MainWindow, qtbot: Any, timeout: int = 10_000) -> None:
        self.window = window
        self.qtbot = qtbot
        self.timeout = timeout
        self.verdicts = 0
        self.outcomes: list[Any] = []
        self.failures: list[str] = []
        self.cues: list[tuple[str, bool]] = []
        window.verdictShown.connect(self._count_verdict)
        window.visitRecorded.connect(self.outcomes.append)
        window.visitFailed.connect(self.failures.append)
        window.sound.cued.connect(lambda kind, played: self.cues.append((kind, played)))

    def _count_verdict(self, _result: object) -> None:
        self.verdicts += 1

    # ------------------------------------------------------------------ finding things
    def widget(self, name: str, kind: type[QWidget] = QWidget) -> Any:
        found = self.window.findChild(kind, name)
        assert found is not None, f"no {kind.__name__} named {name!r} in the main window"
        return found

    def text(self, name: str) -> str:
        return str(self.widget(name).text())

    def wait_idle(self) -> None:
        """Until no background task is pending."""
        self.qtbot.waitUntil(lambda: self.window.runner.pending == 0, timeout=self.timeout)

    # ------------------------------------------------------------------ job
    def pick_job(self, job_ref: str) -> None:
        self.window.show_tab(TAB_CHECK)
        self.window.pick_job(job_ref)

        def chosen() -> None:
            job = self.window.view.job_picker.job
            assert job is not None and job.job_ref == job_ref, f"job {job_ref} not chosen (have {job})"
            assert self.window.view.record.view.meter.count() > 0, "the job's meters have not loaded"

        self.qtbot.waitUntil(chosen, timeout=self.timeout)

    # ------------------------------------------------------------------ scanning
    def _burst_into(self, edit: QLineEdit, text: str) -> None:
        self.window.show_tab(TAB_CHECK)
        self.window.activateWindow()
        edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.qtbot.keyClicks(edit, text)
        self.qtbot.keyClick(edit, Qt.Key.Key_Return)

    def scan_ppmid(self, text: str, *, wait: bool = True) -> None:
        """A scanner burst (label text + Enter) into the PPMID field."""
        self._scan(self.widget("ppmidScanInput", QLineEdit), text, wait)

    def scan_hub(self, text: str, *, wait: bool = True) -> None:
        """A scanner burst into the Communications Hub field."""
        self._scan(self.widget("hubScanInput", QLineEdit), text, wait)

    def _scan(self, edit: QLineEdit, text: str, wait: bool) -> None:
        before = self.verdicts
        self._burst_into(edit, text)
        both = self.window.view.ppmid.label is not None and self.window.view.hub.label is not None
        if wait and both:
            self.qtbot.waitUntil(lambda: self._newer(before), timeout=self.timeout)

    def _newer(self, before: int) -> None:
        assert self.verdicts > before, "no verdict shown yet"

    def wedge_burst(self, text: str, into: QWidget | None = None) -> None:
        """A scanner burst while focus is somewhere else (the app-wide wedge detector routes it)."""
        target = into or self.widget("jobTable")
        self.window.activateWindow()
        target.setFocus(Qt.FocusReason.OtherFocusReason)
        assert QApplication.focusWidget() is target, "could not focus the burst's target"
        self.qtbot.keyClicks(target, text)
        self.qtbot.keyClick(target, Qt.Key.Key_Return)

    def wait_verdict(self, level: str | None = None) -> None:
        def shown() -> None:
            assert self.window.view.verdict.level is not None, "no verdict on the banner"
            if level is not None:
                assert self.window.view.verdict.level == level, f"verdict is {self.window.view.verdict.level}"

        self.qtbot.waitUntil(shown, timeout=self.timeout)

    def set_hub_generation(self, generation: str) -> None:
        """Give the hub's generation ("SMETS1" / "SMETS2+") when the verdict is UNKNOWN."""
        combo = self.widget("hubGenerationInput", QComboBox)
        before = self.verdicts
        for index in range(combo.count()):
            data = combo.itemData(index)
            if data is not None and str(data) == generation:
                combo.setCurrentIndex(index)
                break
        else:
            raise AssertionError(f"no hub generation {generation!r}")
        self.qtbot.waitUntil(lambda: self._newer(before), timeout=self.timeout)

    @property
    def scenario(self) -> str | None:
        """The visit's scenario the record form offers now (``existing-hub`` / ``new-hub``, None: none)."""
        data = self.widget("visitScenarioInput", QComboBox).currentData()
        return str(data) if data else None

    def set_scenario(self, scenario: str) -> None:
        """Confirm or change the visit's scenario (``existing-hub`` / ``new-hub``) as an installer would."""
        combo = self.widget("visitScenarioInput", QComboBox)
        index = combo.findData(scenario)
        assert index >= 0, f"no visit scenario {scenario!r}"
        combo.setCurrentIndex(index)

    # ------------------------------------------------------------------ reading the verdict
    @property
    def level_text(self) -> str:
        return self.text("verdictLevelLabel")

    @property
    def resulting_text(self) -> str:
        return self.text("resultingSmetsLabel")

    @property
    def regime_text(self) -> str:
        return self.text("regimeIndicator")

    def reason_codes(self) -> list[str]:
        model = self.window.view.verdict.reasons_model
        return [model.index(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(model.rowCount())]

    def reason_texts(self) -> list[tuple[str, str, str]]:
        model = self.window.view.verdict.reasons_model
        return [tuple(model.index(r, c).data() for c in range(3)) for r in range(model.rowCount())]

    # ------------------------------------------------------------------ recording
    def type_into(self, edit: QLineEdit, text: str) -> None:
        """Type into an ordinary field. Test key clicks are as fast as a scanner, so the wedge
        detector holds them until its silence timeout and then delivers them: wait for that."""
        self.window.activateWindow()
        edit.setFocus(Qt.FocusReason.OtherFocusReason)
        edit.clear()
        self.qtbot.keyClicks(edit, text)
        self.qtbot.waitUntil(lambda: edit.text() == text, timeout=self.timeout)

    def set_override(self, reason: str) -> None:
        self.type_into(self.widget("overrideReasonInput", QLineEdit), reason)

    @property
    def record_enabled(self) -> bool:
        return bool(self.widget("recordInstallButton", QPushButton).isEnabled())

    def record(self) -> Any:
        """Press Record install and wait for the outcome (AssertionError with the message if refused)."""
        button = self.widget("recordInstallButton", QPushButton)
        assert button.isEnabled(), f"Record install is disabled: {self.window.view.record.why_not}"
        done, failed = len(self.outcomes), len(self.failures)
        self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        self.qtbot.waitUntil(lambda: self._finished(done, failed), timeout=self.timeout)
        if len(self.failures) > failed:
            raise AssertionError(self.failures[-1])
        return self.outcomes[-1]

    def _finished(self, done: int, failed: int) -> None:
        assert len(self.outcomes) > done or len(self.failures) > failed, "recording has not finished"

    def abort(self, reason: str) -> Any:
        self.type_into(self.widget("abortReasonInput", QLineEdit), reason)
        done, failed = len(self.outcomes), len(self.failures)
        self.qtbot.mouseClick(self.widget("abortVisitButton", QPushButton), Qt.MouseButton.LeftButton)
        self.qtbot.waitUntil(lambda: self._finished(done, failed), timeout=self.timeout)
        if len(self.failures) > failed:
            raise AssertionError(self.failures[-1])
        return self.outcomes[-1]

    @property
    def record_message(self) -> str:
        return self.text("recordResultLabel")

    # ------------------------------------------------------------------ queue
    def queue_rows(self) -> list[QueueRow]:
        """The Queue tab's rows once it has been read again (opening the tab reads it; on the
        tab already, it is read again as a person's F5-less look would not)."""
        with self.qtbot.waitSignal(self.window.queueRefreshed, timeout=self.timeout):
            if self.window.view.tabs.currentIndex() == TAB_QUEUE:
                self.window.refresh_queue()
            else:
                self.window.show_tab(TAB_QUEUE)
        return self.window.view.queue_page.model.rows()

    def sync_now(self) -> str:
        """Press Sync now on the Queue tab and wait for the pass to end; returns its status
        (``"ok"``, ``"partial"``, ``"offline"``, ``"busy"``, ``"auth_failed"``, ``"error"`` …).
        The sentence the tab shows is ``text("syncResultLabel")``."""
        self.window.show_tab(TAB_QUEUE)
        button = self.widget("syncNowButton", QPushButton)
        self.qtbot.waitUntil(button.isEnabled, timeout=self.timeout)
        # syncNowFinished, not syncFinished: a timed pass already running (or queued on the
        # sync worker ahead of this one) must not answer for the pass this press started.
        with self.qtbot.waitSignal(self.window.syncNowFinished, timeout=self.timeout * 3) as blocker:
            self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        return str(blocker.args[0])

    # ------------------------------------------------------------------ settings and imports
    def set_regime(self, regime: str) -> None:
        """Switch the regime ("tactical" / "mp202", any case) through the Settings pane
        (choose, Save) and wait for the re-check of what is on screen."""
        self.window.show_tab(TAB_SETTINGS)
        combo = self.widget("regimeInput", QComboBox)
        regime = regime.strip().lower()
        assert combo.findData(regime) >= 0, f"no regime {regime!r}: choose 'tactical' or 'mp202'"
        combo.setCurrentIndex(combo.findData(regime))
        before = self.verdicts
        with self.qtbot.waitSignal(self.window.settingsSaved, timeout=self.timeout):
            self.qtbot.mouseClick(self.widget("saveSettingsButton", QPushButton), Qt.MouseButton.LeftButton)
        if self.window.view.ppmid.label is not None and self.window.view.hub.label is not None:
            self.qtbot.waitUntil(lambda: self._newer(before), timeout=self.timeout)
        self.window.show_tab(TAB_CHECK)

    def import_file(self, path: Path, *, confirm: bool = True) -> Any:
        """Import a CPL, job pack or inventory as the File menu does. A CPL that rejects rows
        or would shrink the list is first asked about in the banner: ``confirm`` answers
        (True: replace anyway, False: keep the current CPL, which returns None)."""
        finished: list[Any] = []
        self.window.importFinished.connect(finished.append)
        try:
            self.window.import_file(Path(path))
            banner = self.window.view.import_banner

            def answered_or_done() -> None:
                assert finished or banner.confirm.isVisible(), "the import has not finished"

            self.qtbot.waitUntil(answered_or_done, timeout=self.timeout * 3)
            if not finished:
                button = banner.confirm if confirm else banner.keep
                self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
                self.qtbot.waitUntil(lambda: bool(finished), timeout=self.timeout * 3)
        finally:
            self.window.importFinished.disconnect(finished.append)
        self.wait_idle()
        return finished[-1]

    def load_sample(self) -> Any:
        with self.qtbot.waitSignal(self.window.importFinished, timeout=self.timeout * 3) as blocker:
            self.qtbot.mouseClick(self.widget("loadSampleButton", QPushButton), Qt.MouseButton.LeftButton)
        self.wait_idle()
        return blocker.args[0]

    def status(self) -> dict[str, str]:
        """The status bar's facts, by objectName."""
        return {name: self.widget(name, QLabel).text()
                for name in ("cplStatusLabel", "regimeIndicator", "onlineLabel", "queueCountLabel")}

    # ================================================================== the tester's vocabulary
    def load_cpl(self, path: Path | str, *, confirm: bool = True) -> Any:
        """Import a CPL file (CSV or XLSX) as File ▸ Import CPL does, and wait until the status
        bar shows it. A file that rejects rows or would shrink the list is asked about first:
        ``confirm`` answers (False keeps the current CPL and returns None)."""
        return self.import_file(Path(path), confirm=confirm)

    def load_jobs(self, path: Path | str) -> Any:
        """Import a job pack (JSON) or DCC inventory response (XML) as File ▸ Import does."""
        return self.import_file(Path(path))

    def open_job(self, ref: str) -> None:
        """Find the job by its reference in the job search and choose it; waits for its meters."""
        self.window.show_tab(TAB_CHECK)
        search = self.widget("jobSearchInput", QLineEdit)
        self.type_into(search, ref)
        self.pick_job(ref)

    def give_hub_generation(self, name: str) -> None:
        """Say the hub's generation as printed on its label ("SMETS1" / "SMETS2+"), as the
        installer does when the verdict is UNKNOWN; waits for the new verdict."""
        wanted = name.strip().upper().replace("SMETS2", "SMETS2+").replace("++", "+")
        combo = self.widget("hubGenerationInput", QComboBox)
        assert combo.isVisible(), "the hub generation choice is not offered (only for a hub in no job pack)"
        names = [str(combo.itemData(i)) for i in range(combo.count()) if combo.itemData(i) is not None]
        assert wanted in names, f"no hub generation {name!r}; the choice offers {names}"
        self.set_hub_generation(wanted)

    def verdict(self) -> Verdict:
        """The verdict on screen, once the window has settled (no check or save in flight)."""
        self.wait_idle()
        panel = self.window.view.verdict
        model = panel.reasons_model
        resulting = self.text("resultingSmetsLabel").strip()
        return Verdict(
            level=panel.level,
            resulting_smets=None if resulting in ("", "—") else resulting,
            reason_codes=tuple(str(c) for c in self.reason_codes()),
            level_text=self.text("verdictLevelLabel"),
            headline=self.text("verdictHeadlineLabel"),
            regime_text=self.text("verdictRegimeLabel"),
            resulting_caption=self.text("resultingSmetsCaption"),
            reasons=tuple((str(a), str(b), str(c)) for a, b, c in
                          (tuple(model.index(r, col).data() for col in range(3)) for r in range(model.rowCount()))),
        )

    def record_install(self, meter: str | None = None, **choices: Any) -> Any:
        """Fill "Record the visit" and press Record install; returns the outcome (its
        ``intents`` are the Service Requests queued). ``meter``: the meter's device ID in any
        spelling (default: the form's first). ``choices`` by name: ``scenario``
        ("existing-hub" / "new-hub"), ``wan`` (bool), ``premise``, ``location`` (DUIS values),
        ``metal``, ``connectivity``, ``shared``, ``aerial``, ``remedy``, ``manual_change``
        (bool), ``override`` (the reason to record a STOP). A choice the form does not offer
        now fails the test with what it offers."""
        unknown = sorted(set(choices) - set(RECORD_CHOICES))
        assert not unknown, f"no record choice {unknown}; choose from {sorted(RECORD_CHOICES)}"
        self.window.show_tab(TAB_CHECK)
        if meter is not None:
            combo = self.widget("meterInput", QComboBox)
            ids = [str(combo.itemData(i)[0]) for i in range(combo.count())]
            matches = [i for i, shown in enumerate(ids) if _hex(shown) == _hex(meter)]
            assert matches, f"meter {meter} is not offered; the job's meters are {ids}"
            combo.setCurrentIndex(matches[0])
        order = ["scenario", "wan"] + [k for k in choices if k not in ("scenario", "wan")]
        for name in order:
            if name in choices:
                self._choose(name, choices[name])
        return self.record()

    def _choose(self, name: str, value: Any) -> None:
        widget = self.widget(RECORD_CHOICES[name])
        if isinstance(widget, QLineEdit):
            assert widget.isVisible(), f"{name}: the form does not ask for it now (only for a STOP)"
            self.type_into(widget, str(value))
        elif isinstance(widget, QCheckBox):
            assert widget.isVisible(), f"{name}: the form does not offer {widget.objectName()} now"
            if widget.isChecked() != bool(value):
                click(self.qtbot, widget)
            self.qtbot.waitUntil(lambda: widget.isChecked() == bool(value), timeout=self.timeout)
        else:
            combo = widget
            assert combo.isEnabled(), f"{name}: {combo.objectName()} cannot be changed now"
            offered = [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count())]
            index = next((i for i, (data, text) in enumerate(offered) if data == value or text == value), -1)
            assert index >= 0, f"{name}: {value!r} is not offered; the choices are {[d for d, _ in offered]}"
            combo.setCurrentIndex(index)

    def abort_visit(self, reason: str) -> Any:
        """Type the reason and press Abort visit; returns the outcome (an aborted visit is logged)."""
        self.window.show_tab(TAB_CHECK)
        return self.abort(reason)

    def queue(self) -> list[QueueEntry]:
        """The Queue tab's rows as shown, oldest first, after the tab has refreshed."""
        self.queue_rows()
        return self._shown_queue()

    def _shown_queue(self) -> list[QueueEntry]:
        model = self.window.view.queue_page.model
        rows = model.rows()
        shown: list[QueueEntry] = []
        for r, row in enumerate(rows):
            cells = [str(model.index(r, c).data() or "") for c in range(model.columnCount())]
            srv, name, target, state, error, job, created = cells[:7]
            shown.append(QueueEntry(row.key, srv, name, target, state, "" if error == "—" else error, job, created,
                                    row.response_code))
        return shown

    #: Between two of ``wait_for_state``'s syncs: the first pause and the longest, in seconds.
    #: The pause doubles after each sync that did not bring the state, so a slow DCC is asked
    #: a handful of times rather than as fast as the back office answers.
    SYNC_BACKOFF = (0.25, 2.0)

    def wait_for_state(self, key: str, state: str, timeout: float = 30.0) -> list[QueueEntry]:
        """Sync (as Sync now does) until every queue row for ``key`` shows ``state``; returns
        those rows. ``key``: a row's ``key``, or an SRV such as ``"8.7.1"`` (every request of
        that SRV). ``timeout`` in seconds; on time-out the test fails with the rows as shown.

        Sync now is pressed once per completed sync: the next press comes only after the
        last pass has finished, the queue has been read again, and a pause has passed
        (``SYNC_BACKOFF``: 0.25 s, doubling to at most 2 s). The pause runs Qt's event loop
        (``waitSignal`` on a timer), so the window keeps working; nothing sleeps."""
        self.window.show_tab(TAB_QUEUE)
        deadline = time.monotonic() + timeout
        pause, longest = self.SYNC_BACKOFF
        synced = False
        while True:
            rows = [row for row in self.queue() if key in (row.key, row.srv)]
            if rows and all(row.state == state for row in rows):
                return rows
            left = deadline - time.monotonic()
            if left <= 0:
                seen = [(row.srv, row.state, row.last_error) for row in rows] or "no such row"
                raise AssertionError(f"{key} did not reach {state!r} in {timeout:g} s: {seen}")
            if synced:
                self._pause(min(pause, left))
                pause = min(pause * 2, longest)
            self.sync_now()
            synced = True

    def _pause(self, seconds: float) -> None:
        """Let ``seconds`` pass with the event loop running (the window's workers report, its
        timers fire); a test's waits never block the UI thread."""
        timer = QTimer()
        timer.setSingleShot(True)
        with self.qtbot.waitSignal(timer.timeout, timeout=int(seconds * 1000) + 5_000):
            timer.start(max(0, int(seconds * 1000)))
