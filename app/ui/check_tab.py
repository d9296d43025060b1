"""The Check tab: one visit, from choosing the job to recording it.

Why its own widget: the visit is where new per-visit features go (photos, scenarios,
checklists), and they must be addable without touching the window's shell (menus, tabs,
status bar). The tab shows the state of a Qt-free :class:`~app.services.visit.VisitSession`
and forwards the installer's intent to it; the session decides (which job the devices
belong to, mis-scans, the verdict that is recorded), and its slow steps run on the task
runner's workers. The shell hears what happened through signals.

Layout is in :class:`CheckTabView`: job, scans and recording on the left (what the hands
do), the verdict on the right (what the eyes read).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.domain.smets import Generation
from app.services.context import AppContext
from app.ui.job_picker import JobPicker
from app.ui.models import JobRow
from app.ui.record_panel import RecordPanel, VisitChoices
from app.ui.scan_box import ScanBox
from app.ui.sound import SoundCues
from app.ui.tasks import TaskRunner
from app.ui.verdict_panel import VerdictPanel

if TYPE_CHECKING:
    from app.domain.labels import LabelData
    from app.services.visit import VisitSession
    from app.ui import backend, unexpected
else:
    from app.ui.deferred import Deferred

    backend = Deferred("app.ui.backend")
    unexpected = Deferred("app.ui.unexpected")

log = logging.getLogger(__name__)


class CheckTabView:
    """The Check tab's widgets; every child a test or the tab's behaviour needs is public.

    On a 1280×720 laptop at 150% text not everything fits: the left column (job, scans,
    the record form) scrolls and follows the keyboard focus, while the action strip
    (override reason, Record, Abort, the message under them) stays in view below it and
    the verdict keeps the right-hand column. Tab goes through the controls in the order
    they are seen, top to bottom, left to right.
    """

    def __init__(self, page: QWidget, search: Callable[[str, Callable[[list[JobRow]], None]], None]) -> None:
        from app.ui.fit import glove, set_tab_order

        left_scroll = QScrollArea(page)  # follows the focus once the window is up (fit.follow_focus)
        left_scroll.setObjectName("checkLeftScroll")
        left_scroll.setWidgetResizable(True)
        left_scroll.setFrameShape(QFrame.Shape.NoFrame)
        left_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        left = QWidget(left_scroll)
        left.setObjectName("checkLeft")
        left_scroll.setWidget(left)
        self.left_scroll = left_scroll
        self.left = left
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(0, 0, 8, 0)
        left_column.setSpacing(6)
        self.left_column = left_column
        self.job_picker = JobPicker(search, left)
        self.ppmid = ScanBox("ppmidScan", left)
        self.hub = ScanBox("hubScan", left)
        self.hub_generation_label = QLabel(left)
        self.hub_generation = QComboBox(left)
        self.hub_generation.setObjectName("hubGenerationInput")
        self.hub_generation_label.setBuddy(self.hub_generation)
        generation_row = QHBoxLayout()
        generation_row.addWidget(self.hub_generation_label)
        generation_row.addWidget(self.hub_generation, 1)
        # Shown when the scanned devices belong to another job than the one chosen.
        self.switch_job = QPushButton(left)
        self.switch_job.setObjectName("switchJobButton")
        self.switch_job.hide()
        # Shown when the PPMID and hub labels were scanned into each other's fields.
        self.swap_labels = QPushButton(left)
        self.swap_labels.setObjectName("swapLabelsButton")
        self.swap_labels.hide()
        glove(self.hub_generation, self.switch_job, self.swap_labels)

        self.record = RecordPanel(left)
        left_column.addWidget(self.job_picker)
        left_column.addWidget(self.ppmid)
        left_column.addWidget(self.hub)
        left_column.addLayout(generation_row)
        left_column.addWidget(self.switch_job)
        left_column.addWidget(self.swap_labels)
        left_column.addWidget(self.record)
        left_column.addStretch(1)
        #: Override reason, Record, Abort and the message: always in view, under the scrolling part.
        self.action_strip = self.record.view.strip
        left_side = QVBoxLayout()
        left_side.setSpacing(2)
        left_side.addWidget(left_scroll, 1)
        left_side.addWidget(self.action_strip)

        self.verdict = VerdictPanel(page)
        columns = QHBoxLayout(page)
        columns.setContentsMargins(0, 8, 0, 0)
        columns.setSpacing(14)
        columns.addLayout(left_side, 5)
        columns.addWidget(self.verdict, 6)
        picker, record = self.job_picker.view, self.record.view
        # One chain, first to last: each step places the next control right after the previous.
        set_tab_order([picker.search, picker.table, self.ppmid.edit, self.ppmid.view.camera_button,
                       self.hub.edit, self.hub.view.camera_button, self.hub_generation, self.switch_job, self.swap_labels,
                       *record.tab_chain, self.verdict.view.reasons, self.verdict.view.cpl])


class CheckTab(QWidget):
    """One visit on screen. Signals for the shell: ``verdictShown(PairingResult)``,
    ``visitRecorded(VisitOutcome)``, ``visitFailed(str)``, ``queueChanged()`` and
    ``message(str)`` (a line for the banner above the tabs)."""

    verdictShown = Signal(object)
    visitRecorded = Signal(object)
    visitFailed = Signal(str)
    queueChanged = Signal()
    message = Signal(str)

    def __init__(self, ctx: AppContext, runner: TaskRunner, sound: SoundCues, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("checkPage")
        self.ctx = ctx
        self.runner = runner
        self.sound = sound
        self._visit: VisitSession | None = None
        self._job: JobRow | None = None
        self._job_detail: backend.JobDetail | None = None
        self._result: Any = None
        #: True once the cache is open and no import holds the write lock (see _request_check).
        self.data_ready = False
        #: Run the pairing check on the UI thread once the data is ready (see _request_check).
        self.check_inline = True
        self.view = CheckTabView(self, self.search_jobs)
        # A scanner's label goes to the field it belongs in: a PPMID label carries an
        # install code, a hub label never does (see app/scan/field.py).
        self.view.ppmid.field.expects_install_code = True
        self.view.hub.field.expects_install_code = False
        self._build_texts()
        self._connect()

    @property
    def visit(self) -> VisitSession:
        """The visit on screen (Qt-free): it judges, guards and records; the tab shows it.
        Made on first use: its module loads on the cache worker after the first paint."""
        if self._visit is None:
            from app.services.visit import VisitSession

            self._visit = VisitSession()
        return self._visit

    def _build_texts(self) -> None:
        v = self.view
        v.ppmid.set_caption(self.tr("&PPMID  (F2)"))
        v.hub.set_caption(self.tr("Communications &Hub  (F3)"))
        v.hub_generation_label.setText(self.tr("Hub &generation"))
        v.hub_generation.addItem(self.tr("From the job pack / CPL"), None)
        # Plain strings: Qt hands a str-based enum back as a bare str (the MP202 crash).
        v.hub_generation.addItem(self.tr("SMETS1 (as on the hub's label)"), Generation.SMETS1.value)
        v.hub_generation.addItem(self.tr("SMETS2+ (as on the hub's label)"), Generation.SMETS2_PLUS.value)
        v.hub_generation.setAccessibleName(self.tr("Hub generation"))
        v.swap_labels.setText(self.tr("S&wap the two labels"))
        v.swap_labels.setToolTip(self.tr("Put the PPMID field's label in the hub field and the hub's in the PPMID field"))
        v.hub_generation_label.hide()
        v.hub_generation.hide()
        v.verdict.show_idle(self.tr("Scan the PPMID and the Communications Hub."))

    def _connect(self) -> None:
        v = self.view
        v.job_picker.jobChosen.connect(self._on_job_chosen)
        for box in (v.ppmid, v.hub):
            box.scanned.connect(self._on_scanned)
            box.rejected.connect(self._on_rejected)
            box.cleared.connect(self._on_scan_cleared)
        v.hub_generation.currentIndexChanged.connect(self._on_hub_generation)
        v.record.recordRequested.connect(self.record)
        v.record.abortRequested.connect(self.abort)
        v.switch_job.clicked.connect(self._switch_to_other_job)
        v.swap_labels.clicked.connect(self.swap_labels)

    # ------------------------------------------------------------------ focus
    def focus_job_search(self) -> None:
        self.view.job_picker.view.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.view.job_picker.view.search.selectAll()

    def _focus_scan(self, box: Any) -> None:
        box.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        box.edit.selectAll()

    focus_scan = _focus_scan

    def record_shortcut(self) -> None:
        """Ctrl+Enter: press Record if it can be pressed, else say why not."""
        button = self.view.record.view.record
        if button.isEnabled():
            button.click()
        else:
            self.view.record.show_result(self.tr("Cannot record yet: %1.").replace("%1", self.view.record.why_not))

    def _on_background_error(self, exc: BaseException) -> None:
        if unexpected.is_expected(exc):
            log.error("background task failed: %s", exc)
        else:
            unexpected.report(exc)
        from app.services.storage_errors import plain_error

        self.message.emit(self.tr("Something went wrong: %1").replace("%1", plain_error(exc, self.ctx.data_dir, "open")))

    # ------------------------------------------------------------------ the visit
    def search_jobs(self, text: str, deliver: Callable[[list[JobRow]], None]) -> None:
        self.runner.run(lambda: backend.search_jobs(self.ctx, text), on_done=deliver,
                        on_error=self._on_background_error, pool="quick")

    def _on_job_chosen(self, job: JobRow) -> None:
        self._job = job
        self._job_detail = None
        from app.services.visit import VisitJob

        self.visit.choose_job(VisitJob(job.job_ref, tuple(job.device_ids)))
        if self.visit.ppmid is not None and self.visit.hub is not None:
            self._request_check()  # the same labels, judged for this job
        self.view.record.clear_job()
        self.view.record.show_result(None)
        self.runner.run(lambda: backend.job_detail(self.ctx, job), on_done=self._on_job_detail,
                        on_error=self._on_background_error, pool="quick")
        if self.view.ppmid.label is None:
            self._focus_scan(self.view.ppmid)

    def _on_job_detail(self, detail: backend.JobDetail) -> None:
        if self._job is None or detail.job.job_ref != self._job.job_ref:
            return
        from app.domain.devices import DeviceType

        self._job_detail = detail
        self.view.record.set_meters(detail.of_type(DeviceType.ESME, DeviceType.GSME))

    def pick_job(self, job_ref: str) -> None:
        self.view.job_picker.choose(job_ref)

    def _on_scanned(self, label: LabelData) -> None:
        self.sound.play("accepted")
        box = self.sender()
        entry = box.field.entry if isinstance(box, ScanBox) else None
        self.visit.set_label("ppmid" if box is self.view.ppmid else "hub", label, entry)
        if box is self.view.ppmid:
            if self._job is None:
                # A scanner-only installer: the PPMID's own job is found from its device ID.
                self.view.job_picker.choose_by_device(str(label.device_id))
            if self.view.hub.label is None:
                self._focus_scan(self.view.hub)
        self._request_check()

    def _on_rejected(self, message: str) -> None:
        self.sound.play("rejected")
        self.visit.set_label("ppmid" if self.sender() is self.view.ppmid else "hub", None)
        self._invalidate_verdict(self.tr("A label was not accepted: scan it again."))

    def _on_scan_cleared(self) -> None:
        self.visit.set_label("ppmid" if self.sender() is self.view.ppmid else "hub", None)
        self._invalidate_verdict(None)

    def _on_hub_generation(self, _index: int) -> None:
        self.visit.set_hub_generation(self.view.hub_generation.currentData() or None)
        self._request_check()

    def _invalidate_verdict(self, message: str | None) -> None:
        self.visit.invalidate()
        self._result = None
        self.view.verdict.show_idle(message or self._waiting_message())
        self.view.record.set_verdict(None)
        self.view.record.show_result(None)
        self._show_hub_generation(False)

    def _waiting_message(self) -> str:
        # Whole sentences, not a list joined with " and the " (a translation may need another order).
        no_ppmid, no_hub = self.view.ppmid.label is None, self.view.hub.label is None
        if no_ppmid and no_hub:
            return self.tr("Scan the PPMID and the hub.")
        if no_ppmid:
            return self.tr("Scan the PPMID.")
        if no_hub:
            return self.tr("Scan the hub.")
        return self.tr("Checking…")

    def _request_check(self) -> None:
        order = self.visit.check_order()
        if order is None:
            self._invalidate_verdict(None)
            return
        from app.services import visit

        if self.check_inline and self.data_ready:
            # Measured (benchmarks/startup.py): the check is ~0.3 ms on a 100,000-row CPL,
            # while a worker's wake-up on a busy 2-core laptop adds 10-50 ms. It runs here
            # only once the cache is open (no migration to wait for) and no import holds
            # the write lock (WAL readers never wait for a writer anyway).
            try:
                judged = visit.run_check(self.ctx, order)
            except Exception as exc:  # same handling as a failed worker
                self._on_check_error(exc)
                return
            self._on_checked(judged)
            return
        self.runner.run(lambda: visit.run_check(self.ctx, order), on_done=self._on_checked,
                        on_error=self._on_check_error, pool="quick")

    def recheck(self) -> None:
        """Judge the scanned pair again (after a regime change or an import)."""
        self._request_check()

    def _on_checked(self, judged: Any) -> None:
        if not self.visit.accept(judged):
            return  # a newer scan or setting superseded this answer
        self._show_judged(judged)

    def _show_judged(self, judged: Any) -> None:
        """Show the session's verdict: banner, reasons, the record form and its guards."""
        from app.domain.misscan import HEADLINES
        from app.domain.reasons import ReasonCode

        result = judged.pairing
        self._result = result
        verdict = result.verdict
        headline = None
        if judged.mis_scan is not None:
            headline = self.tr(HEADLINES[judged.mis_scan])
        elif judged.other_job is not None:
            headline = (self.tr("These devices belong to job %1, not %2: choose that job, or re-scan.")
                        .replace("%1", judged.other_job).replace("%2", self._job.job_ref if self._job else "?"))
        self.view.verdict.show_result(result, headline)
        self._show_device_types(result)
        self.view.record.set_verdict(verdict.level.value, verdict.remedies)
        self.view.record.set_scenario(judged.proposed_scenario, judged.scenario_why)
        self.view.record.set_blocker(self._blocker_text(judged))
        self.view.record.show_result(None)
        self._show_other_job(judged.other_job)
        self._offer_swap(judged)
        unknown = verdict.level.value == "unknown" or verdict.has(ReasonCode.HUB_GENERATION_FROM_INSTALLER)
        self._show_hub_generation(unknown or self.view.hub_generation.currentIndex() > 0)
        if verdict.level.value == "block":
            self.sound.play("stop")
        self.verdictShown.emit(result)

    def _show_device_types(self, result: Any) -> None:
        """A tick in a scan row only for a label of the device that row is for."""
        from app.domain.devices import DeviceType
        from app.scan.field import STATE_ERROR, STATE_WARNING

        for box, record, wanted, name in (
            (self.view.ppmid, result.ppmid_record, DeviceType.PPMID, self.tr("a PPMID")),
            (self.view.hub, result.hub_record, DeviceType.CHF, self.tr("a Communications Hub")),
        ):
            if record is None:
                problem = (STATE_WARNING, self.tr("In no job pack or inventory: its device type is not known."))
            elif record.device_type is not wanted:
                kind = record.device_type.value if record.device_type else self.tr("device of unknown type")
                problem = (STATE_ERROR, self.tr("This label is a %1's, not %2's: scan the right label.")
                           .replace("%1", kind).replace("%2", name))
            else:
                problem = None
            box.set_type_problem(problem)

    def _offer_swap(self, judged: Any) -> None:
        """Swapped labels: one press puts each label in its own field."""
        from app.domain.misscan import MisScan

        self.view.swap_labels.setVisible(judged.mis_scan is MisScan.SWAPPED)

    def swap_labels(self) -> None:
        """Put the PPMID field's label in the hub field and the hub field's in the PPMID field."""
        ppmid, hub = self.view.ppmid.label, self.view.hub.label
        if ppmid is None or hub is None:
            return
        self.view.swap_labels.hide()
        hub_entry, ppmid_entry = self.view.hub.field.entry, self.view.ppmid.field.entry
        self.view.ppmid.clear()
        self.view.hub.clear()
        self.view.ppmid.submit_text(hub.raw, hub_entry)
        self.view.hub.submit_text(ppmid.raw, ppmid_entry)

    def _blocker_text(self, judged: Any) -> str | None:
        if judged.mis_scan is not None:
            return self.tr("a mis-scan cannot be overridden: scan the labels again")
        if judged.other_job is not None:
            return self.tr("the devices belong to job %1: choose it first").replace("%1", judged.other_job)
        return None

    def _show_other_job(self, job_ref: str | None) -> None:
        """Offer to switch to the job the scanned devices belong to."""
        button = self.view.switch_job
        button.setVisible(job_ref is not None)
        if job_ref is not None:
            button.setText(self.tr("Switch to job %1").replace("%1", job_ref))
            button.setProperty("jobRef", job_ref)

    def _switch_to_other_job(self) -> None:
        job_ref = self.view.switch_job.property("jobRef")
        if job_ref:
            self.pick_job(str(job_ref))

    def _on_check_error(self, exc: BaseException) -> None:
        if unexpected.is_expected(exc):
            log.error("pairing check failed: %s", exc)
        else:
            unexpected.report(exc)
        from app.services.storage_errors import plain_error

        self.view.verdict.show_idle(self.tr("The check could not run: %1")
                                    .replace("%1", plain_error(exc, self.ctx.data_dir, "open")))

    def _show_hub_generation(self, visible: bool) -> None:
        self.view.hub_generation.setVisible(visible)
        self.view.hub_generation_label.setVisible(visible)

    def new_visit(self) -> None:
        """Clear both scans (and the hub generation) for the next visit; the job stays chosen."""
        self.view.hub_generation.blockSignals(True)
        self.view.hub_generation.setCurrentIndex(0)
        self.view.hub_generation.blockSignals(False)
        self.view.ppmid.clear()
        self.view.hub.clear()
        self.visit.new_visit()
        self._invalidate_verdict(None)
        self._show_other_job(None)
        self._focus_scan(self.view.ppmid)

    def record(self, choices: VisitChoices) -> None:
        from app.domain.errors import DomainInputError
        from app.services import visit

        try:
            order = self.visit.record_order(visit.RecordChoices(
                meter_id=choices.meter_id, hub_location=choices.hub_location, meter_type=choices.meter_type,
                wan=choices.wan, aerial=choices.aerial, premise=choices.premise, metal=choices.metal,
                connectivity=choices.connectivity, shared=choices.shared,
                override_reason=choices.override_reason, remedy_chosen=choices.remedy_chosen,
                manual_change=choices.manual_change,
                scenario=choices.scenario,
            ))
        except DomainInputError as exc:
            self.view.record.show_result(self.tr("Cannot record yet: %1.").replace("%1", str(exc)))
            return
        self.view.record.set_busy(True)
        self.runner.run(lambda: visit.run_record(self.ctx, order), on_done=self._on_recorded,
                        on_error=self._on_record_error)

    def _on_recorded(self, outcome: Any) -> None:
        self.visit.recorded(outcome)
        self.view.record.set_busy(False)
        self.view.record.reset_after_record()
        count = len(outcome.intents)
        note = self.tr("Recorded visit for %1: %2 Service Requests queued.").replace("%1", outcome.job_ref)
        note = note.replace("%2", str(count))
        if outcome.override_reason:
            note += " " + self.tr("Override reason kept: “%1”.").replace("%1", outcome.override_reason)
        recorded = self._result
        self.new_visit()
        self.view.record.show_result("✔ " + note)
        self.view.verdict.show_recorded(
            recorded, note + " " + self.tr("Scan the next PPMID and hub, or see the Queue tab."), "recorded")
        self.queueChanged.emit()
        self.visitRecorded.emit(outcome)

    def _on_record_error(self, exc: BaseException) -> None:
        self.view.record.set_busy(False)
        from app.domain.errors import DomainInputError
        from app.services.installs import RepeatVisit, VerdictChanged

        if isinstance(exc, VerdictChanged):
            self._on_verdict_changed(exc)
            return
        if isinstance(exc, RepeatVisit):
            previous = exc.previous
            self.visit.repeat_refused(previous.job_ref)
            text = (self.tr("Not recorded: job %1 already has a record — %2. Press Record again to record "
                            "it a second time, or withdraw the first one on the Queue tab.")
                    .replace("%1", previous.job_ref).replace("%2", previous.describe()))
            self.view.record.show_result("⚠ " + text)
            self.visitFailed.emit(text)
            return
        self.visit.record_failed()
        from app.services.storage_errors import short_cause, storage_problem

        problem = None if isinstance(exc, DomainInputError) else storage_problem(exc, self.ctx.data_dir, "record")
        if isinstance(exc, DomainInputError):
            text = self.tr("Not recorded: %1").replace("%1", str(exc))
        elif problem is not None:  # the disk, the folder or the database: the scans stay on screen
            log.error("recording failed (%s): %s", problem.kind, short_cause(exc))
            text = self.tr("Not recorded: %1").replace("%1", problem.message)
        else:
            text = self.tr("Not recorded because of an unexpected error: %1").replace("%1", str(exc))
            if not unexpected.is_expected(exc):
                unexpected.report(exc)
        self.view.record.show_result("✖ " + text)
        self.visitFailed.emit(text)

    def _on_verdict_changed(self, exc: Any) -> None:
        """The data changed between the screen and the recording: nothing was recorded; show
        the new verdict, which the installer reads before pressing Record again."""
        from app.services import visit

        judged = visit.judge(self.ctx, 0, exc.pairing, self.visit.job)
        self.visit.record_failed(judged)
        assert self.visit.judged is not None
        self._show_judged(self.visit.judged)
        text = self.tr("Not recorded: the verdict changed since it was shown (new data or another regime). "
                       "Read the new verdict, then record again.")
        self.view.record.show_result("✖ " + text)
        self.visitFailed.emit(text)

    def abort(self, reason: str) -> None:
        from app.domain.errors import DomainInputError
        from app.services import visit

        meter = self.view.record.choices().meter_id or None
        try:
            order = self.visit.abort_order(reason, meter)
        except DomainInputError as exc:
            self.view.record.show_result(self.tr("Cannot abort yet: %1.").replace("%1", str(exc)))
            return
        self.view.record.set_busy(True)
        self.runner.run(lambda: visit.run_abort(self.ctx, order), on_done=self._on_aborted,
                        on_error=self._on_record_error)

    def _on_aborted(self, outcome: Any) -> None:
        self.visit.recorded(outcome)
        self.view.record.set_busy(False)
        self.view.record.reset_after_record()
        shown = self._result
        self.new_visit()
        note = self.tr("Aborted visit recorded for %1: “%2”.").replace("%1", outcome.job_ref)
        note = note.replace("%2", outcome.abort_reason or "")
        self.view.record.show_result("✔ " + note)
        self.view.verdict.show_recorded(shown, note, "aborted")
        self.queueChanged.emit()
        self.visitRecorded.emit(outcome)

    def next_scan_box(self) -> Any:
        focus = QApplication.focusWidget()
        for box in (self.view.ppmid, self.view.hub):
            if focus is not None and box.isAncestorOf(focus):
                return box
        return self.view.ppmid if self.view.ppmid.label is None else self.view.hub
