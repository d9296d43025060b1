"""The real ``hubcheck`` command line, run in a subprocess on temporary data folders.

Expected verdicts for the bundled sample come from each job's story in
resources/sample/labels.json, read against DOMAIN Part A2 (tactical rule, MP202 table).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.helpers_domain import CPL_HEADER, cpl_row, inventory_xml, write_csv

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "resources" / "sample"
LABELS: list[dict[str, Any]] = json.loads((SAMPLE / "labels.json").read_text(encoding="utf-8"))


def run(*args: str, data_dir: Path | None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "app.cli"]
    if data_dir is not None:
        command += ["--data-dir", str(data_dir)]
    environment = dict(os.environ if env is None else env)
    return subprocess.run(command + list(args), cwd=REPO, env=environment, capture_output=True, text=True, timeout=120)


def parallel(*calls: Callable[[], subprocess.CompletedProcess[str]]) -> list[subprocess.CompletedProcess[str]]:
    """Run independent commands at once: each one pays the interpreter start-up, not the test."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda call: call(), calls))


def ok_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def assert_clean_failure(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data folder with the sample CPL and job pack imported, shared by the read-only tests."""
    data = tmp_path_factory.mktemp("cli-sample")
    assert run("cpl", "import", str(SAMPLE / "cpl.csv"), data_dir=data).returncode == 0
    assert run("jobs", "import", str(SAMPLE / "jobpack.json"), data_dir=data).returncode == 0
    return data


@pytest.fixture
def own_copy(sample_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the sample folder for tests that change settings."""
    target = tmp_path / "copy"
    shutil.copytree(sample_dir, target)
    return target


# --- every sample story under both regimes ------------------------------------------------------------

S1, S2 = "SMETS1", "SMETS2+"
# label index → (job_ref, {regime: (level, resulting, codes that must be listed)})
STORIES: dict[int, tuple[str | None, dict[str, tuple[str, str | None, set[str]]]]] = {
    0: ("J-000101", {"tactical": ("ok", S2, set()), "mp202": ("ok", S2, set())}),
    # A2: MP202 needs the model's row for the hub's generation at the pre-notified firmware;
    # this tactical-era CPL has none, so the DCC's update may not find it (warning).
    1: ("J-000102", {"tactical": ("block", None, {"SMETS_MISMATCH"}),
                     "mp202": ("warn", S1, {"RESULTING_DIFFERS", "S1_FW_UPGRADE", "RESULTING_ENTRY_MISSING"})}),
    2: ("J-000103", {"tactical": ("ok", S1, {"S1_FW_READBACK", "S1_FW_UPGRADE"}),
                     "mp202": ("ok", S1, {"S1_FW_UPGRADE"})}),
    3: ("J-000104", {"tactical": ("block", None, {"SMETS_MISMATCH", "S1_FW_READBACK"}),
                     "mp202": ("warn", S2, {"RESULTING_DIFFERS", "RESULTING_ENTRY_MISSING"})}),
    4: ("J-000105", {"tactical": ("block", None, {"NOT_COMPATIBLE", "SMETS_MISMATCH"}),
                     "mp202": ("block", None, {"NOT_COMPATIBLE"})}),
    5: ("J-000106", {"tactical": ("block", None, {"NOT_COMPATIBLE", "SMETS_MISMATCH"}),
                     "mp202": ("block", None, {"NOT_COMPATIBLE"})}),
    6: ("J-000107", {r: ("block", None, {"CPL_STATUS"}) for r in ("tactical", "mp202")}),
    7: ("J-000108", {r: ("block", None, {"NOT_ON_CPL"}) for r in ("tactical", "mp202")}),
    8: ("J-000109", {"tactical": ("block", None, {"SMETS_MISMATCH"}),
                     "mp202": ("ok", S1, {"RESULTING_DIFFERS", "S1_FW_UPGRADE"})}),
    9: ("J-000110", {r: ("warn", S2, {"HUB_NOT_ON_CPL"}) for r in ("tactical", "mp202")}),
    10: ("J-000111", {r: ("warn", S2, {"DATA_INCONSISTENT"}) for r in ("tactical", "mp202")}),
    11: ("J-000101", {r: ("block", None, {"INSTALL_CODE_CRC"}) for r in ("tactical", "mp202")}),
    12: (None, {r: ("unknown", None, {"HUB_UNKNOWN"}) for r in ("tactical", "mp202")}),
}
# Codes that must NOT appear, where a story implies it.
ABSENT = {
    (4, "mp202"): {"SMETS_MISMATCH"},
    (0, "tactical"): {"SMETS_MISMATCH", "RESULTING_DIFFERS"},
    (8, "mp202"): {"RESULTING_ENTRY_MISSING"},  # MP202-style CPL: both rows share the firmware
    (2, "mp202"): {"S1_FW_READBACK", "RESULTING_ENTRY_MISSING"},
}


def check(data_dir: Path, label: dict[str, Any], *extra: str) -> subprocess.CompletedProcess[str]:
    return run("check", "--ppmid", label["ppmid_label"], "--hub", label["hub_label"], *extra, data_dir=data_dir)


@pytest.fixture(scope="module")
def sample_verdicts(sample_dir: Path) -> dict[tuple[int, str], dict[str, Any]]:
    """Every sample label checked under both regimes (run in parallel to keep the suite fast)."""
    cases = [(i, regime) for i in range(len(LABELS)) for regime in ("tactical", "mp202")]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda c: check(sample_dir, LABELS[c[0]], "--regime", c[1], "--json"), cases))
    return {case: ok_json(result) for case, result in zip(cases, results, strict=True)}


def test_the_sample_has_the_stories_this_file_expects() -> None:
    assert len(LABELS) == len(STORIES)
    for index, (job_ref, _) in STORIES.items():
        assert LABELS[index]["job_ref"] == job_ref, index


@pytest.mark.parametrize("regime", ["tactical", "mp202"])
@pytest.mark.parametrize("index", sorted(STORIES))
def test_every_sample_job_gives_the_verdict_its_story_says(
    sample_verdicts: dict[tuple[int, str], dict[str, Any]], index: int, regime: str
) -> None:
    data = sample_verdicts[(index, regime)]
    level, resulting, must = STORIES[index][1][regime]
    got = {r["code"] for r in data["reasons"]}
    story = LABELS[index]["story"]
    assert data["regime"] == regime
    assert data["level"] == level, (story, data["reasons"])
    assert data["resulting_smets"] == resulting, story
    assert must <= got, (story, got)
    assert not (ABSENT.get((index, regime), set()) & got), (story, got)


def test_sample_mismatch_offers_the_approved_update_inventory_remedy(
    sample_verdicts: dict[tuple[int, str], dict[str, Any]],
) -> None:
    remedies = sample_verdicts[(1, "tactical")]["remedies"]
    update = [r for r in remedies if r["action"] == "queue_update_inventory"]
    assert len(update) == 1 and update[0].get("needs_approval") is True
    assert "5A000002" in update[0]["description"]  # the SMETS1 CPL entry's firmware


def test_check_json_contract(sample_verdicts: dict[tuple[int, str], dict[str, Any]]) -> None:
    for (index, _regime), data in sample_verdicts.items():
        assert {"level", "regime", "resulting_smets", "reasons", "remedies", "ppmid", "hub"} <= set(data)
        assert data["level"] in ("ok", "warn", "block", "unknown")
        assert data["regime"] in ("tactical", "mp202")
        assert data["resulting_smets"] in ("SMETS1", "SMETS2+", None)
        for reason in data["reasons"]:
            assert set(reason) == {"code", "severity", "message"}
            assert reason["severity"] in ("info", "warn", "block")
            assert isinstance(reason["message"], str) and reason["message"]
        for remedy in data["remedies"]:
            assert {"action", "description"} <= set(remedy) <= {"action", "description", "needs_approval"}
        ppmid, hub = data["ppmid"], data["hub"]
        assert {"device_id", "install_code", "prenotified_smets", "cpl_entry"} <= set(ppmid)
        assert {"device_id", "smets"} <= set(hub)
        assert hub["smets"] in ("SMETS1", "SMETS2+", None)
        assert ppmid["prenotified_smets"] in ("SMETS1", "SMETS2+", None)
        assert hub["device_id"] == "-".join(LABELS[index]["hub_label"].split("-")).upper()
    first = sample_verdicts[(0, "tactical")]
    assert first["ppmid"]["device_id"] == "0A-1B-2C-00-00-00-00-14"
    assert first["ppmid"]["install_code"] == "30313233343536373839414243444546"  # bare code, no CRC
    assert first["ppmid"]["prenotified_smets"] == "SMETS2+"
    assert first["ppmid"]["cpl_entry"]["firmware_version"] == "00020002"
    assert first["hub"]["smets"] == "SMETS2+"
    crc = sample_verdicts[(11, "tactical")]
    assert crc["ppmid"]["install_code"] is None


def test_human_output_starts_with_the_level_and_shows_the_regime(sample_dir: Path) -> None:
    # ok / warn / block / unknown samples; a block is worded for the installer as STOP.
    words = {0: ("OK",), 9: ("WARN",), 7: ("STOP", "BLOCK"), 12: ("UNKNOWN",)}
    results = parallel(*(lambda i=i: check(sample_dir, LABELS[i]) for i in words))
    for starts, result in zip(words.values(), results, strict=True):
        assert result.returncode == 0, result.stderr
        first = result.stdout.splitlines()[0]
        assert first.upper().startswith(starts), first
        assert "Regime: Tactical" in result.stdout


# --- regime and hub generation overrides --------------------------------------------------------------


def test_regime_defaults_to_tactical_and_the_stored_setting_is_used_and_overridden(own_copy: Path) -> None:
    label = LABELS[1]  # bilingual SMETS2+ PPMID, SMETS1 hub
    assert ok_json(check(own_copy, label, "--json"))["regime"] == "tactical"
    assert run("settings", "set", "regime", "mp202", data_dir=own_copy).returncode == 0
    stored = ok_json(check(own_copy, label, "--json"))
    # Warn, not ok: the tactical-era sample CPL has no SMETS1 row at this firmware (A2).
    assert (stored["regime"], stored["level"], stored["resulting_smets"]) == ("mp202", "warn", "SMETS1")
    overridden = ok_json(check(own_copy, label, "--regime", "tactical", "--json"))
    assert (overridden["regime"], overridden["level"], overridden["resulting_smets"]) == ("tactical", "block", None)
    assert "MP202" in check(own_copy, label).stdout


HUB_SMETS_CASES = [
    ("SMETS2+", "tactical", "ok", "SMETS2+"),
    ("SMETS1", "tactical", "block", None),
    ("SMETS1", "mp202", "warn", "SMETS1"),  # RESULTING_ENTRY_MISSING: no SMETS1 row at fw 00020002 (A2)
]


def test_hub_smets_resolves_a_hub_in_no_job_pack(sample_dir: Path) -> None:
    label = LABELS[12]  # bilingual PPMID pre-notified SMETS2+, hub unknown locally
    results = parallel(
        *(lambda h=h, r=r: check(sample_dir, label, "--hub-smets", h, "--regime", r, "--json") for h, r, _, _ in HUB_SMETS_CASES)
    )
    for (hub_smets, regime, level, resulting), result in zip(HUB_SMETS_CASES, results, strict=True):
        data = ok_json(result)
        assert (data["level"], data["resulting_smets"], data["hub"]["smets"]) == (level, resulting, hub_smets), regime
        assert "HUB_UNKNOWN" not in {r["code"] for r in data["reasons"]}


# --- bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ppmid", "hub", "needles"),
    [
        ("hello there", "0A-1B-2C-00-00-00-00-12", ("--ppmid", "hello there", "no device ID")),
        ("0A-1B-2C-00-00-00-00-14", "serial 123", ("--hub", "serial 123")),
        ("0A1B2C000000001", "0A-1B-2C-00-00-00-00-12", ("--ppmid", "15")),
        ("00-DB-12-34-56-78-90-A4 00-DB-12-34-56-78-90-A2", "0A-1B-2C-00-00-00-00-12", ("2 different device IDs",)),
    ],
)
def test_text_without_one_device_id_is_refused_cleanly(sample_dir: Path, ppmid: str, hub: str, needles: tuple[str, ...]) -> None:
    result = run("check", "--ppmid", ppmid, "--hub", hub, "--json", data_dir=sample_dir)
    assert_clean_failure(result, *needles)
    assert result.stdout == ""


def test_usage_errors_exit_2_without_traceback(sample_dir: Path) -> None:
    assert_clean_failure(run("check", "--ppmid", "x", data_dir=sample_dir), "--hub")
    assert_clean_failure(run("check", "--ppmid", "x", "--hub", "y", "--regime", "enduring", data_dir=sample_dir))
    assert_clean_failure(run("frobnicate", data_dir=sample_dir))


# --- cpl ---------------------------------------------------------------------------------------------


def test_cpl_import_with_rejected_rows_exits_0_and_lists_them(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cpl.csv", [CPL_HEADER, cpl_row("PPMID", "10E0", "00090100", "00020002"),
                                            cpl_row("TOASTER", "10E0", "1", "2")])
    data_dir = tmp_path / "data"
    result = run("cpl", "import", str(path), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert "1 rows imported, 1 rejected" in result.stdout
    assert "line 3" in result.stdout and "TOASTER" in result.stdout
    report = ok_json(run("cpl", "import", str(path), "--json", data_dir=data_dir))
    assert (report["imported"], report["rejected"]) == (1, 1)
    assert report["problems"][0]["line"] == 3


@pytest.mark.parametrize(
    ("content", "needle"),
    [(b"\x00\x01binary\x00" * 20, "binary"), (b"a,b,c\n1,2,3\n", "no header row")],
    ids=["binary", "no-header"],
)
def test_cpl_import_of_an_unreadable_file_exits_2_and_keeps_the_cache(own_copy: Path, content: bytes, needle: str) -> None:
    bad = own_copy / "bad.csv"
    bad.write_bytes(content)
    assert_clean_failure(run("cpl", "import", str(bad), data_dir=own_copy), "bad.csv", needle)
    assert ok_json(run("cpl", "status", "--json", data_dir=own_copy))["rows"] == 14
    assert_clean_failure(run("cpl", "import", str(own_copy / "absent.csv"), data_dir=own_copy), "absent.csv")


def test_cpl_status_and_lookup_json(sample_dir: Path) -> None:
    lookup = ("cpl", "lookup", "--manufacturer", "10E0", "--model", "00090100")
    status, found, one, none = parallel(
        lambda: run("cpl", "status", "--json", data_dir=sample_dir),
        lambda: run("cpl", "lookup", "--manufacturer", "10e0", "--model", "00090100", "--json", data_dir=sample_dir),
        lambda: run(*lookup, "--firmware", "5a000002", "--json", data_dir=sample_dir),
        lambda: run("cpl", "lookup", "--manufacturer", "FFFF", "--model", "0", "--json", data_dir=sample_dir),
    )
    st = ok_json(status)
    assert set(st) == {"file", "file_date", "imported_at", "rows", "rejected", "file_date_source"}
    assert (st["file"], st["rows"], st["rejected"]) == ("cpl.csv", 14, 0)
    assert st["file_date_source"] == "modified", "the sample CPL states no date of its own"
    assert st["imported_at"]
    entries = ok_json(found)
    assert entries["count"] == 3
    assert {e["firmware_version"] for e in entries["entries"]} == {"00020002", "5A000002", "00020001"}
    single = ok_json(one)
    assert single["count"] == 1
    assert single["entries"][0]["smets_generation"] == "SMETS1"
    assert single["entries"][0]["status"] == "Active"
    assert ok_json(none) == {"count": 0, "entries": []}


def test_cpl_status_on_an_empty_folder(tmp_path: Path) -> None:
    result = run("cpl", "status", data_dir=tmp_path / "empty")
    assert result.returncode == 0
    assert "No CPL imported yet" in result.stdout


# --- jobs ---------------------------------------------------------------------------------------------


def test_jobs_import_of_a_job_pack_and_an_inventory_response(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert run("cpl", "import", str(SAMPLE / "cpl.csv"), data_dir=data_dir).returncode == 0
    pack = ok_json(run("jobs", "import", str(SAMPLE / "jobpack.json"), "--json", data_dir=data_dir))
    assert (pack["kind"], pack["jobs"], pack["devices"], pack["rejected"]) == ("jobpack", 11, 33, 0)
    inv = tmp_path / "inventory.xml"
    inv.write_bytes(inventory_xml([
        {"DeviceID": "0A-1B-2C-00-00-00-00-12", "DeviceType": "CHF", "DeviceManufacturer": "106C",
         "DeviceModel": "433100AC", "CSPRegion": "SMETS1", "CPLStatus": "Active"},
        {"DeviceID": "nonsense", "DeviceType": "GPF", "DeviceManufacturer": "106C", "DeviceModel": "433100AC"},
    ]))
    report = ok_json(run("jobs", "import", str(inv), "--json", data_dir=data_dir))
    assert (report["kind"], report["devices"], report["rejected"]) == ("inventory", 1, 1)
    assert report["problems"][0]["where"] == "Device[2]"
    text, listed, searched, checked = parallel(
        lambda: run("jobs", "import", str(inv), data_dir=data_dir),
        lambda: run("jobs", "list", "--json", data_dir=data_dir),
        lambda: run("jobs", "list", "--search", "0a1b2c0000000044", "--json", data_dir=data_dir),
        lambda: check(data_dir, LABELS[0], "--json"),
    )
    assert text.returncode == 0 and "inventory response" in text.stdout and "Device[2]" in text.stdout
    jobs = ok_json(listed)
    assert len(jobs) == 11 and jobs[0]["job_ref"] == "J-000101"
    assert [j["job_ref"] for j in ok_json(searched)] == ["J-000104"]
    # The DCC now says the J-000101 hub is an enrolled SMETS1 hub: the verdict follows the inventory.
    data = ok_json(checked)
    assert data["hub"]["smets"] == "SMETS1"
    assert data["level"] == "block" and "SMETS_MISMATCH" in {r["code"] for r in data["reasons"]}


def test_jobs_import_of_an_unreadable_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("shopping list")
    assert_clean_failure(run("jobs", "import", str(bad), data_dir=tmp_path / "d"), "notes.txt")
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "hubcheck-jobpack/1", "jobs": ')
    assert_clean_failure(run("jobs", "import", str(broken), data_dir=tmp_path / "d"), "not valid JSON")


# --- settings and data folder ---------------------------------------------------------------------------


def test_settings_get_set_and_refusals(tmp_path: Path) -> None:
    data_dir = tmp_path / "d"
    get = run("settings", "get", "regime", data_dir=data_dir)
    assert (get.returncode, get.stdout.strip()) == (0, "tactical")
    assert run("settings", "set", "regime", "mp202", data_dir=data_dir).returncode == 0
    assert run("settings", "get", "regime", data_dir=data_dir).stdout.strip() == "mp202"
    assert_clean_failure(run("settings", "set", "regime", "enduring", data_dir=data_dir), "tactical, mp202")
    assert_clean_failure(run("settings", "set", "decoder", "opencv", data_dir=data_dir), "zxing, zbar")
    assert_clean_failure(run("settings", "set", "join_time_period", "9999", data_dir=data_dir), "1 to 3600")
    assert_clean_failure(run("settings", "get", "colour", data_dir=data_dir), "regime")
    assert run("settings", "get", "regime", data_dir=data_dir).stdout.strip() == "mp202"
    listing = ok_json(run("settings", "list", "--json", data_dir=data_dir))
    assert listing["regime"] == "mp202"
    assert run("settings", "set", "backoffice_token", "s3cret", data_dir=data_dir).returncode == 0
    shown = run("settings", "list", data_dir=data_dir).stdout
    assert "s3cret" not in shown


def test_corrupt_settings_file_is_reported_and_defaults_used(tmp_path: Path) -> None:
    data_dir = tmp_path / "d"
    data_dir.mkdir()
    (data_dir / "settings.json").write_text("{oops")
    result = run("settings", "get", "regime", data_dir=data_dir)
    assert result.returncode == 0
    assert result.stdout.strip() == "tactical"
    assert "settings.json.bad-" in result.stderr
    assert list(data_dir.glob("settings.json.bad-*"))


def test_hubcheck_home_is_used_when_no_data_dir_is_given(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = dict(os.environ, HUBCHECK_HOME=str(home))
    assert run("settings", "set", "regime", "mp202", data_dir=None, env=env).returncode == 0
    assert run("cpl", "import", str(SAMPLE / "cpl.csv"), data_dir=None, env=env).returncode == 0
    assert (home / "settings.json").is_file()
    assert (home / "hubcheck.db").is_file()
    assert ok_json(run("cpl", "status", "--json", data_dir=None, env=env))["rows"] == 14
    assert run("settings", "get", "regime", data_dir=None, env=env).stdout.strip() == "mp202"
    # --data-dir wins over HUBCHECK_HOME.
    other = tmp_path / "other"
    assert run("settings", "get", "regime", data_dir=other, env=env).stdout.strip() == "tactical"
    assert ok_json(run("cpl", "status", "--json", data_dir=other, env=env))["rows"] == 0


def test_database_from_a_newer_hubcheck_is_refused_cleanly(own_copy: Path) -> None:
    conn = sqlite3.connect(own_copy / "hubcheck.db")
    try:
        conn.execute("PRAGMA user_version=999")
        conn.commit()
    finally:
        conn.close()
    status, checked = parallel(lambda: run("cpl", "status", data_dir=own_copy), lambda: check(own_copy, LABELS[0]))
    assert_clean_failure(status, "999", "newer")
    assert_clean_failure(checked, "newer")
