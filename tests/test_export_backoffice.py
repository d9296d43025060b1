"""``hubcheck-backoffice export`` on real back-office records (SQLite and PostgreSQL): two
installers' laptops record visits through HubCheck's own services and sync them (records,
Service Requests and journal) to a back office on 127.0.0.1 that holds the job pack; the
export lists every installer's visits with the customer's MPxN from the job pack, and the
redacted PDF holds none. Also ``python -m app.backoffice.cli`` failing in one line."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.backoffice.cli import main
from app.backoffice.db import Store
from app.services.review.export_csv import COLUMNS
from tests.export_helpers import SAMPLE, Visit, laptop_with_visits
from tests.test_backoffice_live import app_in_thread
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import sync_laptop_copy

REPO = Path(__file__).resolve().parents[1]
INSTALLERS = ("alice", "bob")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[Visit]]]:
    """Each installer's laptop with its four recorded visits (recorded once, copied per test)."""
    out = {}
    for name in INSTALLERS:
        data = tmp_path_factory.mktemp(f"laptop-{name}") / "data"
        out[name] = (data, laptop_with_visits(data))
    return out


@pytest.fixture
def synced(
    recorded: dict[str, tuple[Path, list[Visit]]], store: Store, db_url: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[dict[str, list[Visit]]]:
    """The back office holds the job pack and both laptops' synced visits."""
    assert main(["--db", db_url, "jobs", "upload", str(SAMPLE / "jobpack.json")]) == 0
    with app_in_thread(store) as url:
        for name, (data, _visits) in recorded.items():
            sync_laptop_copy(store, url, data, tmp_path / f"laptop-{name}", installer=name)
    capsys.readouterr()
    yield {name: visits for name, (_data, visits) in recorded.items()}


def export(db_url: str, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["--db", db_url, "export", "--json", *args]) == 0
    return dict(json.loads(capsys.readouterr().out))


def test_csv_of_every_installers_synced_visits(
    synced: dict[str, list[Visit]], db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "all.csv"
    assert export(db_url, capsys, "--format", "csv", str(out)) == {
        "file": str(out), "format": "csv", "records": 8, "redacted": False}
    with out.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        rows = {row["record_id"]: row for row in reader}
    every = {v.record_id: (name, v) for name, visits in synced.items() for v in visits}
    assert set(rows) == set(every)
    for record_id, (name, visit) in every.items():
        row = rows[record_id]
        assert (row["installer"], row["job_ref"], row["verdict_level"]) == (name, visit.job_ref, visit.level)
        assert row["started_at"][:10] == visit.day.isoformat()
        assert (row["mpxn"], row["postcode"]) == (visit.mpxn, visit.postcode)  # from the back office's job pack
        assert row["audit_hash"] == visit.audit_hash  # the laptop's journal entry, synced with the record
        assert row["redacted"] == "false"
        if visit.level == "unknown":  # the aborted visit queued nothing
            assert (row["outcome"], row["sr_state"], row["sr_total"]) == ("aborted", "none", "0")
        else:
            assert row["outcome"] == "recorded" and int(row["sr_total"]) > 0 and row["sr_state"] == "waiting"
            assert "8.11" in row["sr_outcomes"]

    # A date range over both installers: 2 March to 3 March, inclusive.
    ranged = tmp_path / "ranged.csv"
    assert export(db_url, capsys, "--format", "csv", "--from", "2025-03-02", "--to", "2025-03-03",
                  str(ranged))["records"] == 4
    with ranged.open(encoding="utf-8-sig", newline="") as handle:
        assert {row["job_ref"] for row in csv.DictReader(handle)} == {"J-000102", "J-000103"}


def test_the_redacted_pdf_has_no_mpxn_and_the_plain_one_has_them(
    synced: dict[str, list[Visit]], db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    visits = [v for name in INSTALLERS for v in synced[name]]
    redacted, plain = tmp_path / "redacted.pdf", tmp_path / "plain.pdf"
    assert export(db_url, capsys, "--format", "pdf", "--redact", str(redacted))["records"] == 8
    assert export(db_url, capsys, "--format", "pdf", str(plain))["records"] == 8

    def pages(path: Path) -> list[str]:
        return [page.extract_text() for page in PdfReader(BytesIO(path.read_bytes())).pages]

    hidden, shown = pages(redacted), pages(plain)
    assert len(hidden) == len(shown) == 8  # one certificate per visit
    hidden_text, shown_text = "\n".join(hidden), "\n".join(shown)
    for visit in visits:
        assert visit.mpxn in shown_text  # the plain export carries it: the check below can fail
        assert visit.mpxn not in hidden_text and visit.mpxn not in hidden_text.replace(" ", "")
        assert visit.postcode not in hidden_text
        assert visit.record_id in hidden_text and visit.job_ref in hidden_text
    for name in INSTALLERS:
        assert name in hidden_text


def test_the_installed_console_script_exports(
    synced: dict[str, list[Visit]], db_url: str, tmp_path: Path
) -> None:
    script = Path(sys.executable).with_name("hubcheck-backoffice")
    assert script.exists(), "HubCheck is installed with its console scripts (pip install -e .)"
    out = tmp_path / "script.csv"
    done = subprocess.run([str(script), "--db", db_url, "export", "--format", "csv", "--redact", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{out}: 8 install records as rows (CSV), redacted"
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    mpxns = {v.mpxn for visits in synced.values() for v in visits}
    assert len(rows) == 8 and not mpxns & {row["mpxn"] for row in rows}
    assert {row["redacted"] for row in rows} == {"true"}


@pytest.mark.parametrize(
    ("db", "words"),
    [
        (None, "no database: pass --db URL or set HUBCHECK_BACKOFFICE_DB"),
        ("postgresql://someone@127.0.0.1:notaport/x", "cannot read the database URL"),
        ("mysql://someone@127.0.0.1/x", "unsupported database 'mysql'"),
    ],
)
@pytest.mark.parametrize("module", ["app.backoffice.cli", "app.backoffice"])
def test_python_m_with_a_bad_database_says_one_line_and_exits_2(
    tmp_path: Path, module: str, db: str | None, words: str
) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # no HUBCHECK_BACKOFFICE_DB from the caller
    done = subprocess.run(
        [sys.executable, "-m", module, *(["--db", db] if db is not None else []), "export", "--format", "csv",
         str(tmp_path / "out.csv")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()] and words in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out.csv").exists()
