"""The packaged program carries no PostgreSQL driver (packaging/hubcheck.spec): asked for a
PostgreSQL URL, the back office says so in one line and exits 2, and SQLite still works."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.backoffice.cli import main


@pytest.fixture
def no_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry makes `import psycopg` raise ModuleNotFoundError, as in the built program.
    for name in [n for n in sys.modules if n == "psycopg" or n.startswith("psycopg.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "psycopg", None)


@pytest.mark.parametrize("url", ["postgresql://hub@db.example/hubcheck", "postgresql+psycopg://hub@db/hc"])
def test_a_postgresql_url_without_the_driver_is_one_line_and_exit_2(
    no_psycopg: None, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", url, "db", "upgrade"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "no PostgreSQL driver" in err and "SQLite" in err and "pip" in err


def test_sqlite_still_works_without_the_driver(no_psycopg: None, tmp_path: Path) -> None:
    assert main(["--db", f"sqlite:///{tmp_path / 'bo.db'}", "db", "upgrade"]) == 0
