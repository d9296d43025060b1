"""Shared fixtures for the back-office tests (imported by each ``test_backoffice_*`` module).

Every storage test runs on SQLite, and on PostgreSQL too when ``HUBCHECK_TEST_PG_URL``
is set (``eval "$(bash scripts/ci-postgres.sh)"``); each PostgreSQL test gets a schema
of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app.backoffice.db import Store, normalise_url, open_store
from app.backoffice.dccsim import DccSimulator
from app.backoffice.tokens import create_token
from app.backoffice.web.app import create_app
from tests.availability import unavailable

with warnings.catch_warnings():
    # Starlette nudges towards a newer HTTP client package; httpx is what the project ships.
    warnings.filterwarnings("ignore", message=r".*starlette\.testclient.*")
    from fastapi.testclient import TestClient

# What ``from tests.test_backoffice_support import *`` brings in: the fixtures, so each
# test module sees them without naming them (ruff would read a named import that a test
# argument shadows as a redefinition). Helpers are imported by name.
__all__ = ["admin", "alice", "bob", "client", "clock", "db_url", "simulator", "store"]

PG_ENV = "HUBCHECK_TEST_PG_URL"
PG_HOW = 'start one with: eval "$(bash scripts/ci-postgres.sh)"'
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@dataclass
class FakeClock:
    """A clock tests move by hand, so delays and dates are deterministic."""

    now: datetime = field(default_factory=lambda: datetime(2026, 5, 1, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def pg_url_with_schema(base: str, schema: str) -> str:
    """The same server and database, with ``search_path`` pinned to one schema."""
    url = make_url(normalise_url(base))
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL on each back end."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'backoffice.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        unavailable(f"PostgreSQL is not configured ({PG_ENV} is not set)", PG_HOW)
    schema = f"bo_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    try:
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        except OperationalError as exc:
            where = make_url(normalise_url(base))
            first_line = str(exc.orig or exc).strip().splitlines()[0]
            unavailable(f"PostgreSQL at {where.host}:{where.port} cannot be reached: {first_line}", PG_HOW)
        yield pg_url_with_schema(base, schema)
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = open_store(db_url)
    yield opened
    opened.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(store: Store, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(store, clock=clock)) as test_client:
        yield test_client


def issue_token(store: Store, name: str, admin: bool = False) -> str:
    with store.write() as session:
        return create_token(session, name, datetime.now(UTC), admin=admin)


def sync_laptop_copy(store: Store, url: str, data: Path, copy: Path, installer: str = "alice") -> Path:
    """Copy a laptop's data folder to ``copy`` and sync the copy once, as ``installer``, to the
    back office at ``url`` (the original stays as it was, for other tests to copy again)."""
    import shutil

    from app.services.context import AppContext
    from app.sync.engine import sync_once

    shutil.copytree(data, copy)
    ctx = AppContext(copy)
    try:
        ctx.settings.set_many({"backoffice_url": url, "backoffice_token": issue_token(store, installer)})
        result = sync_once(ctx)
        assert result.status == "ok", result.errors
    finally:
        ctx.close()
    return copy


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def alice(store: Store) -> dict[str, str]:
    """Headers for installer ``alice``."""
    return bearer(issue_token(store, "alice"))


@pytest.fixture
def bob(store: Store) -> dict[str, str]:
    return bearer(issue_token(store, "bob"))


@pytest.fixture
def admin(store: Store) -> dict[str, str]:
    return bearer(issue_token(store, "ops", admin=True))


@pytest.fixture
def simulator(store: Store, clock: FakeClock) -> DccSimulator:
    return DccSimulator(store, delay=5.0, clock=clock)


CHF = "00-0D-6F-00-00-AB-CD-EF"
ESME = "00-1D-6F-00-00-12-34-56"


def make_intent(key: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid 8.11 Update HAN Device Log intent as the laptop would send it."""
    intent: dict[str, Any] = {
        "idempotency_key": key or str(uuid.uuid4()),
        "srv": "8.11",
        "command_variant": 1,
        "target": CHF,
        "body": {"Action": "Add", "DeviceID": "00-0D-6F-00-00-11-22-33", "JoinTimePeriod": 3600},
        "duis_xml": "<sr:Request schemaVersion='5.4'>…</sr:Request>",
        "install_id": str(uuid.uuid4()),
        "job_ref": "J-000123",
        "created_at": "2026-05-01T08:30:00+01:00",
        "meta": {"app_version": "0.1.0"},
    }
    intent.update(overrides)
    return intent


def make_install(install_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "install_id": install_id or str(uuid.uuid4()),
        "job_ref": "J-000123",
        "ppmid": "00-0D-6F-00-00-11-22-33",
        "hub": CHF,
        "meter": ESME,
        "verdict_level": "ok",
        "reasons": [{"code": "RESULTING_DIFFERS", "severity": "info", "message": "the DCC will update it"}],
        "override_reason": None,
        "outcome": "recorded",
        "started_at": "2026-05-01T08:00:00Z",
        "finished_at": "2026-05-01T09:10:00Z",
        "meta": {},
    }
    record.update(overrides)
    return record
