"""HubCheck's pytest plugin: fixtures to drive the real window with no camera, scanner or network.

Installing ``hubcheck`` registers this module with pytest (``pytest11`` entry point
``hubcheck``; ``-p no:hubcheck`` turns it off). In this repository the tests also name it
in ``pytest_plugins = ["app.testing.plugin"]``, for a checkout that is not installed: the
module blocks that second name once the entry point has loaded it, since pytest refuses
one module registered under two names.

A project that has the plugin installed but uses none of its fixtures pays for this
module alone: pytest and the standard library. Qt, the window, SQLAlchemy and the back
office are imported inside the fixtures, when a test asks for one (benchmarks/plugin_cost.py
measures it).

Fixtures (docs/testing.md is the reference):

``hubcheck_home``      an isolated data folder (sound muted; connected to ``backoffice`` when the test uses it)
``hubcheck_cpl``       the CPL file imported before the window opens (the bundled sample; override it)
``hubcheck_jobs``      the job pack imported before the window opens (the bundled sample; override it)
``hubcheck_window``    the real main window on that folder, shown, its cache open
``hubcheck``           a ``HubCheckDriver`` on that window
``fake_camera``        pictures into the real camera pipeline (``FakeCamera``)
``fake_scanner``       a keyboard-wedge scanner's burst into whatever has the focus (``FakeScanner``)
``backoffice``         the real back office and DCC simulator on 127.0.0.1, faults on command
                       (per test; ``--hubcheck-backoffice-scope=session`` shares one per run)

Older names kept for this project's tests: ``hubcheck_data_dir``, ``hubcheck_sample_data_dir``,
``hubcheck_empty_window``, ``sample_cases``, ``model_validator``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import pytest

if TYPE_CHECKING:
    from app.testing.backoffice import BackofficeUnderTest
    from app.testing.devices import FakeCamera, FakeScanner
    from app.testing.driver import HubCheckDriver
    from app.testing.samples import SampleCase

MODULE = __name__  # "app.testing.plugin": the name pytest_plugins uses
ScopeName = Literal["session", "package", "module", "class", "function"]


# --------------------------------------------------------------------------- registration
def pytest_plugin_registered(plugin: object, plugin_name: str, manager: pytest.PytestPluginManager) -> None:
    """Loaded under the entry point's name, block the module's own name: a later
    ``pytest_plugins = ["app.testing.plugin"]`` is then a no-op instead of an error."""
    if plugin is sys.modules.get(MODULE) and plugin_name != MODULE and not manager.is_blocked(MODULE):
        manager.set_blocked(MODULE)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hubcheck", "HubCheck tester kit")
    group.addoption(
        "--hubcheck-backoffice-scope", choices=("function", "session"), default=None,
        help="one back office per test (function, the default) or one for the whole run (session)",
    )
    parser.addini("hubcheck_backoffice_scope", "the back office fixture's scope: function or session",
                  default="function")


def _backoffice_scope(fixture_name: str, config: pytest.Config) -> ScopeName:
    chosen = config.getoption("--hubcheck-backoffice-scope", default=None) or config.getini("hubcheck_backoffice_scope")
    scope = str(chosen or "function").strip().lower()
    if scope not in ("function", "session"):
        raise pytest.UsageError(f"hubcheck_backoffice_scope must be function or session, not {scope!r}")
    return cast(ScopeName, scope)


# --------------------------------------------------------------------------- data
def _sample_dir() -> Path:
    from app.services.paths import SAMPLE_DIR

    return SAMPLE_DIR


@pytest.fixture
def hubcheck_cpl() -> Path | None:
    """The CPL imported before the window opens: the bundled sample (``cpl.csv``). Override
    this fixture to return your own file, or None to start with no CPL."""
    return _sample_dir() / "cpl.csv"


@pytest.fixture
def hubcheck_jobs() -> Path | None:
    """The job pack (JSON) or inventory response (XML) imported before the window opens: the
    bundled sample (``jobpack.json``). Override to return your own file, or None."""
    return _sample_dir() / "jobpack.json"


@pytest.fixture
def hubcheck_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Path:
    """An empty data folder of the test's own, with the sound muted (the cue signal still
    fires). ``HUBCHECK_HOME`` points at it, so logs stay there too. When the test also uses
    ``backoffice``, the folder's settings already name it (its URL and an installer's token)."""
    from app.services.context import AppContext

    home = tmp_path / "hubcheck-data"
    home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("HUBCHECK_HOME", str(home))
    settings = {"sound_enabled": "false"}
    if "backoffice" in request.fixturenames:
        backoffice = request.getfixturevalue("backoffice")
        # A suite may define a ``backoffice`` fixture of its own (overriding this plugin's):
        # its settings are the suite's business unless it has the same URL and token.
        url, token = getattr(backoffice, "url", None), getattr(backoffice, "token", None)
        if isinstance(url, str) and isinstance(token, str):
            settings.update(backoffice_url=url, backoffice_token=token)
    ctx = AppContext(home)
    try:
        ctx.settings.set_many(settings)
    finally:
        ctx.close()
    return home


@pytest.fixture
def _hubcheck_loaded(hubcheck_home: Path, hubcheck_cpl: Path | None, hubcheck_jobs: Path | None) -> Path:
    """``hubcheck_home`` with ``hubcheck_cpl`` and ``hubcheck_jobs`` imported (the services the
    File menu uses, before any window: setting up is not what the test is about)."""
    from app.services.context import AppContext
    from app.services.cpl_import import import_cpl
    from app.services.jobs_import import import_jobs_file

    ctx = AppContext(hubcheck_home)
    try:
        if hubcheck_cpl is not None:
            import_cpl(ctx, Path(hubcheck_cpl))
        if hubcheck_jobs is not None:
            import_jobs_file(ctx, Path(hubcheck_jobs))
    finally:
        ctx.close()
    return hubcheck_home


@pytest.fixture
def hubcheck_data_dir(hubcheck_home: Path) -> Path:
    """An empty data folder (no CPL, no jobs): the first-run screen."""
    return hubcheck_home


@pytest.fixture
def hubcheck_sample_data_dir(_hubcheck_loaded: Path) -> Path:
    """The data folder with the CPL and job pack imported (the samples unless overridden)."""
    return _hubcheck_loaded


# --------------------------------------------------------------------------- the window
@pytest.fixture
def hubcheck_window(qtbot: Any, _hubcheck_loaded: Path) -> Iterator[Any]:
    """The real ``MainWindow`` on ``hubcheck_home``, shown, with its cache open and no work
    pending. Closed after the test: timers, camera, scanner detection and workers stopped."""
    from app.testing.window import open_window

    window = open_window(qtbot, _hubcheck_loaded)
    yield window
    window.shutdown(10_000)


@pytest.fixture
def hubcheck_empty_window(qtbot: Any, hubcheck_data_dir: Path) -> Iterator[Any]:
    from app.testing.window import open_window

    window = open_window(qtbot, hubcheck_data_dir)
    yield window
    window.shutdown(10_000)


@pytest.fixture
def hubcheck(qtbot: Any, hubcheck_window: Any) -> HubCheckDriver:
    """A ``HubCheckDriver`` on ``hubcheck_window``."""
    from app.testing.driver import HubCheckDriver

    return HubCheckDriver(hubcheck_window, qtbot)


# --------------------------------------------------------------------------- the hardware
@pytest.fixture
def fake_camera(qtbot: Any, hubcheck_window: Any) -> Iterator[FakeCamera]:
    """The window's camera, seeing only the pictures the test shows it (``FakeCamera``)."""
    from app.testing.devices import FakeCamera

    camera = FakeCamera(hubcheck_window, qtbot)
    yield camera
    camera.source.stop()


@pytest.fixture
def fake_scanner(qtbot: Any) -> FakeScanner:
    """A USB scanner: ``fake_scanner.scan(text)`` types it, Shift and Enter included, into
    whatever has the keyboard focus (``FakeScanner``)."""
    from app.testing.devices import FakeScanner

    return FakeScanner(qtbot)


# --------------------------------------------------------------------------- the back office
@pytest.fixture(scope=_backoffice_scope)
def hubcheck_backoffice_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackofficeUnderTest]:
    """The service itself, per test or per run (``hubcheck_backoffice_scope``)."""
    from app.testing.backoffice import BackofficeUnderTest

    with BackofficeUnderTest(tmp_path_factory.mktemp("hubcheck-backoffice")) as server:
        yield server


@pytest.fixture
def backoffice(hubcheck_backoffice_server: BackofficeUnderTest) -> Iterator[BackofficeUnderTest]:
    """The real back office with its DCC simulator on 127.0.0.1, behind a network the test
    can break (``BackofficeUnderTest``). Each test starts with no faults, every Service
    Request answered ``I0`` and an installer of its own."""
    hubcheck_backoffice_server.reset()
    yield hubcheck_backoffice_server
    hubcheck_backoffice_server.link.reset()


# --------------------------------------------------------------------------- this project's helpers
@pytest.fixture
def sample_cases() -> list[SampleCase]:
    from app.testing.samples import load_sample_cases

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
