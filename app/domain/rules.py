"""The pairing verdict: can this PPMID join this Communications Hub, and as what?

Implements DOMAIN Part A2. Every block reason is listed (an installer fixing one
problem should not discover the next one on the next scan), and a verdict that
blocks or cannot see the hub's generation names no resulting generation: no working
PPMID results from that pairing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from app.domain.devices import CplEntry, CplStatus, DeviceRecord, DeviceType, norm_hex
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
from app.domain.smets import Generation, Regime


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

    hub_generation = _hub_generation(data, builder)
    ppmid_entry, prenotified, bilingual, model_gens = _ppmid_side(data, builder)

    resulting: Generation | None = None
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

    if (
        data.regime is Regime.TACTICAL
        and bilingual
        and prenotified is Generation.SMETS1
    ):
        builder.add(ReasonCode.S1_FW_READBACK)

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
    record = data.hub_record
    hub_id = data.hub_scan.device_id
    if record is None:
        if data.hub_generation_given is not None:
            builder.add(ReasonCode.HUB_GENERATION_FROM_INSTALLER, device_id=hub_id, hub=data.hub_generation_given)
            return data.hub_generation_given
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
    entry = _hub_entry(data)
    if entry is None and record.cpl_status.strip().lower() != "active":
        builder.add(
            ReasonCode.HUB_NOT_ON_CPL,
            manufacturer_id=record.manufacturer_id or "?",
            model_id=record.model_id or "?",
            firmware_version=record.firmware_version or "?",
        )
        builder.remedy(RemedyAction.UPDATE_LOCAL_CPL, "Update the local CPL copy when next online.")
    # A1: the hub's own record, else its CPL entry; what the installer gives only fills a gap.
    generation = record.generation
    if generation is None and entry is not None:
        generation = entry.generation
    if generation is None and data.hub_generation_given is not None:
        return data.hub_generation_given
    if generation is None:
        builder.add(ReasonCode.HUB_UNKNOWN, device_id=hub_id)
        builder.remedy(
            RemedyAction.CONFIRM_HUB_GENERATION,
            "Give the hub's SMETS generation (it is on the hub's label or in the work order).",
        )
    return generation


def _ppmid_side(
    data: PairingInput, builder: _VerdictBuilder
) -> tuple[CplEntry | None, Generation | None, bool, set[Generation]]:
    """Return (matched CPL entry, pre-notified generation, bilingual?, generations the model supports)."""
    record = data.ppmid_record
    ppmid_id = data.ppmid_scan.device_id
    if record is None:
        builder.add(ReasonCode.NOT_PRENOTIFIED, device_id=ppmid_id)
        builder.remedy(
            RemedyAction.IMPORT_JOB_PACK,
            "Check the PPMID's label against the job; import today's job pack if it is missing.",
        )
        builder.remedy(RemedyAction.CONTACT_BACK_OFFICE, "Ask the back office to pre-notify this PPMID (SR 12.2).")
        return None, None, False, set()
    if record.device_type is not DeviceType.PPMID:
        builder.add(
            ReasonCode.WRONG_DEVICE_TYPE,
            variant="" if record.device_type else "ppmid_untyped",
            device_id=ppmid_id,
            actual=record.device_type,
        )
        builder.remedy(RemedyAction.RESCAN_DEVICE, "Scan the PPMID's own label.")

    model = [e for e in model_entries_for(data.ppmid_model_entries, record) if e.device_type is DeviceType.PPMID]
    model_gens = {g for g in (e.generation for e in model) if g is not None}
    bilingual = model_gens == {Generation.SMETS1, Generation.SMETS2_PLUS}
    matches = matching_entries(model, record)
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
        return None, stated, bilingual, model_gens

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

    prenotified: Generation | None
    if entry is None:
        prenotified = None
    elif ambiguous:
        prenotified = stated
        if entry.status is not CplStatus.ACTIVE:
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
        if entry.status is not CplStatus.ACTIVE:
            builder.add(ReasonCode.CPL_STATUS, firmware_version=entry.firmware_version, status=entry.status)
            builder.remedy(
                RemedyAction.FIT_COMPATIBLE_MODEL,
                "Fit a PPMID whose pre-notified firmware is Active on the CPL.",
            )
    return entry, prenotified, bilingual, model_gens


def entry_for_generation(
    entries: Sequence[CplEntry], record: DeviceRecord, generation: Generation
) -> CplEntry | None:
    """The CPL entry of the record's PPMID model for ``generation`` (the 8.4 remedy's target)."""
    for entry in model_entries_for(entries, record):
        if entry.device_type is DeviceType.PPMID and entry.generation is generation:
            return entry
    return None
