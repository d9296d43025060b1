"""CPL cache and device records in the store: whole replacement, lookups by model and device."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from app.domain.cpl_format import RowProblem, map_header, row_values
from app.domain.devices import RecordSource
from app.domain.ids import parse_device_id
from app.domain.inventory import parse_inventory_response
from app.domain.jobpack import parse_job_pack_text
from app.services.context import AppContext
from app.store import cpl_repo, device_repo
from tests.helpers_domain import CPL_HEADER, cpl_row, inventory_xml, job_pack, jp_device

T1 = datetime(2026, 11, 1, 8, 0)
T2 = datetime(2026, 11, 2, 8, 0)


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    context = AppContext(tmp_path)
    try:
        yield context
    finally:
        context.close()


def values(*rows: list[str]) -> list[tuple[object, ...]]:
    header = map_header(CPL_HEADER)
    assert header is not None
    out = []
    for line, row in enumerate(rows, start=2):
        value = row_values(row, header, line)
        assert not isinstance(value, RowProblem)
        out.append(value)
    return out


def test_empty_cache_status(ctx: AppContext) -> None:
    st = cpl_repo.status(ctx.engine)
    assert st.empty and st.row_count == 0 and st.file_name is None


def test_replace_all_swaps_the_whole_cache_and_records_the_import(ctx: AppContext) -> None:
    with ctx.engine.begin() as conn:
        n = cpl_repo.replace_all(conn, values(cpl_row("PPMID", "10E0", "00090100", "00020002")),  # type: ignore[arg-type]
                                 file_name="old.csv", file_date=T1, imported_at=T1, rejected_count=0, sha256="a")
    assert n == 1
    with ctx.engine.begin() as conn:
        cpl_repo.replace_all(
            conn,
            values(cpl_row("CHF", "106c", "433100ac", "9001"), cpl_row("CHF", "1072", "57310102", "04000007", "SMETS1")),  # type: ignore[arg-type]
            file_name="new.csv", file_date=T2, imported_at=T2, rejected_count=3, sha256="b",
        )
    st = cpl_repo.status(ctx.engine)
    assert (st.file_name, st.file_date, st.row_count, st.rejected_count) == ("new.csv", T2, 2, 3)
    with ctx.engine.connect() as conn:
        assert cpl_repo.entries_for_model(conn, "10E0", "00090100") == []
        hub = cpl_repo.entries_for_model(conn, " 106c ", "433100AC")
    assert len(hub) == 1 and hub[0].firmware_version == "9001"


def test_device_records_newest_first_and_job_reimport_replaces(ctx: AppContext) -> None:
    first = parse_job_pack_text(job_pack([{"job_ref": "J1", "postcode": "x", "address": {"postcode": "ab1 2cd"},
                                           "devices": [jp_device("0011223344556677", firmware_version="00000001")]}]))
    second = parse_job_pack_text(job_pack([{"job_ref": "J1", "devices": [jp_device("0011223344556677",
                                                                                    firmware_version="00000002")]}]))
    device = parse_device_id("0011223344556677")
    with ctx.engine.begin() as conn:
        assert device_repo.save_jobs(conn, first.jobs, source_file="a.json", imported_at=T1) == 1
    with ctx.engine.begin() as conn:
        device_repo.save_jobs(conn, second.jobs, source_file="b.json", imported_at=T2)
    with ctx.engine.connect() as conn:
        records = device_repo.records_for(conn, device)
    assert [r.firmware_version for r in records] == ["00000002"], "re-importing a job replaces its devices"


def test_inventory_records_sit_beside_job_pack_records(ctx: AppContext) -> None:
    pack = parse_job_pack_text(job_pack([{"job_ref": "J1", "address": {"postcode": "AB1 2CD"},
                                          "devices": [jp_device("00DB1234567890A2", "CHF")]}]))
    inv, _ = parse_inventory_response(inventory_xml([{"DeviceID": "00-DB-12-34-56-78-90-A2", "DeviceType": "CHF",
                                                     "DeviceManufacturer": "106C", "DeviceModel": "433100AC",
                                                     "CSPRegion": "SMETS1", "S1SP": "X"}]))
    with ctx.engine.begin() as conn:
        device_repo.save_jobs(conn, pack.jobs, source_file="p.json", imported_at=T1)
        device_repo.save_inventory(conn, inv, imported_at=T2)
        device_repo.save_inventory(conn, inv, imported_at=T2)  # a second import replaces, never doubles
    with ctx.engine.connect() as conn:
        records = device_repo.records_for(conn, parse_device_id("00DB1234567890A2"))
        found = device_repo.search_jobs(conn, "ab12cd")
        by_id = device_repo.search_jobs(conn, "00db1234567890a2")
        none = device_repo.search_jobs(conn, "ZZ9")
    assert [r.source for r in records] == [RecordSource.INVENTORY, RecordSource.JOB_PACK]
    assert records[0].has_s1sp and records[0].csp_region == "SMETS1"
    assert [j.job_ref for j in found] == ["J1"] == [j.job_ref for j in by_id]
    assert none == []
