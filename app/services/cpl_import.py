"""Import a CPL file (CSV or XLSX) into the cache: all or nothing, bad rows reported.

A file is read and validated first (``parse_cpl_file``), then written in one transaction.
The window previews a file (``preview_cpl_import``: nothing is written) and asks the
installer before an import that rejects rows or would leave fewer rows than the cache
holds, then imports the very rows it previewed. Each import keeps the CPL it replaces,
and ``restore_previous_cpl`` swaps it back: a damaged file that imported "successfully"
is undone in one step.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from app.domain.cpl_format import (
    DATE_FROM_FILE,
    DATE_MODIFIED,
    CplHeaderError,
    RowProblem,
    RowReader,
    RowValues,
    find_header,
    make_row_reader,
    stated_file_date,
)
from app.domain.errors import DomainInputError
from app.services.context import AppContext

if TYPE_CHECKING:  # the store (and SQLAlchemy) load when a file is written, not on import
    from app.store.cpl_repo import CplCacheStatus

Progress = Callable[[int], None]
_HEADER_SCAN_ROWS = 30


class CplFileError(DomainInputError):
    """The file cannot be read as a CPL at all (nothing was imported)."""


class NoPreviousCplError(DomainInputError):
    """No previous CPL is kept, so there is nothing to restore."""


@dataclass(slots=True)
class CplImportReport:
    file_name: str
    imported: int = 0
    rejected: list[RowProblem] = field(default_factory=list)
    file_date: datetime | None = None
    file_date_source: str | None = None
    # The CPL this import replaced, now kept as the previous one (None: the cache was empty).
    previous: CplCacheStatus | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.file_name,
            "imported": self.imported,
            "rejected": len(self.rejected),
            "problems": [p.to_json() for p in self.rejected],
            "file_date": self.file_date.isoformat() if self.file_date else None,
            "file_date_source": self.file_date_source,
            "previous": self.previous.summary_json() if self.previous else None,
        }


@dataclass(slots=True)
class ParsedCpl:
    """A CPL file read and validated but not written: what a preview shows and an import writes."""

    path: Path
    values: list[RowValues]
    rejected: list[RowProblem]
    file_date: datetime
    file_date_source: str  # cpl_repo.DATE_FROM_FILE or DATE_MODIFIED
    sha256: str

    @property
    def file_name(self) -> str:
        return self.path.name


@dataclass(frozen=True, slots=True)
class CplImportPreview:
    """What importing a file would do, read without touching the cache.

    ``needs_confirmation`` is what the window asks the installer about: a file that
    rejects rows, or one that would leave fewer rows than the cache holds (a truncated
    or damaged download "imports" fine and silently drops the rest of the list).
    """

    parsed: ParsedCpl = field(repr=False)
    current: CplCacheStatus

    @property
    def file_name(self) -> str:
        return self.parsed.file_name

    @property
    def new_rows(self) -> int:
        return len(self.parsed.values)

    @property
    def rejected(self) -> list[RowProblem]:
        return self.parsed.rejected

    @property
    def file_date(self) -> datetime:
        return self.parsed.file_date

    @property
    def file_date_source(self) -> str:
        return self.parsed.file_date_source

    @property
    def current_name(self) -> str | None:
        return self.current.file_name

    @property
    def current_date(self) -> datetime | None:
        return self.current.file_date

    @property
    def current_rows(self) -> int:
        return self.current.row_count

    @property
    def has_rejects(self) -> bool:
        return bool(self.parsed.rejected)

    @property
    def would_shrink(self) -> bool:
        return self.new_rows < self.current.row_count

    @property
    def needs_confirmation(self) -> bool:
        return self.has_rejects or self.would_shrink

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.file_name,
            "rows": self.new_rows,
            "rejected": len(self.rejected),
            "problems": [p.to_json() for p in self.rejected],
            "file_date": self.file_date.isoformat(),
            "file_date_source": self.file_date_source,
            "current": None if self.current.empty else self.current.summary_json(),
            "has_rejects": self.has_rejects,
            "would_shrink": self.would_shrink,
            "needs_confirmation": self.needs_confirmation,
        }


@dataclass(frozen=True, slots=True)
class CplRestoreReport:
    """After a restore: the CPL the cache now holds, and the one it replaced (now kept)."""

    restored: CplCacheStatus
    previous: CplCacheStatus | None

    def to_json(self) -> dict[str, object]:
        return {
            "restored": self.restored.summary_json(),
            "previous": self.previous.summary_json() if self.previous else None,
        }


def _encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM) when the bytes are valid UTF-8, else Windows-1252, else Latin-1."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def _csv_rows(data: bytes) -> Iterator[tuple[int, Sequence[object]]]:
    if b"\x00" in data[:65536]:
        raise CplFileError("this is not a text CSV file (it holds binary data)")
    encoding = _encoding(data)
    head = data[:65536].decode(encoding, errors="replace")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(head[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    # Decoded as it is read: a StringIO of the whole file would cost a copy of every character.
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    reader = csv.reader(stream, dialect, delimiter=_header_delimiter(head, dialect))
    try:
        line_before = 0
        for row in reader:
            # reader.line_num is the physical line where the record ended; report where it began.
            yield line_before + 1, row
            line_before = reader.line_num
    except csv.Error as exc:
        raise CplFileError(f"the CSV cannot be read past line {reader.line_num}: {exc}") from None


def _header_delimiter(text: str, dialect: type[csv.Dialect] | csv.Dialect) -> str:
    """The delimiter under which a header row appears; title rows above the header defeat the sniffer."""
    head = text[:65536]
    for delimiter in dict.fromkeys((dialect.delimiter, ",", ";", "\t", "|")):
        reader = csv.reader(io.StringIO(head, newline=""), dialect, delimiter=delimiter)
        try:
            find_header(list(itertools.islice(reader, _HEADER_SCAN_ROWS)))
        except (CplHeaderError, csv.Error):
            continue
        return delimiter
    return dialect.delimiter


def _xlsx_rows(path: Path) -> Iterator[tuple[int, Sequence[object]]]:
    try:
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile/openpyxl raise many kinds: all mean "not a readable workbook"
        raise CplFileError(f"the workbook cannot be opened: {exc}") from None
    try:
        for sheet in book.worksheets:
            rows = list(sheet.iter_rows(values_only=True))
            head = [list(r) for r in rows[:_HEADER_SCAN_ROWS]]
            try:
                find_header(head)
            except CplHeaderError:
                continue
            for number, row in enumerate(rows, start=1):
                yield number, ["" if c is None else c for c in row]
            return
    finally:
        book.close()


def read_rows(path: Path, data: bytes | None = None) -> Iterator[tuple[int, Sequence[object]]]:
    """Rows of a CPL file with their line numbers; ``data`` is the file's bytes when already read."""
    if data is None:
        data = _read_bytes(path)
    if data.startswith(b"PK"):
        return _xlsx_rows(path)
    return _csv_rows(data)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CplFileError(f"cannot read {path}: {exc.strerror or exc}") from None


def parse_cpl_file(path: Path, progress: Progress | None = None) -> ParsedCpl:
    """Read and validate a CPL file without writing anything; CplFileError when nothing is importable."""
    path = Path(path)
    data = _read_bytes(path)
    rows = read_rows(path, data)
    head = list(itertools.islice(rows, _HEADER_SCAN_ROWS))
    try:
        header_index, header = find_header([r for _, r in head])
    except CplHeaderError as exc:
        raise CplFileError(str(exc)) from None
    stated = stated_file_date([r for _, r in head[:header_index]], path.name)
    rejected: list[RowProblem] = []
    data_rows = itertools.chain(head[header_index + 1 :], rows)

    # hashlib releases the GIL on large buffers, so the file's fingerprint is computed on a
    # second core while this one parses.
    digest: list[str] = []
    hasher = threading.Thread(target=lambda: digest.append(hashlib.sha256(data).hexdigest()), daemon=True)
    hasher.start()
    values = _validate_rows(data_rows, make_row_reader(header), rejected, progress)
    hasher.join()
    if not values:
        raise CplFileError(
            f"no row of {path.name} could be imported ({len(rejected)} rejected); the previous CPL is kept"
        )
    if stated is not None:
        file_date, source = datetime.combine(stated, time()), DATE_FROM_FILE
    else:
        file_date, source = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None), DATE_MODIFIED
    return ParsedCpl(path, values, rejected, file_date, source, digest[0])


def preview_cpl_import(ctx: AppContext, path: Path, progress: Progress | None = None) -> CplImportPreview:
    """What importing ``path`` would do, next to what the cache holds; writes nothing.

    Raises CplFileError, as the import would, for a file nothing can be imported from.
    Pass ``preview.parsed`` to ``import_cpl`` to import exactly the rows previewed.
    """
    from app.store import cpl_repo

    parsed = parse_cpl_file(path, progress)
    return CplImportPreview(parsed, cpl_repo.status(ctx.engine))


def import_cpl(
    ctx: AppContext, path: Path, progress: Progress | None = None, *, parsed: ParsedCpl | None = None
) -> CplImportReport:
    """Replace the CPL cache with ``path``'s rows in one transaction; the old cache survives any failure.

    The replaced CPL is kept as the previous one (``restore_previous_cpl`` brings it back).
    ``parsed`` is the result of a preview of the same file, so it is not read twice.
    """
    path = Path(path)
    if parsed is None:
        parsed = parse_cpl_file(path, progress)
    elif parsed.path.absolute() != path.absolute():
        raise ValueError(f"the parsed rows are of {parsed.path}, not {path}")

    from app.store import cpl_repo

    report = CplImportReport(
        file_name=path.name,
        rejected=parsed.rejected,
        file_date=parsed.file_date,
        file_date_source=parsed.file_date_source,
    )
    # Rows are validated before the transaction opens, so the write lock is held only for
    # the insert itself and the window's lookups are not kept waiting by parsing.
    with ctx.engine.begin() as conn:
        report.imported = cpl_repo.replace_all(
            conn,
            parsed.values,
            file_name=path.name,
            file_date=parsed.file_date,
            imported_at=datetime.now(UTC).replace(tzinfo=None),
            rejected_count=len(parsed.rejected),
            sha256=parsed.sha256,
            file_date_source=parsed.file_date_source,
        )
        report.previous = cpl_repo.previous_in(conn)
    return report


def restore_previous_cpl(ctx: AppContext) -> CplRestoreReport:
    """Swap the previous CPL back into the cache; the replaced one becomes the previous.

    Restoring twice is back where it started. NoPreviousCplError when none is kept.
    """
    from app.store import cpl_repo

    with ctx.engine.begin() as conn:
        if not cpl_repo.swap_previous(conn):
            raise NoPreviousCplError(
                "there is no previous CPL to restore: one is kept only when an import replaces a CPL"
            )
        restored, previous = cpl_repo.current_in(conn), cpl_repo.previous_in(conn)
    return CplRestoreReport(restored, previous)


def _validate_rows(
    rows: Iterable[tuple[int, Sequence[object]]],
    read_row: RowReader,
    rejected: list[RowProblem],
    progress: Progress | None,
) -> list[RowValues]:
    """Every readable row's insert values; unreadable rows go to ``rejected`` with their line."""
    accepted: list[RowValues] = []
    keep, refuse = accepted.append, rejected.append
    for seen, (line, row) in enumerate(rows, start=1):
        if progress is not None and seen % 10_000 == 0:
            progress(seen)
        result = read_row(row if row.__class__ is list else list(row), line)
        if result is None:
            continue
        if result.__class__ is tuple:
            keep(result)
        else:
            refuse(result)  # type: ignore[arg-type]
    return accepted
