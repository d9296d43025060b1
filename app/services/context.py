"""AppContext: one data folder, one database engine, one settings store.

Both faces (window and command line) build one of these and hand it to the services.
The engine is opened lazily so the window can paint before SQLAlchemy is imported.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.services.paths import resolve_data_dir
from app.store.settings import SettingsStore

if TYPE_CHECKING:
    from sqlalchemy import Engine


class AppContext:
    def __init__(self, data_dir: Path | str | None = None) -> None:
        self.data_dir = resolve_data_dir(data_dir)
        self.settings = SettingsStore(self.data_dir)
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @property
    def db_path(self) -> Path:
        from app.store.db import DB_FILE_NAME

        return self.data_dir / DB_FILE_NAME

    @property
    def engine(self) -> Engine:
        """The migrated engine (opened on first use; thread-safe)."""
        with self._lock:
            if self._engine is None:
                from app.store.db import make_engine
                from app.store.migrations import migrate

                self.data_dir.mkdir(parents=True, exist_ok=True)
                engine = make_engine(self.db_path)
                try:
                    migrate(engine, self.db_path)
                except BaseException:
                    engine.dispose()
                    raise
                self._engine = engine
            return self._engine

    def setting(self, key: str) -> Any:
        return self.settings.get(key)

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None
