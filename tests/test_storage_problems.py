"""A damaged database, a read-only data folder, a full disk: one plain sentence and the next
step, what was queued named and kept, and the database file left exactly as it was.

Everything here is real: HubCheck databases written by ``hubcheck install record`` and then
damaged on disk, SQLite's own errors (``PRAGMA max_page_count`` for a full database, a
``mode=ro`` connection for a read-only one, ``/dev/full`` for ENOSPC), and, where this
machine allows it (root with CAP_SYS_ADMIN), small tmpfs mounts that are really read-only
or really full. Where it does not, those tests skip locally and fail in CI (availability).
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QPlainTextEdit, QTextEdit

from app.cli import main
from app.services.context import AppContext
from app.services.storage_errors import (
    StorageProblem,
    explain_storage_error,
    keep_what_was_queued,
    read_queued_readonly,
    storage_problem,
)
from app.store.db import DB_FILE_NAME
from app.store.migrations import LATEST_VERSION
from app.testing.driver import HubCheckDriver
from app.testing.samples import case_for
from tests.availability import unavailable

pytest_plugins = ["app.testing.plugin"]

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "sample"
GOOD = json.loads((SAMPLE / "labels.json").read_text())[0]
#: What a person must never read: SQL, SQLAlchemy's links and wrappers, a traceback.
FORBIDDEN = ("SELECT", "INSERT", "UPDATE ", "[SQL", "sqlite3.", "sqlalche.me", "Background on this error",
             "Traceback", "OperationalError", "DatabaseError")
PAGE = 4096


# ---------------------------------------------------------------------- helpers
def queued_database(data_dir: Path) -> Path:
    """A real HubCheck database: the sample CPL and jobs, and one recorded visit (7 queued requests)."""
    for argv in (["settings", "set", "sound_enabled", "false"],
                 ["cpl", "import", str(SAMPLE / "cpl.csv")], ["jobs", "import", str(SAMPLE / "jobpack.json")],
                 ["install", "record", "--job", GOOD["job_ref"], "--ppmid", GOOD["ppmid_label"], "--hub",
                  GOOD["hub_label"], "--meter", GOOD["meter_label"], "--hub-location", "deep-indoors"]):
        assert main(["--data-dir", str(data_dir), *argv]) == 0
    db = data_dir / DB_FILE_NAME
    gc.collect()  # the commands' engines, so their connections close
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file, as after a clean exit
    conn.close()
    assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0
    return db


def copy_data(db: Path, folder: Path) -> Path:
    """The database and its settings into ``folder`` (a tmpfs): what a laptop's data folder holds."""
    for name in (DB_FILE_NAME, "settings.json"):
        shutil.copyfile(db.parent / name, folder / name)
    return folder / DB_FILE_NAME


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def root_pages(db: Path, *tables: str) -> list[int]:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            f"SELECT rootpage FROM sqlite_master WHERE name IN ({','.join('?' * len(tables))})", tables
        ).fetchall()
    finally:
        conn.close()
    return sorted(int(r[0]) for r in rows)


def zero_pages(db: Path, pages: list[int]) -> None:
    """Write zeros over whole pages (1-based, as SQLite counts them)."""
    with db.open("r+b") as handle:
        for page in pages:
            handle.seek((page - 1) * PAGE)
            handle.write(bytes(PAGE))


def damage(db: Path, how: str) -> None:
    if how == "garbage":  # the whole file overwritten: "file is not a database"
        db.write_bytes(os.urandom(db.stat().st_size))
    elif how == "middle":  # zeros over pages inside the file: the queue's and the cache's tables
        # (Chosen by name, not by offset: which table sits mid-file changes with the schema.)
        zero_pages(db, root_pages(db, "outbox_intents", "install_visits", "outbox_counters",
                                  "cpl_entries", "cpl_imports", "jobs"))
    elif how == "cpl_pages":  # the CPL and job tables' pages: the outbox itself is still readable
        zero_pages(db, root_pages(db, "cpl_entries", "cpl_imports", "jobs"))
    else:  # pragma: no cover - a test's typo
        raise ValueError(how)


def all_texts(window: object) -> list[str]:
    """Every label, button, line edit and text box's text in the window, and the tab names."""
    texts: list[str] = []
    for kind in (QLabel, QAbstractButton, QLineEdit):
        texts += [w.text() for w in window.findChildren(kind)]  # type: ignore[attr-defined]
    for kind in (QTextEdit, QPlainTextEdit):
        texts += [w.toPlainText() for w in window.findChildren(kind)]  # type: ignore[attr-defined]
    tabs = window.view.tabs  # type: ignore[attr-defined]
    texts += [tabs.tabText(i) for i in range(tabs.count())]
    return texts


def assert_plain(window: object) -> None:
    for text in all_texts(window):
        for word in FORBIDDEN:
            assert word not in text, f"{word!r} shown to the installer: {text!r}"


def open_failing_window(qtbot, data_dir: Path) -> tuple[object, StorageProblem]:
    """Launch and show the window on ``data_dir`` and wait for the storage problem it reports."""
    from app.ui import launch

    window = launch(data_dir)
    qtbot.addWidget(window, before_close_func=lambda w: (w.shutdown(10_000), w.ctx.close()))
    with qtbot.waitSignal(window.storageProblem, timeout=15_000) as blocker:
        window.show()
        qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=15_000)
    return window, blocker.args[0]


def close_window(window: object) -> None:
    window.shutdown(10_000)  # type: ignore[attr-defined]
    window.ctx.close()  # type: ignore[attr-defined]


def queue_summary(window: object) -> str:
    return str(window.view.queue_page.view.summary.text())  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- tmpfs mounts
def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[object]:
    """``mount(name, size)`` → a fresh tmpfs folder (unmounted after the test)."""
    mounted: list[Path] = []

    def mount(name: str, size: str) -> Path:
        point = tmp_path / name
        point.mkdir()
        if os.geteuid() != 0 or shutil.which("mount") is None:
            unavailable("mounting a small tmpfs needs root and the mount command",
                        "run the storage tests as root (CI's container runs them privileged)")
        done = _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(point))
        if done.returncode != 0:
            unavailable(f"this machine cannot mount a tmpfs ({done.stderr.strip()})",
                        "run the storage tests as root with CAP_SYS_ADMIN")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        if _run("umount", str(point)).returncode != 0:
            _run("umount", "-l", str(point))  # a window's engine may still hold the file


def remount_read_only(point: Path) -> None:
    done = _run("mount", "-o", "remount,ro", str(point))
    if done.returncode != 0:
        unavailable(f"cannot remount {point} read-only ({done.stderr.strip()})")
    with pytest.raises(OSError):  # really read-only, even for root
        (point / "probe").write_text("x")


def fill(point: Path) -> Path:
    """Write a filler file until the file system says ENOSPC; returns the filler."""
    filler = point / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        block = bytes(4096)
        while True:
            try:
                os.write(fd, block)
            except OSError as error:
                assert error.errno == 28, error  # ENOSPC: the disk is full to the last page
                break
    finally:
        os.close(fd)
    return filler


# ---------------------------------------------------------------------- the translator, real SQLite errors
def test_garbage_file_is_damaged_and_the_sentence_is_plain(tmp_path: Path) -> None:
    db = queued_database(tmp_path / "data")
    damage(db, "garbage")
    before = digest(db)
    ctx = AppContext(tmp_path / "data")
    with pytest.raises(Exception) as info:
        ctx.engine  # noqa: B018 - SQLAlchemy wraps "file is not a database" with its SQL and a link
    ctx.close()
    problem = explain_storage_error(info.value, tmp_path / "data", "open")
    assert problem.kind == "damaged"
    assert "damaged" in problem.sentence
    assert not any(word in problem.message for word in FORBIDDEN)
    kept = keep_what_was_queued(problem)
    assert kept.queued is None  # nothing readable: the file itself is named as kept
    assert f"kept untouched at {db}" in kept.message
    assert kept.copy is not None and kept.copy.read_bytes() == db.read_bytes()
    assert f"HubCheck kept a copy at {kept.copy}" in kept.next_step
    assert digest(db) == before
    # A second look at the same damage reuses the copy rather than filling the disk.
    assert keep_what_was_queued(problem).copy == kept.copy
    assert len(list(db.parent.glob("hubcheck.db.damaged.*.bak"))) == 1


def test_a_corrupted_page_names_what_was_queued_read_only(tmp_path: Path) -> None:
    db = queued_database(tmp_path / "data")
    damage(db, "cpl_pages")
    before = digest(db)
    conn = sqlite3.connect(db)
    with pytest.raises(sqlite3.DatabaseError) as info:
        conn.execute("SELECT * FROM cpl_entries").fetchall()
    conn.close()
    assert "malformed" in str(info.value)
    problem = keep_what_was_queued(explain_storage_error(info.value, db.parent, "record"))
    assert problem.kind == "damaged"
    assert (problem.queued, problem.queued_jobs) == (7, (GOOD["job_ref"],))
    assert f"7 Service Requests still waiting to be sent (job {GOOD['job_ref']}) are kept" in problem.message
    assert digest(db) == before


def test_a_full_database_says_free_some_space(tmp_path: Path) -> None:
    """SQLite's own SQLITE_FULL, produced by PRAGMA max_page_count."""
    conn = sqlite3.connect(tmp_path / DB_FILE_NAME)
    conn.execute("CREATE TABLE t (x BLOB)")
    conn.execute("PRAGMA max_page_count = 4")
    with pytest.raises(sqlite3.OperationalError) as info:
        for _ in range(100):
            conn.execute("INSERT INTO t VALUES (?)", (bytes(2000),))
    conn.close()
    assert info.value.sqlite_errorname == "SQLITE_FULL"
    problem = explain_storage_error(info.value, tmp_path, "record")
    assert problem.kind == "disk_full"
    assert problem.next_step == "Free some space on the laptop, then press Record again (the visit on screen is kept)."


def test_a_read_only_database_says_choose_another_folder(tmp_path: Path) -> None:
    """SQLite's own SQLITE_READONLY, from a connection opened with mode=ro."""
    db = queued_database(tmp_path / "data")
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as info:
        conn.execute("DELETE FROM outbox_intents")
    conn.close()
    assert info.value.sqlite_errorname.startswith("SQLITE_READONLY")
    problem = explain_storage_error(info.value, db.parent, "record")
    assert problem.kind == "read_only"
    assert f"The data folder {db.parent} cannot be written" in problem.sentence
    assert "Choose another folder in Settings" in problem.next_step


def test_a_locked_database_says_wait(tmp_path: Path) -> None:
    db = queued_database(tmp_path / "data")
    holder = sqlite3.connect(db)
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(db, timeout=0)
    with pytest.raises(sqlite3.OperationalError) as info:
        other.execute("BEGIN IMMEDIATE")  # WAL lets readers through; a second writer waits
    other.close()
    holder.rollback()
    holder.close()
    problem = explain_storage_error(info.value, db.parent, "sync")
    assert problem.kind == "locked"
    assert problem.next_step == "Wait a moment, then press Sync now."


def test_enospc_and_the_newer_schema(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        unavailable("/dev/full is absent on this machine")
    with pytest.raises(OSError) as full, open("/dev/full", "wb") as handle:  # noqa: PT012
        handle.write(b"x")
        handle.flush()
    assert explain_storage_error(full.value, tmp_path, "import").kind == "disk_full"

    db = tmp_path / DB_FILE_NAME
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE future (x)")
    conn.execute(f"PRAGMA user_version={LATEST_VERSION + 3}")
    conn.commit()
    conn.close()
    ctx = AppContext(tmp_path)
    with pytest.raises(Exception) as info:
        ctx.engine  # noqa: B018
    ctx.close()
    problem = explain_storage_error(info.value, tmp_path)
    assert problem.kind == "too_new"
    assert f"schema version {LATEST_VERSION + 3}; this HubCheck understands {LATEST_VERSION}" in problem.sentence
    assert "Update HubCheck" in problem.next_step


def test_an_error_about_another_file_is_not_a_storage_problem(tmp_path: Path) -> None:
    with pytest.raises(OSError) as info:
        (tmp_path / "elsewhere" / "cpl.csv").read_text()
    assert storage_problem(info.value, tmp_path / "data") is None
    assert storage_problem(ValueError("bad input"), tmp_path / "data") is None


def test_a_damaged_older_database_is_never_migrated(tmp_path: Path) -> None:
    """An upgrade would rewrite tables of a damaged file: it is refused, the file untouched,
    no backup taken of it as if it were sound, and nothing recreated."""
    db = queued_database(tmp_path / "data")
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version={LATEST_VERSION - 1}")
    conn.commit()
    conn.close()
    damage(db, "cpl_pages")
    before = digest(db)
    ctx = AppContext(db.parent)
    with pytest.raises(Exception) as info:
        ctx.engine  # noqa: B018
    ctx.close()
    assert explain_storage_error(info.value, db.parent).kind == "damaged"
    assert digest(db) == before
    assert not list(db.parent.glob("*.v*.bak"))
    assert read_queued_readonly(db) is not None and read_queued_readonly(db).queued == 7  # type: ignore[union-attr]


# ---------------------------------------------------------------------- the command line
@pytest.mark.parametrize("how", ["garbage", "middle"])
def test_cli_on_a_damaged_database_exits_2_with_one_plain_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    db = queued_database(tmp_path / "data")
    damage(db, how)
    before = digest(db)
    capsys.readouterr()
    for argv in (["queue", "list", "--json"],
                 ["install", "record", "--job", GOOD["job_ref"], "--ppmid", GOOD["ppmid_label"], "--hub",
                  GOOD["hub_label"], "--meter", GOOD["meter_label"]]):
        assert main(["--data-dir", str(db.parent), *argv]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1, captured.err
        assert "is damaged" in lines[0] and str(db) in lines[0]
        assert not any(word in lines[0] for word in FORBIDDEN), lines[0]
    assert digest(db) == before


def test_cli_names_what_is_still_queued_in_a_damaged_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = queued_database(tmp_path / "data")
    damage(db, "cpl_pages")
    capsys.readouterr()
    # The outbox's own pages are sound: the queue is still listed.
    assert main(["--data-dir", str(db.parent), "queue", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["queued"] == 7
    # Recording needs the CPL, whose pages are gone: one line naming what is kept.
    case = case_for("SMETS1 caveats")
    assert main(["--data-dir", str(db.parent), "install", "record", "--job", str(case.job_ref),
                 "--ppmid", case.ppmid_label, "--hub", case.hub_label, "--meter", case.meter_label]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "7 Service Requests still waiting to be sent (job J-000101) are kept" in err
    assert not any(word in err for word in FORBIDDEN), err


# ---------------------------------------------------------------------- the window
@pytest.mark.parametrize("how", ["garbage", "middle", "cpl_pages"])
def test_window_on_a_damaged_database(qtbot, tmp_path: Path, how: str) -> None:
    db = queued_database(tmp_path / "data")
    damage(db, how)
    before = digest(db)
    window, problem = open_failing_window(qtbot, db.parent)
    assert problem.kind == "damaged"
    banner = window.view.import_banner.summary.text()
    assert "is damaged" in banner and "call support" in banner
    assert window.view.cpl_status.text() == "CPL: the cache could not be opened (the database is damaged)"
    assert window.view.queue_count.text() == "Queued: —"
    assert "Opening the queue" not in queue_summary(window)
    assert "is damaged" in queue_summary(window)
    if how == "cpl_pages":
        assert "7 Service Requests still waiting to be sent (job J-000101) are kept" in banner
    else:
        assert f"kept untouched at {db}" in banner
    assert_plain(window)
    # The Queue tab asks again: it ends with the rows (the outbox is sound) or the sentence, never "Opening…".
    window.show_tab(2 - 1)
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=10_000)
    if how == "cpl_pages":
        assert len(window.view.queue_page.model.rows()) == 7
    else:
        assert "is damaged" in queue_summary(window)
    assert "Opening the queue" not in queue_summary(window)
    assert_plain(window)
    close_window(window)
    assert digest(db) == before


def test_window_on_a_read_only_data_folder(qtbot, tmp_path: Path, tmpfs) -> None:
    source = queued_database(tmp_path / "build")
    folder = tmpfs("readonly", "4m")
    copy_data(source, folder)
    before = digest(folder / DB_FILE_NAME)
    remount_read_only(folder)
    window, problem = open_failing_window(qtbot, folder)
    assert problem.kind == "read_only"
    banner = window.view.import_banner.summary.text()
    assert f"The data folder {folder} cannot be written" in banner
    assert "Choose another folder in Settings" in banner
    assert "7 Service Requests still waiting to be sent (job J-000101) are kept" in banner
    assert "Opening the queue" not in queue_summary(window)
    assert window.view.queue_count.text() == "Queued: —"
    assert_plain(window)
    close_window(window)
    assert digest(folder / DB_FILE_NAME) == before


def test_window_on_a_full_disk(qtbot, tmp_path: Path, tmpfs) -> None:
    source = queued_database(tmp_path / "build")
    folder = tmpfs("full", "1m")
    copy_data(source, folder)
    before = digest(folder / DB_FILE_NAME)
    fill(folder)
    window, problem = open_failing_window(qtbot, folder)
    assert problem.kind == "disk_full"
    banner = window.view.import_banner.summary.text()
    assert "The laptop's disk is full" in banner and "Free some space on the laptop" in banner
    assert "Opening the queue" not in queue_summary(window)
    assert_plain(window)
    close_window(window)
    assert digest(folder / DB_FILE_NAME) == before


def test_recording_on_a_disk_that_filled_up_keeps_the_visit(qtbot, tmp_path: Path, tmpfs) -> None:
    source = queued_database(tmp_path / "build")
    folder = tmpfs("filling", "2m")
    copy_data(source, folder)
    from app.testing.window import open_window

    window = open_window(qtbot, folder)
    hubcheck = HubCheckDriver(window, qtbot)
    case = case_for("SMETS1 caveats")
    hubcheck.pick_job(str(case.job_ref))
    hubcheck.scan_ppmid(case.ppmid_label)
    hubcheck.scan_hub(case.hub_label)
    hubcheck.wait_verdict()
    filler = fill(folder)
    with pytest.raises(AssertionError) as refused:
        hubcheck.record()
    message = hubcheck.record_message
    assert str(refused.value) in message
    assert message.startswith("✖ Not recorded: The laptop's disk is full")
    assert message.endswith("Free some space on the laptop, then press Record again (the visit on screen is kept).")
    assert hubcheck.widget("ppmidScanInput").text() != ""  # the visit is still on screen
    assert_plain(window)
    filler.unlink()
    outcome = hubcheck.record()
    assert outcome.job_ref == case.job_ref and len(outcome.intents) >= 1
    assert len(hubcheck.queue_rows()) == 7 + len(outcome.intents)
    close_window(window)
