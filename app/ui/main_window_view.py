"""Layout of the main window: banners, the Check / Queue / Settings tabs, and the status bar.

Layout only: every child a test or the window's behaviour needs is a public attribute.
The Check tab is two columns: job, scans and recording on the left (what the hands do),
the verdict on the right (what the eyes read).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStatusBar,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.ui.job_picker import JobPicker, Search
from app.ui.record_panel import RecordPanel
from app.ui.scan_box import ScanBox
from app.ui.verdict_panel import VerdictPanel

if TYPE_CHECKING:  # the panes' modules load with the panes, after the first paint
    from app.ui.queue_page import QueuePage
    from app.ui.settings_page import SettingsPage


def _banner(owner: QWidget, name: str) -> QFrame:
    frame = QFrame(owner)
    frame.setObjectName(name)
    frame.setFrameShape(QFrame.Shape.StyledPanel)
    frame.setLineWidth(2)
    return frame


class MainWindowView:
    """Builds the window's widgets onto ``window``; public children are listed in ``__init__``."""

    def __init__(self, window: QMainWindow, search: Search, data_dir: Path) -> None:
        central = QWidget(window)
        central.setObjectName("central")
        window.setCentralWidget(central)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(10, 8, 10, 4)
        outer.setSpacing(8)

        # First-run banner (no CPL and no jobs yet): non-modal, dismissed by loading data.
        self.first_run = _banner(central, "firstRunBanner")
        self.first_run_text = QLabel(self.first_run)
        self.first_run_text.setWordWrap(True)
        self.load_sample = QPushButton(self.first_run)
        self.load_sample.setObjectName("loadSampleButton")
        self.first_run_import_jobs = QPushButton(self.first_run)
        self.first_run_import_jobs.setObjectName("firstRunImportJobsButton")
        self.first_run_import_cpl = QPushButton(self.first_run)
        self.first_run_import_cpl.setObjectName("firstRunImportCplButton")
        row = QHBoxLayout(self.first_run)
        row.addWidget(self.first_run_text, 1)
        row.addWidget(self.load_sample)
        row.addWidget(self.first_run_import_jobs)
        row.addWidget(self.first_run_import_cpl)
        self.first_run.hide()

        # Import banner: progress while a file imports, then what was rejected and why.
        self.import_banner = _banner(central, "importBanner")
        self.import_summary = QLabel(self.import_banner)
        self.import_summary.setObjectName("importSummaryLabel")
        self.import_summary.setWordWrap(True)
        self.import_progress = QProgressBar(self.import_banner)
        self.import_progress.setObjectName("importProgress")
        self.import_progress.setMaximumWidth(260)
        self.import_details = QPlainTextEdit(self.import_banner)
        self.import_details.setObjectName("importProblemsText")
        self.import_details.setReadOnly(True)
        self.import_details.setMaximumHeight(120)
        self.import_dismiss = QPushButton(self.import_banner)
        self.import_dismiss.setObjectName("importDismissButton")
        top = QHBoxLayout()
        top.addWidget(self.import_summary, 1)
        top.addWidget(self.import_progress)
        top.addWidget(self.import_dismiss)
        column = QVBoxLayout(self.import_banner)
        column.addLayout(top)
        column.addWidget(self.import_details)
        self.import_banner.hide()

        self.tabs = QTabWidget(central)
        self.tabs.setObjectName("mainTabs")
        self.tabs.setDocumentMode(True)

        # --- Check tab
        self.check_page = QWidget(self.tabs)
        self.check_page.setObjectName("checkPage")
        left_scroll = QScrollArea(self.check_page)
        left_scroll.setObjectName("checkLeftScroll")
        left_scroll.setWidgetResizable(True)
        left_scroll.setFrameShape(QFrame.Shape.NoFrame)
        left_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        left = QWidget(left_scroll)
        left.setObjectName("checkLeft")
        left_scroll.setWidget(left)
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(0, 0, 8, 0)
        left_column.setSpacing(6)
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

        self.camera_pane = QFrame(left)
        self.camera_pane.setObjectName("cameraPane")
        self.camera_pane.setFrameShape(QFrame.Shape.StyledPanel)
        self.camera_layout = QVBoxLayout(self.camera_pane)
        self.camera_status = QLabel(self.camera_pane)
        self.camera_status.setObjectName("cameraStatusLabel")
        self.camera_status.setWordWrap(True)
        self.camera_close = QPushButton(self.camera_pane)
        self.camera_close.setObjectName("cameraCloseButton")
        camera_top = QHBoxLayout()
        camera_top.addWidget(self.camera_status, 1)
        camera_top.addWidget(self.camera_close)
        self.camera_layout.addLayout(camera_top)
        self.camera_pane.hide()

        self.record = RecordPanel(left)
        left_column.addWidget(self.job_picker)
        left_column.addWidget(self.ppmid)
        left_column.addWidget(self.hub)
        left_column.addLayout(generation_row)
        left_column.addWidget(self.camera_pane)
        left_column.addWidget(self.record)
        left_column.addStretch(1)

        self.verdict = VerdictPanel(self.check_page)
        columns = QHBoxLayout(self.check_page)
        columns.setContentsMargins(0, 8, 0, 0)
        columns.setSpacing(14)
        columns.addWidget(left_scroll, 5)
        columns.addWidget(self.verdict, 6)

        # The Queue and Settings panes are built on first use or right after the first
        # paint (``build_pages``): they are not visible at start-up, so they do not delay it.
        self._data_dir = data_dir
        self._queue_page: QueuePage | None = None
        self._settings_page: SettingsPage | None = None
        self.on_pages_built: Callable[[], None] | None = None
        self.tabs.addTab(self.check_page, "")
        self.tabs.addTab(QWidget(self.tabs), "")
        self.tabs.addTab(QWidget(self.tabs), "")

        outer.addWidget(self.first_run)
        outer.addWidget(self.import_banner)
        outer.addWidget(self.tabs, 1)

        # --- Status bar: always visible facts, each in its own labelled box.
        bar = QStatusBar(window)
        bar.setObjectName("statusBar")
        bar.setSizeGripEnabled(False)
        window.setStatusBar(bar)
        self.cpl_status = QLabel(bar)
        self.cpl_status.setObjectName("cplStatusLabel")
        self.regime = QLabel(bar)
        self.regime.setObjectName("regimeIndicator")
        self.online = QLabel(bar)
        self.online.setObjectName("onlineLabel")
        self.queue_count = QLabel(bar)
        self.queue_count.setObjectName("queueCountLabel")
        self.busy = QLabel(bar)
        self.busy.setObjectName("busyLabel")
        bar.addWidget(self.cpl_status, 3)
        bar.addWidget(self.busy, 1)
        for label in (self.regime, self.online, self.queue_count):
            label.setFrameShape(QFrame.Shape.StyledPanel)
            label.setMargin(3)
            bar.addPermanentWidget(label)
        font = self.regime.font()
        font.setBold(True)
        self.regime.setFont(font)

    @property
    def queue_page(self) -> QueuePage:
        self.build_pages()
        assert self._queue_page is not None
        return self._queue_page

    @property
    def settings_page(self) -> SettingsPage:
        self.build_pages()
        assert self._settings_page is not None
        return self._settings_page

    def build_pages(self) -> None:
        """Put the real Queue and Settings panes in their tabs (once)."""
        if self._queue_page is not None:
            return
        from app.ui.queue_page import QueuePage
        from app.ui.settings_page import SettingsPage

        self._queue_page = QueuePage(self.tabs)
        self._settings_page = SettingsPage(self._data_dir, self.tabs)
        current = self.tabs.currentIndex()
        for index, page in ((1, self._queue_page), (2, self._settings_page)):
            text, tip = self.tabs.tabText(index), self.tabs.tabToolTip(index)
            placeholder = self.tabs.widget(index)
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, page, text)
            self.tabs.setTabToolTip(index, tip)
            placeholder.deleteLater()
        self.tabs.setCurrentIndex(current)
        if self.on_pages_built is not None:
            self.on_pages_built()
