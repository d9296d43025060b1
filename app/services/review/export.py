"""Exporting install records to a file: the one entry point the window, both command lines and
the tests call, whichever source the records come from.

Why it is built this way:

* It speaks only the review contract (``ReviewSource.page``/``details``), so the laptop's
  database and the back office's export the same columns and the same certificates.
* Records are read a page at a time (keyset pages, oldest visit first) and written as they
  arrive: a million rows never sit in memory, on the laptop or at the back office.
* The file is written under a temporary name beside ``out_path`` and renamed over it only
  when complete: a cancelled or failed export leaves no half file, and an earlier export
  of the same name survives until the new one is whole.
* The window calls :func:`export_records` from a worker thread; ``progress`` and
  ``cancelled`` are plain callables so the thread never touches a widget (the window turns
  them into signals). PDF pages are painted with QPdfWriter, which Qt allows off the GUI
  thread.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from app.domain.redaction import mask_address, mask_mpxn, mask_postcode, scrub_text
from app.services.review.contract import (
    ReviewDetail,
    ReviewError,
    ReviewFilter,
    ReviewSort,
    ReviewSource,
    SortColumn,
)

#: Rows asked of the source per page (the sources clamp to their own maximum, 500), and so the
#: records whose details are asked at once (the back office's bulk route takes at most 500).
PAGE_SIZE = 500

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


class ExportFormat(StrEnum):
    CSV = "csv"
    PDF = "pdf"


class ExportError(Exception):
    """The export could not be written; the message is one plain sentence and nothing was
    left behind (an earlier file of the same name is untouched)."""


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote. ``cancelled`` exports wrote nothing (``records`` says how far it got)."""

    path: Path
    fmt: ExportFormat
    records: int
    redacted: bool
    cancelled: bool = False


class _Stop(Exception):
    """Raised inside the record stream when the caller cancels; never leaves this module."""


def parse_format(text: str) -> ExportFormat:
    """``csv`` or ``pdf`` (any case); ExportError naming the choices otherwise."""
    try:
        return ExportFormat(text.strip().lower())
    except ValueError:
        raise ExportError(f"unknown export format {text!r}: choose csv or pdf") from None


def redact_detail(detail: ReviewDetail) -> ReviewDetail:
    """A copy of one record fit for a redacted export (rules in ``app.domain.redaction``):
    MPxN, address and postcode masked, the record's own values scrubbed from every text."""
    known = [detail.mpxn, detail.postcode, *detail.address]
    reasons = [
        {key: (scrub_text(value, known, shapes=False) or "") if key in ("text", "remedy") else value
         for key, value in reason.items()}
        for reason in detail.reasons
    ]
    return replace(
        detail,
        mpxn=mask_mpxn(detail.mpxn),
        address=mask_address(detail.address),
        postcode=mask_postcode(detail.postcode),
        override_reason=scrub_text(detail.override_reason, known),
        abort_reason=scrub_text(detail.abort_reason, known),
        ppmid_scan=scrub_text(detail.ppmid_scan, known, shapes=False),
        hub_scan=scrub_text(detail.hub_scan, known, shapes=False),
        reasons=reasons,
        # ppmid_scan_entry / hub_scan_entry are kept by replace(): one of four fixed words, never
        # personal data, and the analyst needs them to see which device IDs were typed by hand.
        # A manual inventory change's reason is a person's free text, scrubbed like the others.
        inventory_change=replace(detail.inventory_change, reason=scrub_text(detail.inventory_change.reason, known))
        if detail.inventory_change is not None else None,
    )


def count_records(source: ReviewSource, flt: ReviewFilter) -> int:
    """How many records the filter selects, from the source's dashboard counts (one query);
    0 when the source cannot say, which a progress bar shows as "busy"."""
    try:
        return sum(day.count for day in source.summary(flt).visits_per_day)
    except Exception:  # a source without a dashboard must still export
        return 0


def iter_details(
    source: ReviewSource,
    flt: ReviewFilter,
    *,
    redact: bool = False,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    total: int = 0,
) -> Iterator[ReviewDetail]:
    """Every selected record's detail, oldest visit first, one page read at a time: the page's
    rows, then their details in one question (``source.details``: one request to a back office
    per page, not one per record)."""
    sort = ReviewSort(SortColumn.STARTED_AT, descending=False)
    after: str | None = None
    done = 0

    def stop_if_cancelled() -> None:
        if cancelled is not None and cancelled():
            raise _Stop

    while True:
        stop_if_cancelled()
        page = source.page(flt, sort, after=after, limit=PAGE_SIZE)
        stop_if_cancelled()  # before asking for the page's details, which take the longest
        details = source.details([row.record_id for row in page.rows]) if page.rows else []
        for detail in details:
            stop_if_cancelled()
            yield redact_detail(detail) if redact else detail
            done += 1
            if progress is not None:
                progress(done, max(total, done))
        if page.next_cursor is None or not page.rows:
            return
        after = page.next_cursor


def export_records(
    source: ReviewSource,
    flt: ReviewFilter,
    fmt: ExportFormat | str,
    redact: bool,
    out_path: Path | str,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> ExportResult:
    """Write the records ``flt`` selects from ``source`` to ``out_path`` as CSV or PDF.

    ``progress(done, total)`` is called after each record (``total`` is the source's count,
    0 when unknown, and never less than ``done``); ``cancelled()`` is polled between records
    and, once true, stops the export with nothing written. Raises ExportError (one sentence)
    when the source cannot answer or the file cannot be written.
    """
    kind = parse_format(fmt) if isinstance(fmt, str) else fmt
    out = Path(out_path)
    if out.is_dir():
        raise ExportError(f"{out} is a folder: give the name of the file to write")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create the folder {out.parent}: {exc.strerror or exc}") from None
    part = out.with_name(f".{out.name}.part")
    total = count_records(source, flt) if progress is not None else 0
    done = 0

    def counted() -> Iterator[ReviewDetail]:
        nonlocal done
        for detail in iter_details(source, flt, redact=redact, progress=progress, cancelled=cancelled, total=total):
            done += 1
            yield detail

    try:
        if kind is ExportFormat.CSV:
            from app.services.review.export_csv import write_csv

            write_csv(counted(), part, redacted=redact)
        else:
            from app.services.review.export_pdf import write_pdf

            write_pdf(counted(), part, redacted=redact, empty_note=_empty_note(flt))
        os.replace(part, out)
    except _Stop:
        _remove(part)
        return ExportResult(out, kind, done, redact, cancelled=True)
    except ReviewError as exc:
        _remove(part)
        raise ExportError(str(exc)) from None
    except OSError as exc:
        _remove(part)
        raise ExportError(f"cannot write {out}: {exc.strerror or exc}") from None
    except BaseException:
        _remove(part)
        raise
    return ExportResult(out, kind, done, redact)


def _empty_note(flt: ReviewFilter) -> str:
    """The one line an export with no records says, so an empty file is not mistaken for a fault."""
    if flt.date_from is None and flt.date_to is None:
        return "No install records to export."
    since = f"from {flt.date_from.isoformat()}" if flt.date_from else ""
    until = f"to {flt.date_to.isoformat()}" if flt.date_to else ""
    return f"No install records {' '.join(part for part in (since, until) if part)}."


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
