"""Layout of the verdict: the banner (icon, level word, headline, resulting version), reasons, CPL entries."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

BANNER_ICON_SIZE = 84


def _scaled(label: QLabel, factor: float, bold: bool = True) -> None:
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * factor)
    font.setBold(bold)
    label.setFont(font)


class VerdictView(QVBoxLayout):
    """Public children: ``banner``, ``icon``, ``level``, ``headline``, ``regime``, ``resulting_caption``,
    ``resulting``, ``reasons_caption``, ``reasons``, ``cpl_caption``, ``cpl``."""

    def __init__(self, owner: QWidget) -> None:
        super().__init__(owner)
        self.setContentsMargins(0, 0, 0, 0)
        self.setSpacing(8)

        self.banner = QFrame(owner)
        self.banner.setObjectName("verdictBanner")
        self.banner.setFrameShape(QFrame.Shape.Box)
        self.banner.setLineWidth(3)
        self.banner.setMinimumHeight(140)
        self.banner.setAutoFillBackground(True)

        self.icon = QLabel(self.banner)
        self.icon.setObjectName("verdictIcon")
        self.icon.setFixedSize(BANNER_ICON_SIZE, BANNER_ICON_SIZE)
        self.level = QLabel(self.banner)
        self.level.setObjectName("verdictLevelLabel")
        _scaled(self.level, 2.6)
        self.headline = QLabel(self.banner)
        self.headline.setObjectName("verdictHeadlineLabel")
        self.headline.setWordWrap(True)
        _scaled(self.headline, 1.25, bold=False)
        self.regime = QLabel(self.banner)
        self.regime.setObjectName("verdictRegimeLabel")
        _scaled(self.regime, 1.0)

        words = QVBoxLayout()
        words.setSpacing(2)
        words.addWidget(self.level)
        words.addWidget(self.headline)
        words.addWidget(self.regime)
        words.addStretch(1)

        self.resulting_caption = QLabel(self.banner)
        self.resulting_caption.setObjectName("resultingSmetsCaption")
        self.resulting_caption.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.resulting_caption.setWordWrap(True)  # "Resulting version: no working PPMID" must not widen the window
        self.resulting = QLabel(self.banner)
        self.resulting.setObjectName("resultingSmetsLabel")
        self.resulting.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        _scaled(self.resulting, 2.9)
        result_box = QVBoxLayout()
        result_box.setSpacing(0)
        result_box.addStretch(1)
        result_box.addWidget(self.resulting_caption)
        result_box.addWidget(self.resulting)
        result_box.addStretch(1)

        banner_row = QHBoxLayout(self.banner)
        banner_row.setContentsMargins(16, 12, 16, 12)
        banner_row.setSpacing(16)
        banner_row.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        banner_row.addLayout(words, 1)
        banner_row.addLayout(result_box)

        self.reasons_caption = QLabel(owner)
        _scaled(self.reasons_caption, 1.05)
        self.reasons = QTableView(owner)
        self.reasons.setObjectName("reasonsList")
        self.reasons.setWordWrap(True)
        self.reasons.setAlternatingRowColors(True)
        self.reasons.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.reasons.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.reasons.setTabKeyNavigation(False)
        self.reasons.verticalHeader().hide()
        self.reasons.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.reasons.horizontalHeader().setStretchLastSection(True)
        # The header and two lines of text at any text size: on a short screen (1280×720 at
        # 150%) the banner above keeps its words whole and this table scrolls instead.
        self.reasons.setMinimumHeight(self.reasons.fontMetrics().height() * 3 + 4)
        self.reasons_caption.setBuddy(self.reasons)
        self.no_reasons = QLabel(owner)
        self.no_reasons.setObjectName("noReasonsLabel")
        self.no_reasons.setWordWrap(True)
        self.no_reasons.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.no_reasons.setFrameShape(QFrame.Shape.StyledPanel)
        self.no_reasons.setMargin(10)

        self.cpl_caption = QLabel(owner)
        _scaled(self.cpl_caption, 1.05)
        self.cpl = QTableView(owner)
        self.cpl.setObjectName("cplEntriesTable")
        self.cpl.setAlternatingRowColors(True)
        self.cpl.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.cpl.setTabKeyNavigation(False)
        self.cpl.verticalHeader().hide()
        self.cpl.horizontalHeader().setStretchLastSection(False)
        self.cpl.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.cpl.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.cpl.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.cpl.setWordWrap(False)
        self.cpl.setMaximumHeight(100)
        self.cpl_caption.setBuddy(self.cpl)

        self.addWidget(self.banner)
        self.addWidget(self.reasons_caption)
        self.addWidget(self.reasons, 1)
        self.addWidget(self.no_reasons, 1)
        self.addWidget(self.cpl_caption)
        self.addWidget(self.cpl)
