"""A bug in a slot, a worker or a thread is never lost: logged with its traceback, shown as
one calm line in the window, and (under pytest-qt) a failed test."""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

from app.services.logs import configure_logging
from app.ui import unexpected
from app.ui.tasks import TaskRunner
from app.ui.unexpected import CALM_LINE, InstallerExceptHook

pytest_plugins = ["app.testing.plugin"]


def _raise_bug() -> None:
    raise AttributeError("'str' object has no attribute 'value'")


def test_a_worker_failure_nobody_handles_reaches_the_exception_hook(qtbot) -> None:
    runner = TaskRunner()
    with qtbot.capture_exceptions() as captured:
        runner.run(_raise_bug)
        qtbot.waitUntil(lambda: runner.pending == 0)
    assert len(captured) == 1
    exc_type, exc, tb = captured[0]
    assert exc_type is AttributeError and "has no attribute 'value'" in str(exc)
    # The traceback travelled with the exception from the worker thread.
    assert tb is not None and any(frame.name == "_raise_bug" for frame in __import__("traceback").extract_tb(tb))


def test_a_handled_worker_failure_is_not_reported(qtbot) -> None:
    runner = TaskRunner()
    seen: list[BaseException] = []
    with qtbot.capture_exceptions() as captured:
        runner.run(_raise_bug, on_error=seen.append)
        qtbot.waitUntil(lambda: runner.pending == 0)
    assert len(seen) == 1 and captured == []


def test_the_hook_logs_the_traceback_and_shows_one_calm_line(tmp_path: Path) -> None:
    log_file = configure_logging(tmp_path / "logs")
    shown: list[str] = []
    hook = InstallerExceptHook()
    hook.set_notify(shown.append)
    try:
        _raise_bug()
    except AttributeError as exc:
        hook(type(exc), exc, exc.__traceback__)
    for handler in logging.getLogger("app").handlers:
        handler.flush()
    text = log_file.read_text(encoding="utf-8")
    assert "CRITICAL app.unexpected: unexpected error: AttributeError" in text
    assert "Traceback (most recent call last)" in text and "in _raise_bug" in text
    assert shown == [CALM_LINE] and "Traceback" not in CALM_LINE
    assert hook.count == 1


def test_a_plain_threads_exception_takes_the_same_path(tmp_path: Path) -> None:
    shown: list[str] = []
    hook = InstallerExceptHook()
    hook.set_notify(shown.append)
    saved = sys.excepthook, threading.excepthook
    try:
        unexpected.install(hook)
        thread = threading.Thread(target=_raise_bug)
        thread.start()
        thread.join()
    finally:
        sys.excepthook, threading.excepthook = saved
    assert shown == [CALM_LINE] and hook.count == 1


def test_install_codes_in_a_traceback_are_redacted(tmp_path: Path) -> None:
    log_file = configure_logging(tmp_path / "logs")
    hook = InstallerExceptHook()
    try:
        raise ValueError("bad label 0A1B2C3D4E5F60718293A4B5C6D7E8F9")
    except ValueError as exc:
        hook(type(exc), exc, exc.__traceback__)
    for handler in logging.getLogger("app").handlers:
        handler.flush()
    text = log_file.read_text(encoding="utf-8")
    assert "0A1B2C3D4E5F60718293A4B5C6D7E8F9" not in text and "[install-code]" in text


def test_the_window_shows_the_calm_line_without_hiding_the_status_bar(hubcheck) -> None:
    window = hubcheck.window
    window.unexpectedError.emit(CALM_LINE)
    banner = hubcheck.widget("importSummaryLabel")
    hubcheck.qtbot.waitUntil(lambda: CALM_LINE in banner.text())
    assert banner.isVisible()
    assert window.view.status_bar.currentMessage() == ""  # regime, CPL, queue stay in view
    assert hubcheck.text("regimeIndicator").startswith("Regime:")


def test_expected_failures_are_told_apart_from_bugs() -> None:
    from app.domain.errors import DomainInputError

    assert unexpected.is_expected(DomainInputError("bad label"))
    assert unexpected.is_expected(OSError(28, "No space left on device"))
    assert not unexpected.is_expected(AttributeError("'str' object has no attribute 'value'"))
    assert not unexpected.is_expected(KeyError("level"))
