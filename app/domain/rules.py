"""The pairing verdict: can this PPMID join this Communications Hub, and as what?

Implements DOMAIN Part A2. Every block reason is listed (an installer fixing one
problem should not discover the next one on the next scan), and a verdict that
blocks or cannot see the hub's generation names no resulting generation: no working
PPMID results from that pairing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from app.domain.devices import (
    CplEntry,
    CplStatus,
    DeviceRecord,
    DeviceType,
    RecordSource,
    find_conflicts,
    norm_hex,
    rank_records,
)
from app.domain.labels import LabelData
from app.domain.reasons import (
    Level,
    Reason,
    ReasonCode,
    Remedy,
    RemedyAction,
    Severity,
    make_reason,
)
from app.domain.smets import Cohort, Generation, Regime, cohort_of


@dataclass(frozen=True, slots=True)
class PairingInput:
    """Everything the rules look at; the service layer gathers it from the store."""

    ppmid_scan: LabelData
    hub_scan: LabelData
    regime: Regime
    ppmid_record: DeviceRecord | None = None
    hub_record: DeviceRecord | None = None
    ppmid_model_entries: Sequence[CplEntry] = ()
    hub_model_entries: Sequence[CplEntry] = ()
    hub_generation_given: Generation | None = None
    # Every record of each device (job packs and the DCC's 8.2), so a disagreement between
    # them is reported (DOMAIN A5); ppmid_record / hub_record are their merged view.
    ppmid_records: Sequence[DeviceRecord] = ()
    hub_records: Sequence[DeviceRecord] = ()
    # The supplier's S1SP → cohort mapping (the ``s1sp_cohorts`` setting).
    s1sp_cohorts: Mapping[str, Cohort] | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    level: Level
    regime: Regime
    resulting_smets: Generation | None
    reasons: tuple[Reason, ...]
    remedies: tuple[Remedy, ...]
    prenotified_smets: Generation | None
    hub_smets: Generation | None
    ppmid_cpl_entry: CplEntry | None
    hub_cpl_entry: CplEntry | None
    bilingual: bool
    codes: frozenset[ReasonCode] = field(default_factory=frozenset)
    # MP202: the model's CPL row for the hub's generation at the pre-notified firmware.
    resulting_cpl_entry: CplEntry | None = None
    # The site's SMETS1 service provider (from an 8.2 record) and the cohort it means.
    s1sp: str = ""
    cohort: Cohort | None = None
    hub_generation_given: Generation | None = None

    def has(self, code: ReasonCode) -> bool:
        return code in self.codes


def matching_entries(entries: Sequence[CplEntry], record: DeviceRecord) -> list[CplEntry]:
    """CPL entries whose firmware (and hardware, when the record gives one) match the record."""
    firmware = norm_hex(record.firmware_version)
    hardware = norm_hex(record.hardware_version)
    return [
        e
        for e in entries
        if norm_hex(e.firmware_version) == firmware
        and (not hardware or not e.hardware_version or norm_hex(e.hardware_version) == hardware)
    ]


def model_entries_for(entries: Sequence[CplEntry], record: DeviceRecord) -> list[CplEntry]:
    """Entries of the record's model (manufacturer, model, and hardware when given)."""
    hardware = norm_hex(record.hardware_version)
    return [
        e
        for e in entries
        if norm_hex(e.manufacturer_id) == norm_hex(record.manufacturer_id)
        and norm_hex(e.model_id) == norm_hex(record.model_id)
        and (not hardware or not e.hardware_version or norm_hex(e.hardware_version) == hardware)
    ]


def evaluate_pairing(data: PairingInput) -> Verdict:
    """Judge one PPMID + hub pairing under the given regime."""
    builder = _VerdictBuilder(data.regime)
    ppmid_id = data.ppmid_scan.device_id
    hub_id = data.hub_scan.device_id

    if ppmid_id == hub_id:
        builder.add(ReasonCode.SAME_DEVICE, device_id=ppmid_id)
        builder.remedy(RemedyAction.RESCAN_DEVICE, "Scan the PPMID's label and the hub's label separately.")

    for role, scan in (("PPMID", data.ppmid_scan), ("hub", data.hub_scan)):
        if scan.has_install_code and not scan.install_code_ok:
            builder.add(ReasonCode.INSTALL_CODE_CRC, variant=role, problem=scan.install_code_problem)
            builder.remedy(
                RemedyAction.RESCAN_INSTALL_CODE,
                f"Re-scan the {role}'s install-code label, or type the code exactly as printed.",
            )
    _install_code_reasons(data, builder)

    _ppmid_conflicts(data, builder)
    hub_generation = _hub_generation(data, builder)
    ppmid_entry, prenotified, bilingual, model_gens, model = _ppmid_side(data, builder)
    _smi_status(data, builder)
    s1sp, cohort = _site_cohort(data)

    resulting: Generation | None = None
    resulting_entry: CplEntry | None = None
    if hub_generation is not None and model_gens:
        if hub_generation not in model_gens:
            builder.add(ReasonCode.NOT_COMPATIBLE, hub=hub_generation)
            builder.remedy(
                RemedyAction.FIT_COMPATIBLE_MODEL,
                f"Fit a PPMID model that is on the CPL for {hub_generation} systems.",
            )
        if data.regime is Regime.TACTICAL:
            if prenotified is not None and prenotified != hub_generation:
                builder.add(ReasonCode.SMETS_MISMATCH, prenotified=prenotified, hub=hub_generation)
                builder.remedy(
                    RemedyAction.FIT_MATCHING_PPMID,
                    f"Fit a PPMID that was pre-notified as {hub_generation}.",
                )
                record = data.ppmid_record
                if bilingual and record is not None and record.smi_status.strip().lower() == "pending":
                    target = entry_for_generation(data.ppmid_model_entries, record, hub_generation)
                    firmware = target.firmware_version if target else "?"
                    builder.remedy(
                        RemedyAction.QUEUE_UPDATE_INVENTORY,
                        f"Queue an 8.4 Update Inventory moving this PPMID to its {hub_generation} CPL entry "
                        f"(firmware {firmware}); the back office must approve it before it is sent.",
                        needs_approval=True,
                    )
            resulting = prenotified if prenotified == hub_generation else None
        else:
            resulting = hub_generation
            if prenotified is not None and prenotified != hub_generation and hub_generation in model_gens:
                builder.add(ReasonCode.RESULTING_DIFFERS, resulting=hub_generation, prenotified=prenotified)
            if hub_generation in model_gens and ppmid_entry is not None and data.ppmid_record is not None:
                resulting_entry = _resulting_entry(model, data.ppmid_record, hub_generation, ppmid_entry, builder)

    if (
        data.regime is Regime.TACTICAL
        and bilingual
        and prenotified is Generation.SMETS1
        and ppmid_entry is not None
        and data.ppmid_record is not None
        and _fictitious_firmware(model, data.ppmid_record)
        and cohort in (None, Cohort.FOC)
    ):
        builder.add(ReasonCode.S1_FW_READBACK, variant="foc" if cohort is Cohort.FOC else "", s1sp=s1sp)

    _secure_third_party(data, hub_generation, s1sp, cohort, builder)

    level = builder.level(hub_known=hub_generation is not None)
    if level in (Level.BLOCK, Level.UNKNOWN):
        resulting = None
    if resulting is Generation.SMETS1:
        builder.add(ReasonCode.S1_FW_UPGRADE, variant="mp202" if data.regime is Regime.MP202 else "")

    return Verdict(
        level=level,
        regime=data.regime,
        resulting_smets=resulting,
        reasons=tuple(sorted(builder.reasons, key=lambda r: _SEVERITY_ORDER[r.severity])),
        remedies=tuple(builder.remedies),
        prenotified_smets=prenotified,
        hub_smets=hub_generation,
        ppmid_cpl_entry=ppmid_entry,
        hub_cpl_entry=_hub_entry(data),
        bilingual=bilingual,
        codes=frozenset(r.code for r in builder.reasons),
        resulting_cpl_entry=resulting_entry,
        s1sp=s1sp,
        cohort=cohort,
        hub_generation_given=data.hub_generation_given,
    )


def install_code_source(label: LabelData, record: DeviceRecord | None) -> str | None:
    """Where the 8.11's install code comes from: ``"label"``, ``"jobpack"`` (the label gave
    none), or None (no usable code: a label code that fails its CRC, or none anywhere)."""
    if label.has_install_code:
        return "label" if label.install_code_ok else None
    return "jobpack" if record is not None and record.install_code else None


def _install_code_reasons(data: PairingInput, builder: _VerdictBuilder) -> None:
    """DOMAIN A5: the install code the 8.11 will carry, from the label or the job pack.

    Suppliers receive the code in the manufacturer's shipment data, so a job pack may carry
    it. Only the pack has it: it is used (no reason). Both have it and they differ: the
    PPMID in hand may not be the one the job lists (block). Neither has it: the 8.11 cannot
    be queued (warn). A label code that fails its CRC is INSTALL_CODE_CRC's business.
    """
    scan = data.ppmid_scan
    record = data.ppmid_record
    pack_code = norm_hex(record.install_code) if record is not None else ""
    if scan.has_install_code:
        label = scan.install_code
        if scan.install_code_ok and label is not None and pack_code and label.code_hex != pack_code:
            builder.add(ReasonCode.INSTALL_CODE_MISMATCH, device_id=scan.device_id,
                        job_ref=(record.job_ref if record is not None else None) or "?")
            builder.remedy(
                RemedyAction.RESCAN_INSTALL_CODE,
                "Re-scan the PPMID's install-code label; if it still differs, check that this PPMID is the one "
                "the job lists.",
            )
            builder.remedy(
                RemedyAction.CONTACT_BACK_OFFICE, "Ask the back office which install code is right for this PPMID."
            )
        return
    if not pack_code:
        builder.add(ReasonCode.INSTALL_CODE_MISSING, device_id=scan.device_id)
        builder.remedy(RemedyAction.RESCAN_INSTALL_CODE, "Scan the PPMID's QR label: it carries the install code.")
        builder.remedy(
            RemedyAction.CONTACT_BACK_OFFICE,
            "Ask the back office for the PPMID's install code (it is in the manufacturer's shipment data) "
            "and import the job pack again.",
        )


_SEVERITY_ORDER = {Severity.BLOCK: 0, Severity.WARN: 1, Severity.INFO: 2}


class _VerdictBuilder:
    def __init__(self, regime: Regime) -> None:
        self.regime = regime
        self.reasons: list[Reason] = []
        self.remedies: list[Remedy] = []

    def add(self, code: ReasonCode, **facts: object) -> None:
        reason = make_reason(code, **facts)
        if reason not in self.reasons:
            self.reasons.append(reason)

    def remedy(self, action: RemedyAction, description: str, needs_approval: bool = False) -> None:
        remedy = Remedy(action, description, needs_approval)
        if remedy not in self.remedies:
            self.remedies.append(remedy)

    def level(self, *, hub_known: bool) -> Level:
        severities = {r.severity for r in self.reasons}
        if Severity.BLOCK in severities:
            return Level.BLOCK
        if not hub_known:
            return Level.UNKNOWN
        if Severity.WARN in severities:
            return Level.WARN
        return Level.OK


def _hub_entry(data: PairingInput) -> CplEntry | None:
    record = data.hub_record
    if record is None:
        return None
    matches = [e for e in matching_entries(data.hub_model_entries, record) if e.device_type is DeviceType.CHF]
    return matches[0] if matches else None


def _hub_generation(data: PairingInput, builder: _VerdictBuilder) -> Generation | None:
    """The hub's generation by the ranking of DOMAIN A5: the DCC's 8.2, the job pack, the
    hub's CPL entry, and only then what the installer gives. A weaker source that disagrees
    is shown beside the one used, never silently dropped."""
    record = data.hub_record
    hub_id = data.hub_scan.device_id
    given = data.hub_generation_given
    if record is None:
        if given is not None:
            builder.add(ReasonCode.HUB_GENERATION_FROM_INSTALLER, device_id=hub_id, hub=given)
            return given
        builder.add(ReasonCode.HUB_UNKNOWN, device_id=hub_id)
        builder.remedy(
            RemedyAction.CONFIRM_HUB_GENERATION,
            "Import the job pack or inventory that lists this hub, or give the hub's SMETS generation.",
        )
        return None
    if record.device_type is not DeviceType.CHF:
        builder.add(
            ReasonCode.WRONG_DEVICE_TYPE,
            variant="hub" if record.device_type else "hub_untyped",
            device_id=hub_id,
            actual=record.device_type,
        )
        builder.remedy(RemedyAction.RESCAN_DEVICE, "Scan the Communications Hub's own (CHF) label.")
    record_source = _hub_sources(data, builder)
    entry = _hub_entry(data)
    if entry is None and record.cpl_status.strip().lower() != "active":
        builder.add(
            ReasonCode.HUB_NOT_ON_CPL,
            manufacturer_id=record.manufacturer_id or "?",
            model_id=record.model_id or "?",
            firmware_version=record.firmware_version or "?",
        )
        builder.remedy(RemedyAction.UPDATE_LOCAL_CPL, "Update the local CPL copy when next online.")
    _hub_cpl_status(record, entry, builder)
    # A1/A5: the hub's own record, else its CPL entry; what the installer gives only fills a gap.
    generation = record.generation
    source = record_source
    if generation is not None and entry is not None and entry.generation is not None and entry.generation != generation:
        builder.add(
            ReasonCode.DATA_INCONSISTENT,
            variant="hub",
            device_id=hub_id,
            source=record_source,
            stated=generation,
            firmware_version=entry.firmware_version or "?",
            cpl=entry.generation,
        )
        builder.remedy(RemedyAction.CONTACT_BACK_OFFICE, "Ask the back office to confirm the hub's SMETS generation.")
    if generation is None and entry is not None:
        generation = entry.generation
        source = "its CPL entry"
    if generation is None and given is not None:
        return given
    if generation is None:
        builder.add(ReasonCode.HUB_UNKNOWN, device_id=hub_id)
        builder.remedy(
            RemedyAction.CONFIRM_HUB_GENERATION,
            "Give the hub's SMETS generation (it is on the hub's label or in the work order).",
        )
    elif given is not None and given != generation:
        builder.add(ReasonCode.HUB_GENERATION_CONFLICT, given=given, device_id=hub_id, source=source, hub=generation)
        builder.remedy(
            RemedyAction.CONFIRM_HUB_GENERATION,
            "Check the hub's label; if its record is wrong, tell the back office.",
        )
    return generation


def _hub_sources(data: PairingInput, builder: _VerdictBuilder) -> str:
    """Compare the hub's records; return the name of the source its stated generation comes from.

    With a DCC 8.2 record, the DCC's word is used and a job pack that says otherwise is
    shown (DATA_INCONSISTENT). Without one, job packs that disagree cannot be ranked, so
    the pairing stops (PRENOTIFICATION_CONFLICT) rather than pick one by import order.
    """
    hub_id = data.hub_scan.device_id
    records = rank_records(list(data.hub_records))
    inventory = [r for r in records if r.source is RecordSource.INVENTORY]
    packs = [r for r in records if r.source is RecordSource.JOB_PACK]
    if inventory:
        dcc = inventory[0]
        dcc_generation = dcc.generation
        if dcc_generation is None:
            return packs[0].source_name if packs and packs[0].generation else dcc.source_name
        for pack in packs:
            if pack.generation is not None and pack.generation != dcc_generation:
                builder.add(
                    ReasonCode.DATA_INCONSISTENT,
                    variant="hub_dcc",
                    device_id=hub_id,
                    source=pack.source_name,
                    stated=pack.generation,
                    dcc=dcc_generation,
                )
                builder.remedy(
                    RemedyAction.CONTACT_BACK_OFFICE, "Ask the back office to confirm the hub's SMETS generation."
                )
        return dcc.source_name
    _add_conflicts(builder, packs, hub_id, variant="hub")
    if data.hub_record is not None:
        return data.hub_record.source_name
    return "the job pack"


def _dcc_statuses(record: DeviceRecord) -> tuple[str, str] | None:
    """The DCC's CPLStatus and DeviceFirmwareVersionStatus for this device, when an 8.2 gave any."""
    cpl, firmware = record.cpl_status.strip(), record.firmware_status.strip()
    if not cpl and not firmware:
        return None
    return cpl, firmware


def _all_active(statuses: tuple[str, str]) -> bool:
    return all(s.lower() == "active" for s in statuses if s)


def _hub_cpl_status(record: DeviceRecord, entry: CplEntry | None, builder: _VerdictBuilder) -> None:
    """HUB_CPL_STATUS (warn): the hub's model is not Active, by the DCC's word or else the local CPL's."""
    dcc = _dcc_statuses(record)
    if dcc is not None and not _all_active(dcc):
        builder.add(
            ReasonCode.HUB_CPL_STATUS,
            variant="dcc",
            cpl_status=dcc[0] or "not given",
            firmware_status=dcc[1] or "not given",
        )
    elif dcc is None and entry is not None and entry.status is not CplStatus.ACTIVE:
        builder.add(ReasonCode.HUB_CPL_STATUS, firmware_version=entry.firmware_version, status=entry.status)
    else:
        return
    builder.remedy(
        RemedyAction.CONTACT_BACK_OFFICE,
        "Ask the back office whether this hub model may still be used; it is not Active on the CPL.",
    )


def _ppmid_conflicts(data: PairingInput, builder: _VerdictBuilder) -> None:
    """PRENOTIFICATION_CONFLICT: two records of the PPMID (job packs, or a pack and the DCC's
    8.2) disagree on its Device Model or generation; both sources are named."""
    _add_conflicts(builder, list(data.ppmid_records), data.ppmid_scan.device_id)


def _add_conflicts(builder: _VerdictBuilder, records: Sequence[DeviceRecord], device_id: object,
                   variant: str = "") -> None:
    """One PRENOTIFICATION_CONFLICT per pair of records that disagree, naming both sources."""
    for conflict in find_conflicts(list(records)):
        facts: dict[str, object] = {"device_id": device_id, "first": conflict.first.source_name,
                                    "second": conflict.second.source_name, "differences": conflict.describe()}
        if variant:
            facts["variant"] = variant
        builder.add(ReasonCode.PRENOTIFICATION_CONFLICT, **facts)
        builder.remedy(
            RemedyAction.CONTACT_BACK_OFFICE,
            "Ask the back office which record of this device is right, and to correct the other.",
        )


_SMI_STOPPED = {"decommissioned", "withdrawn"}
_SMI_UNSETTLED = {"suspended", "recovery", "recovered"}


def _smi_status(data: PairingInput, builder: _VerdictBuilder) -> None:
    """SMI_STATUS: a Decommissioned or Withdrawn PPMID blocks; Suspended, Recovery, Recovered warn."""
    record = data.ppmid_record
    if record is None:
        return
    status = record.smi_status.strip()
    key = status.lower()
    if key in _SMI_STOPPED:
        builder.add(ReasonCode.SMI_STATUS, device_id=data.ppmid_scan.device_id, status=status)
    elif key in _SMI_UNSETTLED:
        builder.add(ReasonCode.SMI_STATUS, variant="unsettled", device_id=data.ppmid_scan.device_id, status=status)
    else:
        return
    builder.remedy(
        RemedyAction.CONTACT_BACK_OFFICE, "Ask the back office about this PPMID's SMI status before fitting it."
    )


def _site_cohort(data: PairingInput) -> tuple[str, Cohort | None]:
    """The site's S1SP (the hub's 8.2 record, else the PPMID's) and the cohort it means."""
    s1sp = ""
    for record in (data.hub_record, data.ppmid_record):
        if record is not None and record.s1sp.strip():
            s1sp = record.s1sp.strip()
            break
    return s1sp, cohort_of(s1sp, dict(data.s1sp_cohorts or {}))


def _secure_third_party(
    data: PairingInput,
    hub_generation: Generation | None,
    s1sp: str,
    cohort: Cohort | None,
    builder: _VerdictBuilder,
) -> None:
    """S1_SECURE_THIRD_PARTY: at a Secure SMETS1 site a PPMID of another manufacturer than the
    hub's cannot have its firmware read or upgraded (S1SR 18.63(c)/18.64(b))."""
    ppmid, hub = data.ppmid_record, data.hub_record
    if cohort is not Cohort.MOC_SECURE or hub_generation is not Generation.SMETS1 or ppmid is None or hub is None:
        return
    mine, theirs = norm_hex(ppmid.manufacturer_id), norm_hex(hub.manufacturer_id)
    if mine and theirs and mine != theirs:
        builder.add(
            ReasonCode.S1_SECURE_THIRD_PARTY, s1sp=s1sp, manufacturer_id=mine, hub_manufacturer_id=theirs
        )


def _fictitious_firmware(model: Sequence[CplEntry], record: DeviceRecord) -> bool:
    """True when no SMETS2+ row of the model shares the record's firmware (A2: the SMETS1
    entry's firmware is the "fictitious" one, so a read-back can differ from it)."""
    firmware = norm_hex(record.firmware_version)
    return not any(
        e.generation is Generation.SMETS2_PLUS and norm_hex(e.firmware_version) == firmware for e in model
    )


def _resulting_entry(
    model: Sequence[CplEntry],
    record: DeviceRecord,
    generation: Generation,
    prenotified_entry: CplEntry,
    builder: _VerdictBuilder,
) -> CplEntry | None:
    """MP202's resulting entry: the model's row for the hub's generation at the pre-notified
    firmware (A2). Missing → RESULTING_ENTRY_MISSING (warn); not Active → CPL_STATUS (block)."""
    same_generation = [e for e in model if e.generation is generation]
    at_firmware = matching_entries(same_generation, record)
    if not at_firmware:
        others = sorted({e.firmware_version for e in same_generation if e.firmware_version})
        builder.add(
            ReasonCode.RESULTING_ENTRY_MISSING,
            generation=generation,
            firmware_version=record.firmware_version or "?",
            other_firmware=", ".join(others) or "none",
        )
        builder.remedy(
            RemedyAction.CONTACT_BACK_OFFICE,
            f"Ask the back office whether the DCC's CPL has this model's {generation} entry at firmware "
            f"{record.firmware_version}; without it the DCC cannot record the PPMID's new generation.",
        )
        builder.remedy(RemedyAction.UPDATE_LOCAL_CPL, "Update the local CPL copy when next online.")
        return None
    entry = min(at_firmware, key=lambda e: (e.status is not CplStatus.ACTIVE, e.status.value))
    if entry != prenotified_entry and entry.status is not CplStatus.ACTIVE:
        builder.add(
            ReasonCode.CPL_STATUS,
            variant="resulting",
            generation=generation,
            firmware_version=entry.firmware_version,
            status=entry.status,
        )
        builder.remedy(
            RemedyAction.FIT_COMPATIBLE_MODEL,
            "Fit a PPMID whose pre-notified firmware is Active on the CPL.",
        )
    return entry


def _ppmid_side(
    data: PairingInput, builder: _VerdictBuilder
) -> tuple[CplEntry | None, Generation | None, bool, set[Generation], list[CplEntry]]:
    """Return (matched CPL entry, pre-notified generation, bilingual?, generations the model
    supports, the model's CPL rows the verdict may rely on)."""
    record = data.ppmid_record
    ppmid_id = data.ppmid_scan.device_id
    if record is None:
        builder.add(ReasonCode.NOT_PRENOTIFIED, device_id=ppmid_id)
        builder.remedy(
            RemedyAction.IMPORT_JOB_PACK,
            "Check the PPMID's label against the job; import today's job pack if it is missing.",
        )
        builder.remedy(RemedyAction.CONTACT_BACK_OFFICE, "Ask the back office to pre-notify this PPMID (SR 12.2).")
        return None, None, False, set(), []
    if record.device_type is not DeviceType.PPMID:
        builder.add(
            ReasonCode.WRONG_DEVICE_TYPE,
            variant="" if record.device_type else "ppmid_untyped",
            device_id=ppmid_id,
            actual=record.device_type,
        )
        builder.remedy(RemedyAction.RESCAN_DEVICE, "Scan the PPMID's own label.")

    model = [e for e in model_entries_for(data.ppmid_model_entries, record) if e.device_type is DeviceType.PPMID]
    matches = matching_entries(model, record)
    model = _rows_for_unknown_hardware(model, matches, record, builder)
    model_gens = {g for g in (e.generation for e in model) if g is not None}
    bilingual = model_gens == {Generation.SMETS1, Generation.SMETS2_PLUS}
    stated = record.generation

    entry: CplEntry | None = None
    if not matches:
        builder.add(
            ReasonCode.NOT_ON_CPL,
            manufacturer_id=record.manufacturer_id or "?",
            model_id=record.model_id or "?",
            hardware=record.hardware_version,
            firmware_version=record.firmware_version or "?",
            variant="" if record.hardware_version else "any_hardware",
        )
        builder.remedy(
            RemedyAction.CONTACT_BACK_OFFICE,
            "Ask the back office to check the pre-notified firmware version against the CPL.",
        )
        builder.remedy(RemedyAction.UPDATE_LOCAL_CPL, "Update the local CPL copy when next online.")
        return None, stated, bilingual, model_gens, model

    by_gen = {e.generation for e in matches}
    ambiguous = False
    if len(by_gen) > 1:
        chosen = [e for e in matches if e.generation is not None and e.generation == stated]
        if chosen:
            entry = chosen[0]
        else:
            # MP202-style CPL: two rows share this firmware. Under MP202 the hub decides the
            # result, so not knowing the pre-notified generation matters only under tactical.
            if data.regime is Regime.TACTICAL:
                builder.add(ReasonCode.PRENOTIFIED_GENERATION_UNKNOWN, firmware_version=record.firmware_version)
                builder.remedy(
                    RemedyAction.CONTACT_BACK_OFFICE,
                    "Ask the back office which SMETS version this PPMID was pre-notified with.",
                )
            ambiguous = True
            entry = min(matches, key=lambda e: e.status is not CplStatus.ACTIVE)
    else:
        entry = matches[0]

    # A5: the DCC's CPLStatus / DeviceFirmwareVersionStatus (8.2) are newer than the local CPL copy.
    dcc = _dcc_statuses(record)
    local_status_counts = dcc is None
    if dcc is not None and not _all_active(dcc):
        builder.add(
            ReasonCode.CPL_STATUS,
            variant="dcc",
            cpl_status=dcc[0] or "not given",
            firmware_status=dcc[1] or "not given",
        )
        builder.remedy(
            RemedyAction.FIT_COMPATIBLE_MODEL,
            "Fit a PPMID whose pre-notified firmware is Active on the CPL.",
        )

    prenotified: Generation | None
    if entry is None:
        prenotified = None
    elif ambiguous:
        prenotified = stated
        if local_status_counts and entry.status is not CplStatus.ACTIVE:
            builder.add(ReasonCode.CPL_STATUS, firmware_version=entry.firmware_version, status=entry.status)
    else:
        prenotified = entry.generation or stated
        if prenotified is None:
            builder.add(ReasonCode.CPL_GENERATION_UNKNOWN, firmware_version=entry.firmware_version or "?")
            builder.remedy(
                RemedyAction.CONTACT_BACK_OFFICE,
                "Ask the back office which SMETS version this PPMID was pre-notified with.",
            )
        if stated is not None and entry.generation is not None and stated != entry.generation:
            builder.add(
                ReasonCode.DATA_INCONSISTENT,
                stated=stated,
                firmware_version=record.firmware_version,
                cpl=entry.generation,
            )
            builder.remedy(
                RemedyAction.CONTACT_BACK_OFFICE,
                "Ask the back office to confirm the PPMID's pre-notified SMETS version and firmware.",
            )
        if local_status_counts and entry.status is not CplStatus.ACTIVE:
            builder.add(ReasonCode.CPL_STATUS, firmware_version=entry.firmware_version, status=entry.status)
            builder.remedy(
                RemedyAction.FIT_COMPATIBLE_MODEL,
                "Fit a PPMID whose pre-notified firmware is Active on the CPL.",
            )
    return entry, prenotified, bilingual, model_gens, model


def _rows_for_unknown_hardware(
    model: list[CplEntry], matches: list[CplEntry], record: DeviceRecord, builder: _VerdictBuilder
) -> list[CplEntry]:
    """HARDWARE_UNKNOWN (A5): without a hardware version, a model whose SMETS1 and SMETS2+ rows
    are for different hardware is not called bilingual on the strength of another hardware's
    row: only rows of the hardware the pre-notified firmware matched are kept."""
    if norm_hex(record.hardware_version):
        return model
    by_generation = {
        generation: {norm_hex(e.hardware_version) for e in model if e.generation is generation and e.hardware_version}
        for generation in Generation
    }
    s1_hardware, s2_hardware = by_generation[Generation.SMETS1], by_generation[Generation.SMETS2_PLUS]
    if not s1_hardware or not s2_hardware or s1_hardware == s2_hardware:
        return model
    builder.add(
        ReasonCode.HARDWARE_UNKNOWN,
        s1_hardware=", ".join(sorted(s1_hardware)),
        s2_hardware=", ".join(sorted(s2_hardware)),
    )
    builder.remedy(RemedyAction.CONTACT_BACK_OFFICE, "Ask the back office for the PPMID's hardware version.")
    hardware = {norm_hex(e.hardware_version) for e in matches if e.hardware_version}
    if not hardware:
        return model
    return [e for e in model if not e.hardware_version or norm_hex(e.hardware_version) in hardware]


def entry_for_generation(
    entries: Sequence[CplEntry], record: DeviceRecord, generation: Generation
) -> CplEntry | None:
    """The CPL entry of the record's PPMID model for ``generation`` (the 8.4 remedy's target)."""
    for entry in model_entries_for(entries, record):
        if entry.device_type is DeviceType.PPMID and entry.generation is generation:
            return entry
    return None
