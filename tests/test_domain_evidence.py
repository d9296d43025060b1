"""DOMAIN A5: conflicting evidence, edge cases and the SMETS1 cohort.

The rule cases build value objects directly; the import-order property imports real job
packs and a real 8.2 inventory XML through the import service into fresh data folders, in
every order, and compares the whole ``check --json`` verdict.
"""

from __future__ import annotations

import itertools
import json
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.devices import CplStatus, DeviceRecord, RecordSource, find_conflicts, merge_records
from app.domain.errors import DomainInputError
from app.domain.reasons import Level, ReasonCode, Severity
from app.domain.rules import PairingInput, Verdict, evaluate_pairing
from app.domain.smets import (
    Cohort,
    Regime,
    cohort_of,
    generation_from_version_text,
    parse_generation,
    parse_s1sp_cohorts,
)
from app.services.context import AppContext
from app.services.cpl_import import import_cpl
from app.services.jobs_import import import_jobs_file
from app.services.pairing import check_labels
from app.store.settings import SettingError, SettingsStore
from tests.helpers_domain import (
    BILINGUAL,
    FW,
    HUB_S1,
    MP202_STYLE,
    S1,
    S2,
    S2_ONLY,
    inventory_xml,
    job_pack,
    jp_device,
    scan,
    write_csv,
)
from tests.test_domain_rules import assert_invariants, codes, situation

TACTICAL, MP202 = Regime.TACTICAL, Regime.MP202
C = ReasonCode


def judge(data: PairingInput) -> Verdict:
    verdict = evaluate_pairing(data)
    assert_invariants(verdict)
    return verdict


def message(verdict: Verdict, code: ReasonCode) -> str:
    return next(r.message for r in verdict.reasons if r.code is code)


def inventory(record: DeviceRecord, **changes: Any) -> DeviceRecord:
    return replace(record, source=RecordSource.INVENTORY, job_ref=None, **changes)


# --- the same PPMID described twice ------------------------------------------------------------


@pytest.mark.parametrize("regime", [TACTICAL, MP202])
def test_two_job_packs_with_different_firmware_block_naming_both(regime: Regime) -> None:
    data = situation(BILINGUAL, S2, S2, regime)
    assert data.ppmid_record is not None
    first = data.ppmid_record
    second = replace(first, firmware_version=FW[(BILINGUAL, S1)], stated_generation=S1, job_ref="J-2")
    for records in ([first, second], [second, first]):
        verdict = judge(replace(data, ppmid_record=merge_records(records), ppmid_records=records))
        assert verdict.level is Level.BLOCK
        assert verdict.resulting_smets is None
        text = message(verdict, C.PRENOTIFICATION_CONFLICT)
        assert "job pack J-1" in text and "job pack J-2" in text
        assert "00020002" in text and "5A000002" in text
    one = judge(replace(data, ppmid_record=merge_records([first, second]), ppmid_records=[first, second]))
    other = judge(replace(data, ppmid_record=merge_records([second, first]), ppmid_records=[second, first]))
    assert one == other


def test_identical_duplicates_are_not_a_conflict() -> None:
    data = situation(BILINGUAL, S2, S2, TACTICAL)
    assert data.ppmid_record is not None
    twin = replace(data.ppmid_record, job_ref="J-2")
    verdict = judge(replace(data, ppmid_records=[data.ppmid_record, twin]))
    assert "PRENOTIFICATION_CONFLICT" not in codes(verdict)
    assert verdict.level is Level.OK


def test_a_pack_and_the_dcc_inventory_disagreeing_on_generation_is_a_conflict() -> None:
    data = situation(MP202_STYLE, S2, S2, MP202)
    assert data.ppmid_record is not None
    dcc = inventory(data.ppmid_record, stated_generation=None, smets_chts_version="", csp_region="SMETS1")
    verdict = judge(replace(data, ppmid_records=[data.ppmid_record, dcc]))
    assert verdict.level is Level.BLOCK
    assert "the DCC inventory (8.2)" in message(verdict, C.PRENOTIFICATION_CONFLICT)


def test_merge_ranks_the_dcc_over_the_pack_and_ignores_import_order() -> None:
    data = situation(BILINGUAL, S2, S2, TACTICAL)
    assert data.ppmid_record is not None
    pack = data.ppmid_record
    other_pack = replace(pack, job_ref="J-0", smi_status="Pending")
    dcc = inventory(pack, hardware_version="", smi_status="Suspended", cpl_status="Active", s1sp="S1SP-B")
    merged = {merge_records(list(order)) for order in itertools.permutations([pack, other_pack, dcc])}
    assert len(merged) == 1
    (view,) = merged
    assert view is not None
    assert view.smi_status == "Suspended" and view.s1sp == "S1SP-B"
    assert view.hardware_version == pack.hardware_version  # the 8.2 carries none: the pack fills it
    conflicts = {find_conflicts(list(order)) for order in itertools.permutations([pack, other_pack, dcc])}
    assert conflicts == {()}


# --- the hub's sources --------------------------------------------------------------------------


def test_hub_record_contradicting_its_cpl_entry_warns_and_the_record_wins() -> None:
    data = situation(BILINGUAL, S1, S1, TACTICAL)
    entries = [replace(e, smets_generation=S2, smets_chts_version="CHTS V1.4") for e in data.hub_model_entries]
    verdict = judge(replace(data, hub_model_entries=entries))
    assert verdict.hub_smets is S1
    assert verdict.level is Level.WARN
    text = message(verdict, C.DATA_INCONSISTENT)
    assert "SMETS1" in text and "SMETS2+" in text and "job pack J-1" in text


def test_the_dcc_inventory_beats_the_job_pack_on_the_hubs_generation() -> None:
    data = situation(MP202_STYLE, S2, S2, MP202)
    assert data.hub_record is not None
    dcc = inventory(data.hub_record, stated_generation=None, smets_chts_version="", csp_region="SMETS1")
    records = [data.hub_record, dcc]
    verdict = judge(replace(data, hub_record=merge_records(records), hub_records=records))
    assert verdict.hub_smets is S1
    assert verdict.resulting_smets is S1
    text = message(verdict, C.DATA_INCONSISTENT)
    assert "DCC" in text and "SMETS2+" in text and "SMETS1" in text


def test_two_packs_disagreeing_on_the_hub_without_an_inventory_block() -> None:
    data = situation(S2_ONLY, S2, S2, MP202)
    assert data.hub_record is not None
    other = replace(data.hub_record, stated_generation=S1, job_ref="J-2")
    verdict = judge(replace(data, hub_records=[data.hub_record, other]))
    assert verdict.level is Level.BLOCK
    assert "Hub" in message(verdict, C.PRENOTIFICATION_CONFLICT)


@pytest.mark.parametrize("regime", [TACTICAL, MP202])
def test_installer_generation_contradicting_the_record_warns_and_is_kept(regime: Regime) -> None:
    verdict = judge(situation(S2_ONLY, S2, S2, regime, hub_generation_given=S1))
    assert verdict.hub_smets is S2
    assert verdict.hub_generation_given is S1
    assert verdict.level is Level.WARN
    assert codes(verdict) == {"HUB_GENERATION_CONFLICT"}
    # ...and against the CPL entry when the record is silent (CPL outranks the installer).
    data = situation(S2_ONLY, S2, S2, regime, hub_generation_given=S1)
    silent = replace(data.hub_record, stated_generation=None, smets_chts_version="")  # type: ignore[type-var]
    verdict = judge(replace(data, hub_record=silent))
    assert verdict.hub_smets is S2
    assert "its CPL entry" in message(verdict, C.HUB_GENERATION_CONFLICT)


def test_installer_generation_that_agrees_raises_nothing() -> None:
    assert codes(judge(situation(S2_ONLY, S2, S2, MP202, hub_generation_given=S2))) == set()


# --- statuses -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("cpl", "firmware"), [("Withdrawn", "Active"), ("Active", "Expired"), ("", "Cancelled")])
def test_dcc_status_other_than_active_blocks_although_the_local_cpl_says_active(cpl: str, firmware: str) -> None:
    data = situation(S2_ONLY, S2, S2, MP202)
    said = replace(data.ppmid_record, cpl_status=cpl, firmware_status=firmware)  # type: ignore[type-var]
    verdict = judge(replace(data, ppmid_record=said))
    assert verdict.level is Level.BLOCK
    assert "DCC" in message(verdict, C.CPL_STATUS)


def test_dcc_saying_active_is_fresher_than_a_withdrawn_local_entry() -> None:
    data = situation(S2_ONLY, S2, S2, MP202)
    withdrawn = [replace(e, status=CplStatus.WITHDRAWN) for e in data.ppmid_model_entries]
    assert "CPL_STATUS" in codes(judge(replace(data, ppmid_model_entries=withdrawn)))
    said = replace(data.ppmid_record, cpl_status="Active", firmware_status="Active")  # type: ignore[type-var]
    verdict = judge(replace(data, ppmid_model_entries=withdrawn, ppmid_record=said))
    assert "CPL_STATUS" not in codes(verdict)


def test_hub_cpl_status_warns_from_the_local_cpl_or_the_dcc() -> None:
    data = situation(S2_ONLY, S2, S2, MP202)
    entries = [replace(e, status=CplStatus.EXPIRED) for e in data.hub_model_entries]
    verdict = judge(replace(data, hub_model_entries=entries))
    assert verdict.level is Level.WARN and codes(verdict) == {"HUB_CPL_STATUS"}
    assert "Expired" in message(verdict, C.HUB_CPL_STATUS)
    dcc = replace(data.hub_record, cpl_status="Cancelled")  # type: ignore[type-var]
    verdict = judge(replace(data, hub_record=dcc))
    assert verdict.level is Level.WARN and "Cancelled" in message(verdict, C.HUB_CPL_STATUS)


@pytest.mark.parametrize(
    ("status", "severity"),
    [("Decommissioned", Severity.BLOCK), ("withdrawn", Severity.BLOCK), ("Suspended", Severity.WARN),
     ("Recovery", Severity.WARN), ("Recovered", Severity.WARN), ("Pending", None), ("Installed", None)],
)
def test_smi_status(status: str, severity: Severity | None) -> None:
    data = situation(S2_ONLY, S2, S2, TACTICAL)
    verdict = judge(replace(data, ppmid_record=replace(data.ppmid_record, smi_status=status)))  # type: ignore[type-var]
    found = [r for r in verdict.reasons if r.code is C.SMI_STATUS]
    if severity is None:
        assert not found
    else:
        assert [r.severity for r in found] == [severity]
        assert status in found[0].message


# --- hardware -----------------------------------------------------------------------------------


def test_no_hardware_and_split_hardware_rows_warn_and_are_not_bilingual() -> None:
    data = situation(BILINGUAL, S2, S1, TACTICAL)
    entries = [replace(e, hardware_version="0009") if e.generation is S1 else e for e in data.ppmid_model_entries]
    no_hw = replace(data.ppmid_record, hardware_version="")  # type: ignore[type-var]
    verdict = judge(replace(data, ppmid_record=no_hw, ppmid_model_entries=entries))
    assert "HARDWARE_UNKNOWN" in codes(verdict)
    assert not verdict.bilingual
    assert "NOT_COMPATIBLE" in codes(verdict)  # the matched hardware has no SMETS1 row
    assert "0009" in message(verdict, C.HARDWARE_UNKNOWN)
    # Same hardware on both rows: nothing to warn about, and bilingual as before.
    verdict = judge(replace(data, ppmid_record=no_hw))
    assert "HARDWARE_UNKNOWN" not in codes(verdict) and verdict.bilingual


# --- MP202's resulting entry --------------------------------------------------------------------


def test_resulting_entry_missing_names_the_firmware_and_generation() -> None:
    verdict = judge(situation(BILINGUAL, S2, S1, MP202))
    assert verdict.level is Level.WARN and verdict.resulting_smets is S1
    text = message(verdict, C.RESULTING_ENTRY_MISSING)
    assert "00020002" in text and "SMETS1" in text and "5A000002" in text


def test_a_withdrawn_resulting_entry_blocks() -> None:
    data = situation(MP202_STYLE, S2, S1, MP202)
    entries = [replace(e, status=CplStatus.WITHDRAWN) if e.generation is S1 else e for e in data.ppmid_model_entries]
    verdict = judge(replace(data, ppmid_model_entries=entries))
    assert verdict.level is Level.BLOCK
    assert "Withdrawn" in message(verdict, C.CPL_STATUS) and "MP202" in message(verdict, C.CPL_STATUS)
    # Under tactical the SMETS1 row is not the one used: no block from it.
    assert "CPL_STATUS" not in codes(judge(replace(data, ppmid_model_entries=entries, regime=TACTICAL)))


# --- the SMETS1 cohort ---------------------------------------------------------------------------


def _s1_site(s1sp: str, cohorts: dict[str, Cohort] | None = None, **ppmid: Any) -> PairingInput:
    data = situation(BILINGUAL, S1, S1, TACTICAL, s1sp_cohorts=cohorts)
    assert data.hub_record is not None and data.ppmid_record is not None
    hub = replace(data.hub_record, s1sp=s1sp, has_s1sp=bool(s1sp))
    return replace(data, hub_record=hub, ppmid_record=replace(data.ppmid_record, **ppmid))


@pytest.mark.parametrize(
    ("s1sp", "cohorts", "readback"),
    [
        ("", None, True),  # not known
        ("S1SP-B", None, True),  # the DCC's sample value: not known by its name
        ("S1SP-FOC", None, True),
        ("S1SP-Secure", None, False),
        ("S1SP-B", {"S1SP-B": Cohort.IOC}, False),
        ("s1sp-b", {"S1SP-B": Cohort.FOC}, True),
        ("Secure-1", {"SECURE-1": Cohort.FOC}, True),  # the supplier's mapping beats the name
    ],
)
def test_s1_fw_readback_only_for_foc_or_unknown_cohorts(s1sp: str, cohorts: dict[str, Cohort] | None,
                                                        readback: bool) -> None:
    verdict = judge(_s1_site(s1sp, cohorts))
    assert ("S1_FW_READBACK" in codes(verdict)) == readback


def test_s1_fw_readback_not_raised_without_a_cpl_match() -> None:
    verdict = judge(_s1_site("", firmware_version="5A009999"))
    assert "NOT_ON_CPL" in codes(verdict) and "S1_FW_READBACK" not in codes(verdict)


def test_third_party_ppmid_at_a_secure_site_warns() -> None:
    verdict = judge(_s1_site("S1SP-Secure"))
    assert verdict.level is Level.WARN
    assert verdict.cohort is Cohort.MOC_SECURE and verdict.s1sp == "S1SP-Secure"
    text = message(verdict, C.S1_SECURE_THIRD_PARTY)
    assert BILINGUAL[0] in text and HUB_S1[0] in text
    same_maker = judge(_s1_site("S1SP-Secure", manufacturer_id=HUB_S1[0]))
    assert "S1_SECURE_THIRD_PARTY" not in codes(same_maker)
    assert "S1_SECURE_THIRD_PARTY" not in codes(judge(_s1_site("S1SP-FOC")))


def test_cohort_names_and_the_mapping_text() -> None:
    assert cohort_of("S1SP-secure") is Cohort.MOC_SECURE
    assert cohort_of("FOC-2") is Cohort.FOC
    assert cohort_of("S1SP-B") is None and cohort_of("") is None
    assert parse_s1sp_cohorts(" S1SP-A = ioc; S1SP-B=MOC secure,S1SP-C=FOC ") == {
        "S1SP-A": Cohort.IOC, "S1SP-B": Cohort.MOC_SECURE, "S1SP-C": Cohort.FOC}
    for bad in ("S1SP-A", "=FOC", "S1SP-A=MOC"):
        with pytest.raises(DomainInputError):
            parse_s1sp_cohorts(bad)


def test_s1sp_cohorts_setting_is_checked_and_stored_canonical(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path)
    assert store.get("s1sp_cohorts") == ""
    assert store.set("s1sp_cohorts", "s1sp-b=foc;S1SP-A=ioc") == "S1SP-A=IOC, s1sp-b=FOC"
    with pytest.raises(SettingError, match="s1sp_cohorts .*IOC, MOC-Secure, FOC"):
        store.set("s1sp_cohorts", "S1SP-B=Gold")
    assert store.get("s1sp_cohorts") == "S1SP-A=IOC, s1sp-b=FOC"  # the bad value changed nothing


# --- SMETS text ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["SMETS1", "SMETS 1", "SMETS-1", "S1", "SMETS1.2", "SMETS1 v1.2", "SMETS-1.2"])
def test_smets1_text_with_a_version_suffix(text: str) -> None:
    assert generation_from_version_text(text) is S1


@pytest.mark.parametrize("text", ["SMETS V1.58", "SMETS v2.0", "SMETS 1.58", "CHTS V1.4"])
def test_a_v_between_is_smets2(text: str) -> None:
    assert generation_from_version_text(text) is S2


def test_generation_column_reads_smets1_with_a_version() -> None:
    assert parse_generation("SMETS1.2") is S1 and parse_generation("SMETS-1 v1.2") is S1
    with pytest.raises(DomainInputError):
        parse_generation("SMETS V1.58")


# --- the verdict does not depend on import order (real files, real store) ------------------------

PPMID = "0A-1B-2C-00-00-00-70-04"
HUB = "0A-1B-2C-00-00-00-70-02"
OTHER_PPMID = "0A-1B-2C-00-00-00-70-14"


def _write_files(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "cpl.csv", [
        ["Device Type", "Manufacturer ID", "Model ID", "Hardware Version", "Firmware Version",
         "SMETS Generation", "SMETS/CHTS Version", "Status"],
        ["PPMID", "10E0", "00090100", "0001", "00020002", "SMETS2+", "SMETS V4.2", "Active"],
        ["PPMID", "10E0", "00090100", "0001", "5A000002", "SMETS1", "SMETS1", "Active"],
        ["CHF", "1072", "57310102", "", "04000007", "SMETS1", "SMETS1", "Active"],
    ])
    hub_dev = jp_device(HUB, "CHF", manufacturer_id="1072", model_id="57310102", firmware_version="04000007",
                        smets_generation="SMETS1", smi_status="Commissioned")
    ppmid_s2 = jp_device(PPMID, hardware_version="0001", smets_generation="SMETS2+", smi_status="Pending")
    ppmid_s1 = jp_device(PPMID, hardware_version="0001", firmware_version="5A000002", smets_generation="SMETS1",
                         smi_status="Pending")
    other = jp_device(OTHER_PPMID, hardware_version="0001", smi_status="Pending")
    files = {
        "pack_a.json": job_pack([{"job_ref": "J-A", "mpxn": "1", "devices": [hub_dev, ppmid_s2]}]),
        # The same PPMID pre-notified again with the SMETS1 firmware: a conflict.
        "pack_b.json": job_pack([{"job_ref": "J-B", "mpxn": "2", "devices": [hub_dev, ppmid_s1]}]),
        # An identical duplicate of the hub and another PPMID: no conflict of its own.
        "pack_c.json": job_pack([{"job_ref": "J-C", "mpxn": "3", "devices": [hub_dev, other]}]),
    }
    paths = {"cpl.csv": folder / "cpl.csv"}
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
        paths[name] = folder / name
    (folder / "inventory.xml").write_bytes(inventory_xml([
        {"DeviceID": HUB, "DeviceType": "CHF", "DeviceStatus": "Commissioned", "DeviceManufacturer": "1072",
         "DeviceModel": "57310102", "DeviceFirmwareVersion": "04000007", "CPLStatus": "Active",
         "CSPRegion": "SMETS1", "S1SP": "S1SP-Secure"},
        {"DeviceID": OTHER_PPMID, "DeviceType": "PPMID", "DeviceStatus": "Suspended", "DeviceManufacturer": "10E0",
         "DeviceModel": "00090100", "DeviceFirmwareVersion": "00020002", "CPLStatus": "Active"},
    ]))
    paths["inventory.xml"] = folder / "inventory.xml"
    return paths


def _verdicts(files: dict[str, Path], order: tuple[str, ...], root: Path) -> dict[str, Any]:
    """Import ``order`` into a fresh data folder and check both PPMIDs under both regimes."""
    ctx = AppContext(root / "data")
    try:
        import_cpl(ctx, files["cpl.csv"])
        for name in order:
            report = import_jobs_file(ctx, files[name])
            assert not report.problems, report.problems
        out: dict[str, Any] = {}
        for ppmid in (PPMID, OTHER_PPMID):
            for regime in Regime:
                result = check_labels(ctx, scan(ppmid), scan(HUB), regime=regime)
                out[f"{ppmid}/{regime}"] = json.loads(json.dumps(result.to_json()))
        return out
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def import_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _write_files(tmp_path_factory.mktemp("evidence-files"))


@pytest.fixture(scope="module")
def reference(import_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    names = ("pack_a.json", "pack_b.json", "pack_c.json", "inventory.xml")
    return _verdicts(import_files, names, tmp_path_factory.mktemp("evidence-reference"))


def test_the_reference_verdicts_show_the_evidence(reference: dict[str, Any]) -> None:
    conflicted = reference[f"{PPMID}/tactical"]
    assert conflicted["level"] == "block" and conflicted["resulting_smets"] is None
    got = {r["code"] for r in conflicted["reasons"]}
    assert "PRENOTIFICATION_CONFLICT" in got
    assert conflicted["hub"]["s1sp"] == "S1SP-Secure" and conflicted["hub"]["smets1_cohort"] == "MOC-Secure"
    assert [s["source"] for s in conflicted["hub"]["sources"]] == ["inventory", "jobpack", "jobpack", "jobpack"]
    suspended = reference[f"{OTHER_PPMID}/mp202"]
    got = {r["code"]: r["severity"] for r in suspended["reasons"]}
    assert got.get("SMI_STATUS") == "warn"
    # 10E0 is not the hub's maker (1072) and the hub's S1SP is the Secure one.
    assert got.get("S1_SECURE_THIRD_PARTY") == "warn"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(["pack_a.json", "pack_b.json", "pack_c.json", "inventory.xml"]))
def test_verdict_does_not_depend_on_import_order(
    order: list[str], import_files: dict[str, Path], reference: dict[str, Any]
) -> None:
    with tempfile.TemporaryDirectory(prefix="hubcheck-order-") as root:
        assert _verdicts(import_files, tuple(order), Path(root)) == reference
