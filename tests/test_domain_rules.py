"""The pairing verdict (DOMAIN Part A2), table-driven from the specification.

Expected values come from the spec: the MP202 versioning table (seed 002, "PPMID SMETS
versioning": pre-notified / hub → resulting), the tactical rule, the reason-code table
and its severities. Inputs are built directly as CplEntry / DeviceRecord / LabelData.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.devices import CplEntry, CplStatus, DeviceRecord, DeviceType, RecordSource, merge_records
from app.domain.reasons import Level, ReasonCode, RemedyAction, Severity
from app.domain.rules import PairingInput, Verdict, evaluate_pairing
from app.domain.smets import Generation, Regime
from tests.helpers_domain import (
    BILINGUAL,
    FW,
    HUB_ID,
    HUB_S1,
    HUB_S2,
    MP202_STYLE,
    PPMID_ID,
    S1,
    S1_ONLY,
    S2,
    S2_ONLY,
    SILABS_LABEL,
    TEMPLATE_LABEL,
    cpl_entry,
    hub_entry,
    hub_record,
    model_entries,
    ppmid_record,
    scan,
)

TACTICAL = Regime.TACTICAL
MP202 = Regime.MP202
C = ReasonCode

# DOMAIN A2 reason table: code → severity (HUB_UNKNOWN is expressed through level "unknown").
SPEC_SEVERITY = {
    "NOT_PRENOTIFIED": "block",
    "WRONG_DEVICE_TYPE": "block",
    "NOT_ON_CPL": "block",
    "CPL_STATUS": "block",
    "SMETS_MISMATCH": "block",
    "NOT_COMPATIBLE": "block",
    "INSTALL_CODE_CRC": "block",
    "HUB_NOT_ON_CPL": "warn",
    "RESULTING_DIFFERS": "info",
    "DATA_INCONSISTENT": "warn",
    "S1_FW_UPGRADE": "info",
    "S1_FW_READBACK": "info",
}
SPEC_CODES = {*SPEC_SEVERITY, "HUB_UNKNOWN"}

# MP202 Modification Report, "PPMID SMETS versioning": (pre-notified, hub) → resulting.
MP202_TABLE = {
    (S1, S1): S1,
    (S1, S2): S2,
    (S2, S1): S1,
    (S2, S2): S2,
}

HUB_MODELS = {S1: HUB_S1, S2: HUB_S2}


def situation(
    model: tuple[str, str, str],
    prenotified: Generation,
    hub_gen: Generation | None,
    regime: Regime,
    *,
    firmware: str | None = None,
    ppmid_code: str | None = SILABS_LABEL,
    **overrides: object,
) -> PairingInput:
    """A PPMID of ``model`` pre-notified as ``prenotified`` (its CPL firmware) and a CHF of ``hub_gen``."""
    fw = firmware if firmware is not None else FW[(model, prenotified)]
    hub_model = HUB_MODELS[hub_gen or S2]
    base = PairingInput(
        ppmid_scan=scan(PPMID_ID, ppmid_code),
        hub_scan=scan(HUB_ID),
        regime=regime,
        ppmid_record=ppmid_record(model, fw, prenotified),
        hub_record=hub_record(hub_model, hub_gen),
        ppmid_model_entries=model_entries(model),
        hub_model_entries=[hub_entry(hub_model, hub_gen or S2)] if hub_gen else [],
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def codes(verdict: Verdict) -> set[str]:
    return {r.code.value for r in verdict.reasons}


def actions(verdict: Verdict) -> set[str]:
    return {r.action.value for r in verdict.remedies}


def assert_invariants(verdict: Verdict) -> None:
    """What A2 says of every verdict, whatever the inputs."""
    severities = {r.severity.value for r in verdict.reasons}
    for reason in verdict.reasons:
        if reason.code.value in SPEC_SEVERITY:
            assert reason.severity.value == SPEC_SEVERITY[reason.code.value], reason.code
        assert reason.message and "{" not in reason.message, reason
    if "block" in severities:
        assert verdict.level is Level.BLOCK
    elif verdict.hub_smets is None:
        assert verdict.level is Level.UNKNOWN
    elif "warn" in severities:
        assert verdict.level is Level.WARN
    else:
        assert verdict.level is Level.OK
    if verdict.level in (Level.BLOCK, Level.UNKNOWN):
        assert verdict.resulting_smets is None
    assert verdict.codes == {r.code for r in verdict.reasons}
    order = {"block": 0, "warn": 1, "info": 2}
    ranks = [order[r.severity.value] for r in verdict.reasons]
    assert ranks == sorted(ranks), "reasons are listed worst first"


def judge(data: PairingInput) -> Verdict:
    verdict = evaluate_pairing(data)
    assert_invariants(verdict)
    assert verdict.regime is data.regime
    return verdict


# --- contract ---------------------------------------------------------------------------------


def test_every_spec_reason_code_exists_with_its_stable_name_and_severity() -> None:
    from app.domain.reasons import SEVERITY

    names = {c.value for c in ReasonCode}
    assert names >= SPEC_CODES
    for code, severity in SPEC_SEVERITY.items():
        assert SEVERITY[ReasonCode(code)].value == severity
        assert ReasonCode(code).name == code


# --- the MP202 table under both regimes ----------------------------------------------------------


@pytest.mark.parametrize("model", [BILINGUAL, MP202_STYLE], ids=["bilingual-two-firmwares", "bilingual-one-firmware"])
@pytest.mark.parametrize(("prenotified", "hub_gen"), list(MP202_TABLE), ids=lambda g: str(g))
def test_mp202_table_row_under_mp202(model: tuple[str, str, str], prenotified: Generation, hub_gen: Generation) -> None:
    verdict = judge(situation(model, prenotified, hub_gen, MP202))
    expected = MP202_TABLE[(prenotified, hub_gen)]
    # A2: MP202 relies on the model's row for the hub's generation at the pre-notified
    # firmware. The tactical-era model (two firmwares) has none when the generation changes.
    entry_missing = model == BILINGUAL and expected is not prenotified
    assert verdict.level is (Level.WARN if entry_missing else Level.OK)
    assert verdict.resulting_smets is expected
    assert verdict.prenotified_smets is prenotified
    assert verdict.hub_smets is hub_gen
    assert verdict.bilingual
    got = codes(verdict)
    assert ("RESULTING_ENTRY_MISSING" in got) == entry_missing
    if entry_missing:
        assert verdict.resulting_cpl_entry is None
    else:
        assert verdict.resulting_cpl_entry is not None
        assert verdict.resulting_cpl_entry.generation is expected
        assert verdict.resulting_cpl_entry.firmware_version == FW[(model, prenotified)]
    assert ("RESULTING_DIFFERS" in got) == (expected is not prenotified)
    assert ("S1_FW_UPGRADE" in got) == (expected is S1)
    assert "SMETS_MISMATCH" not in got and "S1_FW_READBACK" not in got
    if expected is S1:
        message = next(r.message for r in verdict.reasons if r.code is C.S1_FW_UPGRADE)
        assert "18.63" in message and "over-the-air" in message


@pytest.mark.parametrize("model", [BILINGUAL, MP202_STYLE], ids=["bilingual-two-firmwares", "bilingual-one-firmware"])
@pytest.mark.parametrize(("prenotified", "hub_gen"), list(MP202_TABLE), ids=lambda g: str(g))
def test_mp202_table_row_under_tactical(model: tuple[str, str, str], prenotified: Generation, hub_gen: Generation) -> None:
    verdict = judge(situation(model, prenotified, hub_gen, TACTICAL))
    got = codes(verdict)
    assert verdict.prenotified_smets is prenotified
    # A2: bilingual, pre-notified SMETS1 with a firmware unlike the SMETS2+ entry's (the
    # fictitious one): only the two-firmware model; an MP202-style model shares its firmware.
    assert ("S1_FW_READBACK" in got) == (prenotified is S1 and model == BILINGUAL)
    assert "RESULTING_DIFFERS" not in got
    if prenotified is hub_gen:
        assert verdict.level is Level.OK
        assert verdict.resulting_smets is prenotified
        assert ("S1_FW_UPGRADE" in got) == (prenotified is S1)
        assert "SMETS_MISMATCH" not in got
        assert not verdict.remedies
    else:
        assert verdict.level is Level.BLOCK
        assert verdict.resulting_smets is None
        assert "SMETS_MISMATCH" in got
        assert "S1_FW_UPGRADE" not in got
        mismatch = next(r for r in verdict.reasons if r.code is C.SMETS_MISMATCH)
        assert str(prenotified) in mismatch.message and str(hub_gen) in mismatch.message
        assert RemedyAction.FIT_MATCHING_PPMID.value in actions(verdict)
        # Bilingual and still Pending: offer the 8.4 move to the other CPL entry, approval needed.
        update = [r for r in verdict.remedies if r.action is RemedyAction.QUEUE_UPDATE_INVENTORY]
        assert len(update) == 1
        assert update[0].needs_approval
        assert "8.4" in update[0].description
        assert FW[(model, hub_gen)] in update[0].description


def test_tactical_update_inventory_remedy_only_while_pending() -> None:
    data = situation(BILINGUAL, S2, S1, TACTICAL)
    installed = replace(data, ppmid_record=replace(data.ppmid_record, smi_status="Installed"))  # type: ignore[type-var]
    verdict = judge(installed)
    assert "SMETS_MISMATCH" in codes(verdict)
    assert RemedyAction.QUEUE_UPDATE_INVENTORY.value not in actions(verdict)
    assert RemedyAction.FIT_MATCHING_PPMID.value in actions(verdict)


# --- non-bilingual models -----------------------------------------------------------------------


@pytest.mark.parametrize("regime", [TACTICAL, MP202])
@pytest.mark.parametrize(("model", "model_gen"), [(S1_ONLY, S1), (S2_ONLY, S2)], ids=["S1-only", "S2-only"])
@pytest.mark.parametrize("hub_gen", [S1, S2], ids=str)
def test_single_generation_models(
    model: tuple[str, str, str], model_gen: Generation, hub_gen: Generation, regime: Regime
) -> None:
    verdict = judge(situation(model, model_gen, hub_gen, regime))
    got = codes(verdict)
    assert not verdict.bilingual
    assert "S1_FW_READBACK" not in got
    if model_gen is hub_gen:
        assert verdict.level is Level.OK
        assert verdict.resulting_smets is hub_gen
        assert ("S1_FW_UPGRADE" in got) == (hub_gen is S1)
        assert "RESULTING_DIFFERS" not in got
    else:
        assert verdict.level is Level.BLOCK
        assert verdict.resulting_smets is None
        assert "NOT_COMPATIBLE" in got
        assert RemedyAction.FIT_COMPATIBLE_MODEL.value in actions(verdict)
        assert RemedyAction.QUEUE_UPDATE_INVENTORY.value not in actions(verdict)
        # Tactical also lists the mismatch: every block reason is listed, not only the first.
        assert ("SMETS_MISMATCH" in got) == (regime is TACTICAL)


# --- each reason code ---------------------------------------------------------------------------


@pytest.mark.parametrize("regime", [TACTICAL, MP202])
def test_not_prenotified(regime: Regime) -> None:
    verdict = judge(situation(BILINGUAL, S2, S2, regime, ppmid_record=None, ppmid_model_entries=[]))
    assert verdict.level is Level.BLOCK
    assert "NOT_PRENOTIFIED" in codes(verdict)
    assert PPMID_ID in next(r.message for r in verdict.reasons if r.code is C.NOT_PRENOTIFIED)
    assert verdict.ppmid_cpl_entry is None and verdict.prenotified_smets is None


@pytest.mark.parametrize("regime", [TACTICAL, MP202])
def test_wrong_device_type_for_the_ppmid(regime: Regime) -> None:
    data = situation(BILINGUAL, S2, S2, regime)
    data = replace(data, ppmid_record=replace(data.ppmid_record, device_type=DeviceType.IHD))  # type: ignore[type-var]
    verdict = judge(data)
    assert verdict.level is Level.BLOCK
    assert "WRONG_DEVICE_TYPE" in codes(verdict)
    message = next(r.message for r in verdict.reasons if r.code is C.WRONG_DEVICE_TYPE)
    assert "IHD" in message and "PPMID" in message


@pytest.mark.parametrize("hub_type", [DeviceType.GPF, DeviceType.ESME, None])
def test_wrong_device_type_for_the_hub(hub_type: DeviceType | None) -> None:
    data = situation(BILINGUAL, S2, S2, MP202)
    data = replace(data, hub_record=replace(data.hub_record, device_type=hub_type))  # type: ignore[type-var]
    verdict = judge(data)
    assert verdict.level is Level.BLOCK
    assert "WRONG_DEVICE_TYPE" in codes(verdict)
    assert "CHF" in next(r.message for r in verdict.reasons if r.code is C.WRONG_DEVICE_TYPE)


@pytest.mark.parametrize("regime", [TACTICAL, MP202])
def test_not_on_cpl_when_the_prenotified_firmware_matches_no_entry(regime: Regime) -> None:
    verdict = judge(situation(BILINGUAL, S2, S2, regime, firmware="00029999"))
    assert verdict.level is Level.BLOCK
    assert "NOT_ON_CPL" in codes(verdict)
    assert "00029999" in next(r.message for r in verdict.reasons if r.code is C.NOT_ON_CPL)
    assert verdict.ppmid_cpl_entry is None


def test_not_on_cpl_when_the_hardware_version_differs() -> None:
    data = situation(S2_ONLY, S2, S2, MP202)
    data = replace(data, ppmid_record=replace(data.ppmid_record, hardware_version="0009"))  # type: ignore[type-var]
    assert "NOT_ON_CPL" in codes(judge(data))


def test_model_match_ignores_case_and_surrounding_space() -> None:
    data = situation(S2_ONLY, S2, S2, MP202)
    record = data.ppmid_record
    assert record is not None
    shouting = replace(
        record,
        manufacturer_id=" 1187 ",
        model_id="00070001 ",
        firmware_version=" 01020304",
    )
    entries = [replace(e, model_id=e.model_id.lower()) for e in data.ppmid_model_entries]
    verdict = judge(replace(data, ppmid_record=shouting, ppmid_model_entries=entries))
    assert verdict.level is Level.OK
    assert verdict.resulting_smets is S2


@pytest.mark.parametrize("status", [CplStatus.CANCELLED, CplStatus.EXPIRED, CplStatus.WITHDRAWN])
@pytest.mark.parametrize("regime", [TACTICAL, MP202])
def test_cpl_status_other_than_active_blocks(status: CplStatus, regime: Regime) -> None:
    data = situation(S2_ONLY, S2, S2, regime)
    entries = [replace(e, status=status) for e in data.ppmid_model_entries]
    verdict = judge(replace(data, ppmid_model_entries=entries))
    assert verdict.level is Level.BLOCK
    assert "CPL_STATUS" in codes(verdict)
    assert status.value in next(r.message for r in verdict.reasons if r.code is C.CPL_STATUS)


def test_cpl_status_of_the_matching_entry_only_counts() -> None:
    # The bilingual model also has a Withdrawn older firmware; pre-notified with the Active one is fine.
    data = situation(BILINGUAL, S2, S2, TACTICAL)
    entries = [*data.ppmid_model_entries, cpl_entry(BILINGUAL, "00020001", S2, status=CplStatus.WITHDRAWN)]
    assert judge(replace(data, ppmid_model_entries=entries)).level is Level.OK
    withdrawn = replace(data.ppmid_record, firmware_version="00020001")  # type: ignore[type-var]
    verdict = judge(replace(data, ppmid_model_entries=entries, ppmid_record=withdrawn))
    assert "CPL_STATUS" in codes(verdict)


@pytest.mark.parametrize(
    "code_label",
    [
        SILABS_LABEL[:-1] + "6",  # CRC fails
        "83FED3407A939723A5C639B26916D5",  # 15 bytes: 13-byte code + CRC
        SILABS_LABEL + "00",  # 19 bytes
    ],
    ids=["crc", "length-13", "length-17"],
)
@pytest.mark.parametrize("regime", [TACTICAL, MP202])
def test_install_code_crc_or_length_blocks(code_label: str, regime: Regime) -> None:
    verdict = judge(situation(BILINGUAL, S2, S2, regime, ppmid_code=code_label))
    assert verdict.level is Level.BLOCK
    assert codes(verdict) == {"INSTALL_CODE_CRC"}
    assert RemedyAction.RESCAN_INSTALL_CODE.value in actions(verdict)


def test_valid_install_codes_of_every_length_pass() -> None:
    from tests.helpers_domain import label_hex_for

    for size in (6, 8, 12, 16):
        label = label_hex_for(bytes(range(1, size + 1)).hex())
        assert judge(situation(S2_ONLY, S2, S2, MP202, ppmid_code=label)).level is Level.OK
    assert judge(situation(S2_ONLY, S2, S2, MP202, ppmid_code=TEMPLATE_LABEL)).level is Level.OK
    # No install code on the label nor in the job pack: the 8.11 cannot be queued (A5).
    no_code = judge(situation(S2_ONLY, S2, S2, MP202, ppmid_code=None))
    assert no_code.level is Level.WARN and codes(no_code) == {"INSTALL_CODE_MISSING"}


def test_hub_install_code_is_checked_too() -> None:
    bad_hub = scan(HUB_ID, TEMPLATE_LABEL[:-2] + "00")
    verdict = judge(situation(S2_ONLY, S2, S2, MP202, hub_scan=bad_hub))
    assert verdict.level is Level.BLOCK
    assert "INSTALL_CODE_CRC" in codes(verdict)
    assert "hub" in next(r.message for r in verdict.reasons if r.code is C.INSTALL_CODE_CRC)


@pytest.mark.parametrize("regime", [TACTICAL, MP202])
def test_hub_not_on_local_cpl_warns_but_keeps_the_result(regime: Regime) -> None:
    verdict = judge(situation(S2_ONLY, S2, S2, regime, hub_model_entries=[]))
    assert verdict.level is Level.WARN
    assert codes(verdict) == {"HUB_NOT_ON_CPL"}
    assert verdict.resulting_smets is S2  # the hub's own record still says SMETS2+
    assert verdict.hub_cpl_entry is None


def test_dcc_inventory_saying_cpl_active_suppresses_hub_not_on_cpl() -> None:
    data = situation(S2_ONLY, S2, S2, MP202, hub_model_entries=[])
    record = data.hub_record
    assert record is not None
    dcc = replace(record, cpl_status="Active", source=RecordSource.INVENTORY, job_ref=None)
    verdict = judge(replace(data, hub_record=merge_records([record, dcc])))
    assert "HUB_NOT_ON_CPL" not in codes(verdict)
    assert verdict.level is Level.OK


@pytest.mark.parametrize("regime", [TACTICAL, MP202])
def test_hub_unknown_when_not_in_local_data(regime: Regime) -> None:
    verdict = judge(situation(BILINGUAL, S2, S2, regime, hub_record=None, hub_model_entries=[]))
    assert verdict.level is Level.UNKNOWN
    assert "HUB_UNKNOWN" in codes(verdict)
    assert verdict.resulting_smets is None
    assert verdict.hub_smets is None
    assert RemedyAction.CONFIRM_HUB_GENERATION.value in actions(verdict)


def test_hub_unknown_when_its_record_and_cpl_entry_say_nothing_of_generation() -> None:
    data = situation(BILINGUAL, S2, S2, TACTICAL)
    silent = replace(data.hub_record, stated_generation=None, smets_chts_version="")  # type: ignore[type-var]
    entries = [replace(e, smets_generation=None, smets_chts_version="") for e in data.hub_model_entries]
    verdict = judge(replace(data, hub_record=silent, hub_model_entries=entries))
    assert verdict.level is Level.UNKNOWN
    assert "HUB_UNKNOWN" in codes(verdict)


@pytest.mark.parametrize("given_gen", [S1, S2], ids=str)
def test_generation_given_by_the_installer_resolves_an_unknown_hub(given_gen: Generation) -> None:
    # An MP202-style model (both rows at one firmware), so the resulting entry exists either way.
    data = situation(MP202_STYLE, S2, S2, MP202, hub_record=None, hub_model_entries=[], hub_generation_given=given_gen)
    verdict = judge(data)
    assert verdict.hub_smets is given_gen
    assert verdict.level is Level.OK
    assert verdict.resulting_smets is MP202_TABLE[(S2, given_gen)]
    assert "HUB_UNKNOWN" not in codes(verdict)


def test_hub_record_wins_over_the_generation_the_installer_gives() -> None:
    # A1: "For a hub, the generation comes from its own record (job pack or inventory), else from its CPL entry."
    data = situation(BILINGUAL, S2, S1, MP202, hub_generation_given=S2)
    verdict = judge(data)
    assert verdict.hub_smets is S1
    assert verdict.resulting_smets is S1
    # A5: the installer's contradicting choice is shown, not silently dropped.
    assert "HUB_GENERATION_CONFLICT" in codes(verdict)
    assert verdict.hub_generation_given is S2


def test_installer_generation_fills_in_for_a_silent_hub_record() -> None:
    data = situation(BILINGUAL, S2, S2, TACTICAL, hub_generation_given=S1)
    silent = replace(data.hub_record, stated_generation=None, smets_chts_version="")  # type: ignore[type-var]
    verdict = judge(replace(data, hub_record=silent, hub_model_entries=[]))
    assert verdict.hub_smets is S1
    assert "HUB_UNKNOWN" not in codes(verdict)
    assert "SMETS_MISMATCH" in codes(verdict)


def test_unknown_hub_with_a_block_is_block() -> None:
    verdict = judge(situation(BILINGUAL, S2, S2, TACTICAL, hub_record=None, hub_model_entries=[], ppmid_record=None))
    assert verdict.level is Level.BLOCK
    assert {"NOT_PRENOTIFIED", "HUB_UNKNOWN"} <= codes(verdict)


def test_hub_generation_from_its_cpl_entry_when_the_record_is_silent() -> None:
    data = situation(BILINGUAL, S1, S1, TACTICAL)
    silent = replace(data.hub_record, stated_generation=None, smets_chts_version="")  # type: ignore[type-var]
    verdict = judge(replace(data, hub_record=silent))
    assert verdict.hub_smets is S1
    assert verdict.level is Level.OK
    assert verdict.resulting_smets is S1


def test_hub_record_wins_over_its_cpl_entry() -> None:
    data = situation(BILINGUAL, S1, S1, TACTICAL)
    entries = [replace(e, smets_generation=S2, smets_chts_version="CHTS V1.4") for e in data.hub_model_entries]
    verdict = judge(replace(data, hub_model_entries=entries))
    assert verdict.hub_smets is S1


@pytest.mark.parametrize(
    "evidence",
    [{"csp_region": "SMETS1"}, {"has_s1sp": True}],
    ids=["CSPRegion", "S1SP"],
)
def test_inventory_smets1_evidence_makes_the_hub_smets1(evidence: dict[str, object]) -> None:
    data = situation(BILINGUAL, S2, S2, MP202)
    pack = replace(data.hub_record, stated_generation=None, smets_chts_version="CHTS V1.4")  # type: ignore[type-var]
    dcc = replace(pack, source=RecordSource.INVENTORY, job_ref=None, cpl_status="Active", **evidence)  # type: ignore[arg-type]
    verdict = judge(replace(data, hub_record=merge_records([pack, dcc])))
    assert verdict.hub_smets is S1
    assert verdict.resulting_smets is S1  # MP202 table: SMETS2+ PPMID on a SMETS1 hub → SMETS1


def test_smets_v1_58_hub_is_smets2() -> None:
    data = situation(BILINGUAL, S2, S2, TACTICAL)
    texty = replace(data.hub_record, stated_generation=None, smets_chts_version="SMETS V1.58")  # type: ignore[type-var]
    verdict = judge(replace(data, hub_record=texty, hub_model_entries=[]))
    assert verdict.hub_smets is S2


@pytest.mark.parametrize("regime", [TACTICAL, MP202])
def test_data_inconsistent_when_job_pack_contradicts_the_cpl_entry(regime: Regime) -> None:
    # Stated SMETS1 but the firmware is the SMETS2+ entry's: the CPL entry decides the pre-notified generation.
    data = situation(BILINGUAL, S2, S2, regime)
    said_s1 = replace(data.ppmid_record, stated_generation=S1, smets_chts_version="SMETS1")  # type: ignore[type-var]
    verdict = judge(replace(data, ppmid_record=said_s1))
    assert verdict.level is Level.WARN
    assert "DATA_INCONSISTENT" in codes(verdict)
    assert verdict.prenotified_smets is S2
    assert verdict.resulting_smets is S2
    assert "SMETS_MISMATCH" not in codes(verdict)


def test_prenotified_generation_is_the_cpl_entry_generation_under_tactical() -> None:
    # Record states nothing: the firmware's CPL entry (SMETS1) is the pre-notified generation.
    data = situation(BILINGUAL, S1, S2, TACTICAL)
    silent = replace(data.ppmid_record, stated_generation=None)  # type: ignore[type-var]
    verdict = judge(replace(data, ppmid_record=silent))
    assert verdict.prenotified_smets is S1
    assert "SMETS_MISMATCH" in codes(verdict)


def test_mp202_style_entry_is_picked_by_the_stated_generation() -> None:
    for stated, hub_gen in MP202_TABLE:
        verdict = judge(situation(MP202_STYLE, stated, hub_gen, TACTICAL))
        assert verdict.ppmid_cpl_entry is not None
        assert verdict.ppmid_cpl_entry.generation is stated


def test_resulting_differs_names_both_generations() -> None:
    verdict = judge(situation(BILINGUAL, S1, S2, MP202))
    message = next(r.message for r in verdict.reasons if r.code is C.RESULTING_DIFFERS)
    assert "SMETS1" in message and "SMETS2+" in message


def test_s1_fw_upgrade_under_tactical_has_no_mp202_note() -> None:
    verdict = judge(situation(S1_ONLY, S1, S1, TACTICAL))
    message = next(r.message for r in verdict.reasons if r.code is C.S1_FW_UPGRADE)
    assert "18.63" in message
    assert "MP202" not in message


# --- several block reasons at once ---------------------------------------------------------------


@pytest.mark.parametrize("regime", [TACTICAL, MP202])
def test_not_prenotified_and_bad_install_code_and_wrong_hub_type_are_all_listed(regime: Regime) -> None:
    data = situation(BILINGUAL, S2, S2, regime, ppmid_record=None, ppmid_code=SILABS_LABEL[:-1] + "0")
    data = replace(data, hub_record=replace(data.hub_record, device_type=DeviceType.GPF))  # type: ignore[type-var]
    verdict = judge(data)
    assert {"NOT_PRENOTIFIED", "INSTALL_CODE_CRC", "WRONG_DEVICE_TYPE"} <= codes(verdict)
    assert verdict.level is Level.BLOCK


def test_withdrawn_firmware_mismatch_and_bad_code_under_tactical() -> None:
    data = situation(S1_ONLY, S1, S2, TACTICAL, ppmid_code=TEMPLATE_LABEL[:-1] + "7")
    entries = [replace(e, status=CplStatus.WITHDRAWN) for e in data.ppmid_model_entries]
    verdict = judge(replace(data, ppmid_model_entries=entries))
    assert {"CPL_STATUS", "SMETS_MISMATCH", "NOT_COMPATIBLE", "INSTALL_CODE_CRC"} <= codes(verdict)
    blocks = [r for r in verdict.reasons if r.severity is Severity.BLOCK]
    assert len(blocks) == 4


def test_wrong_type_ppmid_record_and_unknown_firmware() -> None:
    data = situation(BILINGUAL, S2, S2, MP202, firmware="DEADBEEF")
    data = replace(data, ppmid_record=replace(data.ppmid_record, device_type=DeviceType.ESME))  # type: ignore[type-var]
    verdict = judge(data)
    assert {"WRONG_DEVICE_TYPE", "NOT_ON_CPL"} <= codes(verdict)


def test_block_plus_warning_is_block_and_warning_is_still_listed() -> None:
    data = situation(S2_ONLY, S2, S2, MP202, hub_model_entries=[], firmware="00000000")
    verdict = judge(data)
    assert verdict.level is Level.BLOCK
    assert {"NOT_ON_CPL", "HUB_NOT_ON_CPL"} <= codes(verdict)
    assert verdict.reasons[0].severity is Severity.BLOCK


def test_same_device_scanned_twice_blocks() -> None:
    verdict = judge(situation(S2_ONLY, S2, S2, MP202, hub_scan=scan(PPMID_ID)))
    assert verdict.level is Level.BLOCK


# --- invariants over generated situations ----------------------------------------------------------

models = st.sampled_from([BILINGUAL, MP202_STYLE, S1_ONLY, S2_ONLY])
gens = st.sampled_from([S1, S2])
opt_gens = st.sampled_from([S1, S2, None])


@st.composite
def situations(draw: st.DrawFn) -> PairingInput:
    model = draw(models)
    supported = [g for (m, g) in FW if m == model]
    prenotified = draw(st.sampled_from(supported))
    firmware = draw(st.sampled_from([FW[(model, prenotified)], "00029999"]))
    hub_gen = draw(gens)
    code = draw(st.sampled_from([SILABS_LABEL, SILABS_LABEL[:-1] + "0", None]))
    data = situation(model, prenotified, hub_gen, draw(st.sampled_from([TACTICAL, MP202])), firmware=firmware, ppmid_code=code)
    record = data.ppmid_record
    assert record is not None
    if draw(st.booleans()):
        record = replace(record, stated_generation=draw(opt_gens))
    if draw(st.booleans()):
        record = replace(record, device_type=draw(st.sampled_from(list(DeviceType))))
    entries: list[CplEntry] = [
        replace(e, status=draw(st.sampled_from(list(CplStatus)))) for e in data.ppmid_model_entries
    ]
    hub: DeviceRecord | None = data.hub_record
    if draw(st.booleans()):
        hub = None
    return replace(
        data,
        ppmid_record=None if draw(st.integers(0, 9)) == 0 else record,
        ppmid_model_entries=entries,
        hub_record=hub,
        hub_model_entries=data.hub_model_entries if draw(st.booleans()) else [],
        hub_generation_given=draw(opt_gens),
    )


@settings(max_examples=400, deadline=None)
@given(situations())
def test_verdict_invariants_hold_for_any_situation(data: PairingInput) -> None:
    verdict = judge(data)
    if data.regime is MP202:
        assert "SMETS_MISMATCH" not in codes(verdict)
        if verdict.resulting_smets is not None:
            assert verdict.resulting_smets is verdict.hub_smets
    else:
        assert "RESULTING_DIFFERS" not in codes(verdict)
        if verdict.resulting_smets is not None:
            assert verdict.resulting_smets is verdict.prenotified_smets is verdict.hub_smets
    if verdict.resulting_smets is S1:
        assert "S1_FW_UPGRADE" in codes(verdict)
    if data.ppmid_scan.has_install_code and not data.ppmid_scan.install_code_ok:
        assert "INSTALL_CODE_CRC" in codes(verdict)


@pytest.mark.parametrize("regime", [TACTICAL, MP202], ids=str)
def test_cpl_and_job_pack_silent_on_generation_is_a_warning_not_ok(regime: Regime) -> None:
    data = situation(BILINGUAL, S2, S2, regime)
    silent_record = replace(data.ppmid_record, stated_generation=None, smets_chts_version="")  # type: ignore[type-var]
    silent_entries = [replace(e, smets_generation=None, smets_chts_version="", gbcs_version="")
                      for e in data.ppmid_model_entries]
    verdict = judge(replace(data, ppmid_record=silent_record, ppmid_model_entries=silent_entries))
    assert "CPL_GENERATION_UNKNOWN" in codes(verdict)
    assert verdict.level is Level.WARN
    assert verdict.prenotified_smets is None
