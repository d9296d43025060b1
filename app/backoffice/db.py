"""Engine, sessions and schema start-up for the back office's own database.

SQLite is the default (a file path or ``sqlite:///`` URL): WAL so readers never wait on
the writer, a busy timeout so writers queue rather than fail, and ``BEGIN IMMEDIATE`` for
write transactions so a transaction that reads before it writes cannot deadlock on
upgrade. PostgreSQL (``postgresql+psycopg://``) serves many installers; its writers are
ordered by row locks on ``bo_counters``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from app.backoffice.models import SCHEMA_VERSION, Base, Counter, SchemaMeta

ENV_DB = "HUBCHECK_BACKOFFICE_DB"
CHANGE_COUNTER = "status_change_seq"
_BEGIN_OPTION = "hubcheck_sqlite_begin"


class StoreError(Exception):
    """The database cannot be used as asked (bad URL, newer schema); the message says why."""


def normalise_url(text: str) -> str:
    """Accept a plain file path for SQLite and the short PostgreSQL spellings."""
    raw = text.strip()
    if not raw:
        raise StoreError("no database given: pass --db URL or set HUBCHECK_BACKOFFICE_DB")
    if "://" not in raw:
        return "sqlite:///" + str(Path(raw).expanduser().resolve())
    for short in ("postgres://", "postgresql://"):
        if raw.startswith(short):
            return "postgresql+psycopg://" + raw[len(short) :]
    return raw


def _sqlite_hooks(engine: Engine, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        if not in_memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url_text: str) -> Engine:
    """An engine for the URL with the per-back-end settings described above."""
    url_str = normalise_url(url_text)
    try:
        url = make_url(url_str)
    except ArgumentError as exc:
        raise StoreError(f"cannot read the database URL: {exc}") from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database or ""
        in_memory = database in ("", ":memory:")
        if in_memory:
            engine = create_engine(
                url, connect_args={"check_same_thread": False}, poolclass=StaticPool, hide_parameters=True
            )
        else:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 15}, hide_parameters=True
            )
        _sqlite_hooks(engine, in_memory)
        return engine
    if backend == "postgresql":
        # hide_parameters: client input never lands in an error message or a log line.
        return create_engine(
            url, pool_pre_ping=True, pool_size=10, max_overflow=20, pool_timeout=15, hide_parameters=True
        )
    raise StoreError(f"unsupported database {backend!r}: use SQLite or postgresql+psycopg")


@dataclass
class Store:
    """The engine plus read and write session factories; one per running service."""

    engine: Engine
    _read: sessionmaker[Session]
    _write: sessionmaker[Session]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries; nothing it does is committed."""
        with self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: committed when the block ends, rolled back on error."""
        with self._write() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(url_text: str, *, create: bool = True) -> Store:
    """Open (and by default create or check) the schema; refuse one written by a newer version."""
    engine = make_engine(url_text)
    writer = engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
    store = Store(
        engine,
        sessionmaker(engine, expire_on_commit=False),
        sessionmaker(writer, expire_on_commit=False),
    )
    try:
        if create:
            ensure_schema(store)
    except Exception:
        engine.dispose()
        raise
    return store


def stored_schema_version(store: Store) -> int | None:
    """The version recorded in the database, or None for an empty database."""
    if not inspect(store.engine).has_table(SchemaMeta.__tablename__):
        return None
    with store.read() as session:
        row = session.get(SchemaMeta, "schema_version")
        if row is None:
            return None
        try:
            return int(row.value)
        except ValueError:
            raise StoreError(f"the database's schema version {row.value!r} is not a number") from None


def ensure_schema(store: Store) -> None:
    """Create missing tables, record the version, and refuse a newer schema outright."""
    found = stored_schema_version(store)
    if found is not None and found > SCHEMA_VERSION:
        raise StoreError(
            f"the database has schema version {found}, newer than this back office understands "
            f"({SCHEMA_VERSION}); upgrade HubCheck before using it"
        )
    Base.metadata.create_all(store.engine)
    with store.write() as session:
        row = session.get(SchemaMeta, "schema_version")
        if row is None:
            session.add(SchemaMeta(key="schema_version", value=str(SCHEMA_VERSION)))
        elif found is not None and found < SCHEMA_VERSION:
            # Every step so far only added tables (create_all above); record the new version
            # so an older back office, which cannot release waiting intents, refuses it.
            row.value = str(SCHEMA_VERSION)
        if session.scalar(select(Counter).where(Counter.name == CHANGE_COUNTER)) is None:
            session.add(Counter(name=CHANGE_COUNTER, value=0))
