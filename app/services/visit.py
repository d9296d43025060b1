"""One installer visit, outside any window: the job, both labels, the hub generation given,
the verdict shown, and what is recorded.

Why a Qt-free session: the window used to be the visit's controller, so every guard
(which job the devices belong to, mis-scans, recording the verdict that was on screen)
lived in widgets and could not be tested or reused. Here the session owns the visit's
state on the UI thread, and hands the slow steps to a worker as immutable orders:

- :meth:`VisitSession.check_order` → :func:`run_check` (worker) → :meth:`VisitSession.accept`;
- :meth:`VisitSession.record_order` → :func:`run_record` (worker) → :meth:`VisitSession.recorded`.

Each order carries the session's revision: an answer for a visit that has since changed
(a new scan, another generation, another job) is dropped, never shown. :func:`run_record`
records the verdict the installer saw: if the data now judges the pairing differently (a
CPL import or a regime change in between), it refuses with ``VerdictChanged`` and the new
verdict, and records nothing. The session is the only caller of the pairing check and of
recording in the window.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

from app.domain.smets import Generation

# The orders and answers below are NamedTuples, not frozen dataclasses: this module loads
# before the window's first paint, where a slotted dataclass costs ~5× as much to define.

if TYPE_CHECKING:
    # The window builds a session before its first paint; the DUIS, label and recording
    # modules it works with load on the cache worker after the paint (see app/__main__.py),
    # so they are imported where they are used, not here.
    from app.domain.devices import DeviceType
    from app.domain.duis import CHFLocation, PremiseType
    from app.domain.labels import LabelData
    from app.domain.misscan import MisScan
    from app.domain.reasons import Level
    from app.services.context import AppContext
    from app.services.installs import VisitOutcome, VisitRequest
    from app.services.pairing import PairingResult


class VisitState(StrEnum):
    NO_JOB = "no_job"  # nothing chosen yet (a PPMID scan may still find its job)
    SCANNING = "scanning"  # a job, and fewer than two labels or no verdict yet
    JUDGED = "judged"  # a verdict is on screen
    RECORDING = "recording"  # a record or abort order is on a worker
    RECORDED = "recorded"
    ABORTED = "aborted"

    def __str__(self) -> str:
        return self.value


class VisitJob(NamedTuple):
    """The chosen job as the session needs it: its reference and its devices' IDs."""

    job_ref: str
    device_ids: tuple[str, ...] = ()


class CheckOrder(NamedTuple):
    revision: int
    ppmid: LabelData
    hub: LabelData
    hub_generation: Generation | None
    job: VisitJob | None


class JudgedVisit(NamedTuple):
    """A verdict as shown to the installer, with the guards drawn from it."""

    revision: int
    pairing: PairingResult
    mis_scan: MisScan | None
    #: The job the scanned devices belong to when it is not the chosen one (offer to switch).
    other_job: str | None
    #: The scenario the hub's SMI status proposes (``existing-hub`` / ``new-hub``; None: no
    #: proposal) and why, for the installer to confirm or change (DOMAIN A5).
    proposed_scenario: str | None = None
    scenario_why: str = ""

    @property
    def level(self) -> Level:
        return self.pairing.verdict.level

    @property
    def blocked(self) -> bool:
        return self.level.value == "block"

    @property
    def overridable(self) -> bool:
        """A STOP an installer may record with a reason: not a mis-scan, not another job's devices."""
        return self.blocked and self.mis_scan is None and self.other_job is None


class RecordChoices(NamedTuple):
    """What the installer confirmed in the record form."""

    meter_id: str
    hub_location: CHFLocation
    meter_type: DeviceType | None = None
    wan: bool = True
    aerial: bool = False
    premise: PremiseType | None = None
    metal: bool = False
    connectivity: bool = False
    shared: bool = False
    override_reason: str = ""
    remedy_chosen: bool = False
    #: The alternative to the 8.4: ask the DCC for a manual inventory change (nothing queued).
    manual_change: bool = False
    #: The scenario the installer confirmed (``existing-hub`` / ``new-hub``); None: not chosen.
    scenario: str | None = None


class RecordOrder(NamedTuple):
    revision: int
    request: VisitRequest
    seen: JudgedVisit
    want_remedy: bool
    #: False until the installer confirmed recording a job that already has a record.
    confirm_repeat: bool = False
    #: The alternative remedy: the back office asks the DCC for a manual inventory change.
    want_manual_change: bool = False


class AbortOrder(NamedTuple):
    revision: int
    job_ref: str
    reason: str
    ppmid: LabelData | None
    hub: LabelData | None
    meter: str | None
    #: How each label was entered ("scanner", "camera", "photo", "typed"; None: not known).
    ppmid_entry: str | None = None
    hub_entry: str | None = None


class VisitSession:
    """The visit on screen. Lives on the UI thread; every method is quick and does no I/O."""

    def __init__(self) -> None:
        self.revision = 0
        self.job: VisitJob | None = None
        self.ppmid: LabelData | None = None
        self.hub: LabelData | None = None
        #: How each label was entered, when the window knows ("scanner", "camera", "photo", "typed").
        self.ppmid_entry: str | None = None
        self.hub_entry: str | None = None
        self.hub_generation: Generation | None = None
        self.judged: JudgedVisit | None = None
        self.outcome: VisitOutcome | None = None
        self._busy = False
        #: The job whose earlier record the installer was told about: pressing Record again
        #: for it confirms a second record (the question named the first one).
        self.repeat_confirmed_for: str | None = None

    # ------------------------------------------------------------------ state
    @property
    def state(self) -> VisitState:
        if self._busy:
            return VisitState.RECORDING
        if self.outcome is not None:
            return VisitState.ABORTED if self.outcome.outcome == "aborted" else VisitState.RECORDED
        if self.job is None:
            return VisitState.NO_JOB
        return VisitState.JUDGED if self.judged is not None else VisitState.SCANNING

    def _changed(self) -> None:
        """Anything that changes what would be judged: the verdict shown no longer holds."""
        self.revision += 1
        self.judged = None
        self.outcome = None

    def choose_job(self, job: VisitJob) -> None:
        if self.job != job:
            self.job = job
            self.repeat_confirmed_for = None
            self._changed()

    def set_label(self, field: str, label: LabelData | None, entry: str | None = None) -> None:
        """``field`` is ``"ppmid"`` or ``"hub"``; None clears it. ``entry`` says how the label
        was entered ("scanner", "camera", "photo", "typed"), when the caller knows."""
        if field == "ppmid":
            self.ppmid, self.ppmid_entry = label, entry if label is not None else None
        elif field == "hub":
            self.hub, self.hub_entry = label, entry if label is not None else None
        else:
            raise ValueError(f"unknown scan field {field!r}")
        self._changed()

    def set_hub_generation(self, generation: Generation | str | None) -> None:
        """The hub generation the installer gave; a plain string (as a combo box hands it
        back) is read as a generation name."""
        if isinstance(generation, str) and not isinstance(generation, Generation):
            generation = Generation(generation)
        if generation != self.hub_generation:
            self.hub_generation = generation
            self._changed()

    def invalidate(self) -> None:
        """Data or settings changed (an import, the regime): judge again before recording."""
        self._changed()

    def new_visit(self) -> None:
        """Clear both labels and the generation for the next visit; the job stays chosen."""
        self.ppmid = self.hub = None
        self.ppmid_entry = self.hub_entry = None
        self.hub_generation = None
        self._busy = False
        self._changed()

    # ------------------------------------------------------------------ checking
    def check_order(self) -> CheckOrder | None:
        """What a worker should judge now, or None while a label is missing."""
        if self.ppmid is None or self.hub is None:
            self.judged = None
            return None
        self.revision += 1
        self.judged = None
        return CheckOrder(self.revision, self.ppmid, self.hub, self.hub_generation, self.job)

    def accept(self, judged: JudgedVisit) -> bool:
        """Keep a worker's verdict if it is for the visit as it still is; False if stale."""
        if judged.revision != self.revision:
            return False
        self.judged = judged
        return True

    # ------------------------------------------------------------------ recording
    def why_not_record(self, override_reason: str = "") -> str | None:
        """Why Record cannot be pressed now (a sentence for the installer), or None."""
        if self.job is None:
            return "choose the job first"
        if self.ppmid is None or self.hub is None:
            return "scan both the PPMID and the hub"
        if self._busy:
            return "the visit is being recorded"
        if self.outcome is not None:
            return "this visit is already recorded; start a new visit"
        judged = self.judged
        if judged is None:
            return "wait for the verdict"
        if judged.other_job is not None:
            return f"these devices belong to job {judged.other_job}, not {self.job.job_ref}"
        if judged.mis_scan is not None:
            return "a mis-scan cannot be overridden: scan the labels again"
        if judged.blocked and len(override_reason.strip()) < MIN_OVERRIDE_REASON:
            return f"a STOP needs an override reason of at least {MIN_OVERRIDE_REASON} characters"
        return None

    def record_order(self, choices: RecordChoices) -> RecordOrder:
        """The worker's order to record this visit with the verdict on screen."""
        from app.domain.duis import NoWanSurvey
        from app.services.installs import VisitError, VisitRequest, verdict_fingerprint

        problem = self.why_not_record(choices.override_reason)
        if problem is not None:
            raise VisitError(problem)
        assert self.job is not None and self.judged is not None and self.ppmid and self.hub
        no_wan = None
        if not choices.wan and choices.premise is not None:
            no_wan = NoWanSurvey(choices.premise, choices.metal, choices.connectivity, choices.shared)

        request = VisitRequest(
            job_ref=self.job.job_ref,
            ppmid=self.ppmid,
            hub=self.hub,
            meter=choices.meter_id,
            hub_location=choices.hub_location,
            meter_type=choices.meter_type,
            wan=choices.wan,
            no_wan=no_wan,
            aerial=choices.aerial,
            override_reason=(choices.override_reason.strip() or None) if self.judged.blocked else None,
            hub_smets=self.hub_generation,
            seen_verdict=verdict_fingerprint(self.judged.pairing.verdict),
            scenario=choices.scenario or None,
            ppmid_entry=self.ppmid_entry,
            hub_entry=self.hub_entry,
        )
        self._busy = True
        confirmed = self.repeat_confirmed_for == self.job.job_ref
        return RecordOrder(self.revision, request, self.judged, choices.remedy_chosen, confirmed,
                           choices.manual_change and not choices.remedy_chosen)

    def abort_order(self, reason: str, meter: str | None = None) -> AbortOrder:
        from app.services.installs import VisitError

        if self.job is None:
            raise VisitError("choose the job first")
        if not reason.strip():
            raise VisitError("say why the visit ended without an install")
        self._busy = True
        return AbortOrder(self.revision, self.job.job_ref, reason.strip(), self.ppmid, self.hub, meter,
                          self.ppmid_entry, self.hub_entry)

    def recorded(self, outcome: VisitOutcome) -> None:
        self._busy = False
        self.outcome = outcome

    def repeat_refused(self, job_ref: str) -> None:
        """The job already has a record and the installer has now been shown it: the next
        Record for this job is the explicit confirmation."""
        self._busy = False
        self.repeat_confirmed_for = job_ref

    def record_failed(self, new_verdict: JudgedVisit | None = None) -> None:
        """Recording was refused; with ``new_verdict`` (the data changed) it replaces the old."""
        self._busy = False
        if new_verdict is not None:
            self.revision += 1
            self.judged = new_verdict._replace(revision=self.revision)


#: The shortest override reason accepted for a STOP (a reason, not a keystroke).
MIN_OVERRIDE_REASON = 5


# ---------------------------------------------------------------------- worker side


def run_check(ctx: AppContext, order: CheckOrder) -> JudgedVisit:
    """Judge the pairing and draw the guards from it (on a worker: it reads the cache)."""
    from app.services.pairing import check_labels

    pairing = check_labels(ctx, order.ppmid, order.hub, hub_smets=order.hub_generation)
    return judge(ctx, order.revision, pairing, order.job)


def judge(ctx: AppContext, revision: int, pairing: PairingResult, job: VisitJob | None) -> JudgedVisit:
    from app.domain.duis import propose_scenario
    from app.services.installs import mis_scan_of

    mis_scan = mis_scan_of(pairing) if pairing.verdict.level.value == "block" else None
    hub_status = pairing.hub_record.smi_status if pairing.hub_record is not None else ""
    proposal = propose_scenario(hub_status, pairing.verdict.hub_smets)
    return JudgedVisit(
        revision, pairing, mis_scan, _other_job(ctx, pairing, job),
        proposal.scenario.value if proposal.scenario is not None else None, proposal.why,
    )


def _other_job(ctx: AppContext, pairing: PairingResult, job: VisitJob | None) -> str | None:
    """The job the scanned PPMID (else hub) belongs to, when it is not the chosen job."""
    if job is None:
        return None
    from app.services.jobs import search_jobs

    for label in (pairing.ppmid, pairing.hub):
        device = str(label.device_id)
        if device in job.device_ids:
            continue
        owners = [j.job_ref for j in search_jobs(ctx, device, limit=20) if device in j.device_ids]
        others = [ref for ref in owners if ref != job.job_ref]
        if others:
            return others[0]
    return None


def run_record(ctx: AppContext, order: RecordOrder) -> VisitOutcome:
    """Record the visit with the verdict the installer saw (on the ``io`` worker).

    Raises ``VerdictChanged`` (nothing recorded) when the data now judges differently.
    """
    from dataclasses import replace

    from app.services.installs import RemedyKind, record_visit

    request = order.request
    if order.want_remedy:
        # The service takes the 8.4's values from the CPL's other entry for the model.
        request = replace(request, remedy=RemedyKind.UPDATE_INVENTORY)
    elif order.want_manual_change:
        request = replace(request, remedy=RemedyKind.MANUAL_INVENTORY_CHANGE)
    return record_visit(ctx, request, confirm_repeat=order.confirm_repeat)


def run_abort(ctx: AppContext, order: AbortOrder) -> VisitOutcome:
    from app.services.installs import abort_visit

    both = order.ppmid is not None and order.hub is not None
    return abort_visit(
        ctx, order.job_ref, order.reason,
        ppmid=order.ppmid if both else None, hub=order.hub if both else None, meter=order.meter or None,
        ppmid_entry=order.ppmid_entry, hub_entry=order.hub_entry,
    )

