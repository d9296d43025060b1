"""``hubcheck install record|abort`` and ``hubcheck queue list|export`` as scripts call them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.domain.duis import DuisSchema, parse_request_id

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "sample"
GOOD = json.loads((SAMPLE / "labels.json").read_text())[0]
STOP = json.loads((SAMPLE / "labels.json").read_text())[1]


@pytest.fixture
def data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    d = tmp_path / "data"
    assert main(["--data-dir", str(d), "cpl", "import", str(SAMPLE / "cpl.csv")]) == 0
    assert main(["--data-dir", str(d), "jobs", "import", str(SAMPLE / "jobpack.json")]) == 0
    capsys.readouterr()
    return d


def _record(d: Path, row: dict, *extra: str) -> list[str]:
    return [
        "--data-dir", str(d), "install", "record", "--job", row["job_ref"], "--ppmid", row["ppmid_label"],
        "--hub", row["hub_label"], "--meter", row["meter_label"], *extra,
    ]


def test_record_prints_the_queued_intents(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_record(data_dir, GOOD, "--hub-location", "deep-indoors", "--aerial", "--json")) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["outcome"] == "recorded" and out["verdict_level"] == "ok"
    assert [i["srv"] for i in out["intents"]] == ["8.14.1", "8.11", "8.11", "8.7.1", "8.7.2", "8.2", "11.2"]
    assert (out["scenario"], out["scenario_chosen_by"]) == ("new-hub", "hub_smi_status")
    assert "InstalledNotCommissioned" in out["scenario_reason"]


def test_a_stop_verdict_is_refused_with_exit_1_unless_overridden(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_record(data_dir, STOP, "--json")) == 1
    captured = capsys.readouterr()
    refused = json.loads(captured.out)
    assert refused["refused"] is True and refused["verdict"]["level"] == "block"
    assert "override" in captured.err
    assert main(_record(data_dir, STOP, "--override", "approved by the back office", "--json")) == 0
    assert json.loads(capsys.readouterr().out)["override_reason"] == "approved by the back office"


def test_no_wan_needs_the_survey(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_record(data_dir, GOOD, "--no-wan")) == 2
    assert "--premise-type" in capsys.readouterr().err
    assert main(_record(data_dir, GOOD, "--no-wan", "--premise-type", "terraced", "--obstruction", "metal", "--json")) == 0
    assert json.loads(capsys.readouterr().out)["intents"][0]["srv"] == "8.14.2"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--meter", "not-an-id"), "meter"),
        (("--hub-location", "attic"), "--hub-location"),
        (("--ppmid", ""), "PPMID"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    data_dir: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, str], message: str
) -> None:
    argv = _record(data_dir, GOOD)
    flag = argv.index(args[0]) if args[0] in argv else None
    if flag is not None:
        argv[flag + 1] = args[1]
    else:
        argv += list(args)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_abort(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(data_dir), "install", "abort", "--job", "J-000101", "--reason", "no access", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["outcome"] == "aborted" and out["intents"] == []


def test_queue_list_json(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(_record(data_dir, GOOD))
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "queue", "list", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["counts"]["queued"] == 7
    first = out["intents"][0]
    assert {"id", "srv", "target", "state", "attempts", "last_error", "created_at", "idempotency_key"} <= set(first)
    assert main(["--data-dir", str(data_dir), "queue", "list", "--state", "rejected", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["intents"] == []


def test_export_writes_schema_valid_files_with_never_reused_counters(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], duis_xsd: Path
) -> None:
    main(_record(data_dir, GOOD))
    out_dir = tmp_path / "handoff"
    assert main(["--data-dir", str(data_dir), "queue", "export", "--format", "duis", str(out_dir)]) == 2
    assert "originator_id" in capsys.readouterr().err
    main(["--data-dir", str(data_dir), "settings", "set", "originator_id", "90-B3-D5-1F-30-01-00-00"])
    main(["--data-dir", str(data_dir), "settings", "set", "duis_schema", str(duis_xsd)])
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "queue", "export", "--format", "duis", str(out_dir), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["count"] == 7 and first["schema_checked"]
    schema = DuisSchema.from_path(duis_xsd)
    for item in first["files"]:
        assert schema.validate((out_dir / item["file"]).read_bytes()) == []
    assert main(["--data-dir", str(data_dir), "queue", "export", "--format", "duis", str(tmp_path / "again"), "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    counters_1 = [parse_request_id(f["request_id"]).counter for f in first["files"]]
    counters_2 = [parse_request_id(f["request_id"]).counter for f in second["files"]]
    assert counters_1 == sorted(set(counters_1))
    assert min(counters_2) > max(counters_1)  # a second export never reuses a number


def test_the_8_4_remedy_from_the_command_line(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A typed firmware is refused (it was once queued even on an ok visit), in one line, nothing queued.
    for flags in (("--remedy-firmware", "DEADBEEF"), ("--remedy-smets-version", "SMETS1")):
        assert main(_record(data_dir, GOOD, *flags)) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"{flags[0]} is not accepted" in err and "from the CPL" in err
    argv = _record(data_dir, STOP, "--override", "approved", "--remedy", "8.4", "--json")
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert [i["srv"] for i in out["intents"]][:2] == ["8.4", "8.11"]
    assert out["remedy"] == {"kind": "update-inventory", "device_id": "0A-1B-2C-00-00-00-00-24",
                             "firmware_version": "5A000002", "smets_chts_version": "SMETS1",
                             "needs_approval": True, "queued": True}
    assert main(_record(data_dir, GOOD, "--remedy", "anything")) == 2
    err = capsys.readouterr().err
    assert err.startswith("--remedy: remedy 'anything' is not known; use update-inventory") and err.count("\n") == 1
    assert main(["--data-dir", str(data_dir), "queue", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["queued"] == 6


def test_audit_verify_finds_a_changed_or_cut_journal(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``audit verify`` exits 0 on an intact journal and 1, saying where, once an entry was
    edited or the newest one deleted; ``audit list`` shows the entries, oldest first."""
    import sqlite3

    assert main(_record(data_dir, GOOD)) == 0
    assert main(_record(data_dir, STOP, "--override", "approved by the back office")) == 0
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "audit", "verify", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"ok": True, "entries": 2, "broken_at": None, "problem": None}
    assert main(["--data-dir", str(data_dir), "audit", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["entries"]
    assert [e["action"] for e in listed] == ["install.recorded", "install.recorded"]
    assert listed[1]["detail"]["override_reason"] == "approved by the back office"
    assert main(["--data-dir", str(data_dir), "audit", "list", "--subject", listed[0]["subject"], "--json"]) == 0
    assert [e["id"] for e in json.loads(capsys.readouterr().out)["entries"]] == [listed[0]["id"]]

    with sqlite3.connect(data_dir / "hubcheck.db") as db:
        db.execute("DELETE FROM audit_journal WHERE id = ?", (listed[1]["id"],))
    assert main(["--data-dir", str(data_dir), "audit", "verify"]) == 1
    assert "2 entries were written but 1 remain" in capsys.readouterr().out

    with sqlite3.connect(data_dir / "hubcheck.db") as db:
        db.execute("UPDATE audit_journal SET subject = 'someone else' WHERE id = ?", (listed[0]["id"],))
    assert main(["--data-dir", str(data_dir), "audit", "verify", "--json"]) == 1
    broken = json.loads(capsys.readouterr().out)
    assert broken["ok"] is False and broken["broken_at"] == listed[0]["id"]
    assert "changed after it was written" in broken["problem"]
