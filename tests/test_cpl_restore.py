"""The previous CPL kept by each import, its restore, the preview before replacing, and the file's date.

Why: a damaged CPL that still had 2 readable rows "imported successfully" over a 14-row
one and the installer lost the list. Each import now keeps the CPL it replaces, ``cpl
restore`` swaps it back, and the window previews a file (nothing written) to ask before
an import that rejects rows or shrinks the cache. All against a real SQLite file, and the
command line in a subprocess.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.services.context import AppContext
from app.services.cpl_import import (
    CplFileError,
    NoPreviousCplError,
    import_cpl,
    parse_cpl_file,
    preview_cpl_import,
    restore_previous_cpl,
)
from app.store import cpl_repo
from app.store.db import DB_FILE_NAME
from app.store.migrations import LATEST_VERSION, STEPS
from tests.helpers_domain import CPL_HEADER, cpl_row, write_csv

REPO = Path(__file__).resolve().parents[1]
SAMPLE_CPL = REPO / "resources" / "sample" / "cpl.csv"
SCHEMA_V2 = Path(__file__).with_name("data") / "schema_v2.sql"
# The sample's hub model (a CHF and a GPF row): in the 14-row sample, not in the damaged file.
HUB = ("106C", "433100AC")
NO_PREVIOUS = "no previous CPL to restore"


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    context = AppContext(tmp_path / "data")
    try:
        yield context
    finally:
        context.close()


def damaged_copy(folder: Path) -> Path:
    """The sample cut short by a broken download: 2 good rows, then a torn row."""
    lines = SAMPLE_CPL.read_text(encoding="utf-8").splitlines()
    torn = "PPMID,Samplecom Displays,10E0,,0001"
    path = folder / "cpl-damaged.csv"
    path.write_text("\n".join([*lines[:3], torn]) + "\n", encoding="utf-8")
    return path


def hub_entries(ctx: AppContext) -> int:
    with ctx.engine.connect() as conn:
        return len(cpl_repo.entries_for_model(conn, *HUB))


def at(path: Path, when: datetime) -> Path:
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


# --- keep and restore, through the service ---------------------------------------------------------


def test_import_keeps_the_replaced_cpl_and_restore_swaps_it_back_twice(ctx: AppContext, tmp_path: Path) -> None:
    first = import_cpl(ctx, SAMPLE_CPL)
    assert first.previous is None, "nothing was replaced"
    sample = cpl_repo.status(ctx.engine)
    damaged = damaged_copy(tmp_path)

    report = import_cpl(ctx, damaged)
    assert (report.imported, [p.line for p in report.rejected]) == (2, [4])
    assert report.previous is not None
    assert (report.previous.file_name, report.previous.row_count) == ("cpl.csv", 14)
    assert report.to_json()["previous"] == {
        "file": "cpl.csv", "file_date": sample.file_date.isoformat() if sample.file_date else None,
        "file_date_source": "modified", "rows": 14,
    }
    assert cpl_repo.status(ctx.engine).row_count == 2
    assert hub_entries(ctx) == 0

    restored = restore_previous_cpl(ctx)
    now = cpl_repo.status(ctx.engine)
    assert now == sample, "the sample's own import record is back: name, date, rows, sha256, import time"
    assert (restored.restored, restored.previous and restored.previous.file_name) == (sample, "cpl-damaged.csv")
    assert hub_entries(ctx) == 2, "the sample's rows answer lookups again"
    assert scalar(ctx.db_path, "SELECT tbl_name FROM sqlite_master WHERE name = 'ix_cpl_model'") == "cpl_entries"

    again = restore_previous_cpl(ctx)
    assert again.restored.file_name == "cpl-damaged.csv"
    assert (cpl_repo.status(ctx.engine).row_count, hub_entries(ctx)) == (2, 0), "restore twice: back where it was"
    assert cpl_repo.previous_status(ctx.engine) == sample

    restore_previous_cpl(ctx)
    assert cpl_repo.status(ctx.engine) == sample


def test_one_previous_generation_is_kept(ctx: AppContext, tmp_path: Path) -> None:
    a = write_csv(tmp_path / "a.csv", [CPL_HEADER, cpl_row("PPMID", "1111", "0001", "01")])
    b = write_csv(tmp_path / "b.csv", [CPL_HEADER, cpl_row("PPMID", "2222", "0001", "01"), cpl_row("CHF", "2222", "0002", "01")])
    c = write_csv(tmp_path / "c.csv", [CPL_HEADER, cpl_row("PPMID", "3333", "0001", "01")])
    for path in (a, b, c):
        import_cpl(ctx, path)
    previous = cpl_repo.previous_status(ctx.engine)
    assert previous is not None and (previous.file_name, previous.row_count) == ("b.csv", 2)
    restore_previous_cpl(ctx)
    assert (cpl_repo.status(ctx.engine).file_name, cpl_repo.status(ctx.engine).row_count) == ("b.csv", 2)
    with ctx.engine.connect() as conn:
        assert len(cpl_repo.entries_for_model(conn, "2222", "0002")) == 1
        assert cpl_repo.entries_for_model(conn, "1111", "0001") == [], "a.csv, two imports ago, is gone"


def test_restore_with_nothing_kept_is_refused_and_changes_nothing(ctx: AppContext) -> None:
    with pytest.raises(NoPreviousCplError, match=NO_PREVIOUS):
        restore_previous_cpl(ctx)
    assert cpl_repo.status(ctx.engine).empty
    import_cpl(ctx, SAMPLE_CPL)
    before = cpl_repo.status(ctx.engine)
    with pytest.raises(NoPreviousCplError, match=NO_PREVIOUS):
        restore_previous_cpl(ctx)
    assert cpl_repo.status(ctx.engine) == before
    assert hub_entries(ctx) == 2


def test_a_refused_import_keeps_both_the_cache_and_the_previous(ctx: AppContext, tmp_path: Path) -> None:
    import_cpl(ctx, SAMPLE_CPL)
    import_cpl(ctx, damaged_copy(tmp_path))
    cache, kept = cpl_repo.status(ctx.engine), cpl_repo.previous_status(ctx.engine)
    all_bad = write_csv(tmp_path / "bad.csv", [CPL_HEADER, cpl_row("TOASTER", "1", "2", "3")])
    with pytest.raises(CplFileError, match="previous CPL is kept"):
        import_cpl(ctx, all_bad)
    assert (cpl_repo.status(ctx.engine), cpl_repo.previous_status(ctx.engine)) == (cache, kept)
    assert restore_previous_cpl(ctx).restored.row_count == 14


# --- preview --------------------------------------------------------------------------------------


def test_preview_of_a_damaged_file_flags_it_and_leaves_the_cache_alone(ctx: AppContext, tmp_path: Path) -> None:
    import_cpl(ctx, SAMPLE_CPL)
    before = cpl_repo.status(ctx.engine)
    damaged = damaged_copy(tmp_path)

    preview = preview_cpl_import(ctx, damaged)
    assert (preview.new_rows, preview.current_rows, preview.current_name) == (2, 14, "cpl.csv")
    assert preview.current_date == before.file_date
    assert [(p.line, p.message) for p in preview.rejected] == [(4, "Model ID is empty")]
    assert (preview.has_rejects, preview.would_shrink, preview.needs_confirmation) == (True, True, True)
    assert preview.file_date_source == "modified"
    assert preview.to_json()["current"] == {"file": "cpl.csv", "file_date": before.file_date.isoformat() if before.file_date else None,
                                            "file_date_source": "modified", "rows": 14}
    assert cpl_repo.status(ctx.engine) == before, "a preview writes nothing"
    assert cpl_repo.previous_status(ctx.engine) is None
    assert hub_entries(ctx) == 2

    # The import writes the rows the installer saw, without reading the file again.
    damaged.write_text("not a CPL any more\n", encoding="utf-8")
    report = import_cpl(ctx, damaged, parsed=preview.parsed)
    assert (report.imported, len(report.rejected)) == (2, 1)
    assert report.previous is not None and report.previous.row_count == 14


def test_preview_flags_only_what_needs_asking(ctx: AppContext, tmp_path: Path) -> None:
    onto_empty = preview_cpl_import(ctx, SAMPLE_CPL)
    assert (onto_empty.new_rows, onto_empty.current_rows, onto_empty.current_name) == (14, 0, None)
    assert not (onto_empty.has_rejects or onto_empty.would_shrink or onto_empty.needs_confirmation)
    assert onto_empty.to_json()["current"] is None
    import_cpl(ctx, SAMPLE_CPL)
    same = preview_cpl_import(ctx, SAMPLE_CPL)
    assert not same.needs_confirmation
    rows = SAMPLE_CPL.read_text(encoding="utf-8").splitlines()
    grown = tmp_path / "grown.csv"
    grown.write_text("\n".join([*rows, rows[1].replace("00020002", "00020003"), "TOASTER,x,1,2,3,4"]) + "\n", encoding="utf-8")
    one_bad = preview_cpl_import(ctx, grown)
    assert (one_bad.new_rows, one_bad.has_rejects, one_bad.would_shrink, one_bad.needs_confirmation) == (15, True, False, True)


def test_preview_of_an_unreadable_file_raises_as_the_import_would(ctx: AppContext, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(CplFileError, match="no header row"):
        preview_cpl_import(ctx, bad)


def test_parsed_rows_of_another_file_are_refused(ctx: AppContext, tmp_path: Path) -> None:
    parsed = parse_cpl_file(SAMPLE_CPL)
    with pytest.raises(ValueError, match="not"):
        import_cpl(ctx, damaged_copy(tmp_path), parsed=parsed)
    assert cpl_repo.status(ctx.engine).empty


# --- the file's own date, or its modification time ------------------------------------------------


MODIFIED = datetime(2026, 11, 20, 9, 15, tzinfo=UTC)


def test_a_file_without_a_stated_date_is_dated_by_its_modification_time(ctx: AppContext, tmp_path: Path) -> None:
    path = at(write_csv(tmp_path / "cpl-2026-11.csv", [CPL_HEADER, cpl_row("PPMID", "10E0", "1", "2")]), MODIFIED)
    report = import_cpl(ctx, path)
    st = cpl_repo.status(ctx.engine)
    assert (st.file_date, st.file_date_source) == (MODIFIED.replace(tzinfo=None), "modified")
    assert (report.file_date, report.file_date_source) == (st.file_date, "modified")


@pytest.mark.parametrize(
    ("name", "title_rows"),
    [
        ("cpl.csv", [["Central Products List"], ["Published 1 October 2026"], []]),
        ("cpl.csv", [["Central Products List", "", ""], ["Date:", "01/10/2026"]]),
        ("CPL 2026-10-01.csv", []),
        ("cpl.csv", [["CPL 2026-10-01"]]),
    ],
    ids=["published-line", "date-cell", "file-name", "title"],
)
def test_a_date_the_file_states_wins_over_its_modification_time(
    ctx: AppContext, tmp_path: Path, name: str, title_rows: list[list[str]]
) -> None:
    path = at(write_csv(tmp_path / name, [*title_rows, CPL_HEADER, cpl_row("PPMID", "10E0", "1", "2")]), MODIFIED)
    import_cpl(ctx, path)
    st = cpl_repo.status(ctx.engine)
    assert (st.file_date, st.file_date_source) == (datetime(2026, 10, 1), "file")


def test_an_xlsx_date_cell_above_the_header_is_the_file_date(ctx: AppContext, tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["Central Products List"], ["Date", datetime(2026, 9, 30)], CPL_HEADER, cpl_row("PPMID", "10E0", "1", "2")):
        sheet.append(row)
    path = tmp_path / "cpl.xlsx"
    book.save(path)
    preview = preview_cpl_import(ctx, path)
    assert (preview.file_date, preview.file_date_source) == (datetime(2026, 9, 30), "file")


def test_the_window_cache_state_carries_the_date_source(ctx: AppContext, tmp_path: Path) -> None:
    from app.ui import backend

    assert backend.cache_state(ctx).cpl.file_date_source is None
    import_cpl(ctx, write_csv(tmp_path / "CPL 2026-10-01.csv", [CPL_HEADER, cpl_row("PPMID", "10E0", "1", "2")]))
    cpl = backend.cache_state(ctx).cpl
    assert (cpl.file_date, cpl.file_date_source) == ("2026-10-01", "file")


# --- the command line -----------------------------------------------------------------------------


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), *args],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )


def ok_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_cli_import_names_the_kept_cpl_and_restore_brings_it_back(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = ok_json(cli(data, "cpl", "import", str(SAMPLE_CPL), "--json"))
    assert first["previous"] is None
    damaged = damaged_copy(tmp_path)

    human = cli(data, "cpl", "import", str(damaged))
    assert human.returncode == 0, "rejected rows still exit 0: scripts depend on it"
    assert "2 rows imported, 1 rejected" in human.stdout
    assert "cpl.csv, 14 rows" in human.stdout and "`hubcheck cpl restore` brings it back" in human.stdout

    restored = ok_json(cli(data, "cpl", "restore", "--json"))
    assert (restored["restored"]["file"], restored["restored"]["rows"]) == ("cpl.csv", 14)
    assert (restored["previous"]["file"], restored["previous"]["rows"]) == ("cpl-damaged.csv", 2)
    status = ok_json(cli(data, "cpl", "status", "--json"))
    assert (status["file"], status["rows"], status["file_date_source"]) == ("cpl.csv", 14, "modified")

    back = cli(data, "cpl", "restore")
    assert back.returncode == 0, back.stderr
    assert "Restored CPL cpl-damaged.csv: 2 rows" in back.stdout

    replaced = ok_json(cli(data, "cpl", "import", str(SAMPLE_CPL), "--json"))
    assert replaced["previous"]["file"] == "cpl-damaged.csv" and replaced["previous"]["rows"] == 2


def test_cli_restore_with_nothing_to_restore_exits_2_with_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for args in (("cpl", "restore"), ("cpl", "restore", "--json")):
        result = cli(data, *args)
        assert result.returncode == 2, (result.stdout, result.stderr)
        assert result.stdout == ""
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and NO_PREVIOUS in result.stderr


def test_cli_status_says_where_the_date_came_from(tmp_path: Path) -> None:
    data = tmp_path / "data"
    dated = write_csv(tmp_path / "CPL 2026-10-01.csv", [CPL_HEADER, cpl_row("PPMID", "10E0", "1", "2")])
    assert ok_json(cli(data, "cpl", "import", str(dated), "--json"))["file_date_source"] == "file"
    st = ok_json(cli(data, "cpl", "status", "--json"))
    assert (st["file_date"], st["file_date_source"]) == ("2026-10-01T00:00:00", "file")
    assert "dated 2026-10-01" in cli(data, "cpl", "status").stdout
    assert cli(data, "cpl", "import", str(at(sample_copy(tmp_path), MODIFIED))).returncode == 0
    assert "file modified 2026-11-20 09:15" in cli(data, "cpl", "status").stdout


def sample_copy(folder: Path) -> Path:
    target = folder / "cpl.csv"
    target.write_bytes(SAMPLE_CPL.read_bytes())
    return target


# --- the schema step ------------------------------------------------------------------------------


def _version_2_database(folder: Path) -> Path:
    """A database as HubCheck at schema version 2 left it: the sample CPL imported, twice."""
    folder.mkdir(parents=True)
    db = folder / DB_FILE_NAME
    parsed = parse_cpl_file(SAMPLE_CPL)
    conn = sqlite3.connect(db)
    try:
        conn.executescript(SCHEMA_V2.read_text(encoding="utf-8"))
        columns = "device_type, manufacturer_id, manufacturer_name, model_id, hardware_version, firmware_version, " \
                  "smets_generation, smets_chts_version, gbcs_version, status, image_hash, date_added, source_line, extra_json"
        conn.executemany(f"INSERT INTO cpl_entries ({columns}) VALUES ({', '.join('?' * 14)})", parsed.values)
        conn.executemany(
            "INSERT INTO cpl_imports (file_name, file_date, imported_at, row_count, rejected_count, sha256) VALUES (?, ?, ?, ?, ?, ?)",
            [("old.csv", "2026-09-01 00:00:00.000000", "2026-09-02 08:00:00.000000", 3, 0, "0" * 64),
             ("cpl.csv", "2026-10-01 07:30:00.000000", "2026-10-02 08:00:00.000000", 14, 0, parsed.sha256)],
        )
        conn.execute("PRAGMA user_version = 2")
        conn.commit()
    finally:
        conn.close()
    return db


def test_a_version_2_database_is_upgraded_with_its_cpl_intact(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    db = _version_2_database(folder)
    context = AppContext(folder)
    try:
        st = cpl_repo.status(context.engine)
        assert (st.file_name, st.row_count, st.file_date, st.file_date_source) == (
            "cpl.csv", 14, datetime(2026, 10, 1, 7, 30), "modified")
        assert st.imported_at == datetime(2026, 10, 2, 8, 0)
        assert hub_entries(context) == 2
        assert cpl_repo.previous_status(context.engine) is None, "version 2 kept no previous CPL"
        with pytest.raises(NoPreviousCplError):
            restore_previous_cpl(context)

        import_cpl(context, damaged_copy(tmp_path))
        assert restore_previous_cpl(context).restored == st, "the upgraded CPL is kept and restored like any other"
        assert hub_entries(context) == 2
    finally:
        context.close()
    assert scalar(db, "PRAGMA user_version") == max([LATEST_VERSION, *STEPS])
    backups = list(folder.glob(f"{DB_FILE_NAME}.v2.*.bak"))
    assert len(backups) == 1, "a backup is taken before the upgrade"
    assert (scalar(backups[0], "PRAGMA user_version"), scalar(backups[0], "SELECT COUNT(*) FROM cpl_entries")) == (2, 14)


def scalar(db: Path, sql: str) -> object:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchone()[0]
