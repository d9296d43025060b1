"""Test set-up shared by every test: headless Qt, redirected data folders, shared/ paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests judge behaviour, not speed: a loaded CI machine must not turn a slow
# example into a failure (speed goals live in benchmarks/).
settings.register_profile("hubcheck", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("hubcheck")

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.symbolsresolver=false;qt.multimedia.ffmpeg=false")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLE_DIR = REPO / "resources" / "sample"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test may touch the real user folders: HUBCHECK_HOME points at a fresh temp dir."""
    home = tmp_path_factory.mktemp("hubcheck-home")
    monkeypatch.setenv("HUBCHECK_HOME", str(home))
    return home


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"the shared reference folder is absent ({SHARED}); DUIS schema and samples are needed")
    return SHARED


@pytest.fixture
def duis_xsd(shared_dir: Path) -> Path:
    path = shared_dir / "duis" / "xsd" / "duis-v5.4.xsd"
    if not path.is_file():
        pytest.skip(f"the DUIS v5.4 schema is absent ({path})")
    return path
