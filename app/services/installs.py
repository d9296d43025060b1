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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from app.domain.devices import DeviceType
from app.domain.duis import (
    CHFLocation,
    CplMoveRemedy,
    DuisSchema,
    Intent,
    NoWanSurvey,
    plan_visit,
)
from app.domain.duis.request_id import RequestId
from app.domain.errors import DomainInputError
from app.domain.ids import DeviceId, DeviceIdError, parse_device_id
from app.domain.labels import LabelData, LabelError, parse_label
from app.domain.misscan import HEADLINES as MIS_SCAN_HEADLINES
from app.domain.misscan import MisScan
from app.domain.misscan import classify as classify_mis_scan
from app.domain.reasons import Level
from app.domain.smets import Generation
from app.services.context import AppContext
from app.services.pairing import PairingResult, check_labels

if TYPE_CHECKING:
    from app.services.visit_guard import PreviousRecord

#: The DCC Boxed test supplier, used in the stored rendering until ``originator_id`` is set
#: (the back office assigns the real RequestID at submission anyway).
FALLBACK_ORIGINATOR = DeviceId("90-B3-D5-1F-30-01-00-00")
USER_REF_MAX = 25


class VisitError(DomainInputError):
    """The visit cannot be recorded as asked; the message says what to fix."""


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
    remedy: CplMoveRemedy | None = None
    mpxn: str | None = None
    hub_smets: Generation | None = None
    report_hub_install: bool = True
    started_at: datetime | None = None
    #: ``verdict_fingerprint`` of the verdict the installer saw; recording refuses with
    #: ``VerdictChanged`` when the data now gives another one (None: a script, no screen).
    seen_verdict: tuple[object, ...] | None = None


@dataclass(frozen=True, slots=True)
class QueuedIntent:
    idempotency_key: str
    srv: str
    kind: str
    target: str
    critical: bool


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
            "intents": [
                {
                    "idempotency_key": i.idempotency_key,
                    "srv": i.srv,
                    "kind": i.kind,
                    "target": i.target,
                    "critical": i.critical,
                    "state": "queued",
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
    conn: Any, intents: list[Intent], originator: DeviceId, schema: DuisSchema | None
) -> list[Any]:
    """Render each intent with a RequestID from the persisted local counter, checked against ``schema``.

    Runs inside the recording transaction, so the counters it takes commit with the rows
    that use them (and a number is never handed out twice, even across a crash).
    """
    import time

    from app.domain.duis import DuisError
    from app.store import outbox

    rows: list[outbox.NewIntent] = []
    for intent in intents:
        counter = outbox.next_counter(conn, outbox.EXPORT_COUNTER, floor=int(time.time() * 1000))
        try:
            xml = intent.render(RequestId(originator, intent.target, counter), schema=schema)
        except DuisError as exc:
            raise VisitError(f"the {intent.srv} request is not valid DUIS: {exc}") from None
        rows.append(
            outbox.NewIntent(
                idempotency_key=str(uuid.uuid4()),
                kind=intent.kind,
                srv=intent.srv,
                command_variant=int(intent.command_variant),
                target=intent.target.value,
                critical=intent.is_critical,
                payload=intent.to_payload(),
                duis_xml=xml.decode("utf-8"),
            )
        )
    return rows


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
    if ppmid.install_code is None or not ppmid.install_code_ok:
        problem = ppmid.install_code_problem or "the PPMID label gave no install code"
        raise VisitError(f"the PPMID's install code is needed for 8.11 and could not be used: {problem}")

    job_mpxn, job_meter_type = _job_facts(ctx, job_ref, meter)
    mpxn = (request.mpxn or "").strip() or job_mpxn
    if not mpxn:
        raise VisitError(f"job {job_ref} has no MPxN in the imported job packs; import the job pack or give the MPxN")
    meter_type = request.meter_type or job_meter_type or DeviceType.ESME
    if not request.wan and request.no_wan is None:
        raise VisitError("with no SM WAN, the 8.14.2 site survey (premise type and obstruction checks) is needed")

    started = request.started_at or datetime.now(UTC)
    try:
        intents = plan_visit(
            hub_id=hub.device_id,
            ppmid_id=ppmid.device_id,
            install_code=ppmid.install_code,
            meter_id=meter,
            meter_type=meter_type,
            mpxn=mpxn,
            hub_location=request.hub_location,
            aerial_install=request.aerial,
            no_wan=None if request.wan else request.no_wan,
            report_hub_install=request.report_hub_install,
            join_time_period=int(ctx.setting("join_time_period")),
            install_datetime=started.astimezone(UTC),
            user_ref_id=job_ref if len(job_ref) <= USER_REF_MAX else None,
            remedy=request.remedy,
        )
    except DomainInputError as exc:
        raise VisitError(str(exc)) from None

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
        "remedy": "8.4 UpdateDeviceDetails" if request.remedy else None,
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
        rows = render_for_queue(conn, intents, originator, schema)
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
                "intents": [{"key": r.idempotency_key, "srv": r.srv, "target": r.target} for r in rows],
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
        intents=tuple(QueuedIntent(r.idempotency_key, r.srv, r.kind, r.target, r.critical) for r in rows),
        reasons=reasons,
        audit_hash=entry.entry_hash,
        schema_checked=schema is not None,
        repeat_of=repeat_of,
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
        meta={},
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
