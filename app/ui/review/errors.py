"""What the analyst reads when a source could not answer: one plain sentence, never a traceback.

A :class:`ReviewError` already is that sentence. A disk, database or network failure the
source did not translate gets a general sentence here (its details go to the log, SQL text
included, never to the screen). Anything else is a bug and goes to ``unexpected.report``,
which under pytest-qt fails the test that caused it.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication

from app.services.review.contract import ReviewError

log = logging.getLogger(__name__)


def _tr(text: str) -> str:
    return QCoreApplication.translate("ReviewWindow", text)


def explain(exc: BaseException, doing: str) -> str | None:
    """The sentence to show for ``exc`` raised while ``doing`` (e.g. "reading the records"),
    or None when it was a bug (already reported)."""
    if isinstance(exc, ReviewError):
        return str(exc)
    from app.ui import unexpected

    if unexpected.is_expected(exc):
        log.warning("review: %s failed: %s: %s", doing, type(exc).__name__, exc)
        if isinstance(exc, OSError) and not type(exc).__module__.startswith(("httpx", "ssl")):
            return _tr("The source could not be read while {0}: {1}.").format(doing, exc.strerror or type(exc).__name__)
        return _tr("The source could not answer while {0}; the details are in the log.").format(doing)
    unexpected.report(exc)
    return None
