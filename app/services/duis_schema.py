"""Which DUIS XSD HubCheck validates against, loaded once per process.

The schema file is GPL-licensed reference data, so the project does not ship it: a
deployment points the ``duis_schema`` setting at its own copy. When that setting is
empty, a developer checkout falls back to the shared reference folder beside the repo
(``<repo>/../shared/duis/xsd/duis-v5.4.xsd``). When neither exists the caller gets
``None`` and relies on the intents' own Python field checks, which cover every facet
HubCheck uses but not the schema as a whole.

Loading builds the whole DUIS + MMC + XMLDSig schema set, so the result is cached per
resolved path; a path that is configured but unreadable is an error worth showing
(a silent fallback would hide a broken deployment).
"""

from __future__ import annotations

import threading
from pathlib import Path

from app.domain.duis.schema import DuisSchema

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_SCHEMA = REPO_ROOT.parent / "shared" / "duis" / "xsd" / "duis-v5.4.xsd"
SETTING_KEY = "duis_schema"

_cache: dict[str, DuisSchema] = {}
_lock = threading.Lock()


def default_schema_path() -> Path | None:
    """The shared reference copy beside the checkout, when present."""
    return SHARED_SCHEMA if SHARED_SCHEMA.is_file() else None


def load_configured_schema(path: str | None) -> DuisSchema | None:
    """The schema at ``path`` (setting ``duis_schema``), else the shared copy, else None.

    Raises ``DuisSchemaError`` when ``path`` is given but missing or not a loadable XSD.
    """
    if path is not None and path.strip():
        chosen = Path(path.strip()).expanduser()
    else:
        fallback = default_schema_path()
        if fallback is None:
            return None
        chosen = fallback
    key = str(chosen.resolve())
    with _lock:
        cached = _cache.get(key)
        if cached is None:
            cached = DuisSchema.from_path(key)
            _cache[key] = cached
        return cached


def clear_schema_cache() -> None:
    """Forget loaded schemas (tests; or after the setting changes to a file at the same path)."""
    with _lock:
        _cache.clear()
