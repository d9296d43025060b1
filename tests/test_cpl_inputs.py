"""CPL inputs read right (DOMAIN A5): hex cells a spreadsheet turned into numbers, and the
CPL's own entry references (``CPL Entry ID``, MP231's "upgrades from") kept and shown.

Real files: workbooks written with openpyxl, CSVs on disk, a real SQLite store, and the
``hubcheck`` command line in a subprocess.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.domain.cpl_format import RowProblem, map_header, row_to_entry
from app.services.context import AppContext
from app.services.cpl_import import import_cpl
from app.store import cpl_repo
from tests.helpers_domain import CPL_HEADER, cpl_row, job_pack, jp_device, write_csv
from tests.test_cli import ok_json, parallel, run

LOST_HEX = "lost its hex text"


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    context = AppContext(tmp_path / "data")
    try:
        yield context
    finally:
        context.close()


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _excel_mangled_rows() -> list[list[object]]:
    """Header on line 1; lines 3 and 5 hold the numbers Excel makes of 10E0 and 00090100."""
    mangled = cpl_row("PPMID", "10E0", "00090100", "5A000002", "SMETS1")
    mangled[2], mangled[3] = 10, 90100  # type: ignore[call-overload]
    model_only = cpl_row("PPMID", "10E0", "00090100", "00020001")
    model_only[3] = 90100  # type: ignore[call-overload]
    return [
        CPL_HEADER,
        cpl_row("PPMID", "10E0", "00090100", "00020002"),
        mangled,
        cpl_row("CHF", "106C", "433100AC", "9001"),
        model_only,
    ]


def _entries(ctx: AppContext, manufacturer: str, model: str) -> list[object]:
    with ctx.engine.connect() as conn:
        return list(cpl_repo.entries_for_model(conn, manufacturer, model))


# --- cells that lost their hex text ----------------------------------------------------------------


def test_xlsx_numeric_ids_are_rejected_with_their_line_and_the_rest_imports(ctx: AppContext, tmp_path: Path) -> None:
    path = _workbook(tmp_path / "cpl.xlsx", _excel_mangled_rows())
    report = import_cpl(ctx, path)
    assert report.imported == 2
    assert [p.line for p in report.rejected] == [3, 5]
    first, second = (p.message for p in report.rejected)
    assert first.startswith("Manufacturer ID (10) and Model ID (90100) are numbers, not text")
    assert LOST_HEX not in first and "lost their hex text" in first
    assert second.startswith("Model ID (90100) is a number, not text") and LOST_HEX in second
    # Nothing was imported altered: no "10" manufacturer, no "90100" model, no SMETS1 row.
    assert _entries(ctx, "10", "90100") == [] and _entries(ctx, "10E0", "90100") == []
    kept = _entries(ctx, "10E0", "00090100")
    assert [e.firmware_version for e in kept] == ["00020002"]  # type: ignore[attr-defined]
    assert cpl_repo.status(ctx.engine).rejected_count == 2


def test_cli_import_of_an_excel_mangled_workbook_reports_each_row(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "CPL.xlsx", _excel_mangled_rows())
    data = ok_json(run("cpl", "import", str(path), "--json", data_dir=tmp_path / "data"))
    assert (data["imported"], data["rejected"]) == (2, 2)
    assert [p["line"] for p in data["problems"]] == [3, 5]
    assert all("not text" in p["message"] and "hex text" in p["message"] for p in data["problems"])
    assert "Manufacturer ID (10)" in data["problems"][0]["message"]
    looked = ok_json(run("cpl", "lookup", "--manufacturer", "10E0", "--model", "00090100", "--json",
                         data_dir=tmp_path / "data"))
    assert [e["firmware_version"] for e in looked["entries"]] == ["00020002"]


@pytest.mark.parametrize(
    ("column", "value", "title"),
    [
        (4, 1, "Hardware Version (1)"),
        (5, 20002, "Firmware Version (20002)"),
        (5, 20002.0, "Firmware Version (20002)"),
        (5, 1e21, "Firmware Version (1e+21)"),
        (10, 0, "Manufacturer Image Hash (0)"),
    ],
)
def test_every_hex_column_refuses_a_number(column: int, value: object, title: str) -> None:
    row: list[object] = list(cpl_row("PPMID", "10E0", "00090100", "00020002"))
    row[column] = value
    mapping = map_header(CPL_HEADER)
    assert mapping is not None
    problem = row_to_entry(row, mapping, 9)
    assert isinstance(problem, RowProblem) and problem.line == 9
    assert problem.message.startswith(f"{title} is a number, not text") and LOST_HEX in problem.message


def test_numbers_in_columns_that_are_not_hex_still_import() -> None:
    """A GBCS version of 4.2 or a date cell is not hex text: the row imports as before."""
    row: list[object] = list(cpl_row("PPMID", "10E0", "00090100", "00020002"))
    row[8] = 4.2
    mapping = map_header(CPL_HEADER)
    assert mapping is not None
    entry = row_to_entry(row, mapping, 4)
    assert not isinstance(entry, RowProblem)
    assert (entry.manufacturer_id, entry.model_id, entry.gbcs_version) == ("10E0", "00090100", "4.2")


# --- the CPL's entry references --------------------------------------------------------------------

REF_HEADER = [*CPL_HEADER, "CPL Entry ID", "Upgrades From CPL Entry IDs", "Notes"]


def _with_refs(row: list[str], entry_id: str, upgrades: str, notes: str = "") -> list[str]:
    return [*row, entry_id, upgrades, notes]


def test_entry_id_and_upgrade_ids_are_kept_and_looked_up(ctx: AppContext, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cpl.csv", [
        REF_HEADER,
        _with_refs(cpl_row("PPMID", "10E0", "00090100", "00020002"), "CPL-0417", "CPL-0311; CPL-0312,CPL-0311"),
        _with_refs(cpl_row("PPMID", "10E0", "00090100", "5A000002", "SMETS1"), "", "", "no reference given"),
    ])
    assert import_cpl(ctx, path).rejected == []
    s2, s1 = _entries(ctx, "10E0", "00090100")
    assert s2.cpl_entry_id == "CPL-0417"  # type: ignore[attr-defined]
    assert s2.upgrades_from == ("CPL-0311", "CPL-0312")  # type: ignore[attr-defined]
    assert (s1.cpl_entry_id, s1.upgrades_from) == ("", ())  # type: ignore[attr-defined]
    assert s1.extra == {"Notes": "no reference given"}  # type: ignore[attr-defined]
    assert s2.to_json()["cpl_entry_id"] == "CPL-0417"  # type: ignore[attr-defined]
    assert s1.to_json()["cpl_entry_id"] is None and s1.to_json()["upgrades_from"] == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("entry_header", "upgrades_header"),
    [("CPL Entry ID", "Upgrades From"), ("cpl_entry_id", "upgrade-from"), ("Entry ID", "Valid Upgrade From"),
     ("CPL Reference", "Upgradable From")],
)
def test_reference_headers_are_matched_like_the_others(entry_header: str, upgrades_header: str) -> None:
    mapping = map_header([*CPL_HEADER, entry_header, upgrades_header])
    assert mapping is not None
    entry = row_to_entry([*cpl_row("PPMID", "10E0", "00090100", "00020002"), "E1", "E0 | E00"], mapping, 2)
    assert not isinstance(entry, RowProblem)
    assert (entry.cpl_entry_id, entry.upgrades_from) == ("E1", ("E0", "E00"))


def test_an_xlsx_entry_id_stored_as_a_number_reads_as_written(ctx: AppContext, tmp_path: Path) -> None:
    path = _workbook(tmp_path / "cpl.xlsx", [
        REF_HEADER,
        [*cpl_row("PPMID", "10E0", "00090100", "00020002"), 417, "311, 312", None],
    ])
    assert import_cpl(ctx, path).imported == 1
    (entry,) = _entries(ctx, "10E0", "00090100")
    assert (entry.cpl_entry_id, entry.upgrades_from) == ("417", ("311", "312"))  # type: ignore[attr-defined]


def test_cli_shows_the_references_in_lookup_and_in_the_checked_entry(tmp_path: Path) -> None:
    data = tmp_path / "data"
    cpl = write_csv(tmp_path / "cpl.csv", [
        REF_HEADER,
        _with_refs(cpl_row("PPMID", "10E0", "00090100", "00020002"), "CPL-0417", "CPL-0311"),
        _with_refs(cpl_row("CHF", "106C", "433100AC", "9001"), "CPL-0900", ""),
    ])
    pack = tmp_path / "pack.json"
    pack.write_text(job_pack([{"job_ref": "J-1", "mpxn": "1900000000001", "devices": [
        jp_device("0011223344556601", "PPMID", firmware_version="00020002"),
        jp_device("0011223344556602", "CHF", manufacturer_id="106C", model_id="433100AC", firmware_version="9001",
                  smets_generation="SMETS2+"),
    ]}]))
    assert run("cpl", "import", str(cpl), data_dir=data).returncode == 0
    assert run("jobs", "import", str(pack), data_dir=data).returncode == 0
    looked, checked, text = parallel(
        lambda: run("cpl", "lookup", "--manufacturer", "10e0", "--model", "00090100", "--json", data_dir=data),
        lambda: run("check", "--ppmid", "0011223344556601", "--hub", "0011223344556602", "--json", data_dir=data),
        lambda: run("cpl", "lookup", "--manufacturer", "10e0", "--model", "00090100", data_dir=data),
    )
    (entry,) = ok_json(looked)["entries"]
    assert (entry["cpl_entry_id"], entry["upgrades_from"]) == ("CPL-0417", ["CPL-0311"])
    verdict = ok_json(checked)
    assert verdict["ppmid"]["cpl_entry"]["cpl_entry_id"] == "CPL-0417"
    assert verdict["ppmid"]["cpl_entry"]["upgrades_from"] == ["CPL-0311"]
    assert verdict["hub"]["cpl_entry"]["cpl_entry_id"] == "CPL-0900"
    assert text.returncode == 0 and "(CPL entry CPL-0417), upgrades from CPL-0311" in text.stdout
    assert json.dumps(verdict).count("CPL-0417") == 1
