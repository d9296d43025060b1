"""Logs never carry install codes or full MPxNs, whoever writes the line."""

from __future__ import annotations

import logging
from pathlib import Path

from app.services.logs import configure_logging, redact


def test_install_code_is_masked_but_device_id_kept() -> None:
    line = redact("joined 00-0D-6F-00-00-AB-CD-EF with code 83FED3407A939723A5C639B26916D505C3B5")
    assert "00-0D-6F-00-00-AB-CD-EF" in line
    assert "83FED340" not in line and "[install-code]" in line


def test_mpxn_keeps_only_last_three_digits_and_job_refs_survive() -> None:
    line = redact("MPAN 1900000000101 for job J-000101")
    assert "1900000000101" not in line
    assert line.endswith("**********101 for job J-000101")


def test_rotating_file_receives_redacted_lines(tmp_path: Path) -> None:
    path = configure_logging(tmp_path / "logs")
    logging.getLogger("app.test").info("queued 8.11 with %s for %s", "30313233343536373839414243444546", "1234567890123")
    for handler in logging.getLogger("app").handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    assert "queued 8.11" in text
    assert "3031323334" not in text and "1234567890123" not in text
