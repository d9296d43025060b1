"""The CPL cache: replaced whole in one transaction, read by model; the replaced CPL is kept.

Two tables hold CPL rows: ``cpl_entries`` (the cache every lookup reads) and
``cpl_previous_entries`` (the CPL the last import replaced, so a damaged file that
imported "successfully" can be undone). An import renames the cache to the previous
table and writes a fresh one; a restore swaps the two names. Renaming costs the same for
14 rows or 100,000, so keeping the previous CPL adds nothing to an import's time.

``cpl_imports`` logs every import; ``cache_slot`` marks which record describes the
cache ("current") and which the kept CPL ("previous").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import Connection, Engine, Row, func, insert, select
from sqlalchemy.schema import CreateTable

from app.domain.cpl_format import DATE_MODIFIED, VALUE_COLUMNS, RowValues, entry_from_values
from app.domain.devices import CplEntry
from app.store.models import Base, CplEntryRow, CplImportRow

CURRENT: Final = "current"
PREVIOUS: Final = "previous"

_INSERT_SQL = (
    f"INSERT INTO cpl_entries ({', '.join(VALUE_COLUMNS)}) VALUES ({', '.join('?' for _ in VALUE_COLUMNS)})"
)
_SELECT_MODEL_SQL = (
    f"SELECT {', '.join(VALUE_COLUMNS)} FROM cpl_entries WHERE manufacturer_id = ? AND model_id = ? ORDER BY id"
)
_CREATE_INDEX_SQL = "CREATE INDEX IF NOT EXISTS ix_cpl_model ON cpl_entries (manufacturer_id, model_id)"


@dataclass(frozen=True, slots=True)
class CplCacheStatus:
    """What the status bar and ``hubcheck cpl status`` show (also: the kept previous CPL)."""

    file_name: str | None
    file_date: datetime | None
    imported_at: datetime | None
    row_count: int
    rejected_count: int
    # "file" when the date is stated in the file's content or name, "modified" when it is
    # the file's modification time; None when no CPL was imported.
    file_date_source: str | None = None
    sha256: str = ""

    @property
    def empty(self) -> bool:
        return self.imported_at is None

    def summary_json(self) -> dict[str, object]:
        """Name, date (and where it came from) and rows: how a report names a CPL."""
        return {
            "file": self.file_name,
            "file_date": self.file_date.isoformat() if self.file_date else None,
            "file_date_source": self.file_date_source,
            "rows": self.row_count,
        }


def begin_write(conn: Connection) -> None:
    """Take the write lock now, so what is read next cannot change before the write.

    pysqlite opens a transaction only before DML; the renames and the reads before them
    would otherwise run outside it.
    """
    raw = conn.connection.driver_connection
    if raw is not None and not raw.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def replace_all(
    conn: Connection,
    rows: Iterable[RowValues],
    *,
    file_name: str,
    file_date: datetime | None,
    imported_at: datetime,
    rejected_count: int,
    sha256: str,
    file_date_source: str = DATE_MODIFIED,
) -> int:
    """Swap the cache's content inside the caller's transaction; returns rows written.

    The cache being replaced becomes the previous CPL (the one before it is dropped). The
    model index is dropped for the bulk insert and rebuilt once afterwards: one sort of
    the whole table is far cheaper than 100,000 incremental index updates.
    """
    begin_write(conn)
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_cpl_model")
    conn.exec_driver_sql("DROP TABLE IF EXISTS cpl_previous_entries")
    conn.exec_driver_sql("ALTER TABLE cpl_entries RENAME TO cpl_previous_entries")
    conn.execute(CreateTable(Base.metadata.tables["cpl_entries"]))
    raw = conn.connection.driver_connection
    assert raw is not None
    rows = rows if isinstance(rows, list) else list(rows)
    cursor = raw.cursor()
    cursor.executemany(_INSERT_SQL, rows)
    cursor.close()
    count = len(rows)
    conn.exec_driver_sql(_CREATE_INDEX_SQL)
    conn.exec_driver_sql(f"UPDATE cpl_imports SET cache_slot = NULL WHERE cache_slot = '{PREVIOUS}'")
    conn.exec_driver_sql(f"UPDATE cpl_imports SET cache_slot = '{PREVIOUS}' WHERE cache_slot = '{CURRENT}'")
    conn.execute(
        insert(CplImportRow).values(
            file_name=file_name,
            file_date=file_date,
            imported_at=imported_at,
            row_count=count,
            rejected_count=rejected_count,
            sha256=sha256,
            file_date_source=file_date_source,
            cache_slot=CURRENT,
        )
    )
    return count


def swap_previous(conn: Connection) -> bool:
    """Make the previous CPL the cache and the cache the previous CPL; False when none is kept."""
    begin_write(conn)
    if _slot_record(conn, PREVIOUS) is None:
        return False
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_cpl_model")
    conn.exec_driver_sql("ALTER TABLE cpl_entries RENAME TO cpl_entries_swap")
    conn.exec_driver_sql("ALTER TABLE cpl_previous_entries RENAME TO cpl_entries")
    conn.exec_driver_sql("ALTER TABLE cpl_entries_swap RENAME TO cpl_previous_entries")
    conn.exec_driver_sql(_CREATE_INDEX_SQL)
    conn.exec_driver_sql(
        f"UPDATE cpl_imports SET cache_slot = CASE cache_slot WHEN '{CURRENT}' THEN '{PREVIOUS}' "
        f"ELSE '{CURRENT}' END WHERE cache_slot IN ('{CURRENT}', '{PREVIOUS}')"
    )
    return True


def _slot_record(conn: Connection, slot: str) -> Row[CplImportRow] | None:
    return conn.execute(select(CplImportRow).where(CplImportRow.cache_slot == slot).limit(1)).first()


def _status_of(record: Row[CplImportRow], row_count: int) -> CplCacheStatus:
    return CplCacheStatus(
        record.file_name,
        record.file_date,
        record.imported_at,
        row_count,
        record.rejected_count,
        record.file_date_source,
        record.sha256,
    )


def current_in(conn: Connection) -> CplCacheStatus:
    """The cache's status, read on the caller's connection (inside its transaction if any)."""
    record = _slot_record(conn, CURRENT)
    count = int(conn.execute(select(func.count()).select_from(CplEntryRow)).scalar_one())
    if record is None:
        return CplCacheStatus(None, None, None, count, 0)
    return _status_of(record, count)


def previous_in(conn: Connection) -> CplCacheStatus | None:
    """The kept previous CPL's import record (its row count as imported), or None."""
    record = _slot_record(conn, PREVIOUS)
    return None if record is None else _status_of(record, record.row_count)


def status(engine: Engine) -> CplCacheStatus:
    with engine.connect() as conn:
        return current_in(conn)


def previous_status(engine: Engine) -> CplCacheStatus | None:
    with engine.connect() as conn:
        return previous_in(conn)


def entries_for_model(conn: Connection, manufacturer_id: str, model_id: str) -> list[CplEntry]:
    key = (manufacturer_id.strip().upper(), model_id.strip().upper())
    rows: Sequence[Sequence[object]] = conn.exec_driver_sql(_SELECT_MODEL_SQL, key).fetchall()
    return [entry_from_values(r) for r in rows]
