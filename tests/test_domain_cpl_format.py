"""CPL rows (DOMAIN Part A3): header-driven, aliases, unknown columns kept, bad rows reported by line."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.cpl_format import (
    CplHeaderError,
    HeaderMap,
    RowProblem,
    date_in_text,
    find_header,
    map_header,
    normalise_header,
    row_to_entry,
    stated_file_date,
)
from app.domain.devices import CplStatus, DeviceType
from app.domain.errors import DomainInputError
from app.domain.smets import Generation
from tests.helpers_domain import CPL_HEADER

ROW = ["PPMID", "Samplecom", "10e0", "00090100", "0001", "00020002", "SMETS2+", "SMETS V4.2", "3.2", "Active", "ab" * 32, "2026-10-01"]


def header() -> HeaderMap:
    mapping = map_header(CPL_HEADER)
    assert mapping is not None
    return mapping


def test_canonical_header_maps_every_field() -> None:
    mapping = header()
    assert set(mapping.fields) == {
        "device_type",
        "manufacturer_name",
        "manufacturer_id",
        "model_id",
        "hardware_version",
        "firmware_version",
        "smets_generation",
        "smets_chts_version",
        "gbcs_version",
        "status",
        "image_hash",
        "date_added",
    }
    assert mapping.extras == {}
    assert mapping.fields["firmware_version"] == CPL_HEADER.index("Firmware Version")


@pytest.mark.parametrize(
    "names",
    [
        ["DEVICE TYPE", "manufacturer id", "Model ID", "firmware version"],
        ["  Device   Type ", "Manufacturer_ID", "model-id", "FIRMWARE_VERSION"],
        ["Type", "Manufacturer Identifier", "Model", "FW Version"],
        ["Product Type", "Mfr ID", "Device Model", "Firmware"],
    ],
)
def test_headers_match_case_space_insensitively_with_aliases(names: list[str]) -> None:
    mapping = map_header(names)
    assert mapping is not None
    assert mapping.fields == {"device_type": 0, "manufacturer_id": 1, "model_id": 2, "firmware_version": 3}
    assert not mapping.has_status_column


def test_normalise_header() -> None:
    assert normalise_header(" SMETS/CHTS  Version ") == "smetschtsversion"
    assert normalise_header(None) == ""


def test_unknown_columns_are_kept_as_extras() -> None:
    names = [*CPL_HEADER, "Assurance Certificate", "Notes"]
    mapping = map_header(names)
    assert mapping is not None
    assert mapping.extras == {"Assurance Certificate": len(CPL_HEADER), "Notes": len(CPL_HEADER) + 1}
    entry = row_to_entry([*ROW, "ZA-123", ""], mapping, 7)
    assert not isinstance(entry, RowProblem)
    assert entry.extra == {"Assurance Certificate": "ZA-123"}  # empty cells are not kept


def test_a_row_missing_a_required_column_is_not_a_header() -> None:
    assert map_header(["Device Type", "Manufacturer ID", "Model ID"]) is None


def test_find_header_skips_title_rows() -> None:
    rows = [["Central Products List"], ["Published 2026-10-01", ""], [], CPL_HEADER, ROW]
    index, mapping = find_header(rows)
    assert index == 3
    assert mapping.fields["device_type"] == 0


def test_no_header_raises_the_domain_error_naming_required_columns() -> None:
    with pytest.raises(CplHeaderError) as info:
        find_header([["a", "b"], ["1", "2"]])
    assert "Manufacturer Id" in str(info.value) and "Firmware Version" in str(info.value)
    assert issubclass(CplHeaderError, DomainInputError)


def test_full_row_becomes_an_entry() -> None:
    entry = row_to_entry(ROW, header(), 2)
    assert not isinstance(entry, RowProblem)
    assert entry.device_type is DeviceType.PPMID
    assert entry.manufacturer_id == "10E0"  # hex details compared upper case
    assert entry.model_id == "00090100"
    assert entry.hardware_version == "0001"
    assert entry.firmware_version == "00020002"
    assert entry.generation is Generation.SMETS2_PLUS
    assert entry.status is CplStatus.ACTIVE
    assert entry.source_line == 2
    assert entry.image_hash == "ab" * 32
    assert entry.date_added == "2026-10-01"


@pytest.mark.parametrize("device_type", ["ESME", "GSME", "CHF", "GPF", "PPMID", "IHD", "CAD", "HCALCS", "SAPC"])
def test_every_cpl_device_type_is_accepted(device_type: str) -> None:
    row = list(ROW)
    row[0] = device_type.lower()
    entry = row_to_entry(row, header(), 3)
    assert not isinstance(entry, RowProblem)
    assert entry.device_type.value == device_type
    assert entry.device_type.duis_allowed is (device_type != "SAPC")


@pytest.mark.parametrize("status", ["Active", "Cancelled", "Expired", "Withdrawn", "withdrawn", "ACTIVE"])
def test_statuses(status: str) -> None:
    row = list(ROW)
    row[9] = status
    entry = row_to_entry(row, header(), 3)
    assert not isinstance(entry, RowProblem)
    assert entry.status.value.lower() == status.lower()


@pytest.mark.parametrize(
    ("column", "value", "says"),
    [
        (0, "", "Device Type is empty"),
        (0, "TOASTER", "TOASTER"),
        (2, "", "Manufacturer ID is empty"),
        (3, " ", "Model ID is empty"),
        (5, "", "Firmware Version is empty"),
        (9, "Retired", "Active, Cancelled, Expired, Withdrawn"),
        (6, "SMETS3", "SMETS Generation"),
    ],
)
def test_bad_rows_are_problems_with_their_line(column: int, value: str, says: str) -> None:
    row = list(ROW)
    row[column] = value
    problem = row_to_entry(row, header(), 42)
    assert isinstance(problem, RowProblem)
    assert problem.line == 42
    assert says in problem.message
    assert problem.to_json() == {"line": 42, "message": problem.message}


@pytest.mark.parametrize("device_type", ["IHD", "CAD"])
def test_type_2_devices_need_no_firmware(device_type: str) -> None:
    row = list(ROW)
    row[0], row[5] = device_type, ""
    assert not isinstance(row_to_entry(row, header(), 5), RowProblem)


def test_status_defaults_to_active_without_a_status_column() -> None:
    mapping = map_header(["Device Type", "Manufacturer ID", "Model ID", "Firmware Version"])
    assert mapping is not None
    entry = row_to_entry(["CHF", "106C", "433100AC", "9001"], mapping, 2)
    assert not isinstance(entry, RowProblem)
    assert entry.status is CplStatus.ACTIVE
    assert entry.generation is None  # nothing names a generation


def test_short_rows_and_non_text_cells_are_tolerated() -> None:
    mapping = map_header(["Device Type", "Manufacturer Name", "Manufacturer ID", "Model ID", "HW", "FW", "Notes"])
    assert mapping is not None
    entry = row_to_entry(["PPMID", None, "10E0", "00090100", None, "00020002"], mapping, 9)
    assert not isinstance(entry, RowProblem)
    assert entry.firmware_version == "00020002"
    assert entry.smets_generation is None
    assert entry.extra == {}
    # A hex cell a spreadsheet stored as a number lost its text (A5): refused, never imported altered.
    problem = row_to_entry(["PPMID", None, "10E0", "00090100", None, 20002], mapping, 9)
    assert isinstance(problem, RowProblem) and "hex text" in problem.message


def test_a_blank_status_is_not_a_status() -> None:
    problem = row_to_entry(ROW[:9], header(), 4)  # the row stops before its Status cell
    assert isinstance(problem, RowProblem)
    assert "Status" in problem.message


cells = st.one_of(st.none(), st.text(max_size=12), st.integers(), st.floats(allow_nan=True))


@settings(max_examples=300)
@given(st.lists(cells, max_size=16), st.integers(min_value=1, max_value=10**6))
def test_arbitrary_rows_give_an_entry_or_a_problem_never_an_exception(row: list[object], line: int) -> None:
    result = row_to_entry(row, header(), line)
    if isinstance(result, RowProblem):
        assert result.line == line and result.message
    else:
        assert result.source_line == line


@settings(max_examples=200)
@given(st.lists(st.lists(cells, max_size=8), max_size=8))
def test_arbitrary_tables_find_a_header_or_raise_the_header_error(rows: list[list[object]]) -> None:
    try:
        index, mapping = find_header(rows)
    except CplHeaderError:
        return
    assert 0 <= index < len(rows)
    assert {"device_type", "manufacturer_id", "model_id", "firmware_version"} <= set(mapping.fields)


# --- the date a CPL states for itself --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Published 2026-10-01", date(2026, 10, 1)),
        ("CPL_20261001", date(2026, 10, 1)),
        ("Date: 01/10/2026", date(2026, 10, 1)),  # day first, as written in GB
        ("1st October 2026", date(2026, 10, 1)),
        ("Oct 1, 2026", date(2026, 10, 1)),
        ("31/02/2026 corrected 2026-03-04", date(2026, 3, 4)),  # not a real day: passed over
        ("cpl-2026-11", None),  # a month is not a day
        ("October 2026", None),
        ("10E0 00090100 5A000002", None),  # hex identifiers are not dates
    ],
)
def test_date_in_text(text: str, expected: date | None) -> None:
    assert date_in_text(text) == expected


def test_stated_file_date_prefers_a_title_row_that_says_it_is_the_date() -> None:
    rows: list[list[object]] = [["Central Products List"], ["Generated from the 2026-01-05 extract"], ["Published", "2026-10-01"]]
    assert stated_file_date(rows, "cpl.csv") == date(2026, 10, 1)
    assert stated_file_date(rows[:2], "cpl.csv") == date(2026, 1, 5), "else any date above the header"
    assert stated_file_date([["Date", datetime(2026, 9, 30, 0, 0)]], "cpl.xlsx") == date(2026, 9, 30)
    assert stated_file_date([], "CPL 2026-10-01.xlsx") == date(2026, 10, 1), "else the file name"
    assert stated_file_date([["Central Products List"]], "cpl.csv") is None
