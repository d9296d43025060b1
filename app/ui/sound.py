"""Sound cues for scans: accepted, rejected, and a STOP verdict; mutable.

An installer with a scanner in one hand and a PPMID in the other often is not looking at
the screen, so each outcome has its own sound. QtMultimedia is imported on the first cue
(after the window is up), and a machine without audio falls back to the system beep.
``cued`` is emitted for every cue, played or muted, so tests can check what was signalled.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)
SOUND_DIR = Path(__file__).resolve().parents[2] / "resources" / "ui"
FILES = {"accepted": "scan_accepted.wav", "rejected": "scan_rejected.wav", "stop": "verdict_stop.wav"}


class SoundCues(QObject):
    cued = Signal(str, bool)  # kind, played (False when muted)

    def __init__(self, enabled: bool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._enabled = enabled
        self._effects: dict[str, Any] | None = None

    @property
    def enabled(self) -> bool:
        return self._enabled

    def set_enabled(self, enabled: bool) -> None:
        self._enabled = enabled

    def play(self, kind: str) -> None:
        if kind not in FILES:
            raise ValueError(f"unknown sound cue {kind!r}")
        self.cued.emit(kind, self._enabled)
        if not self._enabled:
            return
        effects = self._load()
        effect = effects.get(kind)
        if effect is None:
            QApplication.beep()
            return
        effect.play()

    def _load(self) -> dict[str, Any]:
        if self._effects is not None:
            return self._effects
        self._effects = {}
        try:
            from PySide6.QtCore import QUrl
            from PySide6.QtMultimedia import QSoundEffect
        except ImportError as exc:
            log.info("no QtMultimedia for sound cues (%s); using the system beep", exc)
            return self._effects
        for kind, name in FILES.items():
            path = SOUND_DIR / name
            if path.is_file():
                effect = QSoundEffect(self)
                effect.setSource(QUrl.fromLocalFile(str(path)))
                effect.setVolume(0.8)
                self._effects[kind] = effect
        return self._effects
