"""CSV exports of install records: every record and column back through the csv module,
special characters intact, formulas kept as text, redaction, paging, date ranges, cancelling."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from app.domain.redaction import REDACTED, mask_address, mask_mpxn, mask_postcode, scrub_text
from app.services.review.contract import ReviewFilter
from app.services.review.export import ExportError, export_records
from app.services.review.export_csv import COLUMNS, guard_cell
from app.services.review.local import LocalReviewSource
from tests.export_helpers import ABORT, OVERRIDE, Visit, laptop_with_visits


@pytest.fixture
def laptop(tmp_path: Path) -> tuple[LocalReviewSource, list[Visit]]:
    visits = laptop_with_visits(tmp_path / "data")
    source = LocalReviewSource(tmp_path / "data")
    yield source, visits
    source.close()


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def test_round_trip_every_record_every_column(laptop: tuple[LocalReviewSource, list[Visit]], tmp_path: Path) -> None:
    source, visits = laptop
    out = tmp_path / "records.csv"
    result = export_records(source, ReviewFilter(), "csv", False, out)
    assert result.records == 4 and not result.cancelled and not result.redacted
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    assert b"\r\n" in raw
    header, rows = read_rows(out)
    assert header == list(COLUMNS)
    assert [row["record_id"] for row in rows] == [v.record_id for v in visits]  # oldest first
    for row, visit in zip(rows, visits, strict=True):
        assert set(row) == set(COLUMNS) and None not in row.values()
        assert row["job_ref"] == visit.job_ref
        assert row["started_at"].startswith(visit.day.isoformat())
        assert row["verdict_level"] == visit.level
        assert row["mpxn"] == visit.mpxn
        assert row["postcode"] == visit.postcode
        assert row["address"] == ", ".join(visit.address)
        assert row["audit_hash"] == visit.audit_hash
        assert row["redacted"] == "false"
        assert row["installer"] and row["regime"] == "tactical"
    ok, stop, aborted, warn = rows
    assert ok["outcome"] == "recorded" and ok["resulting_smets"] == "SMETS2+" and ok["overridden"] == "false"
    assert ok["sr_total"] == "7" and ok["sr_state"] == "waiting"
    assert ok["sr_outcomes"].split("; ")[:2] == ["8.14.1 queued", "8.11 queued"]
    assert ok["ppmid"] and ok["hub"] and ok["meter"]
    assert stop["overridden"] == "true" and stop["reason_codes"] == "SMETS_MISMATCH" and stop["resulting_smets"] == ""
    # quotes, commas, non-ASCII letters survive; the formula is kept as text behind an apostrophe
    assert stop["override_reason"] == "'" + OVERRIDE
    assert aborted["outcome"] == "aborted" and aborted["abort_reason"] == "'" + ABORT
    assert aborted["sr_total"] == "0" and aborted["sr_state"] == "none" and aborted["sr_outcomes"] == ""
    assert warn["verdict_level"] == "warn" and "HUB_NOT_ON_CPL" in warn["reason_codes"].split(";")


def test_no_cell_a_spreadsheet_would_run(laptop: tuple[LocalReviewSource, list[Visit]], tmp_path: Path) -> None:
    source, _ = laptop
    out = tmp_path / "records.csv"
    export_records(source, ReviewFilter(), "csv", False, out)
    _, rows = read_rows(out)
    cells = [cell for row in rows for cell in row.values()]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+44 7700", "'+44 7700"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        ("J-000101", "J-000101"),
        ("", ""),
    ],
)
def test_formula_guard(value: str, written: str) -> None:
    assert guard_cell(value) == written


def test_redacted_csv_holds_no_mpxn_address_or_postcode(
    laptop: tuple[LocalReviewSource, list[Visit]], tmp_path: Path
) -> None:
    source, visits = laptop
    out = tmp_path / "redacted.csv"
    result = export_records(source, ReviewFilter(), "csv", True, out)
    assert result.redacted and result.records == 4
    text = out.read_text(encoding="utf-8-sig")
    for visit in visits:
        assert visit.mpxn not in text
        assert visit.postcode not in text and visit.postcode.replace(" ", "") not in text
        assert visit.address[0] not in text
    assert "Sample Street" not in text and "1900000000" not in text
    _, rows = read_rows(out)
    for row, visit in zip(rows, visits, strict=True):
        assert row["mpxn"] == "*" * 11 + visit.mpxn[-2:]
        assert row["postcode"] == "ZZ *** ***"
        assert row["address"] == REDACTED
        assert row["redacted"] == "true"
        assert row["record_id"] == visit.record_id and row["audit_hash"] == visit.audit_hash
        assert row["ppmid"] == "" or row["ppmid"].count("-") == 7  # device IDs are not personal data
    stop, aborted = rows[1], rows[2]
    assert "café Gŵyr" in stop["override_reason"] and "HYPERLINK" in stop["override_reason"]
    assert stop["override_reason"].endswith(f"at {REDACTED} {REDACTED}")
    assert aborted["abort_reason"].endswith(f"MPRN {REDACTED}")


def test_date_range_is_inclusive_on_gb_days(laptop: tuple[LocalReviewSource, list[Visit]], tmp_path: Path) -> None:
    source, visits = laptop
    out = tmp_path / "range.csv"
    result = export_records(source, ReviewFilter(date_from=date(2025, 3, 2), date_to=date(2025, 3, 3)), "csv", False, out)
    assert result.records == 2
    _, rows = read_rows(out)
    assert [row["record_id"] for row in rows] == [visits[1].record_id, visits[2].record_id]
    empty = tmp_path / "empty.csv"
    assert export_records(source, ReviewFilter(date_from=date(2030, 1, 1)), "csv", False, empty).records == 0
    header, rows = read_rows(empty)
    assert header == list(COLUMNS) and rows == []


def test_pages_are_followed_to_the_end(tmp_path: Path) -> None:
    """More records than one page holds: every one is written once, in order."""
    from datetime import UTC, datetime, timedelta

    from app.services.context import AppContext
    from app.services.installs import abort_visit
    from app.services.review import export

    ctx = AppContext(tmp_path / "data")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    count = export.PAGE_SIZE + 3
    for n in range(count):
        abort_visit(ctx, f"J-{n:06d}", "no access", started_at=start + timedelta(minutes=n))
    ctx.close()
    seen: list[tuple[int, int]] = []
    with_source = LocalReviewSource(tmp_path / "data")
    try:
        result = export_records(
            with_source, ReviewFilter(), "csv", False, tmp_path / "many.csv", progress=lambda d, t: seen.append((d, t))
        )
    finally:
        with_source.close()
    _, rows = read_rows(tmp_path / "many.csv")
    assert result.records == count == len(rows) == len({row["record_id"] for row in rows})
    assert [row["job_ref"] for row in rows] == [f"J-{n:06d}" for n in range(count)]
    assert [done for done, _ in seen] == list(range(1, count + 1))
    assert all(total >= done for done, total in seen)


def test_cancelling_writes_nothing_and_keeps_the_earlier_file(
    laptop: tuple[LocalReviewSource, list[Visit]], tmp_path: Path
) -> None:
    source, _ = laptop
    out = tmp_path / "records.csv"
    out.write_text("yesterday's export\n")
    done: list[int] = []
    result = export_records(
        source, ReviewFilter(), "csv", False, out,
        progress=lambda d, _t: done.append(d), cancelled=lambda: len(done) >= 2,
    )
    assert result.cancelled and result.records == 2
    assert out.read_text() == "yesterday's export\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "data") == ["records.csv"]  # no .part left


def test_a_folder_or_unknown_format_is_a_plain_error(
    laptop: tuple[LocalReviewSource, list[Visit]], tmp_path: Path
) -> None:
    source, _ = laptop
    with pytest.raises(ExportError, match="is a folder"):
        export_records(source, ReviewFilter(), "csv", False, tmp_path)
    with pytest.raises(ExportError, match="choose csv or pdf"):
        export_records(source, ReviewFilter(), "xlsx", False, tmp_path / "x.xlsx")


# -- the redaction rules themselves (app/domain/redaction.py) ---------------------------------


def test_masks() -> None:
    assert mask_mpxn("1900000000001") == "***********01"
    assert mask_mpxn(" 1234 567 ") == "*****67"
    assert mask_mpxn("1234") == "****" and mask_mpxn(None) is None
    assert mask_postcode("sw1a 1aa") == "SW *** ***" and mask_postcode("M1 1AE") == "M *** ***"
    assert mask_postcode("not a postcode") == REDACTED and mask_postcode(None) is None
    assert mask_address(["1 Sample Street", "Testville"]) == [REDACTED] and mask_address(["", " "]) == []


def test_scrub_text_finds_the_records_values_and_their_shapes() -> None:
    known = ["1900000000001", "ZZ1 1AA", "1 Sample Street", "Testville"]
    text = "left card at 1 sample  street, testville zz1  1aa; also SW1A 1AA and 0123 456 789 and fw 0002"
    scrubbed = scrub_text(text, known) or ""
    for leaked in ("sample", "testville", "zz1", "sw1a", "0123 456 789"):
        assert leaked not in scrubbed.lower()
    assert scrubbed.startswith(f"left card at {REDACTED}") and "fw 0002" in scrubbed  # a short number is not an MPxN
    # HubCheck's own reason texts keep their firmware versions: only the record's values go
    reason = "firmware 00020002 is not on the CPL for Testville"
    assert scrub_text(reason, known, shapes=False) == f"firmware 00020002 is not on the CPL for {REDACTED}"


def test_a_redacted_export_scrubs_personal_data_from_an_inventory_change_reason(
    laptop: tuple[LocalReviewSource, list[Visit]],
) -> None:
    """An admin's reason for deciding a manual inventory change is free text: a redacted export
    scrubs the record's own MPxN and postcode from it, as from an override reason."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from app.services.review.contract import InventoryDecision
    from app.services.review.export import redact_detail

    source, visits = laptop
    visit = visits[1]
    detail = source.detail(visit.record_id)
    assert detail.mpxn == visit.mpxn and detail.postcode == visit.postcode
    decided = InventoryDecision("refused", "pat.supervisor", datetime(2026, 12, 1, 9, tzinfo=UTC),
                                f"customer at {visit.postcode} (MPAN {visit.mpxn}) refused access")
    redacted = redact_detail(replace(detail, inventory_change=decided)).inventory_change
    assert redacted is not None and (redacted.decision, redacted.decided_by) == ("refused", "pat.supervisor")
    assert visit.mpxn not in (redacted.reason or "") and visit.postcode not in (redacted.reason or "")
    assert REDACTED in (redacted.reason or "") and "refused access" in (redacted.reason or "")
