"""The parts of the main window that are hidden when it first appears.

The first-run banner (no CPL and no jobs yet), the import banner (progress, then what
was rejected and why) and the camera pane stay hidden until the cache has opened, a file
is imported or the camera is asked for. ``MainWindowView`` builds them right after the
first paint, so the window does not pay for them before it is on screen.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


def _panel(frame: QFrame, name: str) -> None:
    frame.setObjectName(name)
    frame.setFrameShape(QFrame.Shape.StyledPanel)
    frame.setLineWidth(2)
    frame.hide()


def _name_by_text(*buttons: QPushButton) -> None:
    for button in buttons:
        button.setAccessibleName(button.text().replace("&", "").rstrip("…"))


class FirstRunBanner(QFrame):
    """Offers the bundled sample data or today's files; children ``text``, ``load_sample``,
    ``import_jobs``, ``import_cpl``."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        _panel(self, "firstRunBanner")
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setText(
            self.tr("<b>No CPL and no jobs yet.</b> Load the bundled sample data to try HubCheck, "
                    "or import today's job pack and the CPL (you can also drop the files on this window).")
        )
        self.load_sample = QPushButton(self.tr("Load &sample data"), self)
        self.load_sample.setObjectName("loadSampleButton")
        self.import_jobs = QPushButton(self.tr("Import job pack…"), self)
        self.import_jobs.setObjectName("firstRunImportJobsButton")
        self.import_cpl = QPushButton(self.tr("Import CPL…"), self)
        self.import_cpl.setObjectName("firstRunImportCplButton")
        _name_by_text(self.load_sample, self.import_jobs, self.import_cpl)
        row = QHBoxLayout(self)
        row.addWidget(self.text, 1)
        row.addWidget(self.load_sample)
        row.addWidget(self.import_jobs)
        row.addWidget(self.import_cpl)


class ImportBanner(QFrame):
    """Progress while a file imports, then the outcome; children ``summary``, ``progress``,
    ``details`` (one line per rejected row), ``dismiss``."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        _panel(self, "importBanner")
        self.summary = QLabel(self)
        self.summary.setObjectName("importSummaryLabel")
        self.summary.setWordWrap(True)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("importProgress")
        self.progress.setMaximumWidth(260)
        self.details = QPlainTextEdit(self)
        self.details.setObjectName("importProblemsText")
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(120)
        self.dismiss = QPushButton(self.tr("Dismiss (Esc)"), self)
        self.dismiss.setObjectName("importDismissButton")
        _name_by_text(self.dismiss)
        self.dismiss.clicked.connect(self.hide)
        # Asked before a CPL import that rejects rows or would shrink the cache.
        self.confirm = QPushButton(self)
        self.confirm.setObjectName("confirmCplReplaceButton")
        self.keep = QPushButton(self)
        self.keep.setObjectName("keepCurrentCplButton")
        self.confirm.hide()
        self.keep.hide()
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.progress)
        top.addWidget(self.confirm)
        top.addWidget(self.keep)
        top.addWidget(self.dismiss)
        column = QVBoxLayout(self)
        column.addLayout(top)
        column.addWidget(self.details)

    def ask(self, text: str, confirm: str, keep: str) -> None:
        """A question in the banner (not a dialog: the visit stays usable): ``confirm`` and
        ``keep`` are the two buttons' words; the window connects their ``clicked``."""
        self.show_message(text)
        self.confirm.setText(confirm)
        self.keep.setText(keep)
        _name_by_text(self.confirm)
        _name_by_text(self.keep)
        self.confirm.show()
        self.keep.show()
        self.keep.setFocus()

    def show_message(self, text: str, *, busy: bool = False) -> None:
        """One line in the banner: with an indefinite progress bar while ``busy``."""
        self.confirm.hide()
        self.keep.hide()
        self.summary.setText(text)
        self.progress.setRange(0, 0)
        self.progress.setVisible(busy)
        self.details.hide()
        self.show()

    def show_problems(self, lines: list[str]) -> None:
        """The rejected rows under the summary, at most six lines tall (it scrolls)."""
        self.details.setPlainText("\n".join(lines))
        line_height = self.details.fontMetrics().lineSpacing()
        self.details.setFixedHeight(min(len(lines), 6) * line_height + 14)
        self.details.show()


class CameraPane(QFrame):
    """Holds the camera preview (added on first use) over a status line and a close button;
    children ``column``, ``status``, ``close_button``."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("cameraPane")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.hide()
        self.column = QVBoxLayout(self)
        self.status = QLabel(self)
        self.status.setObjectName("cameraStatusLabel")
        self.status.setWordWrap(True)
        self.close_button = QPushButton(self.tr("Close camera"), self)
        self.close_button.setObjectName("cameraCloseButton")
        _name_by_text(self.close_button)
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.close_button)
        self.column.addLayout(top)
