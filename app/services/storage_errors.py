"""When the laptop's storage fails: one plain sentence, the next step, and nothing queued lost.

Why a translator of its own: a damaged database, a read-only data folder and a full disk
reach the installer through SQLite and SQLAlchemy, whose messages carry SQL text, bound
parameters and links meant for programmers ("(sqlite3.DatabaseError) file is not a
database [SQL: SELECT …]"). The window and the command line both need the same answer
in the installer's words: what is wrong, whether the queued Service Requests are still
there, and what to do next. This module gives that answer and never repeats SQL,
parameters or a traceback (the log keeps those).

Two steps, so the cheap one can run anywhere and the one that reads files runs on a worker:

* :func:`explain_storage_error` (or :func:`storage_problem`, which says ``None`` for an
  error that is not about storage) classifies the failure from the exception alone, with
  at most a ``stat`` of the data folder.
* :func:`keep_what_was_queued` then reads the database *read-only* (an ``sqlite3``
  ``mode=ro`` connection, never HubCheck's engine, never a migration) to count what was
  still queued, and copies a damaged file byte for byte beside it, so what support needs
  is kept whatever happens to the file next. The database itself is never written,
  moved, deleted or recreated here.

Qt-free, and free of SQLAlchemy imports: the classes are recognised by module and SQLite's
error codes, so the window can translate before the database layer has loaded.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

log = logging.getLogger(__name__)

Kind = Literal["damaged", "read_only", "disk_full", "locked", "too_new", "missing_folder", "other"]
#: What the person was doing; it decides how the next step ends ("then press Record again").
Doing = Literal["open", "queue", "record", "import", "sync", "command"]

DB_FILE_NAME = "hubcheck.db"  # app.store.db's name, repeated so this module loads without SQLAlchemy

# SQLite's primary result codes (the low byte of an extended code).
SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY = 3, 5, 6, 8
SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN = 10, 11, 13, 14
SQLITE_AUTH, SQLITE_NOTADB = 23, 26

#: Below this much free space an SQLite "disk I/O error" is read as a full disk.
LOW_SPACE_BYTES = 1_000_000

_RETRY: dict[str, str] = {
    "open": "restart HubCheck",
    "queue": "open the Queue tab again",
    "record": "press Record again (the visit on screen is kept)",
    "import": "import the file again",
    "sync": "press Sync now",
    "command": "run the command again",
}

# Text SQLite puts in its messages, for errors that arrive without a result code.
_TEXT_KINDS: tuple[tuple[str, Kind], ...] = (
    ("database disk image is malformed", "damaged"),
    ("file is not a database", "damaged"),
    ("file is encrypted or is not a database", "damaged"),
    ("database or disk is full", "disk_full"),
    ("attempt to write a readonly database", "read_only"),
    ("readonly database", "read_only"),
    ("database is locked", "locked"),
    ("database table is locked", "locked"),
)


@dataclass(frozen=True, slots=True)
class StorageProblem:
    """What went wrong with the laptop's storage, in the installer's words.

    ``queued``/``queued_jobs`` say what was still waiting to be sent when it could be read
    (read-only) from the file; ``copy`` is where a damaged file was copied. ``None`` means
    not known, never "nothing".
    """

    kind: Kind
    data_dir: Path
    doing: Doing = "open"
    db_path: Path = field(default=Path(DB_FILE_NAME))
    found_version: int | None = None
    known_version: int | None = None
    queued: int | None = None
    queued_jobs: tuple[str, ...] = ()
    copy: Path | None = None
    kept_checked: bool = False  # keep_what_was_queued looked at the file

    @property
    def sentence(self) -> str:
        """One plain sentence: what is wrong."""
        folder = str(self.data_dir)
        if self.kind == "damaged":
            return "The HubCheck database is damaged, so HubCheck stopped using it."
        if self.kind == "read_only":
            return f"The data folder {folder} cannot be written: it is read-only or HubCheck may not change it."
        if self.kind == "disk_full":
            if self.doing in ("record", "import", "sync"):
                return "The laptop's disk is full, so HubCheck could not save."
            return "The laptop's disk is full, so HubCheck could not open its database."
        if self.kind == "locked":
            return "Another HubCheck window or command is using the database right now."
        if self.kind == "too_new":
            found = f" (schema version {self.found_version}" if self.found_version is not None else ""
            known = f"; this HubCheck understands {self.known_version})" if found and self.known_version else (
                ")" if found else "")
            return f"The database in {folder} was written by a newer HubCheck{found}{known}."
        if self.kind == "missing_folder":
            return f"The data folder {folder} is not there (a disconnected drive or network share?)."
        return f"HubCheck could not use its database in {folder}."

    @property
    def short(self) -> str:
        """A few words for the status bar; the sentence is in the banner."""
        return {
            "damaged": "the database is damaged",
            "read_only": "the data folder is read-only",
            "disk_full": "the disk is full",
            "locked": "the database is busy",
            "too_new": "the database is from a newer HubCheck",
            "missing_folder": "the data folder is missing",
            "other": "see the message above",
        }[self.kind]

    @property
    def kept(self) -> str:
        """What became of the queued Service Requests ('' when nothing was looked at)."""
        if self.queued is None:
            if self.kept_checked or self.kind == "damaged":
                return f"The database file is kept untouched at {self.db_path}."
            return ""
        if self.queued == 0:
            return "Nothing in it was waiting to be sent."
        jobs = ""
        if self.queued_jobs:
            shown = ", ".join(self.queued_jobs[:5])
            more = f" and {len(self.queued_jobs) - 5} more" if len(self.queued_jobs) > 5 else ""
            jobs = f" (job{'s' if len(self.queued_jobs) > 1 else ''} {shown}{more})"
        requests = "Service Request" if self.queued == 1 else "Service Requests"
        return f"{self.queued} {requests} still waiting to be sent{jobs} are kept in {self.db_path}."

    @property
    def next_step(self) -> str:
        """What to do now, ending with how to try again where trying again can help."""
        retry = _RETRY[self.doing]
        if self.kind == "damaged":
            where = f"HubCheck kept a copy at {self.copy}" if self.copy is not None else "Do not delete it"
            return f"{where}; restore the database from the back office or call support."
        if self.kind == "read_only":
            return f"Choose another folder in Settings (or make this one writable again), then {retry}."
        if self.kind == "disk_full":
            return f"Free some space on the laptop, then {retry}."
        if self.kind == "locked":
            return f"Wait a moment, then {retry}."
        if self.kind == "too_new":
            return "Update HubCheck to the newer version; the file is kept as it is."
        if self.kind == "missing_folder":
            return f"Reconnect it or choose another folder in Settings, then {retry}."
        return f"{retry[0].upper()}{retry[1:]}; if it happens again, call support (the details are in the log)."

    @property
    def message(self) -> str:
        """The sentence, what was kept, and the next step: what a banner or stderr shows."""
        return " ".join(part for part in (self.sentence, self.kept, self.next_step) if part)

    def for_doing(self, doing: Doing) -> StorageProblem:
        return replace(self, doing=doing)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "sentence": self.sentence,
            "next_step": self.next_step,
            "message": self.message,
            "data_dir": str(self.data_dir),
            "database": str(self.db_path),
            "queued": self.queued,
            "queued_jobs": list(self.queued_jobs),
            "copy": str(self.copy) if self.copy is not None else None,
        }


class StorageFailure(Exception):
    """A storage failure already explained (on the worker that met it): ``str()`` is the
    plain message, ``problem`` the details; the original exception is its ``__cause__``."""

    def __init__(self, problem: StorageProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


# ---------------------------------------------------------------------- classifying
def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it wraps (SQLAlchemy's ``orig``), its cause and context."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        for nxt in (orig, current.__cause__, current.__context__):
            if isinstance(nxt, BaseException):
                todo.append(nxt)


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _inside(path: str | os.PathLike[str] | None, folder: Path) -> bool:
    if path is None:
        return False
    try:
        Path(os.fspath(path)).resolve().relative_to(folder.resolve())
    except (ValueError, OSError, TypeError):
        return False
    return True


def _low_on_space(folder: Path) -> bool:
    probe = folder if folder.exists() else folder.parent
    try:
        return shutil.disk_usage(probe).free < LOW_SPACE_BYTES
    except OSError:
        return False


def _cannot_open(folder: Path, db_path: Path) -> Kind:
    """SQLite could not open the file: the folder says why."""
    if not folder.exists():
        return "missing_folder"
    if not os.access(folder, os.W_OK) or (db_path.exists() and not os.access(db_path, os.R_OK | os.W_OK)):
        return "read_only"
    if _low_on_space(folder):
        return "disk_full"
    return "other"


def _text_kind(text: str, folder: Path, db_path: Path) -> Kind:
    """The kind from SQLite's words, for errors that arrive without a result code."""
    lowered = text.lower()
    if "unable to open database file" in lowered:
        return _cannot_open(folder, db_path)
    for needle, kind in _TEXT_KINDS:
        if needle in lowered:
            return kind
    return "other"


def _sqlite_kind(error: sqlite3.Error, folder: Path, db_path: Path) -> Kind:
    code = getattr(error, "sqlite_errorcode", None)
    if code is None:
        return _text_kind(str(error), folder, db_path)
    primary = int(code) & 0xFF
    if primary in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return "damaged"
    if primary == SQLITE_FULL:
        return "disk_full"
    if primary in (SQLITE_READONLY, SQLITE_PERM, SQLITE_AUTH):
        return "read_only"
    if primary in (SQLITE_BUSY, SQLITE_LOCKED):
        return "locked"
    if primary == SQLITE_CANTOPEN:
        return _cannot_open(folder, db_path)
    if primary == SQLITE_IOERR:
        # Creating the WAL index on a full disk fails as an I/O error, not SQLITE_FULL.
        if _low_on_space(folder):
            return "disk_full"
        kind = _cannot_open(folder, db_path)
        return kind if kind != "disk_full" else "other"
    return "other"


def _os_kind(error: OSError, folder: Path) -> Kind | None:
    """An OSError about HubCheck's own storage, or None when it is about something else
    (the CPL file being imported, a camera, the network)."""
    number = error.errno
    if number in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return "disk_full"
    if number == errno.EROFS:
        return "read_only"
    ours = _inside(error.filename, folder) or _inside(getattr(error, "filename2", None), folder)
    if not ours:
        return None
    if number in (errno.EACCES, errno.EPERM):
        return "read_only"
    if number == errno.ENOENT and not folder.exists():
        return "missing_folder"
    return "other"


def _is_database_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    return module.startswith("sqlalchemy") and "DBAPIError" in _class_names(exc)


def storage_problem(
    exc: BaseException, data_dir: Path | str, doing: Doing = "open"
) -> StorageProblem | None:
    """The storage problem behind ``exc``, or ``None`` when ``exc`` is not about storage
    (bad input, the network, a bug): those keep their own handling."""
    folder = Path(data_dir)
    db_path = folder / DB_FILE_NAME
    fallback: StorageProblem | None = None
    for current in _chain(exc):
        if isinstance(current, StorageFailure):
            return current.problem.for_doing(doing)
        names = _class_names(current)
        if "SchemaTooNewError" in names:
            return StorageProblem("too_new", folder, doing, db_path,
                                  found_version=getattr(current, "found", None),
                                  known_version=getattr(current, "understood", None))
        if "DamagedDatabaseError" in names:
            return StorageProblem("damaged", folder, doing, db_path)
        if isinstance(current, sqlite3.Error):
            return StorageProblem(_sqlite_kind(current, folder, db_path), folder, doing, db_path)
        if isinstance(current, OSError):
            kind = _os_kind(current, folder)
            if kind is not None:
                return StorageProblem(kind, folder, doing, db_path)
        elif _is_database_error(current) and fallback is None:
            fallback = StorageProblem(_text_kind(str(current), folder, db_path), folder, doing, db_path)
    return fallback


def short_cause(exc: BaseException) -> str:
    """SQLite's or the system's own words for the log, without SQLAlchemy's SQL text and
    bound parameters (which may hold install codes)."""
    for current in _chain(exc):
        if isinstance(current, sqlite3.Error | OSError) or "SchemaTooNewError" in _class_names(current):
            return f"{type(current).__name__}: {current}"
    return type(exc).__name__


def explain_storage_error(exc: BaseException, data_dir: Path | str, doing: Doing = "open") -> StorageProblem:
    """The plain explanation of ``exc``; anything not recognised is kind ``other`` (still
    plain: "HubCheck could not use its database …; … call support")."""
    problem = storage_problem(exc, data_dir, doing)
    if problem is not None:
        return problem
    folder = Path(data_dir)
    return StorageProblem("other", folder, doing, folder / DB_FILE_NAME)


def plain_error(exc: BaseException, data_dir: Path | str, doing: Doing) -> str:
    """What a window line may say about ``exc``: the storage explanation when it is about
    storage, else the exception's own text (bad input already speaks plainly)."""
    problem = storage_problem(exc, data_dir, doing)
    return problem.message if problem is not None else str(exc)


# ---------------------------------------------------------------------- keeping what was queued
@dataclass(frozen=True, slots=True)
class QueuedOnDisk:
    """What the file says is still waiting to be sent, read without writing a byte."""

    queued: int
    jobs: tuple[str, ...]


def read_queued_readonly(db_path: Path) -> QueuedOnDisk | None:
    """Count the queued Service Requests in ``db_path`` through a read-only connection.

    ``mode=ro`` first (it reads a WAL file too); where the folder is read-only and there
    is no WAL to read, ``immutable=1`` (SQLite then needs no lock or WAL index at all).
    ``None`` when the file cannot be read that far. Never writes, never creates a file.
    """
    if not db_path.is_file():
        return None
    uris = [f"{db_path.resolve().as_uri()}?mode=ro"]
    if not Path(f"{db_path}-wal").exists():
        uris.append(f"{db_path.resolve().as_uri()}?immutable=1")
    for uri in uris:
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=2)
        except sqlite3.Error:
            continue
        try:
            rows = conn.execute(
                "SELECT COALESCE(job_ref, ''), COUNT(*) FROM outbox_intents WHERE state = 'queued' "
                "GROUP BY job_ref ORDER BY MIN(id)"
            ).fetchall()
        except sqlite3.Error as error:
            log.info("read-only look at %s failed: %s", db_path, error)
            continue
        finally:
            conn.close()
        return QueuedOnDisk(sum(int(n) for _, n in rows), tuple(str(job) for job, _ in rows if job))
    return None


_copies: dict[Path, Path] = {}
_copies_lock = threading.Lock()


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def copy_damaged(db_path: Path) -> Path | None:
    """Copy a damaged database (and its WAL) byte for byte beside it; ``None`` when it cannot.

    SQLite's backup API would refuse a damaged file, so this is a plain file copy. One copy
    per damaged state: a second failure (another refresh, a restart) with the same bytes
    reuses the newest copy instead of filling the disk.
    """
    if not db_path.is_file():
        return None
    with _copies_lock:
        try:
            digest = _digest(db_path)
            earlier = sorted(db_path.parent.glob(f"{db_path.name}.damaged.*.bak"))
            if earlier and earlier[-1].stat().st_size == db_path.stat().st_size and _digest(earlier[-1]) == digest:
                _copies[db_path] = earlier[-1]
                return earlier[-1]
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            target = db_path.with_name(f"{db_path.name}.damaged.{stamp}.bak")
            shutil.copyfile(db_path, target)
            wal = Path(f"{db_path}-wal")
            if wal.is_file() and wal.stat().st_size:
                shutil.copyfile(wal, Path(f"{target}-wal"))
        except OSError as error:
            log.warning("could not copy the damaged database %s: %s", db_path, error)
            return None
        _copies[db_path] = target
        log.warning("the damaged database %s was copied to %s", db_path, target)
        return target


def keep_what_was_queued(problem: StorageProblem) -> StorageProblem:
    """Name what the file still holds and keep it: a read-only count of the queued Service
    Requests, and a copy of a damaged file. Reads files: call it on a worker."""
    found = read_queued_readonly(problem.db_path)
    copy = copy_damaged(problem.db_path) if problem.kind == "damaged" else None
    return replace(
        problem,
        queued=found.queued if found is not None else None,
        queued_jobs=found.jobs if found is not None else (),
        copy=copy,
        kept_checked=True,
    )


T = TypeVar("T")


def explained(work: Callable[..., T], data_dir: Path | str, doing: Doing, *, keep: bool = False) -> Callable[..., T]:
    """``work`` with its storage failures turned into :class:`StorageFailure` on the thread
    that met them (where reading the file is allowed); other failures pass unchanged.
    ``keep`` also counts what was queued and copies a damaged file."""

    def run(*args: Any, **kwargs: Any) -> T:
        try:
            return work(*args, **kwargs)
        except StorageFailure:
            raise
        except Exception as exc:
            problem = storage_problem(exc, data_dir, doing)
            if problem is None:
                raise
            log.error("storage problem while %s (%s): %s", doing, problem.kind, short_cause(exc))
            raise StorageFailure(keep_what_was_queued(problem) if keep else problem) from exc

    return run
