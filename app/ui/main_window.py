"""The installer's main window: pick the job, scan both devices, read the verdict, record.

Start-up order matters on a slow laptop: the window is built from Qt and the Qt-free
domain only, paints, and only then is the database opened (SQLAlchemy is the largest
import, PLATFORM §7) — on a worker, like every other database, import, decode or sync
step. Results come back as signals; the UI thread never waits.

Behaviour lives here; layout is in ``main_window_view.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

from app.domain.smets import Generation, Regime, parse_regime
from app.services.context import AppContext
from app.services.visit import VisitJob, VisitSession
from app.ui.main_window_view import MainWindowView
from app.ui.models import JobRow
from app.ui.record_panel import VisitChoices
from app.ui.sound import SoundCues
from app.ui.tasks import TaskRunner

if TYPE_CHECKING:  # event types only annotate overrides; PySide6 builds each on its first event
    from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QPaintEvent

    from app.domain.labels import LabelData
    from app.ui import backend, queue_backend, unexpected
else:

    class _Deferred:
        """A module imported on its first use: the workers' functions run after the first paint."""

        def __init__(self, name: str) -> None:
            self._name = name

        def __getattr__(self, attr: str) -> Any:
            import importlib

            return getattr(importlib.import_module(self._name), attr)

    backend = _Deferred("app.ui.backend")
    queue_backend = _Deferred("app.ui.queue_backend")
    unexpected = _Deferred("app.ui.unexpected")

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")
JOB_SUFFIXES = (".json", ".xml")
AUTO_SYNC_MS = 120_000

TAB_CHECK, TAB_QUEUE, TAB_SETTINGS = range(3)


class MainWindow(QMainWindow):
    """Signals for testers and benchmarks: ``firstPainted``, ``cacheOpened(CacheState)``,
    ``verdictShown(PairingResult)``, ``visitRecorded(VisitOutcome)``, ``queueRefreshed(int)``,
    ``importFinished(ImportSummary | None)``, ``settingsSaved(dict)``, ``syncFinished(str)``,
    ``dataDirRemembered(str)``."""

    firstPainted = Signal()
    cacheOpened = Signal(object)
    verdictShown = Signal(object)
    visitRecorded = Signal(object)
    visitFailed = Signal(str)
    queueRefreshed = Signal(int)
    importFinished = Signal(object)
    settingsSaved = Signal(dict)
    syncFinished = Signal(str)
    dataDirRemembered = Signal(str)
    #: Emitted from any thread by the process's exception hook; shown on the status bar.
    unexpectedError = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.ctx = ctx
        self.runner = TaskRunner(self)
        loaded = ctx.settings.load()
        self._settings: dict[str, Any] = dict(loaded.values)
        self._settings_problem = loaded.problem
        self._painted = False
        self._cache: backend.CacheState | None = None
        self._job: JobRow | None = None
        self._job_detail: backend.JobDetail | None = None
        #: The visit on screen (Qt-free): it judges, guards and records; the window shows it.
        self.visit = VisitSession()
        self._result: Any = None
        self._importing = False
        self._wedge: Any = None
        self._camera: Any = None
        self._camera_target: Any = None
        self.camera_source_factory: Callable[[], Any] | None = None
        self.action_mute: QAction | None = None  # the menus' actions arrive after the first paint
        #: Run the pairing check on the UI thread once the cache is open (see _request_check).
        self.check_inline = True

        font = self.font()
        font.setPointSizeF(max(font.pointSizeF(), 11.5))
        self.setFont(font)
        self.setWindowTitle(self.tr("HubCheck — PPMID and Communications Hub pairing"))
        self.setAcceptDrops(True)
        self.resize(1280, 820)
        self.view = MainWindowView(self, self._search_jobs, ctx.data_dir)
        self.sound = SoundCues(bool(self._settings.get("sound_enabled", True)), self)
        self._build_texts()
        self._build_menu()
        self._connect()
        self._apply_settings(self._settings)
        self.view.cpl_status.setText(self.tr("CPL: opening the cache…"))
        self.view.queue_count.setText(self.tr("Queued: …"))
        self._show_online(None)
        self.view.verdict.show_idle(self.tr("Scan the PPMID and the Communications Hub."))
        self._sync_timer = QTimer(self)
        self._sync_timer.setInterval(AUTO_SYNC_MS)
        self._sync_timer.timeout.connect(self.sync_due)
        self._syncs_in_flight = 0
        self.unexpectedError.connect(self._show_unexpected_error)
        if self._settings_problem:
            log.warning("settings: %s", self._settings_problem)
            self._show_banner_message(self._settings_problem)

    # ------------------------------------------------------------------ set-up
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
        v.tabs.setTabText(TAB_CHECK, self.tr("Check"))
        v.tabs.setTabText(TAB_QUEUE, self.tr("Queue"))
        v.tabs.setTabText(TAB_SETTINGS, self.tr("Settings"))
        for index, key in ((TAB_CHECK, "Ctrl+1"), (TAB_QUEUE, "Ctrl+2"), (TAB_SETTINGS, "Ctrl+3")):
            v.tabs.setTabToolTip(index, key)
        v.cpl_status.setAccessibleName(self.tr("CPL cache"))
        v.regime.setAccessibleName(self.tr("Regime"))
        v.online.setAccessibleName(self.tr("Back-office connection"))
        v.queue_count.setAccessibleName(self.tr("Queued Service Requests"))
        v.hub_generation_label.hide()
        v.hub_generation.hide()

    def _build_menu(self) -> None:
        """The menu bar's three menus; what they hold is added right after the first paint
        (``_build_actions``): nobody can open a menu or press a shortcut before then, and
        QAction and QKeySequence are not needed to draw the window."""
        self._menus = (self.menuBar().addMenu(self.tr("&File")), self.menuBar().addMenu(self.tr("&View")),
                       self.menuBar().addMenu(self.tr("V&isit")))

    def _build_actions(self) -> None:
        from PySide6.QtGui import QKeySequence, QShortcut

        file_menu, view_menu, visit_menu = self._menus
        self.action_import_jobs = self._action(file_menu, self.tr("Import &job pack or inventory…"), "Ctrl+J",
                                               self.choose_jobs_file)
        self.action_import_cpl = self._action(file_menu, self.tr("Import &CPL file…"), "Ctrl+L", self.choose_cpl_file)
        self.action_sample = self._action(file_menu, self.tr("Load &sample data"), None, self.load_sample_data)
        file_menu.addSeparator()
        self._action(file_menu, self.tr("&Quit"), QKeySequence.StandardKey.Quit, self.close)
        self._action(view_menu, self.tr("&Check"), "Ctrl+1", lambda: self.show_tab(TAB_CHECK))
        self._action(view_menu, self.tr("&Queue"), "Ctrl+2", lambda: self.show_tab(TAB_QUEUE))
        self._action(view_menu, self.tr("&Settings"), "Ctrl+3", lambda: self.show_tab(TAB_SETTINGS))
        view_menu.addSeparator()
        self.action_mute = self._action(view_menu, self.tr("&Mute sounds"), "Ctrl+M", self._toggle_mute)
        self.action_mute.setCheckable(True)
        self.action_mute.setChecked(not self.sound.enabled)
        self._action(visit_menu, self.tr("Find &job"), "Ctrl+F", self._focus_job_search)
        self._action(visit_menu, self.tr("Scan &PPMID"), "F2", lambda: self._focus_scan(self.view.ppmid))
        self._action(visit_menu, self.tr("Scan &hub"), "F3", lambda: self._focus_scan(self.view.hub))
        self._action(visit_menu, self.tr("&Record install"), "Ctrl+Return", self._record_shortcut)
        self._action(visit_menu, self.tr("&New visit (clear scans)"), "Ctrl+N", self.new_visit)
        self._action(visit_menu, self.tr("&Sync now"), "F5", self.sync_now)
        QShortcut(QKeySequence("Ctrl+Enter"), self, self._record_shortcut)

    def _action(self, menu: Any, text: str, shortcut: Any, slot: Callable[[], Any]) -> QAction:
        from PySide6.QtGui import QAction, QKeySequence

        action = QAction(self)  # not QAction(text, parent): resolving that overload builds QIcon's type
        action.setText(text)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        self.addAction(action)
        return action

    def _connect(self) -> None:
        v = self.view
        v.job_picker.jobChosen.connect(self._on_job_chosen)
        for box in (v.ppmid, v.hub):
            box.scanned.connect(self._on_scanned)
            box.rejected.connect(self._on_rejected)
            box.cleared.connect(self._on_scan_cleared)
            box.cameraRequested.connect(lambda b=box: self.open_camera(b))
        v.hub_generation.currentIndexChanged.connect(self._on_hub_generation)
        v.record.recordRequested.connect(self._record)
        v.record.abortRequested.connect(self._abort)
        v.switch_job.clicked.connect(self._switch_to_other_job)
        v.on_pages_built = self._connect_pages
        v.tabs.currentChanged.connect(self._on_tab)
        self.runner.busyChanged.connect(self._on_busy)

    def _connect_pages(self) -> None:
        from PySide6.QtGui import QKeySequence, QShortcut

        self._build_actions()
        v = self.view
        v.first_run.load_sample.clicked.connect(self.load_sample_data)
        v.first_run.import_jobs.clicked.connect(self.choose_jobs_file)
        v.first_run.import_cpl.clicked.connect(self.choose_cpl_file)
        QShortcut(QKeySequence("Escape"), v.import_banner, v.import_banner.hide,
                  context=Qt.ShortcutContext.WindowShortcut)
        v.camera_pane.close_button.clicked.connect(self.close_camera)
        v.queue_page.syncRequested.connect(self.sync_now)
        v.settings_page.saveRequested.connect(self._save_settings)
        v.settings_page.dataDirChosen.connect(self._remember_data_dir)
        QShortcut(QKeySequence("Ctrl+S"), v.settings_page, v.settings_page.save,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

    # ------------------------------------------------------------------ start-up
    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            # After this paint is on screen: open the cache and load the heavy modules.
            QTimer.singleShot(0, self._after_first_paint)
            self.firstPainted.emit()

    def _after_first_paint(self) -> None:
        self.view.record.fill_choices()
        self.view.build_pages()
        self.runner.run(self._open_cache, on_done=self._on_cache_open, on_error=self._on_cache_error)
        self._install_wedge()
        self._focus_job_search()

    def _open_cache(self) -> backend.CacheState:
        state = backend.open_cache(self.ctx)
        try:
            queue_backend.recover(self.ctx)
        except Exception:  # recovery is best effort at start-up; sync retries it
            log.exception("recovering in-flight intents failed")
        return state

    def _on_cache_open(self, state: backend.CacheState) -> None:
        self._show_cache(state)
        self.view.job_picker.refresh()
        self.refresh_queue()
        self.cacheOpened.emit(state)
        if self._settings.get("backoffice_url"):
            self._sync_timer.start()

    def _on_cache_error(self, exc: BaseException) -> None:
        if unexpected.is_expected(exc):
            log.error("the cache could not be opened: %s", exc)
        else:
            unexpected.report(exc)
        self.view.cpl_status.setText(self.tr("CPL: the cache could not be opened (%1)").replace("%1", str(exc)))
        self._show_banner_message(self.tr("The data folder %1 could not be opened: %2")
                                  .replace("%1", str(self.ctx.data_dir)).replace("%2", str(exc)))

    def _show_cache(self, state: backend.CacheState) -> None:
        self._cache = state
        cpl = state.cpl
        if cpl.empty:
            self.view.cpl_status.setText(self.tr("CPL: none imported — checks cannot pass"))
        else:
            self.view.cpl_status.setText(
                self.tr("CPL: %1, dated %2, %3 rows")
                .replace("%1", cpl.file_name or "?")
                .replace("%2", cpl.file_date or "?")
                .replace("%3", f"{cpl.row_count:,}")
            )
        self._show_queue_count(state.queued)
        self.view.first_run.setVisible(cpl.empty and not state.has_jobs)

    def _install_wedge(self) -> None:
        """App-wide keyboard-wedge detection: a burst typed anywhere lands in the next scan field."""
        from app.scan.wedge import WedgeDetector

        self._wedge = WedgeDetector(self._wedge_config(), self)
        self._wedge.set_targets([self.view.ppmid.field, self.view.hub.field])
        self._wedge.install()

    def _wedge_config(self) -> Any:
        from app.scan.wedge import WedgeConfig

        return WedgeConfig(
            avg_ms_per_char=float(self._settings.get("wedge_max_interval_ms", 35)),
            min_length=int(self._settings.get("wedge_min_length", 8)),
        )

    # ------------------------------------------------------------------ jobs
    def _search_jobs(self, text: str, deliver: Callable[[list[JobRow]], None]) -> None:
        self.runner.run(lambda: backend.search_jobs(self.ctx, text), on_done=deliver,
                        on_error=self._on_background_error, pool="quick")

    def _on_job_chosen(self, job: JobRow) -> None:
        self._job = job
        self._job_detail = None
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

    # ------------------------------------------------------------------ scanning
    def _on_scanned(self, label: LabelData) -> None:
        self.sound.play("accepted")
        box = self.sender()
        self.visit.set_label("ppmid" if box is self.view.ppmid else "hub", label)
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
        missing = [name for name, box in ((self.tr("PPMID"), self.view.ppmid), (self.tr("hub"), self.view.hub))
                   if box.label is None]
        if not missing:
            return self.tr("Checking…")
        return self.tr("Scan the %1.").replace("%1", self.tr(" and the ").join(missing))

    def _request_check(self) -> None:
        order = self.visit.check_order()
        if order is None:
            self._invalidate_verdict(None)
            return
        from app.services import visit

        if self.check_inline and self._cache is not None and not self._importing:
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
        self.view.record.set_verdict(verdict.level.value, verdict.remedies)
        self.view.record.set_blocker(self._blocker_text(judged))
        self.view.record.show_result(None)
        self._show_other_job(judged.other_job)
        unknown = verdict.level.value == "unknown" or verdict.has(ReasonCode.HUB_GENERATION_FROM_INSTALLER)
        self._show_hub_generation(unknown or self.view.hub_generation.currentIndex() > 0)
        if verdict.level.value == "block":
            self.sound.play("stop")
        self.verdictShown.emit(result)

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
        self.view.verdict.show_idle(self.tr("The check could not run: %1").replace("%1", str(exc)))

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

    # ------------------------------------------------------------------ recording
    def _record_shortcut(self) -> None:
        self.show_tab(TAB_CHECK)
        button = self.view.record.view.record
        if button.isEnabled():
            button.click()
        else:
            self.view.record.show_result(self.tr("Cannot record yet: %1.").replace("%1", self.view.record.why_not))

    def _record(self, choices: VisitChoices) -> None:
        from app.domain.errors import DomainInputError
        from app.services import visit

        try:
            order = self.visit.record_order(visit.RecordChoices(
                meter_id=choices.meter_id, hub_location=choices.hub_location, meter_type=choices.meter_type,
                wan=choices.wan, aerial=choices.aerial, premise=choices.premise, metal=choices.metal,
                connectivity=choices.connectivity, shared=choices.shared,
                override_reason=choices.override_reason, remedy_chosen=choices.remedy_chosen,
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
        self.new_visit()
        self.view.record.show_result("✔ " + note)
        self.view.verdict.show_idle(note + " " + self.tr("Scan the next PPMID and hub, or see the Queue tab."),
                                    "recorded")
        self.refresh_queue()
        self.visitRecorded.emit(outcome)

    def _on_record_error(self, exc: BaseException) -> None:
        self.view.record.set_busy(False)
        from app.domain.errors import DomainInputError
        from app.services.installs import VerdictChanged

        if isinstance(exc, VerdictChanged):
            self._on_verdict_changed(exc)
            return
        self.visit.record_failed()
        if isinstance(exc, DomainInputError):
            text = self.tr("Not recorded: %1").replace("%1", str(exc))
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

    def _abort(self, reason: str) -> None:
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
        self.new_visit()
        note = self.tr("Aborted visit recorded for %1: “%2”.").replace("%1", outcome.job_ref)
        self.view.record.show_result("✔ " + note.replace("%2", outcome.abort_reason or ""))
        self.refresh_queue()
        self.visitRecorded.emit(outcome)

    # ------------------------------------------------------------------ queue and sync
    def refresh_queue(self) -> None:
        self.runner.run(lambda: queue_backend.snapshot(self.ctx), on_done=self._on_queue,
                        on_error=self._on_background_error, pool="quick")

    def _on_queue(self, snapshot: queue_backend.QueueSnapshot) -> None:
        self.view.queue_page.show_snapshot(snapshot)
        self._show_queue_count(snapshot.queued, snapshot.by_state)
        self.queueRefreshed.emit(len(snapshot.rows))

    def _show_queue_count(self, queued: int | None, by_state: dict[str, int] | None = None) -> None:
        text = self.tr("Queued: %1").replace("%1", "?" if queued is None else str(queued))
        self.view.queue_count.setText(text)
        self.view.tabs.setTabText(TAB_QUEUE, self.tr("Queue (%1)").replace("%1", str(queued or 0)))
        if by_state:
            self.view.queue_count.setToolTip(", ".join(f"{state}: {n}" for state, n in sorted(by_state.items())))

    def sync_now(self, quiet: bool = False) -> None:
        """A person asked (Sync now, F5): send everything queued at once, backoff or not, even
        while the back office's Retry-After runs; the result line says if it asked to wait.
        ``quiet`` only absorbs the ``checked`` argument of the menu action's signal."""
        self.view.queue_page.set_syncing(True)
        self._start_sync(timed=False)

    def sync_due(self) -> None:
        """The timer's pass, and the one a "the network is back" notice should ask for: only
        due work, and no contact at all while the back office's Retry-After runs. Skipped
        while another pass is in flight, so a stalled back office never piles passes up."""
        if self._syncs_in_flight:
            return
        self._start_sync(timed=True)

    def _start_sync(self, *, timed: bool) -> None:
        # The sync pool: a pass stuck on the network never delays recording (io) or a verdict.
        self._syncs_in_flight += 1
        self.runner.run(lambda: queue_backend.sync(self.ctx, timed=timed), on_done=self._on_synced,
                        on_error=self._on_sync_error, pool="sync")

    def _sync_ended(self) -> None:
        self._syncs_in_flight = max(0, self._syncs_in_flight - 1)
        if not self._syncs_in_flight:
            self.view.queue_page.set_syncing(False)

    def _on_synced(self, report: queue_backend.SyncReport) -> None:
        self._sync_ended()
        self.view.queue_page.show_sync_result(report.message)
        if report.status == "waiting":  # nothing was sent or asked: the last word on the link stands
            self.syncFinished.emit(report.status)
            return
        if report.status != "busy":
            self._show_online(report.status)
        self.refresh_queue()
        # A sync may adopt the back office's regime: show it, and re-judge what is on screen.
        self.runner.run(lambda: dict(self.ctx.settings.load().values), on_done=self._on_settings_reloaded)
        self.syncFinished.emit(report.status)

    def _on_settings_reloaded(self, values: dict[str, Any]) -> None:
        changed = {k for k in ("regime", "regime_source") if values.get(k) != self._settings.get(k)}
        if not changed:
            return
        self._apply_settings(values)
        if "regime" in changed:
            self.recheck()

    def _on_sync_error(self, exc: BaseException) -> None:
        self._sync_ended()
        self.view.queue_page.show_sync_result(self.tr("Sync failed: %1").replace("%1", str(exc)))
        self._show_online("offline")
        self.syncFinished.emit("error")

    def _show_online(self, status: str | None) -> None:
        if not self._settings.get("backoffice_url"):
            text = self.tr("Offline — no back office set")
        elif status is None:
            text = self.tr("Back office: not contacted yet")
        elif status in ("ok", "partial"):
            text = self.tr("Online")
        elif status == "auth_failed":
            text = self.tr("Online — token refused")
        elif status == "not_configured":
            text = self.tr("Offline — back-office token missing")
        else:
            text = self.tr("Offline")
        self.view.online.setText(text)

    # ------------------------------------------------------------------ imports
    def choose_jobs_file(self) -> None:
        from PySide6.QtWidgets import QFileDialog  # first used long after the first paint

        path, _ = QFileDialog.getOpenFileName(self, self.tr("Import a job pack or inventory response"), "",
                                              self.tr("Job packs and inventory (*.json *.xml);;All files (*)"))
        if path:
            self.import_file(Path(path))

    def choose_cpl_file(self) -> None:
        from PySide6.QtWidgets import QFileDialog  # first used long after the first paint

        path, _ = QFileDialog.getOpenFileName(self, self.tr("Import a CPL file"), "",
                                              self.tr("CPL files (*.csv *.xlsx);;All files (*)"))
        if path:
            self.import_file(Path(path))

    def load_sample_data(self) -> None:
        self._start_import(self.tr("Loading the sample data…"), lambda: backend.load_sample(self.ctx))

    def import_file(self, path: Path) -> None:
        """Import a CPL (CSV/XLSX) or a job pack / inventory response (JSON/XML), told apart by name."""
        if backend.is_cpl_file(path):
            self._start_import(self.tr("Importing CPL %1…").replace("%1", path.name),
                               lambda progress: backend.import_cpl_file(self.ctx, path, progress), True)
        else:
            self._start_import(self.tr("Importing %1…").replace("%1", path.name),
                               lambda: backend.import_jobs(self.ctx, path))

    def _start_import(self, text: str, work: Callable[..., Any], with_progress: bool = False) -> None:
        v = self.view
        v.import_banner.show_message(text, busy=True)
        v.first_run.hide()
        self._importing = True
        self.runner.run(work, on_done=self._on_imported, on_error=self._on_import_error,
                        on_progress=self._on_import_progress if with_progress else None)

    def _on_import_progress(self, rows: int) -> None:
        self.view.import_banner.summary.setText(self.tr("Importing… %1 rows read").replace("%1", f"{rows:,}"))

    def _on_imported(self, summary: backend.ImportSummary) -> None:
        self._importing = False
        banner = self.view.import_banner
        banner.progress.hide()
        if summary.kind == "cpl":
            text = self.tr("CPL %1 imported: %2 rows.").replace("%1", summary.file_name)
            text = text.replace("%2", f"{summary.imported:,}")
        elif summary.kind == "sample":
            text = self.tr("Sample data loaded: %1 CPL rows and %2 jobs. Pick a job, then scan its labels "
                           "(resources/sample/labels.json lists them).")
            text = text.replace("%1", str(summary.imported)).replace("%2", str(summary.jobs))
        else:
            what = self.tr("Job pack") if summary.kind == "jobpack" else self.tr("Inventory response")
            text = self.tr("%1 %2 imported: %3 jobs, %4 devices.").replace("%1", what)
            text = text.replace("%2", summary.file_name).replace("%3", str(summary.jobs))
            text = text.replace("%4", str(summary.imported))
        if summary.rejected:
            text += " " + self.tr("%1 rejected — why is listed below.").replace("%1", str(len(summary.rejected)))
            lines = [f"{where}: {why}" for where, why in summary.rejected[:500]]
            if len(summary.rejected) > 500:
                lines.append(self.tr("… and %1 more").replace("%1", str(len(summary.rejected) - 500)))
            banner.show_problems(lines)
        else:
            text += " " + self.tr("Nothing rejected.")
        banner.summary.setText("✔ " + text)
        self.runner.run(lambda: backend.cache_state(self.ctx), on_done=self._show_cache,
                        on_error=self._on_background_error)
        self.view.job_picker.refresh()
        self.recheck()
        self.importFinished.emit(summary)

    def _on_import_error(self, exc: BaseException) -> None:
        self._importing = False
        from app.domain.errors import DomainInputError

        if not isinstance(exc, DomainInputError):
            if unexpected.is_expected(exc):
                log.error("import failed: %s", exc)
            else:
                unexpected.report(exc)
        self.view.import_banner.show_message("✖ " + self.tr("Nothing imported: %1").replace("%1", str(exc)))
        if self._cache is not None:
            self._show_cache(self._cache)
        self.importFinished.emit(None)

    def _show_banner_message(self, text: str) -> None:
        self.view.import_banner.show_message(text)

    # ------------------------------------------------------------------ drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        pictures = False
        for url in mime.urls():
            path = Path(url.toLocalFile())
            suffix = path.suffix.lower()
            if suffix in IMAGE_SUFFIXES:
                pictures = True
            elif suffix in JOB_SUFFIXES or backend.is_cpl_file(path):
                self.import_file(path)
        if pictures or mime.hasImage():
            target = self._next_scan_box()
            target.field.accept_picture_mime(mime)
        event.acceptProposedAction()

    def _next_scan_box(self) -> Any:
        focus = QApplication.focusWidget()
        for box in (self.view.ppmid, self.view.hub):
            if focus is not None and box.isAncestorOf(focus):
                return box
        return self.view.ppmid if self.view.ppmid.label is None else self.view.hub

    # ------------------------------------------------------------------ camera
    def open_camera(self, box: Any) -> None:
        """Show the preview pane and read labels into ``box`` (then the next empty field)."""
        from app.scan.camera import CameraScanner
        from app.scan.preview import CameraPreview

        self._camera_target = box
        if self._camera is None:
            source = self.camera_source_factory() if self.camera_source_factory else self._real_camera_source()
            self._camera = CameraScanner(source, decoder_name=str(self._settings.get("decoder", "zxing")), parent=self)
            self._preview = CameraPreview(self.view.camera_pane)
            self._preview.setMinimumHeight(200)
            self._preview.attach(self._camera)
            self.view.camera_pane.column.addWidget(self._preview)
            self._camera.decoded.connect(self._on_camera_text)
            self._camera.stateChanged.connect(lambda _s: self._show_camera_status())
        self.view.camera_pane.show()
        self._camera.start()
        self._show_camera_status()

    def _real_camera_source(self) -> Any:
        from app.scan.camera import QtCameraSource, list_cameras

        wanted = str(self._settings.get("camera", "") or "")
        camera_id = next((c.id for c in list_cameras() if c.description == wanted), None) if wanted else None
        return QtCameraSource(camera_id, parent=self)

    def _show_camera_status(self) -> None:
        if self._camera is None:
            return
        target = self._camera_target
        name = self.tr("PPMID") if target is self.view.ppmid else self.tr("hub")
        message = self._preview.message if self._preview.message else self.tr("Hold the %1 label in the box.")
        self.view.camera_pane.status.setText(message.replace("%1", name))

    def _on_camera_text(self, text: str) -> None:
        box = self._camera_target or self._next_scan_box()
        box.submit_text(text)
        if box.label is not None:
            other = self.view.hub if box is self.view.ppmid else self.view.ppmid
            if other.label is None:
                self._camera_target = other
                self._camera.reset()
                self._show_camera_status()
            else:
                self.close_camera()

    def close_camera(self) -> None:
        if self._camera is not None:
            self._camera.stop()
        self.view.camera_pane.hide()

    # ------------------------------------------------------------------ settings
    def _on_tab(self, index: int) -> None:
        if index == TAB_SETTINGS:
            self.view.settings_page.show_values(self._settings)
            self.view.settings_page.list_cameras()
        elif index == TAB_QUEUE:
            self.refresh_queue()

    def _save_settings(self, values: dict[str, str]) -> None:
        if "regime" in values and values["regime"] != self._settings.get("regime"):
            values = {**values, "regime_source": "local"}  # the installer chose it on this laptop

        def work() -> dict[str, Any]:
            self.ctx.settings.set_many(values)
            return dict(self.ctx.settings.load().values)

        self.runner.run(work, on_done=self._on_settings_saved, on_error=self._on_settings_error)

    def _on_settings_saved(self, values: dict[str, Any]) -> None:
        regime_changed = values.get("regime") != self._settings.get("regime")
        self._apply_settings(values)
        note = self.tr("The verdict was re-checked under the new regime.") if regime_changed else ""
        self.view.settings_page.saved(values, note)
        if regime_changed:
            self.recheck()
        self.settingsSaved.emit(values)

    def _on_settings_error(self, exc: BaseException) -> None:
        self.view.settings_page.save_failed(str(exc))

    def _apply_settings(self, values: dict[str, Any]) -> None:
        self._settings = dict(values)
        regime = parse_regime(str(values.get("regime", "tactical")))
        from_backoffice = values.get("regime_source") == "backoffice"
        text = self.tr("Regime: %1 (back office)") if from_backoffice else self.tr("Regime: %1")
        self.view.regime.setText(text.replace("%1", regime.label))
        source = (
            self.tr("Set by the supplier's back office at the last sync.")
            if from_backoffice
            else self.tr("Set on this laptop (the back office's regime is adopted at the next sync).")
        )
        self.view.regime.setToolTip(
            self.tr("Tactical: a SMETS mismatch blocks the pairing. MP202: the hub decides the resulting version.")
            + "\n" + source
        )
        self.view.verdict.set_regime(regime)
        self.sound.set_enabled(bool(values.get("sound_enabled", True)))
        if self.action_mute is not None:
            self.action_mute.setChecked(not self.sound.enabled)
        if self._wedge is not None:
            self._wedge.set_config(self._wedge_config())
        self._show_online(None)
        if values.get("backoffice_url") and self._cache is not None:
            self._sync_timer.start()

    def set_regime(self, regime: Regime) -> None:
        """Switch the regime (the settings pane's path, for testers and scripts)."""
        self.view.settings_page.show_values({**self._settings, "regime": regime.value})
        self._save_settings({"regime": regime.value})

    def _toggle_mute(self) -> None:
        assert self.action_mute is not None
        muted = self.action_mute.isChecked()
        self.sound.set_enabled(not muted)
        self._save_settings({"sound_enabled": "false" if muted else "true"})

    def _remember_data_dir(self, path: str) -> None:
        """Try the chosen folder on a worker (it may be a slow share) and remember it if usable."""

        def try_and_remember() -> str:
            from app.ui import data_folder

            problem = data_folder.check(Path(path))
            if not problem:
                try:
                    data_folder.remember(Path(path))
                except OSError as exc:  # the pointer lives in the user's config folder
                    return f"HubCheck cannot keep the choice: {exc.strerror or exc}"
            return problem

        self.runner.run(try_and_remember, on_done=lambda problem: self._on_data_dir_tried(path, problem),
                        on_error=lambda exc: self._on_data_dir_tried(path, str(exc) or type(exc).__name__))

    def _on_data_dir_tried(self, path: str, problem: str) -> None:
        if problem:
            self.view.settings_page.data_dir_refused(problem)
            return
        self.view.settings_page.data_dir_accepted()
        self._show_banner_message(self.tr("HubCheck will use the data folder %1 from the next start.")
                                  .replace("%1", path))
        self.dataDirRemembered.emit(path)

    # ------------------------------------------------------------------ misc
    def show_tab(self, index: int) -> None:
        self.view.tabs.setCurrentIndex(index)

    def _focus_job_search(self) -> None:
        self.show_tab(TAB_CHECK)
        self.view.job_picker.view.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.view.job_picker.view.search.selectAll()

    def _focus_scan(self, box: Any) -> None:
        self.show_tab(TAB_CHECK)
        box.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        box.edit.selectAll()

    def _on_busy(self, pending: int) -> None:
        self.view.busy.setText(self.tr("Working…") if pending else "")

    def _show_unexpected_error(self, line: str) -> None:
        """The exception hook's calm line, in the message banner above the tabs (the status
        bar's facts stay in view)."""
        self._show_banner_message("⚠ " + line)

    def _on_background_error(self, exc: BaseException) -> None:
        if unexpected.is_expected(exc):
            log.error("background task failed: %s", exc)
        else:
            unexpected.report(exc)
        self._show_banner_message(self.tr("Something went wrong: %1").replace("%1", str(exc)))

    def shutdown(self, msecs: int = 30_000) -> None:
        """Stop timers, camera and wedge detection, and wait for workers (close and tests)."""
        self._sync_timer.stop()
        if self._wedge is not None:
            self._wedge.uninstall()
            self._wedge = None
        if self._camera is not None:
            self._camera.close()
            self._camera = None
        self.runner.wait_for_done(msecs)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
