"""Install records as CSV: one row per visit, stable column names, safe to open in Excel.

Choices (docs/EXPORTS.md lists the columns; they are a contract for analysts' scripts):

* **UTF-8 with a byte-order mark.** Excel on Windows reads a CSV without one as the
  machine's ANSI code page and turns "Gŵyr" or "café" into mojibake; with the BOM it
  reads UTF-8. Python's ``encoding="utf-8-sig"``, pandas and LibreOffice skip the mark.
* **RFC 4180 quoting, CRLF line ends** (the csv module's defaults): commas, quotes and
  line breaks inside a value survive a round trip.
* **Formula guard.** A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return is written with a leading apostrophe, so Excel shows it as text instead
  of running it (an installer's override reason is free text; "=HYPERLINK(…)" must stay
  words). Every column HubCheck itself fills (dates, counts, device IDs) starts with a
  letter or a digit, so only typed text is ever changed.
* Rows are written as the records arrive: the file grows, memory does not.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import UTC
from pathlib import Path

from app.services.review.contract import ReviewDetail

#: The columns, in order. Add new ones at the end; never rename or drop one.
COLUMNS: tuple[str, ...] = (
    "record_id",
    "started_at",
    "installer",
    "job_ref",
    "outcome",
    "scenario",
    "ppmid",
    "hub",
    "meter",
    "regime",
    "regime_source",
    "verdict_level",
    "resulting_smets",
    "reason_codes",
    "overridden",
    "override_reason",
    "abort_reason",
    "sr_state",
    "sr_total",
    "sr_done",
    "sr_failed",
    "sr_outcomes",
    "mpxn",
    "address",
    "postcode",
    "audit_hash",
    "redacted",
    "ppmid_scan",
    "hub_scan",
    "ppmid_scan_entry",
    "hub_scan_entry",
    "inventory_change",
    "inventory_change_by",
    "inventory_change_at",
    "inventory_change_reason",
)

ENCODING = "utf-8-sig"
#: Leading characters a spreadsheet would treat as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard_cell(value: str) -> str:
    """The text with an apostrophe in front when a spreadsheet would run it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def sr_outcomes(detail: ReviewDetail) -> str:
    """Each Service Request as ``SRV state [response code]``, in the order the visit queued them."""
    parts = []
    for request in detail.requests:
        words = [request.srv, request.state]
        if request.response_code:
            words.append(request.response_code)
        parts.append(" ".join(words))
    return "; ".join(parts)


def csv_row(detail: ReviewDetail, *, redacted: bool) -> list[str]:
    """One record as the cells of :data:`COLUMNS` (already guarded)."""
    row = detail.row
    values: dict[str, str] = {
        "record_id": row.record_id,
        "started_at": row.started_at.astimezone(UTC).isoformat(timespec="seconds"),
        "installer": row.installer,
        "job_ref": row.job_ref,
        "outcome": row.outcome,
        "scenario": row.scenario,
        "ppmid": row.ppmid or "",
        "hub": row.hub or "",
        "meter": detail.meter or "",
        "regime": row.regime,
        "regime_source": row.regime_source,
        "verdict_level": row.verdict_level,
        "resulting_smets": detail.resulting_smets or "",
        "reason_codes": ";".join(reason.get("code", "") for reason in detail.reasons),
        "overridden": "true" if row.overridden else "false",
        "override_reason": detail.override_reason or "",
        "abort_reason": detail.abort_reason or "",
        "sr_state": row.sr_state.value,
        "sr_total": str(row.sr_total),
        "sr_done": str(row.sr_done),
        "sr_failed": str(row.sr_failed),
        "sr_outcomes": sr_outcomes(detail),
        "mpxn": detail.mpxn or "",
        "address": ", ".join(line for line in detail.address if line),
        "postcode": detail.postcode or "",
        "audit_hash": detail.audit_hash or "",
        "redacted": "true" if redacted else "false",
        "ppmid_scan": detail.ppmid_scan or "",
        "hub_scan": detail.hub_scan or "",
        "ppmid_scan_entry": detail.ppmid_scan_entry or "",
        "hub_scan_entry": detail.hub_scan_entry or "",
        **_inventory_cells(detail),
    }
    return [guard_cell(values[column]) for column in COLUMNS]


def _inventory_cells(detail: ReviewDetail) -> dict[str, str]:
    """A manual inventory change's decision (pending, approved, refused), who made it, when and
    why; all empty for a visit that asked for none or whose decision this source does not know."""
    change = detail.inventory_change
    if change is None:
        return {"inventory_change": "", "inventory_change_by": "", "inventory_change_at": "",
                "inventory_change_reason": ""}
    return {
        "inventory_change": change.decision,
        "inventory_change_by": change.decided_by or "",
        "inventory_change_at": change.decided_at.astimezone(UTC).isoformat(timespec="seconds")
        if change.decided_at is not None else "",
        "inventory_change_reason": change.reason or "",
    }


def write_csv(details: Iterable[ReviewDetail], path: Path, *, redacted: bool) -> int:
    """Write the header and one row per record to ``path``; the number of rows written.
    ``details`` must already be redacted when ``redacted`` (the flag fills the column)."""
    count = 0
    with path.open("w", encoding=ENCODING, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for detail in details:
            writer.writerow(csv_row(detail, redacted=redacted))
            count += 1
    return count
