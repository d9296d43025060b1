"""Where HubCheck keeps its data: ``--data-dir``, else ``$HUBCHECK_HOME``, else the user data folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _sample_dir() -> Path:
    """The checkout's (and the frozen app's) resources/sample; a wheel installs the same
    files under ``<prefix>/share/hubcheck/sample`` (pyproject's data-files)."""
    bundled = REPO_ROOT / "resources" / "sample"
    installed = Path(sys.prefix) / "share" / "hubcheck" / "sample"
    return installed if not bundled.is_dir() and installed.is_dir() else bundled


SAMPLE_DIR = _sample_dir()


def resolve_data_dir(explicit: Path | str | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("HUBCHECK_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs  # deferred: only needed when nothing else names the folder

    return Path(platformdirs.user_data_dir("HubCheck", appauthor=False))


def resolve_log_dir(explicit_data_dir: Path | str | None = None) -> Path:
    """Logs sit beside a redirected data folder (tests, demos), else in the user log folder."""
    if explicit_data_dir or os.environ.get("HUBCHECK_HOME"):
        return resolve_data_dir(explicit_data_dir) / "logs"
    import platformdirs

    return Path(platformdirs.user_log_dir("HubCheck", appauthor=False))
