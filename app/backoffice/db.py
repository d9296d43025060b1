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

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from app.backoffice.models import SCHEMA_VERSION, Base, SchemaMeta

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
    except ValueError:  # e.g. a port that is not a number
        raise StoreError(
            "cannot read the database URL: check its form, e.g. postgresql://user@host:5432/name "
            "(the port is a number)"
        ) from None
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
        try:
            return create_engine(
                url, pool_pre_ping=True, pool_size=10, max_overflow=20, pool_timeout=15, hide_parameters=True
            )
        except ModuleNotFoundError as exc:
            # The packaged build (packaging/) leaves the PostgreSQL driver out: SQLite only.
            if (exc.name or "").partition(".")[0] not in ("psycopg", "psycopg2", "asyncpg", "pg8000"):
                raise
            raise StoreError(
                "this HubCheck has no PostgreSQL driver (the packaged program runs the back office on "
                "SQLite only): give a SQLite file or sqlite:/// URL, or install HubCheck from source or "
                "with pip for PostgreSQL"
            ) from None
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


def open_store(url_text: str, *, create: bool = True, upgrade: bool = True) -> Store:
    """Open the store; by default create an empty schema or migrate an older one to head.

    ``upgrade=False`` is how a server opens it (``serve``, the ASGI app): an empty database is
    still created (under the migration lock, so several workers create it once), but one at an
    older revision or whose tables differ from the models is refused with one line naming
    ``hubcheck-backoffice db upgrade``: a server never changes a populated schema on its own.
    """
    engine = make_engine(url_text)
    writer = engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
    store = Store(
        engine,
        sessionmaker(engine, expire_on_commit=False),
        sessionmaker(writer, expire_on_commit=False),
    )
    try:
        if create:
            if upgrade:
                migrate(store)
            else:
                migrate(store, only_if_empty=True)
                check_schema(store)
    except Exception:
        engine.dispose()
        raise
    return store


def stored_schema_version(store: Store) -> int | None:
    """The version recorded in the database, or None for an empty database."""
    with store.engine.connect() as conn:
        return _legacy_version(conn)


def _legacy_version(conn: Connection) -> int | None:
    if not inspect(conn).has_table(SchemaMeta.__tablename__):
        return None
    value = conn.execute(select(SchemaMeta.value).where(SchemaMeta.key == "schema_version")).scalar()
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise StoreError(f"the database's schema version {value!r} is not a number") from None


# --------------------------------------------------------------------------- migrations (Alembic)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSION_TABLE = "bo_alembic_version"
#: First half of the PostgreSQL advisory-lock key that serialises migrations (per schema).
_PG_LOCK_CLASS = 0x4843  # "HC"


def _alembic_config(conn: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if conn is not None:
        config.attributes["connection"] = conn
    return config


def head_revision() -> str:
    """The newest migration this back office ships."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def _revision(conn: Connection) -> str | None:
    context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def current_revision(store: Store) -> str | None:
    """The database's Alembic revision (None: not migrated by Alembic yet, or empty)."""
    with store.engine.connect() as conn:
        return _revision(conn)


def _is_empty(conn: Connection) -> bool:
    names = set(inspect(conn).get_table_names())
    return not any(name.startswith("bo_") for name in names)


def _refuse_newer(conn: Connection, revision: str | None) -> None:
    found = _legacy_version(conn)
    if found is not None and found > SCHEMA_VERSION:
        raise StoreError(
            f"the database has schema version {found}, newer than this back office understands "
            f"({SCHEMA_VERSION}); upgrade HubCheck before using it"
        )
    if revision is not None:
        scripts = ScriptDirectory.from_config(_alembic_config())
        known = {script.revision for script in scripts.walk_revisions()}
        if revision not in known:
            raise StoreError(
                f"the database is at migration {revision!r}, which this back office does not know "
                f"(its newest is {head_revision()!r}); upgrade HubCheck before using it"
            )


@contextmanager
def _migration_lock(store: Store) -> Iterator[Connection]:
    """One transaction holding the migration lock: only one process migrates at a time.

    PostgreSQL: a transaction-scoped advisory lock keyed by the current schema. SQLite:
    ``BEGIN IMMEDIATE`` takes the database's write lock (others wait on the busy timeout).
    Both back ends run DDL inside the transaction, so a migration is all or nothing.
    """
    with store.engine.connect() as raw:
        conn = raw.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        with conn.begin():
            if store.dialect == "postgresql":
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:cls, hashtext(current_schema()))"),
                    {"cls": _PG_LOCK_CLASS},
                )
            yield conn


def migrate(store: Store, *, only_if_empty: bool = False) -> str:
    """Bring the schema to the newest revision under the migration lock; return it.

    A database made before Alembic is taken through the baseline, which only adds what is
    missing and keeps every row. ``only_if_empty``: create a fresh schema, touch nothing else.
    """
    with _migration_lock(store) as conn:
        revision = _revision(conn)
        _refuse_newer(conn, revision)
        if only_if_empty and not (revision is None and _is_empty(conn)):
            return revision or ""
        command.upgrade(_alembic_config(conn), "head")
        found = _legacy_version(conn)
        if found is not None and found < SCHEMA_VERSION:
            conn.execute(
                update(SchemaMeta).where(SchemaMeta.key == "schema_version").values(value=str(SCHEMA_VERSION))
            )
        return _revision(conn) or ""


def schema_drift(store: Store) -> list[str]:
    """How the database's tables differ from the models (empty: they match)."""
    with store.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE, "compare_type": True}
        )
        return [_describe(diff) for diff in compare_metadata(context, Base.metadata)]


def _describe(diff: Any) -> str:
    """One Alembic difference as words an operator can act on ("add column bo_tokens.prefix")."""
    if isinstance(diff, list):  # column modifications come grouped per column
        diff = diff[0]
    kind = str(diff[0]).replace("_", " ")
    if len(diff) >= 4 and isinstance(diff[2], str):  # (kind, schema, table, column or name, ...)
        column = diff[3]
        return f"{kind} {diff[2]}.{getattr(column, 'name', column)}"
    subject = diff[1]
    table = getattr(getattr(subject, "table", None), "name", None)
    name = getattr(subject, "name", None) or str(subject)
    return f"{kind} {table}.{name}" if table else f"{kind} {name}"


def check_schema(store: Store) -> None:
    """Refuse (StoreError, one line) a schema that is not at head or differs from the models."""
    with store.engine.connect() as conn:
        revision = _revision(conn)
        _refuse_newer(conn, revision)
    head = head_revision()
    if revision != head:
        found = "not migrated yet" if revision is None else f"at migration {revision!r}"
        raise StoreError(
            f"the database schema is {found}, this back office needs {head!r}: "
            "run `hubcheck-backoffice db upgrade` first (back the database up before)"
        )
    drift = schema_drift(store)
    if drift:
        shown = "; ".join(drift[:3]) + (f" and {len(drift) - 3} more" if len(drift) > 3 else "")
        raise StoreError(
            f"the database schema differs from this back office's ({shown}): "
            "it was changed by hand or by another version; restore it or ask for a migration"
        )


def ensure_schema(store: Store) -> None:
    """Create or migrate the schema to head (kept for callers from before Alembic)."""
    migrate(store)
