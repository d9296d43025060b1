"""Schema versions stored in the database itself (``PRAGMA user_version``).

Why not Alembic: the laptop's schema is small, single-file and single-writer, and the
window must paint before SQLAlchemy's heavier machinery loads; ordered Python steps
keyed by version give the same guarantees (backup first, refuse a newer schema, one
transaction per step) with nothing else to ship. A new database is created at the
latest version in one go; an older one is upgraded step by step.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, inspect

from app.store.models import Base

MigrationStep = Callable[[Connection], None]

# version -> step that upgrades from version-1. Append only; never edit a released step.
STEPS: dict[int, MigrationStep] = {}
LATEST_VERSION = 7


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer HubCheck; opening it could lose data."""

    def __init__(self, message: str, found: int | None = None, understood: int | None = None) -> None:
        super().__init__(message)
        self.found = found
        self.understood = understood


class DamagedDatabaseError(RuntimeError):
    """SQLite's quick check failed on a database that needs upgrading: no step runs on it.

    A migration rewrites tables; on a damaged file that could spread the damage or drop
    the rows still readable (queued Service Requests among them), so the file is left
    exactly as it is for support to recover.
    """


def register_step(version: int) -> Callable[[MigrationStep], MigrationStep]:
    def wrap(func: MigrationStep) -> MigrationStep:
        STEPS[version] = func
        return func

    return wrap


@register_step(2)
def _add_outbox_and_audit(conn: Connection) -> None:
    """Version 2: install visits, the intent outbox, its counters and exports, the audit journal."""
    from app.store.outbox_models import OUTBOX_TABLES

    Base.metadata.create_all(conn, tables=OUTBOX_TABLES)


@register_step(3)
def _keep_previous_cpl(conn: Connection) -> None:
    """Version 3: the previous CPL kept beside the cache, and where each import's file date came from.

    Every import before this version dated the file by its modification time, so existing
    records say "modified"; the latest import is the one whose rows the cache holds. A
    database that never had an import log (an early version-1 one) gets today's table.
    """
    if "cpl_imports" not in inspect(conn).get_table_names():
        Base.metadata.tables["cpl_imports"].create(conn)
    else:
        have = {column["name"] for column in inspect(conn).get_columns("cpl_imports")}
        if "file_date_source" not in have:
            conn.exec_driver_sql(
                "ALTER TABLE cpl_imports ADD COLUMN file_date_source VARCHAR(8) NOT NULL DEFAULT 'modified'"
            )
        if "cache_slot" not in have:
            conn.exec_driver_sql("ALTER TABLE cpl_imports ADD COLUMN cache_slot VARCHAR(8)")
        conn.exec_driver_sql(
            "UPDATE cpl_imports SET cache_slot = 'current' WHERE id = (SELECT MAX(id) FROM cpl_imports)"
        )
    Base.metadata.tables["cpl_previous_entries"].create(conn, checkfirst=True)


@register_step(4)
def _add_visit_withdrawal(conn: Connection) -> None:
    """Version 4: an install visit can be withdrawn (when and why) before any of it was sent.

    Step 2 creates ``install_visits`` from today's model, which already has these columns,
    so a database upgraded from version 1 in one go must not add them twice.
    """
    have = {column["name"] for column in inspect(conn).get_columns("install_visits")}
    for name, kind in (("withdrawn_at", "VARCHAR(40)"), ("withdraw_reason", "TEXT")):
        if name not in have:
            conn.exec_driver_sql(f"ALTER TABLE install_visits ADD COLUMN {name} {kind}")


@register_step(5)
def _add_device_columns(conn: Connection) -> None:
    """Version 5: the devices table gains the columns its model has and the table lacks.

    That is the job pack's ``install_code`` (hex without its CRC, used for the 8.11 when
    the PPMID's label has none). Existing rows get the model's default ("" for text), which
    is what an import before this version meant: no such value given. A column already
    there is left alone.
    """
    from app.store.models import DeviceRow

    if "devices" not in inspect(conn).get_table_names():
        return  # an early database with no device cache: the final create_all makes today's table
    have = {column["name"] for column in inspect(conn).get_columns("devices")}
    for column in DeviceRow.__table__.columns:
        if column.name in have:
            continue
        ddl = f"ALTER TABLE devices ADD COLUMN {column.name} {column.type.compile(conn.dialect)}"
        default = getattr(column.default, "arg", None)
        if isinstance(default, bool):
            ddl += f" NOT NULL DEFAULT {int(default)}"
        elif isinstance(default, int | float):
            ddl += f" NOT NULL DEFAULT {default}"
        elif isinstance(default, str):
            quoted = default.replace("'", "''")
            ddl += f" NOT NULL DEFAULT '{quoted}'"
        conn.exec_driver_sql(ddl)


@register_step(6)
def _add_review_index(conn: Connection) -> None:
    """Version 6: the analyst's review index (see ``app.store.review_models``), filled from the visits.

    Creating its tables fires the hook that indexes the audit journal by subject, fills the
    index from every visit and intent already stored and adds the triggers that keep it right.
    """
    from app.store.review_models import REVIEW_TABLES

    Base.metadata.create_all(conn, tables=REVIEW_TABLES)


@register_step(7)
def _add_inventory_decisions(conn: Connection) -> None:
    """Version 7: decisions on manual inventory changes learnt from the back office (see
    ``app.store.inventory_decisions``); an empty table, filled by the next sync passes.

    Every visit already recorded stays as it is: a visit still waiting for a decision is
    asked about once its record is at the back office.
    """
    from app.store.inventory_decisions import DECISION_TABLES

    Base.metadata.create_all(conn, tables=DECISION_TABLES)


def current_version(conn: Connection) -> int:
    return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())


def migrate(engine: Engine, db_path: Path | None) -> int:
    """Bring the database to LATEST_VERSION; returns the version it started at."""
    latest = max([LATEST_VERSION, *STEPS])
    with engine.begin() as conn:
        start = current_version(conn)
        if start > latest:
            raise SchemaTooNewError(
                f"the database {db_path} has schema version {start}, newer than this HubCheck "
                f"understands ({latest}); update HubCheck rather than risk the data",
                found=start,
                understood=latest,
            )
        if start == 0 and not inspect(conn).get_table_names():
            Base.metadata.create_all(conn)
            conn.exec_driver_sql(f"PRAGMA user_version={latest}")
            return 0
        if start == 0:
            start = 1  # tables exist but no version: the first released schema
    if start == latest:
        return start
    _refuse_damaged(engine, db_path)
    if db_path is not None and db_path.exists():
        backup_database(db_path, start)
    for version in range(start + 1, latest + 1):
        with engine.begin() as conn:
            # pysqlite opens no transaction before DDL: begin one so a failed step leaves nothing behind.
            conn.exec_driver_sql("BEGIN")
            STEPS[version](conn)
            conn.exec_driver_sql(f"PRAGMA user_version={version}")
    with engine.begin() as conn:
        Base.metadata.create_all(conn)  # tables added since, with no data to move
    return start


def _refuse_damaged(engine: Engine, db_path: Path | None) -> None:
    """Run SQLite's quick check before any step; a damaged file is refused untouched.

    Only before an upgrade (rare, and already slow with its backup): a daily start at the
    latest version does not pay for reading the whole file.
    """
    with engine.connect() as conn:
        try:
            found = [str(row[0]) for row in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
        finally:
            conn.rollback()
    if found != ["ok"]:
        raise DamagedDatabaseError(
            f"the database {db_path} failed SQLite's quick check ({found[0] if found else 'no answer'}); "
            "it was not upgraded and is left as it is"
        )


def backup_database(db_path: Path, version: int) -> Path:
    """Copy the database (consistently, through SQLite's backup API) before changing it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = db_path.with_name(f"{db_path.name}.v{version}.{stamp}.bak")
    source = sqlite3.connect(db_path)
    try:
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()
    if not target.exists():  # pragma: no cover - backup API failure
        shutil.copy2(db_path, target)
    return target
