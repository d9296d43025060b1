"""The CPL cache: replaced whole in one transaction, read by model."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, func, insert, select

from app.domain.cpl_format import VALUE_COLUMNS, RowValues, entry_from_values
from app.domain.devices import CplEntry
from app.store.models import CplEntryRow, CplImportRow

_INSERT_SQL = (
    f"INSERT INTO cpl_entries ({', '.join(VALUE_COLUMNS)}) VALUES ({', '.join('?' for _ in VALUE_COLUMNS)})"
)
_SELECT_MODEL_SQL = (
    f"SELECT {', '.join(VALUE_COLUMNS)} FROM cpl_entries WHERE manufacturer_id = ? AND model_id = ? ORDER BY id"
)


@dataclass(frozen=True, slots=True)
class CplCacheStatus:
    """What the status bar and ``hubcheck cpl status`` show."""

    file_name: str | None
    file_date: datetime | None
    imported_at: datetime | None
    row_count: int
    rejected_count: int

    @property
    def empty(self) -> bool:
        return self.imported_at is None


def replace_all(
    conn: Connection,
    rows: Iterable[RowValues],
    *,
    file_name: str,
    file_date: datetime | None,
    imported_at: datetime,
    rejected_count: int,
    sha256: str,
) -> int:
    """Swap the cache's content inside the caller's transaction; returns rows written.

    The model index is dropped for the bulk insert and rebuilt once afterwards: one sort
    of the whole table is far cheaper than 100,000 incremental index updates.
    """
    conn.exec_driver_sql("DELETE FROM cpl_entries")
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_cpl_model")
    raw = conn.connection.driver_connection
    assert raw is not None
    rows = rows if isinstance(rows, list) else list(rows)
    cursor = raw.cursor()
    cursor.executemany(_INSERT_SQL, rows)
    cursor.close()
    count = len(rows)
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_cpl_model ON cpl_entries (manufacturer_id, model_id)")
    conn.execute(
        insert(CplImportRow).values(
            file_name=file_name,
            file_date=file_date,
            imported_at=imported_at,
            row_count=count,
            rejected_count=rejected_count,
            sha256=sha256,
        )
    )
    return count


def status(engine: Engine) -> CplCacheStatus:
    with engine.connect() as conn:
        last = conn.execute(select(CplImportRow).order_by(CplImportRow.id.desc()).limit(1)).first()
        count = conn.execute(select(func.count()).select_from(CplEntryRow)).scalar_one()
    if last is None:
        return CplCacheStatus(None, None, None, int(count), 0)
    return CplCacheStatus(last.file_name, last.file_date, last.imported_at, int(count), last.rejected_count)


def entries_for_model(conn: Connection, manufacturer_id: str, model_id: str) -> list[CplEntry]:
    key = (manufacturer_id.strip().upper(), model_id.strip().upper())
    rows: Sequence[Sequence[object]] = conn.exec_driver_sql(_SELECT_MODEL_SQL, key).fetchall()
    return [entry_from_values(r) for r in rows]
