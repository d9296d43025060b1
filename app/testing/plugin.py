"""Pytest fixtures for HubCheck's window (load with ``pytest_plugins = ["app.testing.plugin"]``).

Each window gets its own data folder under ``tmp_path``; sound cues are muted in the
settings (the cue signal still fires, so tests can check it) so CI never touches audio.
Teardown shuts the window down — timers, camera, the app-wide wedge detector, and the
workers — before the next test starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.testing.driver import HubCheckDriver
from app.testing.samples import SampleCase, load_sample_cases
from app.testing.window import open_window


def _prepare(data_dir: Path, *, sample: bool) -> Path:
    from app.services.context import AppContext
    from app.services.cpl_import import import_cpl
    from app.services.jobs_import import import_jobs_file
    from app.services.paths import SAMPLE_DIR

    ctx = AppContext(data_dir)
    try:
        ctx.settings.set("sound_enabled", "false")
        if sample:
            import_cpl(ctx, SAMPLE_DIR / "cpl.csv")
            import_jobs_file(ctx, SAMPLE_DIR / "jobpack.json")
    finally:
        ctx.close()
    return data_dir


@pytest.fixture
def hubcheck_data_dir(tmp_path: Path) -> Path:
    """An empty data folder (no CPL, no jobs): the first-run screen."""
    return _prepare(tmp_path / "hubcheck-data", sample=False)


@pytest.fixture
def hubcheck_sample_data_dir(tmp_path: Path) -> Path:
    """A data folder with the bundled sample CPL and job pack already imported."""
    return _prepare(tmp_path / "hubcheck-data", sample=True)


@pytest.fixture
def hubcheck_window(qtbot: Any, hubcheck_sample_data_dir: Path) -> Iterator[Any]:
    window = open_window(qtbot, hubcheck_sample_data_dir)
    yield window
    window.shutdown(10_000)


@pytest.fixture
def hubcheck_empty_window(qtbot: Any, hubcheck_data_dir: Path) -> Iterator[Any]:
    window = open_window(qtbot, hubcheck_data_dir)
    yield window
    window.shutdown(10_000)


@pytest.fixture
def hubcheck(qtbot: Any, hubcheck_window: Any) -> HubCheckDriver:
    """A driver on a window with the sample data."""
    return HubCheckDriver(hubcheck_window, qtbot)


@pytest.fixture
def sample_cases() -> list[SampleCase]:
    return load_sample_cases()


class ModelValidator:
    """``qtmodeltester.check`` plus the checks the template promises (qutebrowser's idea)."""

    def __init__(self, modeltester: Any) -> None:
        self._tester = modeltester

    def check(self, model: Any, *, rows: int | None = None, columns: int | None = None) -> None:
        from PySide6.QtCore import QModelIndex, Qt

        self._tester.check(model, force_py=False)
        if rows is not None:
            assert model.rowCount() == rows
        if columns is not None:
            assert model.columnCount() == columns
        if model.rowCount():
            parent = model.index(0, 0)
            assert model.rowCount(parent) == 0, "a valid parent must have no rows (flat table)"
        assert model.data(QModelIndex()) is None
        for column in range(model.columnCount()):
            header = model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
            assert isinstance(header, str) and header, f"column {column} has no header"


@pytest.fixture
def model_validator(qtmodeltester: Any) -> ModelValidator:
    return ModelValidator(qtmodeltester)
