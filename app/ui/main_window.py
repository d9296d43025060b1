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
from PySide6.QtWidgets import QMainWindow, QWidget

from app.domain.smets import Regime, parse_regime
from app.services.context import AppContext
from app.ui import fit
from app.ui.check_tab import CheckTab
from app.ui.main_window_view import MainWindowView
from app.ui.sound import SoundCues
from app.ui.tasks import TaskRunner

if TYPE_CHECKING:  # event types only annotate overrides; PySide6 builds each on its first event
    from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QPaintEvent

    from app.services import storage_errors
    from app.ui import backend, queue_backend, unexpected
else:
    from app.ui.deferred import Deferred as _Deferred

    backend = _Deferred("app.ui.backend")
    queue_backend = _Deferred("app.ui.queue_backend")
    unexpected = _Deferred("app.ui.unexpected")
    storage_errors = _Deferred("app.services.storage_errors")

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")
JOB_SUFFIXES = (".json", ".xml")
AUTO_SYNC_MS = 120_000

TAB_CHECK, TAB_QUEUE, TAB_SETTINGS = range(3)


class MainWindow(QMainWindow):
    """Signals for testers and benchmarks: ``firstPainted``, ``cacheOpened(CacheState)``,
    ``verdictShown(PairingResult)``, ``visitRecorded(VisitOutcome)``, ``queueRefreshed(int)``,
    ``importFinished(ImportSummary | None)``, ``settingsSaved(dict)``, ``syncFinished(str)``,
    ``dataDirRemembered(str)``, ``storageProblem(StorageProblem)`` (the database or the
    data folder failed: the window shows its plain sentence)."""

    firstPainted = Signal()
    cacheOpened = Signal(object)
    verdictShown = Signal(object)
    visitRecorded = Signal(object)
    visitFailed = Signal(str)
    queueRefreshed = Signal(int)
    importFinished = Signal(object)
    settingsSaved = Signal(dict)
    syncFinished = Signal(str)
    #: Only for a pass a person started (Sync now, F5): a timed pass ending meanwhile does not
    #: answer it, so a tester or a script waiting for *its* pass gets that pass's status.
    syncNowFinished = Signal(str)
    dataDirRemembered = Signal(str)
    #: Emitted from any thread by the process's exception hook; shown on the status bar.
    unexpectedError = Signal(str)
    visitWithdrawn = Signal(object)
    storageProblem = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.ctx = ctx
        self.runner = TaskRunner(self)
        #: Where the scan fields and the camera decode: the runner's own ``decode`` pool.
        self.decode_submit = self.runner.submitter("decode")
        loaded = ctx.settings.load()
        self._settings: dict[str, Any] = dict(loaded.values)
        self._settings_problem = loaded.problem
        self._painted = False
        self._cache: backend.CacheState | None = None
        self._importing = False
        self._pending_cpl: Any = None  # a CPL preview waiting for the installer's answer
        self._wedge: Any = None
        self._camera: Any = None
        self._camera_target: Any = None
        self.camera_source_factory: Callable[[], Any] | None = None
        #: What reads each camera frame (``decode_frame``); None: the live pipeline.
        self.camera_decoder_factory: Callable[[], Any] | None = None
        self.action_mute: QAction | None = None  # the menus' actions arrive after the first paint

        # Text size and palette before any widget is built: widgets that size their own
        # fonts (captions, the verdict's words) do so from this base.
        fit.apply_text_scale(int(self._settings.get("text_scale", 100)))
        fit.apply_contrast(bool(self._settings.get("high_contrast", False)))
        self.setWindowTitle(self.tr("HubCheck — PPMID and Communications Hub pairing"))
        self.setAcceptDrops(True)
        fit.fit_to_screen(self)  # inside the screen's available area, frame included
        self.firstPainted.connect(self._fit_frame)
        self.sound = SoundCues(bool(self._settings.get("sound_enabled", True)), self)
        #: The Check tab: the visit itself; the window around it is the shell.
        self.view = MainWindowView(self, lambda tabs: CheckTab(ctx, self.runner, self.sound, tabs), ctx.data_dir)
        self.check: CheckTab = self.view.check_page
        self._build_texts()
        self._build_menu()
        self._connect()
        self._apply_settings(self._settings)
        self.view.cpl_status.setText(self.tr("CPL: opening the cache…"))
        self.view.queue_count.setText(self.tr("Queued: …"))
        self._show_online(None)
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
        v.tabs.setTabText(TAB_CHECK, self.tr("Check"))
        v.tabs.setTabText(TAB_QUEUE, self.tr("Queue"))
        v.tabs.setTabText(TAB_SETTINGS, self.tr("Settings"))
        for index, key in ((TAB_CHECK, "Ctrl+1"), (TAB_QUEUE, "Ctrl+2"), (TAB_SETTINGS, "Ctrl+3")):
            v.tabs.setTabToolTip(index, key)
        v.cpl_status.setAccessibleName(self.tr("CPL cache"))
        v.regime.setAccessibleName(self.tr("Regime"))
        v.online.setAccessibleName(self.tr("Back-office connection"))
        v.queue_count.setAccessibleName(self.tr("Queued Service Requests"))

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
        self.action_restore_cpl = self._action(file_menu, self.tr("&Restore the previous CPL"), None,
                                               self.restore_previous_cpl)
        self.action_review = self._action(file_menu, self.tr("Re&view visits…"), None, self.open_review)
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
        view_menu.addSeparator()
        self._action(view_menu, self.tr("&Help"), "F1", self.toggle_help)
        QShortcut(QKeySequence("Ctrl+Enter"), self, self._record_shortcut)

    def open_review(self) -> Any:
        """The analyst's review window (its package loads only now: start-up never pays for it)."""
        from app.ui.review import open_review

        if getattr(self, "review_window", None) is None:
            self.review_window = open_review(self.ctx, self)
            self.review_window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # a fresh one each time
            self.review_window.destroyed.connect(lambda _obj=None: setattr(self, "review_window", None))
        self.review_window.show()
        self.review_window.activateWindow()  # brought forward when already open
        return self.review_window

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
        for box in (v.ppmid, v.hub):
            box.cameraRequested.connect(lambda b=box: self.open_camera(b))
            box.field.set_submit(self.decode_submit)  # a dropped picture is read on the decode pool
            box.field.decodeFailed.connect(self._on_decode_error)
        check = self.check
        check.verdictShown.connect(self.verdictShown)
        check.visitRecorded.connect(self.visitRecorded)
        check.visitFailed.connect(self.visitFailed)
        check.queueChanged.connect(self.refresh_queue)
        check.visitRecorded.connect(lambda _outcome: self.view.job_picker.refresh())  # the job's new state
        check.message.connect(self._show_banner_message)
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
        v.import_banner.confirm.clicked.connect(self._confirm_cpl_replace)
        v.import_banner.keep.clicked.connect(self._keep_current_cpl)
        QShortcut(QKeySequence("Escape"), v.import_banner, v.import_banner.hide,
                  context=Qt.ShortcutContext.WindowShortcut)
        v.camera_pane.close_button.clicked.connect(self.close_camera)
        v.queue_page.syncRequested.connect(self.sync_now)
        v.queue_page.withdrawRequested.connect(self.withdraw_visit)
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
        # A failure is explained here, on the worker: what was queued is read (read-only)
        # from the file and a damaged one is copied before the window says a word.
        state = storage_errors.explained(backend.open_cache, self.ctx.data_dir, "open", keep=True)(self.ctx)
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
        if isinstance(exc, storage_errors.StorageFailure):
            problem = exc.problem  # logged on the worker, without SQL text
        else:
            if unexpected.is_expected(exc):
                log.error("the cache could not be opened: %s", storage_errors.short_cause(exc))
            else:
                unexpected.report(exc)
            problem = storage_errors.explain_storage_error(exc, self.ctx.data_dir, "open")
        self.view.cpl_status.setText(self.tr("CPL: the cache could not be opened (%1)").replace("%1", problem.short))
        self.view.cpl_status.setToolTip(problem.sentence)
        self._show_storage_problem(problem)

    def _show_storage_problem(self, problem: storage_errors.StorageProblem, banner: bool = True) -> None:
        """The plain sentence where the installer looks: the banner, and the Queue tab instead
        of "Opening the queue…" (what was queued, when the file could be read, is in it)."""
        if banner:
            self._show_banner_message("⚠ " + problem.message)
        self.view.queue_page.show_unavailable(problem.message)
        self._show_queue_count(None)
        self.storageProblem.emit(problem)

    def _show_cache(self, state: backend.CacheState) -> None:
        self._cache = state
        self._data_ready_changed()
        cpl = state.cpl
        if cpl.empty:
            self.view.cpl_status.setText(self.tr("CPL: none imported — checks cannot pass"))
        else:
            # The file's own date where it states one; otherwise say it is the file's mtime.
            template = (self.tr("CPL: %1, dated %2, %3 rows") if cpl.file_date_source == "file"
                        else self.tr("CPL: %1, file modified %2, %3 rows"))
            self.view.cpl_status.setText(
                template.replace("%1", cpl.file_name or "—")
                .replace("%2", cpl.file_date or "—")
                .replace("%3", f"{cpl.row_count:,}")
            )
        self._show_queue_count(state.queued)
        self.view.first_run.setVisible(cpl.empty and not state.has_jobs)

    def _fit_frame(self) -> None:
        """Once the window manager has framed the window, its real frame replaces the guessed
        one: a window (or its title bar) past the available area is fitted again."""
        if self.isMaximized() or self.isFullScreen():
            return
        if not fit.inside_available(self):
            fit.fit_to_screen(self)

    def _install_wedge(self) -> None:
        """App-wide keyboard-wedge detection: a burst typed anywhere lands in the next scan field."""
        from app.scan.wedge import WedgeDetector

        self._wedge = WedgeDetector(self._wedge_config(), self)
        self._wedge.set_targets([self.view.ppmid.field, self.view.hub.field])
        self._wedge.install()
        self._share_wedge_config()

    def _share_wedge_config(self) -> None:
        """The scan fields judge keys typed straight into them by the wedge's own thresholds."""
        for field in (self.view.ppmid.field, self.view.hub.field):
            field.burst_config = self._wedge.config

    def _wedge_config(self) -> Any:
        from app.scan.wedge import WedgeConfig

        return WedgeConfig(
            avg_ms_per_char=float(self._settings.get("wedge_max_interval_ms", 35)),
            min_length=int(self._settings.get("wedge_min_length", 8)),
        )

    # ------------------------------------------------------------------ jobs
    # ------------------------------------------------------------------ scanning
    # ------------------------------------------------------------------ recording
    def _record_shortcut(self) -> None:
        self.show_tab(TAB_CHECK)
        self.check.record_shortcut()

    # ------------------------------------------------------------------ the visit (the Check tab's)
    @property
    def visit(self) -> Any:
        """The visit session on screen (``VisitSession``)."""
        return self.check.visit

    @property
    def check_inline(self) -> bool:
        return bool(self.check.check_inline)

    @check_inline.setter
    def check_inline(self, value: bool) -> None:
        self.check.check_inline = value

    def pick_job(self, job_ref: str) -> None:
        self.check.pick_job(job_ref)

    def new_visit(self) -> None:
        """Clear both scans (and the hub generation) for the next visit; the job stays chosen."""
        self.check.new_visit()

    def recheck(self) -> None:
        """Judge the scanned pair again (after a regime change or an import)."""
        self.check._request_check()

    def _next_scan_box(self) -> Any:
        return self.check.next_scan_box()

    def _data_ready_changed(self) -> None:
        """The tab may check on the UI thread only with the cache open and no import running."""
        self.check.data_ready = self._cache is not None and not self._importing

    # ------------------------------------------------------------------ queue and sync
    def refresh_queue(self) -> None:
        snapshot = storage_errors.explained(queue_backend.snapshot, self.ctx.data_dir, "queue", keep=True)
        self.runner.run(lambda: snapshot(self.ctx), on_done=self._on_queue,
                        on_error=self._on_queue_error, pool="quick")

    def _on_queue_error(self, exc: BaseException) -> None:
        """Whatever failed, the Queue tab stops saying "Opening the queue…"."""
        if isinstance(exc, storage_errors.StorageFailure):
            self._show_storage_problem(exc.problem, banner=self._cache is not None)
            return
        self._on_background_error(exc)
        self.view.queue_page.show_unavailable(
            self.tr("The queue could not be read. What was queued stays in the database; "
                    "open the Queue tab again, and call support if it happens again."))
        self._show_queue_count(None)

    def _on_queue(self, snapshot: queue_backend.QueueSnapshot) -> None:
        self.view.queue_page.show_snapshot(snapshot)
        self._show_queue_count(snapshot.queued, snapshot.by_state)
        self.queueRefreshed.emit(len(snapshot.rows))

    def _show_queue_count(self, queued: int | None, by_state: dict[str, int] | None = None) -> None:
        text = self.tr("Queued: %1").replace("%1", "—" if queued is None else str(queued))
        self.view.queue_count.setText(text)
        self.view.tabs.setTabText(TAB_QUEUE, self.tr("Queue (%1)").replace("%1", "—" if queued is None else str(queued)))
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
        sync = storage_errors.explained(queue_backend.sync, self.ctx.data_dir, "sync")
        self.runner.run(lambda: sync(self.ctx, timed=timed),
                        on_done=lambda report: self._on_synced(report, timed=timed),
                        on_error=lambda exc: self._on_sync_error(exc, timed=timed), pool="sync")

    def _sync_ended(self) -> None:
        self._syncs_in_flight = max(0, self._syncs_in_flight - 1)
        if not self._syncs_in_flight:
            self.view.queue_page.set_syncing(False)

    def _on_synced(self, report: queue_backend.SyncReport, *, timed: bool = False) -> None:
        self._sync_ended()
        self.view.job_picker.refresh()  # jobs whose visits reached the back office read "Synced"
        self.view.queue_page.show_sync_result(report.message)
        if report.status != "waiting":  # "waiting": nothing was sent or asked, the last word on the link stands
            if report.status != "busy":
                self._show_online(report.status)
            self.refresh_queue()
            # A sync may adopt the back office's regime: show it, and re-judge what is on screen.
            self.runner.run(lambda: dict(self.ctx.settings.load().values), on_done=self._on_settings_reloaded)
        self._announce_sync(report.status, timed=timed)

    def _announce_sync(self, status: str, *, timed: bool) -> None:
        self.syncFinished.emit(status)
        if not timed:
            self.syncNowFinished.emit(status)

    def _on_settings_reloaded(self, values: dict[str, Any]) -> None:
        changed = {k for k in ("regime", "regime_source") if values.get(k) != self._settings.get(k)}
        if not changed:
            return
        self._apply_settings(values)
        if "regime" in changed:
            self.recheck()

    def _on_sync_error(self, exc: BaseException, *, timed: bool = False) -> None:
        self._sync_ended()
        self.view.queue_page.show_sync_result(self.tr("Sync failed: %1").replace("%1", str(exc)))
        self._show_online("offline")
        self._announce_sync("error", timed=timed)

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
            # Read and check first; the cache is replaced only once the file is known good,
            # or the installer agreed to a file that rejects rows or would shrink the list.
            self._start_import(self.tr("Reading CPL %1…").replace("%1", path.name),
                               lambda progress: backend.preview_cpl_file(self.ctx, path, progress), True)
        else:
            self._start_import(self.tr("Importing %1…").replace("%1", path.name),
                               lambda: backend.import_jobs(self.ctx, path))

    def _start_import(self, text: str, work: Callable[..., Any], with_progress: bool = False) -> None:
        v = self.view
        v.import_banner.show_message(text, busy=True)
        v.first_run.hide()
        self._importing = True
        self._data_ready_changed()
        # A storage failure comes back as its plain sentence ("Nothing imported: the laptop's disk is full …").
        self.runner.run(storage_errors.explained(work, self.ctx.data_dir, "import"), on_done=self._on_imported,
                        on_error=self._on_import_error,
                        on_progress=self._on_import_progress if with_progress else None)

    def _on_import_progress(self, rows: int) -> None:
        self.view.import_banner.summary.setText(self.tr("Importing… %1 rows read").replace("%1", f"{rows:,}"))

    def _on_cpl_previewed(self, preview: Any) -> None:
        if not preview.needs_confirmation:
            self._replace_cpl(preview)
            return
        self._importing = False
        self._data_ready_changed()
        self._pending_cpl = preview
        current = (self.tr("%1 rows dated %2").replace("%1", f"{preview.current_rows:,}")
                   .replace("%2", preview.current_date.date().isoformat() if preview.current_date else "—"))
        new = (self.tr("%1 rows dated %2").replace("%1", f"{preview.new_rows:,}")
               .replace("%2", preview.file_date.date().isoformat()))
        problems = []
        if preview.has_rejects:
            problems.append(self.tr("%1 rows are rejected").replace("%1", str(len(preview.rejected))))
        if preview.would_shrink:
            problems.append(self.tr("it has fewer rows than the CPL in use"))
        text = (self.tr("CPL %1 looks damaged: %2. Replace the CPL in use (%3) with it (%4)? "
                        "The current one is kept and can be restored from the File menu.")
                .replace("%1", preview.file_name).replace("%2", "; ".join(problems))
                .replace("%3", current).replace("%4", new))
        banner = self.view.import_banner
        banner.progress.hide()
        banner.ask(text, self.tr("&Replace anyway"), self.tr("&Keep the current CPL"))
        if preview.rejected:
            banner.show_problems([f"line {p.line}: {p.message}" for p in preview.rejected[:500]])

    def _confirm_cpl_replace(self) -> None:
        preview, self._pending_cpl = self._pending_cpl, None
        if preview is not None:
            self._replace_cpl(preview)

    def _keep_current_cpl(self) -> None:
        preview, self._pending_cpl = self._pending_cpl, None
        if preview is not None:
            self.view.import_banner.show_message(
                self.tr("Nothing imported: the CPL in use is kept (%1).").replace("%1", preview.file_name))
            self.importFinished.emit(None)

    def _replace_cpl(self, preview: Any) -> None:
        self._start_import(self.tr("Importing CPL %1…").replace("%1", preview.file_name),
                           lambda: backend.import_previewed_cpl(self.ctx, preview))

    def restore_previous_cpl(self) -> None:
        """File ▸ Restore the previous CPL: the one the last import replaced comes back."""
        self._start_import(self.tr("Restoring the previous CPL…"), lambda: backend.restore_previous_cpl(self.ctx))

    def _on_imported(self, summary: Any) -> None:
        if hasattr(summary, "needs_confirmation"):
            self._on_cpl_previewed(summary)
            return
        if hasattr(summary, "restored"):
            self._on_cpl_restored(summary)
            return
        self._importing = False
        self._data_ready_changed()
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

    def _on_cpl_restored(self, report: Any) -> None:
        self._importing = False
        self._data_ready_changed()
        restored = report.restored
        text = (self.tr("Previous CPL restored: %1, %2 rows. The one it replaced is kept.")
                .replace("%1", restored.file_name or "—").replace("%2", f"{restored.row_count:,}"))
        self.view.import_banner.show_message("✔ " + text)
        self.runner.run(lambda: backend.cache_state(self.ctx), on_done=self._show_cache,
                        on_error=self._on_background_error)
        self.recheck()
        self.importFinished.emit(None)

    def _on_import_error(self, exc: BaseException) -> None:
        self._importing = False
        self._data_ready_changed()
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

    def withdraw_visit(self, install_id: str, reason: str) -> None:
        """Undo a recorded visit before any of its requests went (Queue tab)."""
        self.runner.run(lambda: backend.withdraw_visit(self.ctx, install_id, reason),
                        on_done=self._on_withdrawn, on_error=self._on_withdraw_error)

    def _on_withdrawn(self, outcome: Any) -> None:
        text = (self.tr("Withdrawn: the visit for job %1 and its %2 requests will never be sent.")
                .replace("%1", outcome.job_ref).replace("%2", str(len(outcome.intents))))
        if outcome.record == "at_backoffice":
            text += " " + self.tr("The back office already has the visit record: tell them it was withdrawn.")
        self.view.queue_page.show_withdraw_result("✔ " + text, True)
        self.refresh_queue()
        self.view.job_picker.refresh()
        self.visitWithdrawn.emit(outcome)

    def _on_withdraw_error(self, exc: BaseException) -> None:
        from app.domain.errors import DomainInputError

        if not isinstance(exc, DomainInputError):
            self._on_background_error(exc)
            return
        text = self.tr("Not withdrawn: %1.").replace("%1", str(exc))
        self.view.queue_page.show_withdraw_result("✖ " + text, False)

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

    # ------------------------------------------------------------------ camera
    def open_camera(self, box: Any) -> None:
        """Show the preview pane and read labels into ``box`` (then the next empty field)."""
        from app.scan.camera import CameraScanner
        from app.scan.preview import CameraPreview

        self._camera_target = box
        if self._camera is None:
            source = self.camera_source_factory() if self.camera_source_factory else self._real_camera_source()
            self._camera = CameraScanner(source, decoder_name=str(self._settings.get("decoder", "zxing")),
                                         live_factory=self.camera_decoder_factory, submit=self.decode_submit,
                                         parent=self)
            self._preview = CameraPreview(self.view.camera_pane)
            self._preview.setMinimumHeight(200)
            self._preview.attach(self._camera)
            self.view.camera_pane.column.addWidget(self._preview)
            self._camera.decoded.connect(self._on_camera_text)
            self._camera.stateChanged.connect(lambda _s: self._show_camera_status())
            self._camera.decodeFailed.connect(self._on_camera_decode_error)
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
        box.submit_text(text, "camera")
        if box.label is not None:
            other = self.view.hub if box is self.view.ppmid else self.view.ppmid
            if other.label is None:
                self._camera_target = other
                self._camera.reset()
                self._show_camera_status()
            else:
                self.close_camera()

    def _on_camera_decode_error(self, exc: BaseException) -> None:
        """A camera frame that raised while being read: the pane says so, a bug goes on to
        the exception hook, and the camera keeps reading the next frames."""
        message = (self.tr("Cannot read the camera picture: %1").replace("%1", str(exc))
                   if unexpected.is_expected(exc)
                   else self.tr("The camera picture could not be read; the details are in the log."))
        self.view.camera_pane.status.setText(message)
        self._on_decode_error(exc)

    def _on_decode_error(self, exc: BaseException) -> None:
        """Decoding a picture or a camera frame raised. The field or the camera pane tells the
        installer in words; an expected failure is logged, a bug goes where bugs go."""
        if unexpected.is_expected(exc):
            log.warning("decoding failed: %s", exc)
        else:
            unexpected.report(exc)

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
        regime = values.get("regime")
        others = {k: v for k, v in values.items() if k != "regime"}
        change_regime = regime is not None and regime != self._settings.get("regime")

        def work() -> dict[str, Any]:
            self.ctx.settings.set_many(others)
            if change_regime and regime is not None:
                # Journaled, and refused when the back office owns the regime.
                from app.services.regime import change_regime_locally

                change_regime_locally(self.ctx, regime, reason="Settings pane")
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
        fit.apply_contrast(bool(values.get("high_contrast", False)))
        fit.apply_text_scale(int(values.get("text_scale", 100)))
        if self._painted:
            self._fit_frame()  # larger text may have grown the window past the screen
        self.sound.set_enabled(bool(values.get("sound_enabled", True)))
        if self.action_mute is not None:
            self.action_mute.setChecked(not self.sound.enabled)
        if self._wedge is not None:
            self._wedge.set_config(self._wedge_config())
            self._share_wedge_config()
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
    def toggle_help(self) -> None:
        """F1: open the help pane beside the work (built on first use), or close it."""
        pane = self.findChild(QWidget, "helpPane")
        if pane is None:
            from app.ui.help_pane import HelpPane

            pane = HelpPane(self)
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, pane)
            pane.show()
            return
        pane.setVisible(not pane.isVisible())

    def show_tab(self, index: int) -> None:
        self.view.tabs.setCurrentIndex(index)

    def _focus_job_search(self) -> None:
        self.show_tab(TAB_CHECK)
        self.check.focus_job_search()

    def _focus_scan(self, box: Any) -> None:
        self.show_tab(TAB_CHECK)
        self.check.focus_scan(box)

    def _on_busy(self, pending: int) -> None:
        self.view.busy.setText(self.tr("Working…") if pending else "")

    def _show_unexpected_error(self, line: str) -> None:
        """The exception hook's calm line, in the message banner above the tabs (the status
        bar's facts stay in view)."""
        self._show_banner_message("⚠ " + line)

    def _on_background_error(self, exc: BaseException) -> None:
        if unexpected.is_expected(exc):
            log.error("background task failed: %s", storage_errors.short_cause(exc))
        else:
            unexpected.report(exc)
        text = storage_errors.plain_error(exc, self.ctx.data_dir, "open")
        self._show_banner_message(self.tr("Something went wrong: %1").replace("%1", text))

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
