"""Operator-facing output: one line for an unusable database, tokens a command line can take,
and client input kept out of database error lines (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.backoffice.db import Store
from app.backoffice.models import Installer
from app.backoffice.tokens import new_token
from app.backoffice.web.guards import db_error_line
from app.cli import main as laptop_main
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)

REPO = Path(__file__).resolve().parents[1]
SECRET = "Cl1entInput-" + "s" * 20


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("hubcheck-backoffice")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.backoffice.cli"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends: nothing listens


@pytest.mark.parametrize(
    "db",
    [
        pytest.param(
            f"postgresql://nobody:pw@127.0.0.1:{_closed_port()}/nothing", id="postgresql-unreachable"
        ),
        pytest.param("/proc/no-such-folder/bo.sqlite", id="sqlite-folder-cannot-be-made"),
    ],
)
@pytest.mark.parametrize("command", [["token", "list"], ["token", "create", "alice"], ["serve"]])
def test_an_unusable_database_is_one_line_and_exit_2(db: str, command: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "HUBCHECK_BACKOFFICE_DB"}
    done = subprocess.run(
        [*_cli(), "--db", db, *command], env=env, cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("cannot use the database: ")
    assert "Traceback" not in done.stderr and "pw" not in done.stderr


def test_tokens_never_start_with_a_dash() -> None:
    # With plain token_urlsafe about 1 in 64 would: some 300 of these 20,000.
    tokens = [new_token() for _ in range(20_000)]
    assert not [t for t in tokens if t.startswith("-")]
    assert len(set(tokens)) == len(tokens) and {len(t) for t in tokens} == {43}


def test_laptop_settings_set_takes_a_value_after_double_dash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    value = "-Xy" + "z" * 40
    base = ["--data-dir", str(tmp_path)]
    assert laptop_main([*base, "settings", "set", "backoffice_token", "--", value]) == 0
    capsys.readouterr()
    assert laptop_main([*base, "settings", "get", "backoffice_token"]) == 0
    assert capsys.readouterr().out.strip() == value
    assert laptop_main([*base, "settings", "set", "--", "backoffice_token", value[::-1]]) == 0


def test_client_input_stays_out_of_database_error_lines(store: Store) -> None:
    now = datetime.now(UTC)
    with store.write() as session:
        session.add(Installer(name=SECRET, is_admin=False, created_at=now))
    with pytest.raises(DBAPIError) as raised, store.write() as session:
        session.add(Installer(name=SECRET, is_admin=False, created_at=now))  # a duplicate name
        session.flush()
    assert "hide_parameters" in str(raised.value)  # SQLAlchemy kept the parameters out
    assert SECRET not in db_error_line(raised.value)  # and PostgreSQL's DETAIL line too
    if store.dialect == "postgresql":
        with pytest.raises(DBAPIError) as bad_cast, store.read() as session:
            session.execute(text("SELECT CAST(:v AS INTEGER)"), {"v": SECRET})
        assert SECRET in str(bad_cast.value.orig)  # the driver quotes it ...
        line = db_error_line(bad_cast.value)
        assert SECRET not in line and "22P02" in line  # ... the log line does not
