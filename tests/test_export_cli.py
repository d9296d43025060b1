"""``hubcheck export`` end to end on a laptop data folder with recorded visits, and
``hubcheck decode`` reading an exported certificate back."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.export_helpers import Visit, laptop_with_visits

REPO = Path(__file__).resolve().parents[1]


def hubcheck(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}  # a command with no display set
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "--data-dir", str(data), *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180,
    )


@pytest.fixture(scope="module")
def laptop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Visit]]:
    data = tmp_path_factory.mktemp("laptop") / "data"
    return data, laptop_with_visits(data)


def test_export_csv_with_a_date_range(laptop: tuple[Path, list[Visit]], tmp_path: Path) -> None:
    data, visits = laptop
    out = tmp_path / "march.csv"
    result = hubcheck("export", "--format", "csv", "--from", "2025-03-02", "--to", "2025-03-03", str(out), data=data)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{out}: 2 install records as rows (CSV)"
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["record_id"] for row in rows] == [visits[1].record_id, visits[2].record_id]
    assert rows[0]["mpxn"] == visits[1].mpxn


def test_export_pdf_redacted_json_and_decode_reads_it_back(laptop: tuple[Path, list[Visit]], tmp_path: Path) -> None:
    data, visits = laptop
    out = tmp_path / "certificates.pdf"  # --format from the suffix
    result = hubcheck("export", "--redact", "--json", str(out), data=data)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"file": str(out), "format": "pdf", "records": 4, "redacted": True}
    decoded = hubcheck("decode", "--json", str(out), data=data)
    assert decoded.returncode == 0, decoded.stderr
    (entry,) = json.loads(decoded.stdout)
    assert entry["error"] is None
    assert [(c["record_id"], c["audit_hash"], c["page"]) for c in entry["codes"]] == [
        (v.record_id, v.audit_hash, n) for n, v in enumerate(visits, start=1)
    ]
    assert all(c["format"] == "QRCode" and c["device_id"] is None for c in entry["codes"])
    human = hubcheck("decode", str(out), data=data)
    assert f"page 2: visit certificate, record {visits[1].record_id}, audit hash {visits[1].audit_hash}" in human.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "1 March"], "is not a date: give YYYY-MM-DD"),
        (["--from", "2025-03-05", "--to", "2025-03-01"], "--to 2025-03-01 is before --from 2025-03-05"),
        (["--format", "xlsx"], "invalid choice"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(
    laptop: tuple[Path, list[Visit]], tmp_path: Path, args: list[str], message: str
) -> None:
    data, _ = laptop
    out = tmp_path / "out.csv"
    result = hubcheck("export", *args, str(out), data=data)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_unwritable_or_unnamed_output_is_exit_2(laptop: tuple[Path, list[Visit]], tmp_path: Path) -> None:
    data, _ = laptop
    no_suffix = hubcheck("export", str(tmp_path / "records"), data=data)
    assert no_suffix.returncode == 2 and "give --format csv or --format pdf" in no_suffix.stderr
    folder = hubcheck("export", "--format", "csv", str(tmp_path), data=data)
    assert folder.returncode == 2 and "is a folder" in folder.stderr and "Traceback" not in folder.stderr
    blocker = tmp_path / "file"
    blocker.write_text("x")
    under_file = hubcheck("export", str(blocker / "out.csv"), data=data)
    assert under_file.returncode == 2 and "cannot create the folder" in under_file.stderr
    assert "Traceback" not in under_file.stderr


def test_backoffice_export_takes_the_same_options(tmp_path: Path) -> None:
    """``hubcheck-backoffice export`` on a back-office database (none recorded yet): the same
    columns and messages as the laptop's command."""
    from app.services.review.export_csv import COLUMNS

    db = tmp_path / "backoffice.sqlite"

    def backoffice(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", "import sys; from app.backoffice.cli import main; sys.exit(main())",
             "--db", str(db), *args],
            cwd=REPO, capture_output=True, text=True, timeout=180,
        )

    assert backoffice("init").returncode == 0
    out = tmp_path / "all.csv"
    result = backoffice("export", "--redact", "--from", "2025-03-01", "--json", str(out))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"file": str(out), "format": "csv", "records": 0, "redacted": True}
    assert out.read_text(encoding="utf-8-sig").splitlines() == [",".join(COLUMNS)]
    bad = backoffice("export", "--from", "2025-03-05", "--to", "2025-03-01", str(out))
    assert bad.returncode == 2 and "--to 2025-03-01 is before --from 2025-03-05" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_export_on_a_terminal_shows_how_many_records_are_written(
    laptop: tuple[Path, list[Visit]], tmp_path: Path
) -> None:
    """A long export says how far it is on the terminal (stderr), and nothing when piped."""
    import pty

    data, visits = laptop
    out = tmp_path / "all.csv"
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    run = subprocess.run(
        [sys.executable, "-m", "app.cli", "--data-dir", str(data), "export", str(out)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=follower, text=True, timeout=180,
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal's other end is closed: all of it was read
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert run.returncode == 0
    assert f"{len(visits)} of {len(visits)} records written".encode() in shown
    piped = hubcheck("export", str(tmp_path / "again.csv"), data=data)
    assert piped.returncode == 0 and "records written" not in piped.stderr
