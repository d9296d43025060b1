"""The verdict's level words and headlines, and the reason severities' words: part of the
catalogue of user-facing texts (``app.domain.catalogue`` re-exports them).

A module of its own because the window shows the idle banner's word before its first
paint: this loads in a fraction of the reasons' table's time. Marked for translation with
a pure-Python ``QT_TRANSLATE_NOOP`` (no Qt here), context "Verdict".
"""

from __future__ import annotations

from typing import NamedTuple


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # named as Qt's, which translation tools look for
    """Mark ``text`` for translation in ``context``; returns it unchanged (no Qt here)."""
    return text


_V = "Verdict"


class LevelText(NamedTuple):
    word: str
    headline: str


#: Keyed by ``Level`` value, plus ``idle`` (nothing scanned yet), ``recorded`` and ``aborted``.
LEVELS: dict[str, LevelText] = {
    "ok": LevelText(QT_TRANSLATE_NOOP(_V, "OK"), QT_TRANSLATE_NOOP(_V, "Pair this PPMID with this hub.")),
    "warn": LevelText(
        QT_TRANSLATE_NOOP(_V, "WARNING"), QT_TRANSLATE_NOOP(_V, "Pairing is possible: read the warnings first.")
    ),
    "block": LevelText(
        QT_TRANSLATE_NOOP(_V, "STOP"), QT_TRANSLATE_NOOP(_V, "Do not pair: this PPMID will not work with this hub.")
    ),
    "unknown": LevelText(
        QT_TRANSLATE_NOOP(_V, "UNKNOWN"), QT_TRANSLATE_NOOP(_V, "The hub's SMETS generation is not known yet.")
    ),
    "idle": LevelText(
        QT_TRANSLATE_NOOP(_V, "WAITING"), QT_TRANSLATE_NOOP(_V, "Scan the PPMID and the Communications Hub.")
    ),
    "recorded": LevelText(
        QT_TRANSLATE_NOOP(_V, "RECORDED"),
        QT_TRANSLATE_NOOP(_V, "The visit is recorded and its requests are queued."),
    ),
    "aborted": LevelText(
        QT_TRANSLATE_NOOP(_V, "ABORTED"),
        QT_TRANSLATE_NOOP(_V, "The visit is recorded as ended without an install."),
    ),
}

#: Keyed by ``Severity`` value: the word beside each reason.
SEVERITY_WORDS: dict[str, str] = {
    "block": QT_TRANSLATE_NOOP(_V, "Stop"),
    "warn": QT_TRANSLATE_NOOP(_V, "Warning"),
    "info": QT_TRANSLATE_NOOP(_V, "Note"),
}
