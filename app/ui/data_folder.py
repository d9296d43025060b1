"""Which data folder the window opens: ``--data-dir``, ``$HUBCHECK_HOME``, the remembered choice, the default.

The choice made in Settings cannot live inside the data folder it names, so it is a
one-line pointer file in the user's config folder. When ``HUBCHECK_HOME`` is set (tests,
managed laptops) the pointer is neither read nor written.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

POINTER_NAME = "data-folder.txt"


def locked_reason() -> str:
    if os.environ.get("HUBCHECK_HOME"):
        return "The data folder is set by HUBCHECK_HOME for this session."
    return ""


def _pointer() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("HubCheck", appauthor=False)) / POINTER_NAME


def remembered() -> Path | None:
    if locked_reason():
        return None
    try:
        text = _pointer().read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return Path(text) if text else None


def remember(path: Path) -> None:
    if locked_reason():
        return
    pointer = _pointer()
    pointer.parent.mkdir(parents=True, exist_ok=True)
    pointer.write_text(str(path), encoding="utf-8")


def check(path: Path) -> str:
    """'' when ``path`` can hold HubCheck's data, else why not."""
    if path.exists() and not path.is_dir():
        return f"{path} is a file, not a folder"
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".hubcheck-write-test-"):
            pass
    except OSError as exc:
        return f"HubCheck cannot write to {path}: {exc.strerror or exc}"
    return ""
