"""``HubCheckDriver``: drive the main window the way an installer does, and read what it shows.

Every action goes through the real widgets (keys into the scan fields, clicks on the
buttons) and then waits — with ``qtbot.waitUntil``/``waitSignal``, never sleeps — for the
worker result it triggers, so tests read the screen only after it has changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QLineEdit, QPushButton, QWidget

from app.ui.main_window import TAB_CHECK, TAB_QUEUE, TAB_SETTINGS, MainWindow
from app.ui.models import QueueRow


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
        with self.qtbot.waitSignal(self.window.queueRefreshed, timeout=self.timeout):
            self.window.show_tab(TAB_QUEUE)
        return self.window.view.queue_page.model.rows()

    def sync_now(self) -> str:
        with self.qtbot.waitSignal(self.window.syncFinished, timeout=self.timeout) as blocker:
            self.qtbot.mouseClick(self.widget("syncNowButton", QPushButton), Qt.MouseButton.LeftButton)
        return str(blocker.args[0])

    # ------------------------------------------------------------------ settings and imports
    def set_regime(self, regime: str) -> None:
        """Switch the regime through the Settings pane (choose, Save) and wait for the re-check."""
        self.window.show_tab(TAB_SETTINGS)
        combo = self.widget("regimeInput", QComboBox)
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
