"""Record an install visit: re-check the pairing, build the DUIS intents, queue them durably.

Why the steps are in this order:

1. The pairing is judged again here, from the same local data the banner used, so a
   script or a stale screen cannot record a pairing the rules block. A ``block`` verdict
   is refused unless the installer gives an override reason; the reason is kept in the
   record, the audit journal and the copy sent to the back office.
2. Every intent is rendered and checked against the DUIS schema (when one is configured)
   *before* anything is written, so an invalid request is refused with the installer
   still on site rather than by the DCC days later.
3. The visit, its intents (each with a UUID idempotency key made now) and the audit entry
   are written in ONE transaction: after a crash either all of them exist or none do.

``abort_visit`` records a visit that ended without an install (no intents), so the back
office sees why the job was not done.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from app.domain.devices import DeviceRecord, DeviceType
from app.domain.duis import (
    CHFLocation,
    CplMoveRemedy,
    DuisSchema,
    Intent,
    MeterToAdd,
    NoWanSurvey,
    PlannedStep,
    Scenario,
    parse_scenario,
    plan_visit_steps,
    propose_scenario,
)
from app.domain.duis.request_id import RequestId
from app.domain.errors import DomainInputError
from app.domain.ids import DeviceId, DeviceIdError, parse_device_id
from app.domain.labels import LabelData, LabelError, masked_scan_text, parse_label
from app.domain.misscan import HEADLINES as MIS_SCAN_HEADLINES
from app.domain.misscan import MisScan
from app.domain.misscan import classify as classify_mis_scan
from app.domain.reasons import Level
from app.domain.smets import Generation
from app.services.context import AppContext
from app.services.pairing import PairingResult, check_labels

if TYPE_CHECKING:
    from app.domain.install_codes import InstallCode
    from app.services.visit_guard import PreviousRecord

#: The DCC Boxed test supplier, used in the stored rendering until ``originator_id`` is set
#: (the back office assigns the real RequestID at submission anyway).
FALLBACK_ORIGINATOR = DeviceId("90-B3-D5-1F-30-01-00-00")
USER_REF_MAX = 25


class VisitError(DomainInputError):
    """The visit cannot be recorded as asked; the message says what to fix."""


class RemedyKind(StrEnum):
    """The remedies a visit may record for a PPMID pre-notified for the other generation (A2, A5)."""

    #: Queue an 8.4 Update Inventory moving the PPMID to its model's other CPL entry.
    UPDATE_INVENTORY = "update-inventory"
    #: Ask the DCC, through the back office, for a manual inventory change (seed 002's way).
    MANUAL_INVENTORY_CHANGE = "manual-inventory-change"

    def __str__(self) -> str:
        return self.value


#: Other spellings the command line accepts for a remedy.
REMEDY_ALIASES = {"8.4": RemedyKind.UPDATE_INVENTORY, "manual": RemedyKind.MANUAL_INVENTORY_CHANGE}


def parse_remedy(text: str) -> RemedyKind:
    """``update-inventory`` (or ``8.4``) / ``manual-inventory-change``; VisitError names what is allowed."""
    wanted = (text or "").strip().lower().replace(" ", "-").replace("_", "-")
    if wanted in REMEDY_ALIASES:
        return REMEDY_ALIASES[wanted]
    for kind in RemedyKind:
        if kind.value == wanted:
            return kind
    raise VisitError(f"remedy {text!r} is not known; use {RemedyKind.UPDATE_INVENTORY} (or 8.4) "
                     f"or {RemedyKind.MANUAL_INVENTORY_CHANGE}")


class VisitBlocked(VisitError):
    """The pairing verdict is ``block`` and no override reason was given (or the STOP is a
    mis-scan, which no reason can override)."""

    def __init__(self, message: str, pairing: PairingResult) -> None:
        super().__init__(message)
        self.pairing = pairing


class RepeatVisit(VisitError):
    """The job already has a standing (not withdrawn) recorded install and the caller did not
    confirm recording it again; nothing is recorded. ``previous`` names the first record so
    the window can ask "J-000101 was already recorded at 09:12 (6 requests queued): record
    it again?" and then call again with ``confirm_repeat=True`` (or withdraw the first)."""

    def __init__(self, previous: PreviousRecord) -> None:
        super().__init__(
            f"job {previous.job_ref} already has a recorded install: {previous.describe()}; "
            "confirm to record it again, or withdraw the first record"
        )
        self.previous = previous


class VerdictChanged(VisitError):
    """The verdict the installer saw is no longer the one the data gives (a CPL import, a
    regime change or a job pack came in between): nothing is recorded, and the new verdict
    travels with the error so the window can show it."""

    def __init__(self, pairing: PairingResult) -> None:
        super().__init__(
            "the verdict changed since it was shown (new data or another regime); "
            "read the new verdict, then record again"
        )
        self.pairing = pairing


def verdict_fingerprint(verdict: Any) -> tuple[object, ...]:
    """What makes two verdicts the same for recording: level, regime, the generations and
    the reason codes (the wording may change between versions; these may not)."""
    return (
        verdict.level.value,
        verdict.regime.value,
        verdict.resulting_smets,
        verdict.hub_smets,
        verdict.prenotified_smets,
        tuple(sorted(code.value for code in verdict.codes)),
    )


def mis_scan_of(pairing: PairingResult) -> MisScan | None:
    """The pairing's mis-scan (a STOP no override reason can record), or None."""
    ppmid_type = pairing.ppmid_record.device_type if pairing.ppmid_record else None
    hub_type = pairing.hub_record.device_type if pairing.hub_record else None
    return classify_mis_scan(pairing.verdict.codes, ppmid_type, hub_type)


def install_code_for_8_11(pairing: PairingResult) -> InstallCode:
    """The PPMID's install code the 8.11 carries (DOMAIN A5): the label's, else the job pack's.

    Suppliers receive the code in the manufacturer's shipment data, so a job pack may carry
    it and a label with only the device ID (or a bare ID typed in) still records. When both
    carry one and they differ the verdict is INSTALL_CODE_MISMATCH (a STOP); recorded with an
    override reason, the label's is used: it is printed on the device in the installer's hand.
    A label code that fails its CRC is never replaced by the pack's: the scan is wrong.
    """
    from app.domain.install_codes import InstallCode, InstallCodeError

    label = pairing.ppmid
    needed = "the PPMID's install code is needed for 8.11 and could not be used"
    if label.has_install_code:
        if label.install_code is None or not label.install_code_ok:
            raise VisitError(f"{needed}: {label.install_code_problem or 'the label gave none'}")
        return label.install_code
    pack_code = pairing.ppmid_record.install_code if pairing.ppmid_record is not None else ""
    if not pack_code:
        raise VisitError(
            f"{needed}: the PPMID label gave no install code and no job pack carries one; scan the PPMID's QR label"
        )
    try:
        return InstallCode.from_code_hex(pack_code)
    except InstallCodeError as exc:  # checked on import: only a damaged database gets here
        raise VisitError(f"{needed}: the job pack's code is not valid ({exc})") from None


@dataclass(frozen=True, slots=True)
class VisitRequest:
    """What the installer scanned and chose for one visit.

    ``ppmid`` / ``hub`` are raw scanner text or already parsed labels. ``mpxn`` defaults
    to the job pack's; ``meter_type`` to the meter's job-pack record (else ESME).
    ``no_wan`` (the 8.14.2 site survey) must be given when ``wan`` is False.
    """

    job_ref: str
    ppmid: str | LabelData
    hub: str | LabelData
    meter: DeviceId | str
    hub_location: CHFLocation
    meter_type: DeviceType | None = None
    wan: bool = True
    no_wan: NoWanSurvey | None = None
    aerial: bool = False
    override_reason: str | None = None
    #: The remedy chosen: its values always come from the CPL. A CplMoveRemedy (typed values)
    #: is refused: it is kept in the type only so an old caller gets a message, not a crash.
    remedy: RemedyKind | str | CplMoveRemedy | None = None
    mpxn: str | None = None
    hub_smets: Generation | None = None
    report_hub_install: bool = True
    started_at: datetime | None = None
    #: ``verdict_fingerprint`` of the verdict the installer saw; recording refuses with
    #: ``VerdictChanged`` when the data now gives another one (None: a script, no screen).
    seen_verdict: tuple[object, ...] | None = None
    #: ``existing-hub`` / ``new-hub`` as the installer confirmed it; None: the hub's SMI status
    #: proposes it (and ``report_hub_install=False`` still means an existing hub).
    scenario: Scenario | str | None = None
    #: How each label was entered (one of :data:`SCAN_ENTRIES`), when the window knows it.
    ppmid_entry: str | None = None
    hub_entry: str | None = None


#: How a label reached HubCheck: a scanner's burst, the camera, a picture dropped or pasted,
#: or typed by a person. Kept with the label's masked text in the visit's meta.
SCAN_ENTRIES = ("scanner", "camera", "photo", "typed")


def scan_meta(
    ppmid: LabelData | None, hub: LabelData | None,
    ppmid_entry: str | None = None, hub_entry: str | None = None,
) -> dict[str, str]:
    """The visit meta's ``ppmid_scan`` / ``hub_scan`` (each label's text as scanned, its install
    code masked: it never leaves the visit) and ``ppmid_scan_entry`` / ``hub_scan_entry`` (how it
    was entered, when known). The meta travels to the back office with the install record."""
    out: dict[str, str] = {}
    for name, label, entry in (("ppmid", ppmid, ppmid_entry), ("hub", hub, hub_entry)):
        if label is None:
            continue
        out[f"{name}_scan"] = masked_scan_text(label)
        if entry in SCAN_ENTRIES:
            out[f"{name}_scan_entry"] = str(entry)
    return out


@dataclass(frozen=True, slots=True)
class QueuedIntent:
    idempotency_key: str
    srv: str
    kind: str
    target: str
    critical: bool
    depends_on: tuple[str, ...] = ()
    needs_approval: bool = False


@dataclass(frozen=True, slots=True)
class ScenarioUsed:
    """The visit's scenario, who chose it and why (the JSON's ``scenario`` keys)."""

    scenario: Scenario
    #: "installer" (given) or "hub_smi_status" (proposed and used as proposed).
    chosen_by: str
    #: What the hub's SMI status proposed (None: it proposed nothing).
    proposed: Scenario | None
    why: str


@dataclass(frozen=True, slots=True)
class VisitOutcome:
    """What was recorded: the visit's id, its verdict and the intents queued for it."""

    install_id: str
    job_ref: str
    outcome: str  # "recorded" | "aborted"
    verdict_level: str
    regime: str
    regime_source: str
    override_reason: str | None
    abort_reason: str | None
    intents: tuple[QueuedIntent, ...] = ()
    reasons: tuple[dict[str, str], ...] = field(default_factory=tuple)
    audit_hash: str = ""
    schema_checked: bool = False
    #: The job's standing recorded install before this one, when this is a second record.
    repeat_of: PreviousRecord | None = None
    scenario: ScenarioUsed | None = None
    #: The remedy recorded with the visit: kind, device, and the CPL entry's values.
    remedy: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "install_id": self.install_id,
            "job_ref": self.job_ref,
            "outcome": self.outcome,
            "verdict_level": self.verdict_level,
            "regime": self.regime,
            "regime_source": self.regime_source,
            "reasons": list(self.reasons),
            "override_reason": self.override_reason,
            "abort_reason": self.abort_reason,
            "schema_checked": self.schema_checked,
            "audit_hash": self.audit_hash,
            "repeat_of": self.repeat_of.to_json() if self.repeat_of is not None else None,
            "scenario": self.scenario.scenario.value if self.scenario else None,
            "scenario_chosen_by": self.scenario.chosen_by if self.scenario else None,
            "scenario_proposed": (
                self.scenario.proposed.value if self.scenario and self.scenario.proposed else None
            ),
            "scenario_reason": self.scenario.why if self.scenario else None,
            "remedy": self.remedy,
            "intents": [
                {
                    "idempotency_key": i.idempotency_key,
                    "srv": i.srv,
                    "kind": i.kind,
                    "target": i.target,
                    "critical": i.critical,
                    "state": "queued",
                    "depends_on": list(i.depends_on),
                    "needs_approval": i.needs_approval,
                }
                for i in self.intents
            ],
        }


# --------------------------------------------------------------------------- helpers


def _now_text(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")


def _label(value: str | LabelData, what: str) -> LabelData:
    if isinstance(value, LabelData):
        return value
    try:
        return parse_label(value)
    except LabelError as exc:
        raise VisitError(f"{what}: {exc}") from None


def _device(value: DeviceId | str, what: str) -> DeviceId:
    if isinstance(value, DeviceId):
        return value
    try:
        return parse_device_id(value)
    except DeviceIdError as exc:
        raise VisitError(f"{what}: {exc}") from None


def _job_facts(ctx: AppContext, job_ref: str, meter: DeviceId) -> tuple[str | None, DeviceType | None]:
    """The job pack's MPxN and the meter's device type, when the job was imported."""
    from sqlalchemy import text

    with ctx.engine.connect() as conn:
        mpxn = conn.execute(text("SELECT personal_mpxn FROM jobs WHERE job_ref = :j"), {"j": job_ref}).scalar()
        meter_type = conn.execute(
            text("SELECT device_type FROM devices WHERE device_id = :d AND device_type IS NOT NULL LIMIT 1"),
            {"d": str(meter)},
        ).scalar()
    kind = DeviceType(meter_type) if meter_type in ("ESME", "GSME") else None
    return (mpxn or None), kind


def schema_for(ctx: AppContext) -> DuisSchema | None:
    """The configured DUIS schema (setting ``duis_schema``, else the shared copy), or None."""
    from app.domain.duis import DuisSchemaError
    from app.services.duis_schema import load_configured_schema

    try:
        return load_configured_schema(str(ctx.setting("duis_schema") or ""))
    except DuisSchemaError as exc:
        raise VisitError(f"the DUIS schema cannot be used: {exc}") from None


def originator_for(ctx: AppContext) -> DeviceId:
    configured = str(ctx.setting("originator_id") or "")
    return parse_device_id(configured) if configured else FALLBACK_ORIGINATOR


def render_for_queue(
    conn: Any,
    intents: list[Intent],
    originator: DeviceId,
    schema: DuisSchema | None,
    *,
    steps: Sequence[PlannedStep] | None = None,
) -> list[Any]:
    """Render each intent with a RequestID from the persisted local counter, checked against ``schema``.

    Runs inside the recording transaction, so the counters it takes commit with the rows
    that use them (and a number is never handed out twice, even across a crash). With
    ``steps`` (the plan ``intents`` came from), each row names the idempotency keys of the
    intents it waits for and whether it needs the back office's approval.
    """
    import time

    from app.domain.duis import DuisError
    from app.store import outbox

    rows: list[outbox.NewIntent] = []
    keys = [str(uuid.uuid4()) for _ in intents]
    for index, intent in enumerate(intents):
        step = steps[index] if steps is not None else None
        counter = outbox.next_counter(conn, outbox.EXPORT_COUNTER, floor=int(time.time() * 1000))
        try:
            xml = intent.render(RequestId(originator, intent.target, counter), schema=schema)
        except DuisError as exc:
            raise VisitError(f"the {intent.srv} request is not valid DUIS: {exc}") from None
        rows.append(
            outbox.NewIntent(
                idempotency_key=keys[index],
                kind=intent.kind,
                srv=intent.srv,
                command_variant=int(intent.command_variant),
                target=intent.target.value,
                critical=intent.is_critical,
                payload=intent.to_payload(),
                duis_xml=xml.decode("utf-8"),
                depends_on=tuple(keys[d] for d in step.depends_on) if step else (),
                needs_approval=step.needs_approval if step else False,
            )
        )
    return rows


# --------------------------------------------------------------------------- the visit's checks


def _check_devices(
    ctx: AppContext, job_ref: str, pairing: PairingResult, meter: DeviceId, meter_type: DeviceType | None
) -> tuple[DeviceType, list[DeviceRecord]]:
    """Refuse another job's PPMID or hub, and a meter that is not an ESME/GSME of this job or of the
    DCC inventory read with this hub (A5, the meter); return the meter's type and the job's meters."""
    from app.store import device_repo, visit_devices

    ppmid, hub = pairing.ppmid.device_id, pairing.hub.device_id
    if meter == hub:
        raise VisitError(f"the meter {meter} is the hub you scanned; choose an ESME or GSME of job {job_ref}")
    if meter == ppmid:
        raise VisitError(f"the meter {meter} is the PPMID you scanned; choose an ESME or GSME of job {job_ref}")
    with ctx.engine.connect() as conn:
        for role, device in (("PPMID", ppmid), ("hub", hub)):
            found = visit_devices.owners(conn, str(device))
            if found.jobs and found.type_in(job_ref) is None:
                raise VisitError(
                    f"the {role} {device} belongs to job {', '.join(found.other_jobs)}, not {job_ref}; "
                    "choose that job, or scan the devices of this one"
                )
        owners = visit_devices.owners(conn, str(meter), str(hub))
        job_meters = [
            r for r in device_repo.job_records(conn, job_ref) if r.device_type in (DeviceType.ESME, DeviceType.GSME)
        ]
    in_job = owners.type_in(job_ref)
    if in_job is not None:
        kind = in_job
    elif owners.jobs:
        raise VisitError(
            f"the meter {meter} belongs to job {', '.join(owners.other_jobs)}, not {job_ref}; "
            f"choose an ESME or GSME of job {job_ref}"
        )
    elif owners.inventory_type is not None and owners.listed_with_hub:
        kind = owners.inventory_type
    elif owners.inventory_type is not None:
        raise VisitError(
            f"the meter {meter} is in the DCC inventory but not in the one read with hub {hub}, nor in job "
            f"{job_ref}; choose an ESME or GSME of this job"
        )
    else:
        raise VisitError(
            f"the meter {meter} is in no job pack or DCC inventory; choose an ESME or GSME of job {job_ref}"
        )
    if kind not in (DeviceType.ESME.value, DeviceType.GSME.value):
        what = {"GPF": "a GPF (the hub's gas proxy)", "CHF": "a hub (CHF)", "PPMID": "a PPMID"}.get(
            kind, f"a {kind}" if kind else "a device of unknown type"
        )
        raise VisitError(f"the meter {meter} is {what}, not an electricity or gas meter; a PPMID joins an ESME or a GSME")
    found_type = DeviceType(kind)
    if meter_type is not None and meter_type is not found_type:
        raise VisitError(f"the meter {meter} is an {found_type.value}, not a {meter_type.value}")
    return found_type, job_meters


def _scenario_for(request: VisitRequest, pairing: PairingResult) -> ScenarioUsed:
    """The scenario given, else the one the hub's SMI status proposes; a new hub must be SMETS2+."""
    hub_record = pairing.hub_record
    hub_generation = pairing.verdict.hub_smets
    proposal = propose_scenario(hub_record.smi_status if hub_record else "", hub_generation)
    given = request.scenario
    if given is None and not request.report_hub_install:
        given = Scenario.EXISTING_HUB  # the older way of saying "the hub was fitted earlier"
    if given is not None:
        try:
            chosen = given if isinstance(given, Scenario) else parse_scenario(given)
        except DomainInputError as exc:
            raise VisitError(str(exc)) from None
        if proposal.scenario is None:
            why = f"given by the installer ({proposal.why})"
        elif proposal.scenario is chosen:
            why = f"given by the installer, as proposed: {proposal.why}"
        else:
            why = f"given by the installer instead of the proposed {proposal.scenario.value}: {proposal.why}"
        used = ScenarioUsed(chosen, "installer", proposal.scenario, why)
    elif proposal.scenario is None:
        raise VisitError(
            f"say which visit this is, {Scenario.EXISTING_HUB} or {Scenario.NEW_HUB}: {proposal.why}"
        )
    else:
        used = ScenarioUsed(proposal.scenario, "hub_smi_status", proposal.scenario, proposal.why)
    if used.scenario is Scenario.NEW_HUB:
        if hub_generation is Generation.SMETS1:
            raise VisitError(
                "a SMETS1 hub is never fitted as a new DCC hub (8.14 does not apply to it): "
                f"record the visit as {Scenario.EXISTING_HUB}"
            )
        if hub_generation is None:
            raise VisitError(
                "a new hub must be SMETS2+ and this hub's generation is not known: give the hub's generation, "
                f"or record the visit as {Scenario.EXISTING_HUB}"
            )
    return used


def _meters_to_add(job_ref: str, job_meters: list[DeviceRecord], pairing: PairingResult) -> tuple[MeterToAdd, ...]:
    """Each meter of the job with the install code the job pack gave (a new hub's 8.11 needs it)."""
    from app.domain.install_codes import InstallCode, InstallCodeError

    added: list[MeterToAdd] = []
    missing: list[str] = []
    seen: set[DeviceId] = set()
    for record in job_meters:
        if record.device_id in seen or record.device_id in (pairing.ppmid.device_id, pairing.hub.device_id):
            continue
        seen.add(record.device_id)
        code: InstallCode | None = None
        if record.install_code.strip():
            try:
                code = InstallCode.from_code_hex(record.install_code.strip())
            except InstallCodeError:
                code = None  # the import refuses a bad one; never queue what cannot be read
        if code is not None:
            added.append(MeterToAdd(record.device_id, code))
        else:
            missing.append(str(record.device_id))
    if missing:
        raise VisitError(
            f"a new hub needs an 8.11 for each meter of job {job_ref}, and the job pack gives no install code for "
            f"{', '.join(missing)}; import a job pack that carries it, or record the visit as {Scenario.EXISTING_HUB}"
        )
    return tuple(added)


def _remedy_for_visit(
    ctx: AppContext, pairing: PairingResult, chosen: RemedyKind | str | CplMoveRemedy | None
) -> tuple[RemedyKind | None, CplMoveRemedy | None]:
    """The remedy chosen and its target, always the CPL's other entry for the PPMID's model (A5).

    Only a ``Pending`` PPMID of a bilingual model pre-notified for the generation the hub is not
    can be moved; typed values are never accepted.
    """
    from app.services.jobs import model_entry_for

    if chosen is None:
        return None, None
    if isinstance(chosen, CplMoveRemedy):
        raise VisitError(
            "the 8.4 remedy's firmware and SMETS version come from the CPL's other entry for the PPMID's model and "
            f"are never typed; choose the remedy {RemedyKind.UPDATE_INVENTORY}"
        )
    kind = chosen if isinstance(chosen, RemedyKind) else parse_remedy(chosen)
    verdict, record = pairing.verdict, pairing.ppmid_record
    what = "the 8.4 remedy" if kind is RemedyKind.UPDATE_INVENTORY else "a manual inventory change"
    if record is None:
        raise VisitError(f"{what} needs the PPMID's pre-notified record; it is in no job pack or inventory")
    status = record.smi_status.strip()
    if status.lower() != "pending":
        raise VisitError(
            f"{what} moves only a Pending PPMID to its other CPL entry; PPMID {record.device_id} is "
            f"{status or 'of unknown SMI status'}"
        )
    if not verdict.bilingual:
        raise VisitError(
            f"{what} moves a PPMID of a bilingual model (CPL entries for both generations); this model is not one"
        )
    prenotified, hub_generation = verdict.prenotified_smets, verdict.hub_smets
    if prenotified is None or hub_generation is None:
        raise VisitError(f"{what} needs both the PPMID's pre-notified generation and the hub's; one is not known")
    if prenotified is hub_generation:
        raise VisitError(
            f"the PPMID was pre-notified as {prenotified.value}, the hub's generation already: no remedy is needed"
        )
    entry = model_entry_for(ctx, record, hub_generation)
    if entry is None:
        raise VisitError(f"{what} needs the model's {hub_generation.value} CPL entry, which the local CPL does not have")
    return kind, CplMoveRemedy(firmware_version=entry.firmware_version, smets_chts_version=entry.smets_chts_version)


def _remedy_record(kind: RemedyKind | None, remedy: CplMoveRemedy | None, device: DeviceId) -> dict[str, Any] | None:
    """The remedy as recorded with the visit (its JSON, the visit's meta, the audit journal)."""
    if kind is None or remedy is None:
        return None
    return {
        "kind": kind.value,
        "device_id": str(device),
        "firmware_version": remedy.firmware_version,
        "smets_chts_version": remedy.smets_chts_version,
        "needs_approval": True,
        "queued": kind is RemedyKind.UPDATE_INVENTORY,
    }


# --------------------------------------------------------------------------- use cases


def record_visit(ctx: AppContext, request: VisitRequest, *, confirm_repeat: bool = True) -> VisitOutcome:
    """Re-check, plan, validate and queue one install visit; raise VisitBlocked / VisitError if refused.

    ``confirm_repeat=False`` (the window) refuses with :class:`RepeatVisit` when the job already
    has a standing recorded install, so the installer is asked first. The default ``True``
    keeps what scripts and the command line have always had: the second record is made, and
    the outcome's ``repeat_of`` names the first. The check runs under the write lock, so two
    records of one job made at the same moment cannot both pass it.
    """
    from app.services.visit_guard import previous_in
    from app.store import audit, outbox

    job_ref = request.job_ref.strip()
    if not job_ref:
        raise VisitError("a job reference is needed to record a visit")
    override = (request.override_reason or "").strip() or None
    ppmid = _label(request.ppmid, "PPMID label")
    hub = _label(request.hub, "hub label")
    meter = _device(request.meter, "meter device ID")

    pairing = check_labels(ctx, ppmid, hub, hub_smets=request.hub_smets)
    verdict = pairing.verdict
    if request.seen_verdict is not None and verdict_fingerprint(verdict) != request.seen_verdict:
        raise VerdictChanged(pairing)
    mis_scan = mis_scan_of(pairing) if verdict.level is Level.BLOCK else None
    if mis_scan is not None:
        raise VisitBlocked(f"{MIS_SCAN_HEADLINES[mis_scan]} A mis-scan cannot be overridden.", pairing)
    if verdict.level is Level.BLOCK and override is None:
        codes = ", ".join(r.code.value for r in verdict.reasons if r.severity.value == "block")
        raise VisitBlocked(
            f"the pairing verdict is STOP ({codes}); give an override reason to record it anyway", pairing
        )
    install_code = install_code_for_8_11(pairing)

    meter_type, job_meters = _check_devices(ctx, job_ref, pairing, meter, request.meter_type)
    scenario = _scenario_for(request, pairing)
    new_hub = scenario.scenario is Scenario.NEW_HUB
    meters_to_add = _meters_to_add(job_ref, job_meters, pairing) if new_hub else ()
    remedy_kind, remedy = _remedy_for_visit(ctx, pairing, request.remedy)
    # A5: at a Secure SMETS1 site a third-party PPMID's firmware read will fail: no 11.2.
    read_firmware = "S1_SECURE_THIRD_PARTY" not in {code.value for code in verdict.codes}

    job_mpxn, _ = _job_facts(ctx, job_ref, meter)
    mpxn = (request.mpxn or "").strip() or job_mpxn or ""
    if new_hub and not mpxn:
        raise VisitError(
            f"job {job_ref} has no MPxN in the imported job packs, and the new hub's 8.14 needs it; "
            "import the job pack or give the MPxN"
        )
    if not new_hub and (not request.wan or request.no_wan is not None):
        raise VisitError(
            "no SM WAN and its site survey describe the hub's install (8.14.2), which an existing-hub visit "
            "does not queue; leave them out, or record the visit as new-hub"
        )
    if new_hub and not request.wan and request.no_wan is None:
        raise VisitError("with no SM WAN, the 8.14.2 site survey (premise type and obstruction checks) is needed")

    started = request.started_at or datetime.now(UTC)
    try:
        steps = plan_visit_steps(
            hub_id=hub.device_id,
            ppmid_id=ppmid.device_id,
            install_code=install_code,
            meter_id=meter,
            meter_type=meter_type,
            mpxn=mpxn,
            hub_location=request.hub_location,
            aerial_install=request.aerial,
            no_wan=None if request.wan else request.no_wan,
            scenario=scenario.scenario,
            hub_generation=verdict.hub_smets,
            meters_to_add=meters_to_add,
            read_firmware=read_firmware,
            join_time_period=int(ctx.setting("join_time_period")),
            install_datetime=started.astimezone(UTC),
            user_ref_id=job_ref if len(job_ref) <= USER_REF_MAX else None,
            remedy=remedy if remedy_kind is RemedyKind.UPDATE_INVENTORY else None,
        )
    except DomainInputError as exc:
        raise VisitError(str(exc)) from None
    intents = [step.intent for step in steps]
    remedy_record = _remedy_record(remedy_kind, remedy, ppmid.device_id)

    schema = schema_for(ctx)
    originator = originator_for(ctx)
    install_id = str(uuid.uuid4())
    now = _now_text()
    reasons = tuple(r.to_json() for r in verdict.reasons)
    meta = {
        "meter_type": meter_type.value,
        "wan": request.wan,
        "hub_location": request.hub_location.value,
        "aerial": request.aerial,
        "resulting_smets": verdict.resulting_smets.value if verdict.resulting_smets else None,
        "remedy": (
            "8.4 UpdateDeviceDetails" if remedy_kind is RemedyKind.UPDATE_INVENTORY
            else "manual inventory change" if remedy_kind is RemedyKind.MANUAL_INVENTORY_CHANGE else None
        ),
        "remedy_detail": remedy_record,
        "scenario": scenario.scenario.value,
        "scenario_chosen_by": scenario.chosen_by,
        "scenario_proposed": scenario.proposed.value if scenario.proposed else None,
        "scenario_reason": scenario.why,
        "read_firmware": read_firmware,
        **scan_meta(ppmid, hub, request.ppmid_entry, request.hub_entry),
    }
    visit = outbox.VisitValues(
        id=install_id,
        job_ref=job_ref,
        ppmid=str(ppmid.device_id),
        hub=str(hub.device_id),
        meter=str(meter),
        meter_type=meter_type.value,
        verdict_level=verdict.level.value,
        regime=verdict.regime.value,
        regime_source=pairing.regime_source,
        reasons=reasons,
        override_reason=override,
        outcome="recorded",
        abort_reason=None,
        meta=meta,
        started_at=_now_text(started),
        finished_at=now,
    )
    with ctx.engine.begin() as conn:
        audit.take_write_lock(conn)
        repeat_of = previous_in(conn, job_ref, installs_only=True)
        if repeat_of is not None and not confirm_repeat:
            raise RepeatVisit(repeat_of)
        rows = render_for_queue(conn, intents, originator, schema, steps=steps)
        outbox.insert_visit(conn, visit)
        outbox.insert_intents(conn, rows, install_id=install_id, job_ref=job_ref, now=now)
        entry = audit.append(
            conn,
            "install.recorded",
            install_id,
            {
                "job_ref": job_ref,
                "ppmid": visit.ppmid,
                "hub": visit.hub,
                "meter": visit.meter,
                "verdict": verdict.level.value,
                "regime": verdict.regime.value,
                "block_reasons": [r["code"] for r in reasons if r["severity"] == "block"],
                "override_reason": override,
                "intents": [
                    {
                        "key": r.idempotency_key, "srv": r.srv, "target": r.target,
                        **({"depends_on": list(r.depends_on)} if r.depends_on else {}),
                        **({"needs_approval": True} if r.needs_approval else {}),
                    }
                    for r in rows
                ],
                "scenario": scenario.scenario.value,
                "scenario_chosen_by": scenario.chosen_by,
                **({"remedy": remedy_record} if remedy_record else {}),
                **({"repeat_of": repeat_of.install_id} if repeat_of is not None else {}),
            },
            at=now,
        )
    return VisitOutcome(
        install_id=install_id,
        job_ref=job_ref,
        outcome="recorded",
        verdict_level=verdict.level.value,
        regime=verdict.regime.value,
        regime_source=pairing.regime_source,
        override_reason=override,
        abort_reason=None,
        intents=tuple(
            QueuedIntent(r.idempotency_key, r.srv, r.kind, r.target, r.critical, r.depends_on, r.needs_approval)
            for r in rows
        ),
        reasons=reasons,
        audit_hash=entry.entry_hash,
        schema_checked=schema is not None,
        repeat_of=repeat_of,
        scenario=scenario,
        remedy=remedy_record,
    )


def abort_visit(
    ctx: AppContext,
    job_ref: str,
    reason: str,
    *,
    ppmid: str | LabelData | None = None,
    hub: str | LabelData | None = None,
    meter: DeviceId | str | None = None,
    started_at: datetime | None = None,
    ppmid_entry: str | None = None,
    hub_entry: str | None = None,
) -> VisitOutcome:
    """Record that the visit ended without an install, and why; no intents are queued.

    When both labels are given the verdict is recorded with it (so the back office sees
    e.g. that the visit stopped on a SMETS mismatch); otherwise the level is ``unknown``.
    """
    from app.store import audit, outbox

    job_ref = job_ref.strip()
    why = (reason or "").strip()
    if not job_ref:
        raise VisitError("a job reference is needed to record an aborted visit")
    if not why:
        raise VisitError("say why the visit was aborted")
    ppmid_label = _label(ppmid, "PPMID label") if ppmid is not None else None
    hub_label = _label(hub, "hub label") if hub is not None else None
    meter_id = _device(meter, "meter device ID") if meter is not None else None
    level, regime, source = "unknown", str(ctx.setting("regime")), str(ctx.setting("regime_source"))
    reasons: tuple[dict[str, str], ...] = ()
    if ppmid_label is not None and hub_label is not None:
        pairing = check_labels(ctx, ppmid_label, hub_label)
        level, regime, source = pairing.verdict.level.value, pairing.verdict.regime.value, pairing.regime_source
        reasons = tuple(r.to_json() for r in pairing.verdict.reasons)
    install_id = str(uuid.uuid4())
    now = _now_text()
    visit = outbox.VisitValues(
        id=install_id,
        job_ref=job_ref,
        ppmid=str(ppmid_label.device_id) if ppmid_label else None,
        hub=str(hub_label.device_id) if hub_label else None,
        meter=str(meter_id) if meter_id else None,
        meter_type=None,
        verdict_level=level,
        regime=regime,
        regime_source=source,
        reasons=reasons,
        override_reason=None,
        outcome="aborted",
        abort_reason=why,
        meta=scan_meta(ppmid_label, hub_label, ppmid_entry, hub_entry),
        started_at=_now_text(started_at) if started_at else now,
        finished_at=now,
    )
    with ctx.engine.begin() as conn:
        audit.take_write_lock(conn)
        outbox.insert_visit(conn, visit)
        entry = audit.append(
            conn,
            "install.aborted",
            install_id,
            {"job_ref": job_ref, "reason": why, "verdict": level, "ppmid": visit.ppmid, "hub": visit.hub},
            at=now,
        )
    return VisitOutcome(
        install_id=install_id,
        job_ref=job_ref,
        outcome="aborted",
        verdict_level=level,
        regime=regime,
        regime_source=source,
        override_reason=None,
        abort_reason=why,
        reasons=reasons,
        audit_hash=entry.entry_hash,
    )
