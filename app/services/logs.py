"""Logging to a rotating file, with install codes and MPxNs redacted before they are written.

Logs travel: installers attach them to support tickets. A log line must therefore never
carry an install code (it derives the device's link key) or a full MPxN (personal data),
whoever wrote the line; the filter scrubs them at the handler, not at each call site.
"""

from __future__ import annotations

import logging
import re
from logging.handlers import RotatingFileHandler
from pathlib import Path

_INSTALL_CODE = re.compile(r"(?<![0-9A-Za-z])(?:[0-9A-Fa-f]{2}[ :-]?){6,17}[0-9A-Fa-f]{2}(?![0-9A-Za-z])")
_EUI = re.compile(r"^[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}$")
_MPXN = re.compile(r"(?<![\d\w-])(\d{6,13})(?!\d)")
_configured: set[Path] = set()


def redact(text: str) -> str:
    """Mask install codes (keeping device IDs in their dashed form) and all but the last 3 MPxN digits."""

    def code(match: re.Match[str]) -> str:
        value = match.group()
        if _EUI.match(value):
            return value
        return "[install-code]"

    def mpxn(match: re.Match[str]) -> str:
        digits = match.group(1)
        return "*" * (len(digits) - 3) + digits[-3:]

    return _MPXN.sub(mpxn, _INSTALL_CODE.sub(code, text))


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            # A traceback quotes exception messages, which may quote a label's install code.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def configure_logging(log_dir: Path, level: int = logging.INFO) -> Path:
    """Send HubCheck's logs to ``log_dir/hubcheck.log`` (1 MB × 5 files); idempotent."""
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "hubcheck.log"
    if path in _configured:
        return path
    handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("app")
    logger.addHandler(handler)
    logger.setLevel(level)
    _configured.add(path)
    return path
