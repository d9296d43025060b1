"""The SQLite store: PRAGMAs on every connection, versioned migrations with a backup first."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine

from app.services.context import AppContext
from app.store import migrations
from app.store.db import BUSY_TIMEOUT_MS, DB_FILE_NAME, make_engine
from app.store.migrations import LATEST_VERSION, STEPS, SchemaTooNewError, migrate


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(tmp_path / DB_FILE_NAME)
    try:
        yield eng
    finally:
        eng.dispose()


def user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


# --- PRAGMAs ---------------------------------------------------------------------------------------


def test_pragmas_are_set_on_every_connection(engine: Engine) -> None:
    with engine.connect() as first, engine.connect() as second:
        for conn in (first, second):
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one().lower() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == BUSY_TIMEOUT_MS
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2  # FULL
    assert BUSY_TIMEOUT_MS >= 1000


def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    ctx = AppContext(tmp_path)
    try:
        with pytest.raises(Exception, match="FOREIGN KEY"), ctx.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO devices (device_id, job_ref, source, manufacturer_id, model_id, hardware_version, "
                "firmware_version, smets_chts_version, smi_status, cpl_status, firmware_status, csp_region, "
                "has_s1sp, imported_at) VALUES (?, ?, 'jobpack', '', '', '', '', '', '', '', '', '', 0, ?)",
                ("00-11-22-33-44-55-66-77", "NO-SUCH-JOB", "2026-01-01 00:00:00"),
            )
    finally:
        ctx.close()


# --- migrations ------------------------------------------------------------------------------------


def test_fresh_database_gets_the_latest_version_and_every_table(tmp_path: Path) -> None:
    ctx = AppContext(tmp_path)
    try:
        ctx.engine  # noqa: B018 - opening migrates
    finally:
        ctx.close()
    db = tmp_path / DB_FILE_NAME
    assert user_version(db) == max([LATEST_VERSION, *STEPS]) >= 1
    assert {"cpl_entries", "cpl_imports", "jobs", "devices"} <= tables(db)
    assert not list(tmp_path.glob("*.bak")), "a new database needs no backup"


def test_migrate_is_idempotent(engine: Engine, tmp_path: Path) -> None:
    db = tmp_path / DB_FILE_NAME
    assert migrate(engine, db) == 0
    assert migrate(engine, db) == latest()
    assert user_version(db) == latest()


def test_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    db = tmp_path / DB_FILE_NAME
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE future (x)")
    conn.execute(f"PRAGMA user_version={latest() + 7}")
    conn.commit()
    conn.close()
    ctx = AppContext(tmp_path)
    try:
        with pytest.raises(SchemaTooNewError) as info:
            ctx.engine  # noqa: B018
    finally:
        ctx.close()
    assert str(latest() + 7) in str(info.value)
    assert "newer" in str(info.value)
    assert user_version(db) == latest() + 7
    assert tables(db) == {"future"}


def latest() -> int:
    return max([LATEST_VERSION, *STEPS])


def _old_database(tmp_path: Path) -> Path:
    """A database at today's latest version holding one job; a test then registers the next step."""
    ctx = AppContext(tmp_path)
    try:
        with ctx.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO jobs (job_ref, personal_mpxn, personal_address_lines, personal_postcode, visit_date, "
                "source_file, imported_at) VALUES ('J-OLD', '', '[]', '', '', 'x', '2026-01-01 00:00:00')"
            )
    finally:
        ctx.close()
    db = tmp_path / DB_FILE_NAME
    assert user_version(db) == latest()
    return db


def test_upgrade_takes_a_backup_before_the_first_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = _old_database(tmp_path)
    old = latest()
    seen: list[list[Path]] = []

    def next_step(conn: Connection) -> None:
        seen.append(sorted(tmp_path.glob(f"{DB_FILE_NAME}.v{old}.*.bak")))
        conn.exec_driver_sql("ALTER TABLE jobs ADD COLUMN notes TEXT DEFAULT ''")

    monkeypatch.setitem(STEPS, old + 1, next_step)
    ctx = AppContext(tmp_path)
    try:
        with ctx.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT notes FROM jobs WHERE job_ref = 'J-OLD'").scalar_one() == ""
    finally:
        ctx.close()
    assert len(seen) == 1, "the step ran exactly once"
    assert len(seen[0]) == 1, "a backup existed before the step ran"
    backup = seen[0][0]
    assert user_version(backup) == old
    assert "notes" not in _columns(backup, "jobs")
    assert user_version(db) == old + 1


@pytest.mark.parametrize("first_statement", ["DELETE FROM jobs", "ALTER TABLE jobs ADD COLUMN notes TEXT"])
def test_failed_step_leaves_nothing_behind_and_keeps_the_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_statement: str
) -> None:
    db = _old_database(tmp_path)
    old = latest()

    def broken_step(conn: Connection) -> None:
        conn.exec_driver_sql(first_statement)
        raise RuntimeError("step failed half way")

    monkeypatch.setitem(STEPS, old + 1, broken_step)
    ctx = AppContext(tmp_path)
    try:
        with pytest.raises(RuntimeError, match="half way"):
            ctx.engine  # noqa: B018
    finally:
        ctx.close()
    assert user_version(db) == old
    assert "notes" not in _columns(db, "jobs"), "a half-run step must be rolled back, DDL included"
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 1
    finally:
        conn.close()
    assert len(list(tmp_path.glob(f"{DB_FILE_NAME}.v{old}.*.bak"))) == 1

    # With the step fixed, the next start upgrades normally.
    monkeypatch.setitem(STEPS, old + 1, lambda c: c.exec_driver_sql("ALTER TABLE jobs ADD COLUMN notes TEXT"))
    ctx = AppContext(tmp_path)
    try:
        ctx.engine  # noqa: B018
    finally:
        ctx.close()
    assert user_version(db) == old + 1
    assert "notes" in _columns(db, "jobs")


def test_register_step_adds_to_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(migrations, "STEPS", {})

    @migrations.register_step(5)
    def step(conn: Connection) -> None:  # pragma: no cover - only registered
        pass

    assert {5: step} == migrations.STEPS


def _columns(path: Path, table: str) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
    finally:
        conn.close()
