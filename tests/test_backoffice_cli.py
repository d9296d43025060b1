"""The ``hubcheck-backoffice`` command: tokens, database selection, schema versions, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from app.backoffice.cli import main
from app.backoffice.db import StoreError, open_store
from app.backoffice.models import SchemaMeta
from app.backoffice.tokens import authenticate
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)


def test_token_create_prints_the_token_alone(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", db_url, "token", "create", "alice"]) == 0
    out = capsys.readouterr().out
    token = out.strip()
    assert out == token + "\n" and len(token) >= 43 and " " not in token
    store = open_store(db_url)
    try:
        with store.read() as session:
            principal = authenticate(session, token)
        assert principal is not None and principal.name == "alice" and not principal.is_admin
    finally:
        store.dispose()


def test_env_var_stands_for_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HUBCHECK_BACKOFFICE_DB", str(tmp_path / "bo.db"))
    assert main(["token", "create", "bob", "--admin"]) == 0
    assert (tmp_path / "bo.db").is_file()
    monkeypatch.delenv("HUBCHECK_BACKOFFICE_DB")
    capsys.readouterr()
    assert main(["token", "create", "bob"]) == 2
    assert "HUBCHECK_BACKOFFICE_DB" in capsys.readouterr().err


def test_bad_names_and_unknown_installers(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", db_url, "token", "create", "has space"]) == 2
    assert main(["--db", db_url, "token", "revoke", "nobody"]) == 2
    err = capsys.readouterr().err
    assert "installer name" in err and "nobody" in err


def test_newer_schema_is_refused(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    store = open_store(db_url)
    with store.write() as session:
        session.execute(update(SchemaMeta).where(SchemaMeta.key == "schema_version").values(value="99"))
    store.dispose()
    with pytest.raises(StoreError, match="newer"):
        open_store(db_url)
    assert main(["--db", db_url, "token", "create", "alice"]) == 2
    assert "schema version 99" in capsys.readouterr().err


def test_reopening_keeps_data(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", db_url, "token", "create", "alice"]) == 0
    token = capsys.readouterr().out.strip()
    store = open_store(db_url)
    try:
        with store.read() as session:
            assert authenticate(session, token) is not None
    finally:
        store.dispose()


def test_originator_setting(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", db_url, "originator"]) == 0
    assert capsys.readouterr().out.strip() == "90-B3-D5-1F-30-01-00-00"
    assert main(["--db", db_url, "originator", "90b3d51f30020000"]) == 0
    assert capsys.readouterr().out.strip() == "90-B3-D5-1F-30-02-00-00"
    assert main(["--db", db_url, "originator", "nonsense"]) == 2


def test_serve_argument_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "bo.db")
    assert main(["--db", db, "serve", "--dcc-rule", "srv=8.11:E65"]) == 2
    assert main(["--db", db, "serve", "--simulate-dcc", "--dcc-rule", "srv=8.11"]) == 2
    assert main(["--db", "mysql://x/y", "serve"]) == 2
    err = capsys.readouterr().err
    assert "--simulate-dcc" in err and "FIELD=VALUE:CODE" in err and "unsupported database" in err
