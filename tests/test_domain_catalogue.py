"""The catalogue of installer-facing texts: complete, whole sentences, and the rules' English unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from app.domain import catalogue
from app.domain.catalogue import (
    LEVELS,
    REASONS,
    SEVERITY_WORDS,
    SRV_NAMES,
    fill,
    pair_reasons_with_remedies,
    placeholders,
    remedies_for,
    srv_name,
)
from app.domain.devices import CplStatus, DeviceType
from app.domain.duis.enums import CHFLocation, PremiseType
from app.domain.duis.visit import CplMoveRemedy, NoWanSurvey, plan_visit
from app.domain.ids import parse_device_id
from app.domain.install_codes import InstallCode
from app.domain.reasons import MESSAGES, Level, ReasonCode, RemedyAction, Severity, make_reason
from app.domain.rules import PairingInput, Verdict, evaluate_pairing
from app.domain.smets import Regime
from tests.helpers_domain import (
    BILINGUAL,
    HUB_ID,
    MP202_STYLE,
    PPMID_ID,
    S1,
    S1_ONLY,
    S2,
    S2_ONLY,
    SILABS_CODE,
    TEMPLATE_LABEL,
    scan,
)
from tests.test_domain_rules import situation

REPO = Path(__file__).resolve().parents[1]


def _sentences() -> Iterator[tuple[str, catalogue.Sentence]]:
    for code, entry in REASONS.items():
        yield code, entry.sentence
        for variant, sentence in entry.variants:
            yield f"{code}/{variant}", sentence


def test_every_reason_code_has_an_entry_and_nothing_else_does() -> None:
    assert set(REASONS) == {c.value for c in ReasonCode}
    for code in ReasonCode:
        assert REASONS[code].sentence.template  # a StrEnum member finds its own entry
        assert MESSAGES[code] == REASONS[code].sentence.template
    actions = {a.value for a in RemedyAction}
    for code, entry in REASONS.items():
        assert set(entry.remedies) <= actions, code


def test_each_sentence_numbers_exactly_its_facts() -> None:
    for where, sentence in _sentences():
        assert placeholders(sentence.template) == set(range(1, len(sentence.facts) + 1)), where
        assert "{" not in sentence.template and "}" not in sentence.template, where


def test_levels_and_severities_have_words() -> None:
    assert set(LEVELS) >= {level.value for level in Level} | {"idle", "recorded"}
    assert [LEVELS[k].word for k in ("ok", "warn", "block", "unknown", "idle", "recorded")] == [
        "OK", "WARNING", "STOP", "UNKNOWN", "WAITING", "RECORDED"]
    assert all(text.headline.endswith(".") for text in LEVELS.values())
    assert set(SEVERITY_WORDS) == {s.value for s in Severity}


def test_fill_puts_values_in_one_pass() -> None:
    assert fill("%1 and %2", "a", "b") == "a and b"
    assert fill("%2 before %1", "a", "b") == "b before a"  # a translation may reorder
    # A value that itself looks like a placeholder is text, not filled again.
    assert fill("%1 then %2", "100%2", "x") == "100%2 then x"
    assert fill("%1 then %2", "%1", "%2") == "%1 then %2"
    assert fill("%1 of %1", 7) == "7 of 7"
    assert fill("%1 of %10", *"abcdefghij") == "a of j"
    assert fill("%1 and %3", "a") == "a and %3"  # missing value: left as written, no crash
    assert fill("100% sure", "x") == "100% sure"


def test_make_reason_keeps_todays_english() -> None:
    """The messages are in ``hubcheck check --json``: the same words as before the catalogue."""
    ppmid, hub = parse_device_id(PPMID_ID), parse_device_id(HUB_ID)
    cases = [
        (make_reason(ReasonCode.NOT_PRENOTIFIED, device_id=ppmid),
         "PPMID 00-DB-12-34-56-78-90-A4 is in no job pack or inventory record: it was not pre-notified."),
        (make_reason(ReasonCode.SMETS_MISMATCH, prenotified=S2, hub=S1),
         "The PPMID was pre-notified as SMETS2+ but the hub is SMETS1. Under the tactical regime it could "
         "never be the target of a Service Request after joining this hub."),
        (make_reason(ReasonCode.NOT_COMPATIBLE, hub=S1),
         "This PPMID model has no CPL entry for SMETS1 systems, so it cannot work with a SMETS1 hub."),
        (make_reason(ReasonCode.CPL_STATUS, firmware_version="00020002", status=CplStatus.WITHDRAWN),
         "The CPL entry for firmware 00020002 is Withdrawn, not Active."),
        (make_reason(ReasonCode.S1_FW_UPGRADE),
         "The PPMID will be SMETS1: firmware upgrades aimed at it may fail (S1SR 18.63–18.65)."),
        (make_reason(ReasonCode.S1_FW_UPGRADE, variant="mp202"),
         "The PPMID will be SMETS1: firmware upgrades aimed at it may fail (S1SR 18.63–18.65); under MP202 "
         "over-the-air updates are not offered for SMETS1-enrolled PPMIDs."),
        (make_reason(ReasonCode.WRONG_DEVICE_TYPE, device_id=ppmid, actual=DeviceType.IHD),
         "The scanned PPMID 00-DB-12-34-56-78-90-A4 is recorded as a IHD, not a PPMID."),
        (make_reason(ReasonCode.WRONG_DEVICE_TYPE, variant="hub", device_id=hub, actual=DeviceType.ESME),
         "The scanned hub 00-DB-12-34-56-78-90-A2 is recorded as a ESME, not a CHF (Communications Hub Function)."),
        (make_reason(ReasonCode.INSTALL_CODE_CRC, variant="hub", problem="it fails its CRC check"),
         "The hub's install code is not valid: it fails its CRC check"),
        (make_reason(ReasonCode.HUB_GENERATION_FROM_INSTALLER, device_id=hub, hub=S2),
         "Hub 00-DB-12-34-56-78-90-A2 is not in the local data; its generation (SMETS2+) is the one the "
         "installer gave."),
    ]
    for reason, english in cases:
        assert reason.message == english
        assert fill(reason.template, *reason.values) == english  # what a display re-fills after translating
    with pytest.raises(KeyError):
        make_reason(ReasonCode.SAME_DEVICE, variant="welsh", device_id=ppmid)


def test_rules_wordings_without_a_fragment() -> None:
    """The wordings that used to be glued from pieces ("device of unknown type", "any")."""
    data = situation(BILINGUAL, S2, S2, Regime.MP202)
    untyped = replace(data, ppmid_record=replace(data.ppmid_record, device_type=None))  # type: ignore[type-var]
    message = next(r.message for r in evaluate_pairing(untyped).reasons if r.code is ReasonCode.WRONG_DEVICE_TYPE)
    assert message == ("The scanned PPMID 00-DB-12-34-56-78-90-A4 is recorded as a device of unknown type, "
                       "not a PPMID.")
    hub_untyped = replace(data, hub_record=replace(data.hub_record, device_type=None))  # type: ignore[type-var]
    message = next(r.message for r in evaluate_pairing(hub_untyped).reasons if r.code is ReasonCode.WRONG_DEVICE_TYPE)
    assert message == ("The scanned hub 00-DB-12-34-56-78-90-A2 is recorded as a device of unknown type, "
                       "not a CHF (Communications Hub Function).")
    off_cpl = situation(BILINGUAL, S2, S2, Regime.MP202, firmware="00029999")
    any_hw = replace(off_cpl, ppmid_record=replace(off_cpl.ppmid_record, hardware_version=""))  # type: ignore[type-var]
    message = next(r.message for r in evaluate_pairing(any_hw).reasons if r.code is ReasonCode.NOT_ON_CPL)
    assert message == ("The pre-notified model (manufacturer 10E0, model 00090100, hardware any, firmware "
                       "00029999) matches no entry in the local CPL.")
    under_mp202 = evaluate_pairing(situation(S1_ONLY, S1, S1, Regime.MP202))
    assert "under MP202" in next(r.message for r in under_mp202.reasons if r.code is ReasonCode.S1_FW_UPGRADE)
    under_tactical = evaluate_pairing(situation(S1_ONLY, S1, S1, Regime.TACTICAL))
    assert "MP202" not in next(r.message for r in under_tactical.reasons if r.code is ReasonCode.S1_FW_UPGRADE)


def _situations() -> Iterator[PairingInput]:
    """The rules' table (tests/test_domain_rules.py) crossed with one fault at a time."""
    for model, gens in ((BILINGUAL, (S1, S2)), (MP202_STYLE, (S1, S2)), (S1_ONLY, (S1,)), (S2_ONLY, (S2,))):
        for prenotified in gens:
            for hub_gen in (S1, S2):
                for regime in Regime:
                    data = situation(model, prenotified, hub_gen, regime)
                    assert data.ppmid_record is not None and data.hub_record is not None
                    pr, hr = data.ppmid_record, data.hub_record
                    yield data
                    yield replace(data, ppmid_record=replace(pr, stated_generation=None, smets_chts_version=""))
                    yield replace(data, ppmid_record=replace(pr, stated_generation=prenotified.other))
                    yield replace(data, ppmid_record=replace(pr, smi_status="Installed"))
                    yield replace(data, ppmid_record=None, ppmid_model_entries=[])
                    yield replace(data, ppmid_record=replace(pr, device_type=DeviceType.IHD))
                    yield replace(data, ppmid_record=replace(pr, firmware_version="00029999"))
                    yield replace(data, ppmid_model_entries=[replace(e, status=CplStatus.WITHDRAWN)
                                                             for e in data.ppmid_model_entries])
                    yield replace(data, ppmid_model_entries=[replace(e, smets_generation=None, smets_chts_version="",
                                                                     gbcs_version="")
                                                             for e in data.ppmid_model_entries],
                                  ppmid_record=replace(pr, stated_generation=None, smets_chts_version=""))
                    yield replace(data, ppmid_scan=scan(PPMID_ID, SILABS_CODE + "0000"))
                    yield replace(data, ppmid_scan=scan(PPMID_ID))  # no install code on the label or in the pack
                    yield replace(data, ppmid_record=replace(pr, install_code=TEMPLATE_LABEL[:-4]))  # pack's differs
                    yield replace(data, hub_scan=scan(HUB_ID, TEMPLATE_LABEL[:-2] + "00"))
                    yield replace(data, hub_scan=scan(PPMID_ID))
                    yield replace(data, hub_record=replace(hr, device_type=DeviceType.ESME))
                    yield replace(data, hub_model_entries=[])
                    yield replace(data, hub_record=None, hub_model_entries=[])
                    yield replace(data, hub_record=None, hub_model_entries=[], hub_generation_given=hub_gen)
                    yield replace(data, hub_record=replace(hr, stated_generation=None, smets_chts_version=""),
                                  hub_model_entries=[])
                    yield from _conflicting_evidence(data)


def _conflicting_evidence(data: PairingInput) -> Iterator[PairingInput]:
    """DOMAIN A5's cases on top of one situation: disagreeing sources, statuses, the cohort."""
    from app.domain.devices import RecordSource

    assert data.ppmid_record is not None and data.hub_record is not None
    pr, hr = data.ppmid_record, data.hub_record
    hub_gen = hr.generation or S2
    yield replace(data, ppmid_records=[pr, replace(pr, firmware_version="00029999", job_ref="J-2")])
    yield replace(data, hub_records=[hr, replace(hr, stated_generation=hub_gen.other, job_ref="J-2")])
    dcc_hub = replace(hr, source=RecordSource.INVENTORY, job_ref=None, stated_generation=hub_gen.other,
                      smets_chts_version="", cpl_status="Withdrawn")
    yield replace(data, hub_records=[hr, dcc_hub], hub_record=dcc_hub)
    yield replace(data, hub_generation_given=hub_gen.other)
    yield replace(data, hub_model_entries=[replace(e, status=CplStatus.EXPIRED, smets_generation=hub_gen.other,
                                                   smets_chts_version="")
                                           for e in data.hub_model_entries])
    for status in ("Decommissioned", "Suspended"):
        yield replace(data, ppmid_record=replace(pr, smi_status=status))
    yield replace(data, ppmid_record=replace(pr, cpl_status="Withdrawn", firmware_status="Active"))
    yield replace(data, ppmid_record=replace(pr, hardware_version=""),
                  ppmid_model_entries=[replace(e, hardware_version="0009") if e.generation is S1 else e
                                       for e in data.ppmid_model_entries])
    yield replace(data, hub_record=replace(hr, s1sp="S1SP-Secure", has_s1sp=True))


def _verdicts() -> list[Verdict]:
    return [evaluate_pairing(data) for data in _situations()]


def test_every_remedy_the_rules_emit_answers_a_reason_of_its_verdict() -> None:
    emitted_codes: set[ReasonCode] = set()
    emitted_actions: set[RemedyAction] = set()
    for verdict in _verdicts():
        claimed = {action for reason in verdict.reasons for action in remedies_for(reason.code)}
        for remedy in verdict.remedies:
            assert remedy.action in claimed, (remedy, [r.code for r in verdict.reasons])
        emitted_codes |= {r.code for r in verdict.reasons}
        emitted_actions |= {r.action for r in verdict.remedies}
        lines = pair_reasons_with_remedies(verdict)
        assert [line.code for line in lines] == [r.code.value for r in verdict.reasons]
        shown = {d for line in lines for d in line.remedies}
        assert shown == {r.description for r in verdict.remedies}  # nothing the rules say is dropped
        for reason, line in zip(verdict.reasons, lines, strict=True):
            assert line.message == reason.message and "%" not in line.message
            assert fill(line.template, *line.values) == line.message
    # The situations reach every action and every code, so the checks above cover them all.
    assert emitted_actions == set(RemedyAction)
    assert emitted_codes == set(ReasonCode)


def test_pairing_shows_each_remedy_beside_its_reason_and_keeps_the_unclaimed() -> None:
    data = situation(BILINGUAL, S1, S2, Regime.TACTICAL)
    verdict = evaluate_pairing(data)
    lines = {line.code: line for line in pair_reasons_with_remedies(verdict)}
    mismatch = lines["SMETS_MISMATCH"]
    assert mismatch.severity is Severity.BLOCK
    assert any(d.startswith("Fit a PPMID that was pre-notified as SMETS2+") for d in mismatch.remedies)
    assert any("8.4 Update Inventory" in d for d in mismatch.remedies)
    assert lines["S1_FW_READBACK"].remedies == ()
    # A remedy no reason claims goes on the last line rather than vanishing.
    from app.domain.reasons import Remedy

    stray = Remedy(RemedyAction.UPDATE_LOCAL_CPL, "Update the local CPL copy when next online.")
    with_stray = replace(verdict, remedies=(*verdict.remedies, stray))
    last = pair_reasons_with_remedies(with_stray)[-1]
    assert last.remedies[-1] == stray.description
    assert pair_reasons_with_remedies(replace(verdict, reasons=(), remedies=(stray,))) == []


def test_srv_names_cover_every_request_the_visit_planner_queues() -> None:
    ids = {name: parse_device_id(f"00-DB-12-34-56-78-90-{n}") for name, n in (("hub", "A2"), ("ppmid", "A4"),
                                                                               ("meter", "A0"))}
    code = InstallCode.from_code_hex(SILABS_CODE)
    common = dict(hub_id=ids["hub"], ppmid_id=ids["ppmid"], install_code=code, meter_id=ids["meter"],
                  meter_type=DeviceType.ESME, mpxn="1000999888", hub_location=CHFLocation.DEEP_INDOORS,
                  aerial_install=False)
    plans = [
        plan_visit(**common),  # type: ignore[arg-type]
        plan_visit(**common, no_wan=NoWanSurvey(PremiseType.LOW_RISE_APARTMENT, False, False, False),  # type: ignore[arg-type]
                   remedy=CplMoveRemedy("5A000002", "SMETS1")),
    ]
    queued = {(intent.srv, intent.kind) for plan in plans for intent in plan}
    assert {srv for srv, _ in queued} >= {"8.14.1", "8.14.2", "8.4", "8.11", "8.7.1", "8.7.2", "8.2", "11.2"}
    for srv, kind in queued:
        assert srv in SRV_NAMES, srv
        name = srv_name(srv, kind)
        assert name and name != srv and name != kind, (srv, kind)
    assert srv_name("8.11", "UpdateHANDeviceLog").startswith("Update HAN Device Log")
    assert srv_name("12.2", "DevicePrenotification").startswith("Device Pre-notification")
    assert srv_name("8.4", "UpdateDeviceDetails") != srv_name("8.4", "DeleteDevice")
    assert srv_name("99.9", "SomethingNew") == "SomethingNew"  # unknown: its kind, never blank
    assert srv_name("99.9") == "99.9"


def test_catalogue_imports_no_qt_and_no_other_domain_module() -> None:
    """Pure Python, and cheap: the window reads its level words before the first paint
    (from the small level_words part, which the catalogue re-exports)."""
    probe = ("import sys, app.domain.catalogue; "
             "print(','.join(m for m in sys.modules if m.startswith(('PySide6', 'app.'))))")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=REPO,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert run.returncode == 0, run.stderr
    loaded = set(filter(None, run.stdout.strip().split(",")))
    assert loaded == {"app.domain", "app.domain.catalogue", "app.domain.level_words"}, loaded
