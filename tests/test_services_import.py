"""CPL, job pack and inventory import services (DOMAIN Part A3) against a real store in a temp folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.domain.errors import DomainInputError
from app.domain.ids import parse_device_id
from app.domain.smets import Generation
from app.services.context import AppContext
from app.services.cpl_import import CplFileError, import_cpl
from app.services.jobs_import import JobsFileError, import_jobs_file
from app.store import cpl_repo, device_repo
from tests.availability import unavailable
from tests.helpers_domain import CPL_HEADER, cpl_row, inventory_xml, job_pack, jp_device, write_csv


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    context = AppContext(tmp_path / "data")
    try:
        yield context
    finally:
        context.close()


def lookup(ctx: AppContext, manufacturer: str, model: str) -> list[object]:
    with ctx.engine.connect() as conn:
        return list(cpl_repo.entries_for_model(conn, manufacturer, model))


def row_count(ctx: AppContext) -> int:
    return cpl_repo.status(ctx.engine).row_count


GOOD = [
    cpl_row("PPMID", "10E0", "00090100", "00020002"),
    cpl_row("PPMID", "10E0", "00090100", "5A000002", "SMETS1"),
    cpl_row("CHF", "106C", "433100AC", "9001"),
]


# --- CPL: layouts -------------------------------------------------------------------------------


def test_plain_csv_imports_every_row(ctx: AppContext, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cpl.csv", [CPL_HEADER, *GOOD])
    report = import_cpl(ctx, path)
    assert (report.imported, report.rejected) == (3, [])
    data = report.to_json()
    assert data.pop("file_date") == datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None).isoformat()
    assert data == {"file": "cpl.csv", "imported": 3, "rejected": 0, "problems": [],
                    "file_date_source": "modified", "previous": None}
    entries = lookup(ctx, "10e0", "00090100")
    assert len(entries) == 2


def test_title_rows_above_the_header_are_skipped_and_lines_stay_true(ctx: AppContext, tmp_path: Path) -> None:
    bad = cpl_row("PPMID", "10E0", "00090100", "00020003", status="Retired")
    rows = [["Central Products List"], ["Published 2026-10-01"], [], CPL_HEADER, GOOD[0], bad, GOOD[2]]
    path = write_csv(tmp_path / "titled.csv", rows)
    report = import_cpl(ctx, path)
    assert report.imported == 2
    assert [(p.line, "Retired" in p.message) for p in report.rejected] == [(6, True)]


def test_aliases_and_odd_header_spacing_and_case(ctx: AppContext, tmp_path: Path) -> None:
    header = ["  DEVICE   type", "mfr id", "Model Identifier ", "fw version", "hw", "smets generation", "CPL STATUS"]
    rows = [header, ["ppmid", "10e0", "00090100", "00020002", "0001", "SMETS2+", "active"]]
    report = import_cpl(ctx, write_csv(tmp_path / "odd.csv", rows))
    assert report.imported == 1
    (entry,) = lookup(ctx, "10E0", "00090100")
    assert entry.firmware_version == "00020002"  # type: ignore[attr-defined]
    assert entry.hardware_version == "0001"  # type: ignore[attr-defined]
    assert entry.generation is Generation.SMETS2_PLUS  # type: ignore[attr-defined]


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_other_delimiters_with_title_rows(ctx: AppContext, tmp_path: Path, delimiter: str) -> None:
    rows = [["Central Products List, export of 2026-10-01"], CPL_HEADER, *GOOD]
    report = import_cpl(ctx, write_csv(tmp_path / "semi.csv", rows, delimiter=delimiter))
    assert report.imported == 3, report.rejected


def test_unknown_columns_are_kept(ctx: AppContext, tmp_path: Path) -> None:
    rows = [[*CPL_HEADER, "ZigBee Certificate"], [*GOOD[0], "ZIG-0001"]]
    import_cpl(ctx, write_csv(tmp_path / "extra.csv", rows))
    (entry,) = lookup(ctx, "10E0", "00090100")
    assert entry.extra == {"ZigBee Certificate": "ZIG-0001"}  # type: ignore[attr-defined]


def test_bad_rows_are_reported_with_their_physical_line_while_the_rest_imports(ctx: AppContext, tmp_path: Path) -> None:
    text = (
        ",".join(CPL_HEADER) + "\n"                                        # line 1
        + ",".join(GOOD[0]) + "\n"                                         # line 2
        + 'PPMID,"Maker\nwith a two-line name",10E0,00090100,0001,00020002,SMETS2+,,,Active,,\n'  # lines 3-4
        + "TOASTER,Maker,10E0,1,1,1,,,,Active,,\n"                        # line 5
        + "\n"                                                             # line 6 (blank: skipped)
        + "PPMID,Maker,,00090100,0001,00020002,,,,Active,,\n"              # line 7
        + "PPMID,Maker,10E0,00090100,0001,00020002,SMETS9,,,Active,,\n"    # line 8
        + ",".join(GOOD[2]) + "\n"                                         # line 9
    )
    path = tmp_path / "mixed.csv"
    path.write_text(text, encoding="utf-8")
    report = import_cpl(ctx, path)
    assert report.imported == 3
    assert [p.line for p in report.rejected] == [5, 7, 8]
    assert "TOASTER" in report.rejected[0].message
    assert "Manufacturer ID" in report.rejected[1].message
    assert cpl_repo.status(ctx.engine).rejected_count == 3


def test_encodings_bom_and_windows_1252(ctx: AppContext, tmp_path: Path) -> None:
    body = "\r\n".join([",".join(CPL_HEADER), ",".join(cpl_row("PPMID", "10E0", "00090100", "00020002"))]) + "\r\n"
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + body.encode())
    assert import_cpl(ctx, bom).imported == 1
    legacy = tmp_path / "cp1252.csv"
    legacy.write_bytes(body.replace("Maker", "Soci\u00e9t\u00e9").encode("cp1252"))
    assert import_cpl(ctx, legacy).imported == 1


# --- CPL: failures keep the previous cache ---------------------------------------------------------


def _import_good(ctx: AppContext, tmp_path: Path) -> None:
    report = import_cpl(ctx, write_csv(tmp_path / "good.csv", [CPL_HEADER, *GOOD]))
    assert report.imported == 3


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"just,some,columns\n1,2,3\n", "no header row"),
        (b"\x00\x01\x02PK-not-really\x00" * 50, "binary"),
        (b"", "no header row"),
        (b"PK\x03\x04 this is not a zip", "workbook cannot be opened"),
    ],
    ids=["no-header", "binary", "empty", "broken-xlsx"],
)
def test_unreadable_file_leaves_the_previous_cpl_intact(
    ctx: AppContext, tmp_path: Path, content: bytes, says: str
) -> None:
    _import_good(ctx, tmp_path)
    before = cpl_repo.status(ctx.engine)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    with pytest.raises(CplFileError, match=says):
        import_cpl(ctx, bad)
    after = cpl_repo.status(ctx.engine)
    assert (after.file_name, after.row_count, after.imported_at) == ("good.csv", 3, before.imported_at)
    assert len(lookup(ctx, "10E0", "00090100")) == 2


def test_file_whose_every_row_is_bad_imports_nothing(ctx: AppContext, tmp_path: Path) -> None:
    _import_good(ctx, tmp_path)
    path = write_csv(tmp_path / "allbad.csv", [CPL_HEADER, cpl_row("TOASTER", "1", "2", "3"), cpl_row("PPMID", "", "2", "3")])
    with pytest.raises(CplFileError, match="previous CPL is kept"):
        import_cpl(ctx, path)
    st = cpl_repo.status(ctx.engine)
    assert (st.file_name, st.row_count, st.rejected_count) == ("good.csv", 3, 0)


def test_missing_file_is_a_clear_error(ctx: AppContext, tmp_path: Path) -> None:
    with pytest.raises(CplFileError, match="cannot read"):
        import_cpl(ctx, tmp_path / "nope.csv")


def test_reimport_replaces_atomically_and_records_name_date_and_count(ctx: AppContext, tmp_path: Path) -> None:
    _import_good(ctx, tmp_path)
    newer = write_csv(tmp_path / "cpl-2026-11.csv", [CPL_HEADER, cpl_row("PPMID", "1187", "00070001", "01020304")])
    stamp = datetime(2026, 11, 1, 12, 30, tzinfo=UTC)
    os.utime(newer, (stamp.timestamp(), stamp.timestamp()))
    report = import_cpl(ctx, newer)
    assert report.imported == 1
    st = cpl_repo.status(ctx.engine)
    assert st.file_name == "cpl-2026-11.csv"
    assert st.file_date == stamp.replace(tzinfo=None)
    assert st.row_count == 1
    assert st.imported_at is not None
    assert lookup(ctx, "10E0", "00090100") == [], "nothing of the old file survives"
    assert len(lookup(ctx, "1187", "00070001")) == 1


# --- CPL: XLSX --------------------------------------------------------------------------------------


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    import openpyxl
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_xlsx_with_a_cover_sheet_title_rows_and_a_bad_row(ctx: AppContext, tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["Central Products List"],
        [None],
        CPL_HEADER,
        GOOD[0],
        cpl_row("PPMID", "10E0", "00090100", "00020009", status="Retired"),
        ["CHF", "Samplehub", "106C", "433100AC", "0001", "9001", "SMETS2+", "CHTS V1.4", 4.2, "Active", "", "2026-10-01"],
        # Hex stored as numbers lost their text ("0001" became 1): rejected, never imported altered (A5).
        ["CHF", "Samplehub", "106C", "433100AD", 1, 9001, "SMETS2+", "CHTS V1.4", 4.2, "Active", "", "2026-10-01"],
    ]
    path = _workbook(tmp_path / "cpl.xlsx", {"Read me": [["This workbook lists products"]], "CPL": rows})
    report = import_cpl(ctx, path)
    assert report.imported == 2
    assert [p.line for p in report.rejected] == [5, 7]  # the spreadsheet row numbers
    assert "Hardware Version (1) and Firmware Version (9001) are numbers" in report.rejected[1].message
    (hub,) = lookup(ctx, "106C", "433100AC")
    assert hub.firmware_version == "9001"  # type: ignore[attr-defined]
    assert lookup(ctx, "106C", "433100AD") == []
    assert cpl_repo.status(ctx.engine).file_name == "cpl.xlsx"


def test_xlsx_without_a_header_is_refused(ctx: AppContext, tmp_path: Path) -> None:
    _import_good(ctx, tmp_path)
    path = _workbook(tmp_path / "empty.xlsx", {"Sheet": [["nothing", "here"]]})
    with pytest.raises(CplFileError, match="no header row"):
        import_cpl(ctx, path)
    assert row_count(ctx) == 3


# --- job packs and inventory responses ---------------------------------------------------------------


def test_job_pack_import_reports_problems_and_stores_the_rest(ctx: AppContext, tmp_path: Path) -> None:
    path = tmp_path / "pack.json"
    path.write_text(job_pack([
        {"job_ref": "J1", "address": {"lines": ["1 A St"], "postcode": "zz1 1aa"},
         "devices": [jp_device("0011223344556677"), jp_device("bad-id"), jp_device("00112233445566AA", "CHF")]},
        {"job_ref": "J1"},
    ]))
    report = import_jobs_file(ctx, path)
    assert (report.kind, report.jobs, report.devices) == ("jobpack", 1, 2)
    assert [w for w, _ in report.problems] == ["jobs[0].devices[1]", "jobs[1]"]
    data = report.to_json()
    assert data["rejected"] == 2 and data["problems"][0]["where"] == "jobs[0].devices[1]"  # type: ignore[index]
    with ctx.engine.connect() as conn:
        records = device_repo.records_for(conn, parse_device_id("0011223344556677"))
        jobs = device_repo.search_jobs(conn, "ZZ1 1AA")
    assert records[0].job_ref == "J1"
    assert [j.job_ref for j in jobs] == ["J1"]
    assert jobs[0].postcode == "ZZ1 1AA"


def test_inventory_import_reports_problems_and_stores_the_rest(ctx: AppContext, tmp_path: Path) -> None:
    path = tmp_path / "inv.xml"
    path.write_bytes(inventory_xml([
        {"DeviceID": "00-DB-12-34-56-78-90-A2", "DeviceType": "CHF", "DeviceManufacturer": "1072",
         "DeviceModel": "57310102", "CSPRegion": "SMETS1", "CPLStatus": "Active"},
        {"DeviceID": "00-DB-12", "DeviceType": "GPF", "DeviceManufacturer": "1072", "DeviceModel": "57310102"},
    ]))
    report = import_jobs_file(ctx, path)
    assert (report.kind, report.devices) == ("inventory", 1)
    assert [w for w, _ in report.problems] == ["Device[2]"]
    with ctx.engine.connect() as conn:
        (record,) = device_repo.records_for(conn, parse_device_id("00DB1234567890A2"))
    assert record.generation is Generation.SMETS1


def test_shared_inventory_response_imports(ctx: AppContext, shared_dir: Path) -> None:
    path = shared_dir / "duis" / "responses" / "read-inventory-response-5.4.xml"
    if not path.is_file():
        unavailable(f"the shared DUIS inventory response is absent ({path})")
    report = import_jobs_file(ctx, path)
    assert (report.kind, report.devices, report.problems) == ("inventory", 3, [])


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"hello", JobsFileError),
        (b"", JobsFileError),
        (b"{broken", DomainInputError),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', DomainInputError),
    ],
    ids=["text", "empty", "bad-json", "entity-xml"],
)
def test_unreadable_job_files_raise_the_domain_error(
    ctx: AppContext, tmp_path: Path, content: bytes, error: type[Exception]
) -> None:
    path = tmp_path / "x.dat"
    path.write_bytes(content)
    with pytest.raises(error):
        import_jobs_file(ctx, path)
