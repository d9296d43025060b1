"""Import a CPL file (CSV or XLSX) into the cache: all or nothing, bad rows reported."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from app.domain.cpl_format import (
    CplHeaderError,
    RowProblem,
    RowReader,
    RowValues,
    find_header,
    make_row_reader,
)
from app.domain.errors import DomainInputError
from app.services.context import AppContext

Progress = Callable[[int], None]
_HEADER_SCAN_ROWS = 30


class CplFileError(DomainInputError):
    """The file cannot be read as a CPL at all (nothing was imported)."""


@dataclass(slots=True)
class CplImportReport:
    file_name: str
    imported: int = 0
    rejected: list[RowProblem] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.file_name,
            "imported": self.imported,
            "rejected": len(self.rejected),
            "problems": [p.to_json() for p in self.rejected],
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


def import_cpl(ctx: AppContext, path: Path, progress: Progress | None = None) -> CplImportReport:
    """Replace the CPL cache with ``path``'s rows in one transaction; the old cache survives any failure."""
    path = Path(path)
    data = _read_bytes(path)
    rows = read_rows(path, data)
    head = list(itertools.islice(rows, _HEADER_SCAN_ROWS))
    try:
        header_index, header = find_header([r for _, r in head])
    except CplHeaderError as exc:
        raise CplFileError(str(exc)) from None
    report = CplImportReport(file_name=path.name)
    data_rows = itertools.chain(head[header_index + 1 :], rows)

    # hashlib releases the GIL on large buffers, so the file's fingerprint is computed on a
    # second core while this one parses.
    digest: list[str] = []
    hasher = threading.Thread(target=lambda: digest.append(hashlib.sha256(data).hexdigest()), daemon=True)
    hasher.start()
    values = _validate_rows(data_rows, make_row_reader(header), report.rejected, progress)
    hasher.join()
    if not values:
        raise CplFileError(
            f"no row of {path.name} could be imported ({len(report.rejected)} rejected); the previous CPL is kept"
        )

    from app.store import cpl_repo

    stat = path.stat()
    # Rows are validated before the transaction opens, so the write lock is held only for
    # the insert itself and the window's lookups are not kept waiting by parsing.
    with ctx.engine.begin() as conn:
        report.imported = cpl_repo.replace_all(
            conn,
            values,
            file_name=path.name,
            file_date=datetime.fromtimestamp(stat.st_mtime, UTC).replace(tzinfo=None),
            imported_at=datetime.now(UTC).replace(tzinfo=None),
            rejected_count=len(report.rejected),
            sha256=digest[0],
        )
    return report


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
