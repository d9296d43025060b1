"""Layout of the main window: the Check / Queue / Settings tabs, the status bar, and (built
after the first paint) the banners above the tabs.

Layout only: every child a test or the window's behaviour needs is a public attribute.
The Check tab is two columns: job, scans and recording on the left (what the hands do),
the verdict on the right (what the eyes read).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QMainWindow,
    QStatusBar,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.ui.check_tab import CheckTab

if TYPE_CHECKING:  # the panes' modules load with the panes, after the first paint
    from app.ui.banners import CameraPane, FirstRunBanner, ImportBanner
    from app.ui.queue_page import QueuePage
    from app.ui.settings_page import SettingsPage


class _Later(NamedTuple):
    """What ``MainWindowView.build_pages`` adds after the first paint."""

    first_run: FirstRunBanner
    import_banner: ImportBanner
    camera_pane: CameraPane
    queue_page: QueuePage
    settings_page: SettingsPage


class MainWindowView:
    """Builds the window's widgets onto ``window``; public children are listed in ``__init__``."""

    def __init__(self, window: QMainWindow, make_check_tab: Callable[[QWidget], CheckTab], data_dir: Path) -> None:
        central = QWidget(window)
        central.setObjectName("central")
        window.setCentralWidget(central)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(10, 8, 10, 4)
        outer.setSpacing(8)

        self.tabs = QTabWidget(central)
        self.tabs.setObjectName("mainTabs")
        self.tabs.setDocumentMode(True)

        # --- Check tab: its own widget; the shell reaches its children through these names.
        # Built with the tabs as its parent: reparenting a finished tree costs start-up.
        check_tab = make_check_tab(self.tabs)
        self.check_page = check_tab
        cv = check_tab.view
        self.job_picker = cv.job_picker
        self.ppmid = cv.ppmid
        self.hub = cv.hub
        self.hub_generation_label = cv.hub_generation_label
        self.hub_generation = cv.hub_generation
        self.switch_job = cv.switch_job
        self.record = cv.record
        self.verdict = cv.verdict
        left_column = cv.left_column

        # What the first screen does not show (the Queue and Settings panes, the banners,
        # the camera pane) is built on first use or right after the first paint
        # (``build_pages``), so it does not delay the window appearing.
        self._outer = outer
        self._left_column = left_column
        self._data_dir = data_dir
        self._later: _Later | None = None
        self.on_pages_built: Callable[[], None] | None = None
        self.tabs.addTab(self.check_page, "")
        self.tabs.addTab(QWidget(self.tabs), "")
        self.tabs.addTab(QWidget(self.tabs), "")

        outer.addWidget(self.tabs, 1)

        # --- Status bar: always visible facts, each in its own labelled box.
        bar = QStatusBar(window)
        bar.setObjectName("statusBar")
        bar.setSizeGripEnabled(False)
        window.setStatusBar(bar)
        self.status_bar = bar
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
        # The CPL line wraps rather than widening the window past a 1280-pixel screen at 150% text.
        self.cpl_status.setWordWrap(True)
        bar.addWidget(self.cpl_status, 3)
        bar.addWidget(self.busy, 1)
        for label in (self.regime, self.online, self.queue_count):
            label.setFrameShape(QFrame.Shape.StyledPanel)
            label.setMargin(3)
            bar.addPermanentWidget(label)
        font = self.regime.font()
        font.setBold(True)
        self.regime.setFont(font)

    # The parts built by ``build_pages``; asking for one builds them all.
    @property
    def first_run(self) -> FirstRunBanner:
        return self._built().first_run

    @property
    def import_banner(self) -> ImportBanner:
        return self._built().import_banner

    @property
    def camera_pane(self) -> CameraPane:
        return self._built().camera_pane

    @property
    def queue_page(self) -> QueuePage:
        return self._built().queue_page

    @property
    def settings_page(self) -> SettingsPage:
        return self._built().settings_page

    def _built(self) -> _Later:
        self.build_pages()
        assert self._later is not None
        return self._later

    def build_pages(self) -> None:
        """Build what the first screen does not show (once): the banners above the tabs, the
        camera pane under the scan fields, and the real Queue and Settings panes."""
        if self._later is not None:
            return
        from app.ui.banners import CameraPane, FirstRunBanner, ImportBanner
        from app.ui.queue_page import QueuePage
        from app.ui.settings_page import SettingsPage

        central, left = self.tabs.parentWidget(), self.record.parentWidget()
        assert central is not None and left is not None, "the tabs and the record panel are laid out"
        later = _Later(FirstRunBanner(central), ImportBanner(central), CameraPane(left),
                       QueuePage(self.tabs), SettingsPage(self._data_dir, self.tabs))
        self._later = later
        self._outer.insertWidget(0, later.first_run)
        self._outer.insertWidget(1, later.import_banner)
        self._left_column.insertWidget(self._left_column.indexOf(self.record), later.camera_pane)
        current = self.tabs.currentIndex()
        for index, page in ((1, later.queue_page), (2, later.settings_page)):
            text, tip = self.tabs.tabText(index), self.tabs.tabToolTip(index)
            placeholder = self.tabs.widget(index)
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, page, text)
            self.tabs.setTabToolTip(index, tip)
            if placeholder is not None:
                placeholder.deleteLater()
        self.tabs.setCurrentIndex(current)
        from app.ui.fit import apply_glove_styles, follow_focus

        apply_glove_styles()  # check boxes and clear buttons, glove-sized once the window is up
        follow_focus(self.check_page.view.left_scroll)  # the column scrolls to the focused field
        if self.on_pages_built is not None:
            self.on_pages_built()
