"""Test set-up shared by every test: headless Qt, redirected data folders, shared/ paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.availability import in_ci, unavailable

# Property tests judge behaviour, not speed: a loaded CI machine must not turn a slow
# example into a failure (speed goals live in benchmarks/).
settings.register_profile("hubcheck", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("hubcheck")

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.symbolsresolver=false;qt.multimedia.ffmpeg=false")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLE_DIR = REPO / "resources" / "sample"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--slow", action="store_true", default=False,
        help="also run the tests marked slow (the SIGKILL chaos test, long fault tests); CI always does",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A local ``pytest`` leaves out the slow tests (deselected, not skipped: they did not
    fail to run, they were not asked for); ``--slow`` or CI brings them back."""
    if config.getoption("--slow") or in_ci():
        return
    slow = [item for item in items if item.get_closest_marker("slow") is not None]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if item.get_closest_marker("slow") is None]


def pytest_report_header(config: pytest.Config) -> list[str]:
    pg = os.environ.get("HUBCHECK_TEST_PG_URL")
    where = "SQLite and PostgreSQL" if pg else "SQLite only (PostgreSQL tests " + (
        "fail: CI)" if in_ci() else "skip)")
    slow = "included" if config.getoption("--slow") or in_ci() else "left out (add --slow)"
    return [f"hubcheck: back-office tests on {where}; slow tests {slow}"]


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test may touch the real user folders: HUBCHECK_HOME points at a fresh temp dir."""
    home = tmp_path_factory.mktemp("hubcheck-home")
    monkeypatch.setenv("HUBCHECK_HOME", str(home))
    return home


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        unavailable(f"the shared reference folder is absent ({SHARED})", "the DUIS schema and samples live there")
    return SHARED


@pytest.fixture
def duis_xsd(shared_dir: Path) -> Path:
    path = shared_dir / "duis" / "xsd" / "duis-v5.4.xsd"
    if not path.is_file():
        unavailable(f"the DUIS v5.4 schema is absent ({path})")
    return path
