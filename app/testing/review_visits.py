"""A laptop database with recorded visits to review: the sample jobs, over several days.

The review window's tests, the screenshot generator and a tester trying the review window
all need a laptop that has done some work: OK, WARNING and overridden STOP visits, an
aborted one, Service Requests that succeeded, failed with a DCC response code or still
wait. Each visit is recorded through ``app.services.installs`` exactly as the installer's
window records it, and the back office's answers are applied through the outbox's own
status writer, so the review sources read what a real laptop would hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.services.context import AppContext


@dataclass(frozen=True, slots=True)
class RecordedVisit:
    install_id: str
    job_ref: str
    verdict_level: str
    outcome: str  # recorded | aborted
    overridden: bool
    started_at: datetime
    sr_plan: str  # done | failed | waiting | none


#: (job, day offset, hour, override reason, SR plan); the story of each job is in labels.json.
#: "remedy": a STOP recorded with the 8.4 Update Inventory remedy, waiting for approval.
PLAN: tuple[tuple[str, int, int, str | None, str], ...] = (
    ("J-000101", 0, 9, None, "done"),  # OK
    ("J-000102", 0, 11, "Back office approved the 8.4 move by phone", "failed"),  # STOP, overridden
    ("J-000110", 1, 10, None, "waiting"),  # WARNING: hub model missing from the CPL
    ("J-000103", 1, 14, None, "abort"),  # aborted: no access
    ("J-000111", 2, 9, None, "done"),  # WARNING: generation conflict
    ("J-000109", 2, 13, "Customer's own PPMID, refit booked", "failed"),  # STOP, overridden
    ("J-000104", 2, 15, "Moving the PPMID to its SMETS2+ CPL entry", "remedy"),  # STOP with the 8.4 remedy
)
FAILED_CODE = "E80102"
#: How each visit's labels were entered (PPMID, hub); a visit not named here was scanned.
ENTRIES: dict[str, tuple[str, str]] = {
    "J-000102": ("scanner", "typed"),  # the hub's label was unreadable: its ID typed by hand
    "J-000110": ("camera", "camera"),
}


def record_sample_visits(
    data_dir: Path | str, start: datetime | None = None, *, answered: bool = True
) -> list[RecordedVisit]:
    """Import the sample CPL and job pack into ``data_dir`` and record ``PLAN``'s visits,
    the first on ``start``'s day (default: three days ago, 09:00 UTC).

    ``answered=False`` leaves every request queued as recorded (the plan's DCC answers are not
    applied), for a laptop that is to sync with a real back office and hear its answers."""
    import json

    from app.domain.duis import CHFLocation
    from app.services.cpl_import import import_cpl
    from app.services.installs import RemedyKind, VisitRequest, abort_visit, record_visit
    from app.services.jobs_import import import_jobs_file
    from app.services.paths import SAMPLE_DIR
    from app.store import outbox

    base = (start or datetime.now(UTC) - timedelta(days=3)).replace(hour=0, minute=0, second=0, microsecond=0)
    labels = {}
    for row in json.loads((SAMPLE_DIR / "labels.json").read_text(encoding="utf-8")):
        if row.get("job_ref") and row["job_ref"] not in labels:
            labels[row["job_ref"]] = row
    ctx = AppContext(data_dir)
    try:
        import_cpl(ctx, SAMPLE_DIR / "cpl.csv")
        import_jobs_file(ctx, SAMPLE_DIR / "jobpack.json")
        visits: list[RecordedVisit] = []
        for job_ref, day, hour, override, plan in PLAN:
            row = labels[job_ref]
            started = base + timedelta(days=day, hours=hour)
            if plan == "abort":
                outcome = abort_visit(ctx, job_ref, "No access: the meter cupboard was locked",
                                      ppmid=row["ppmid_label"], hub=row["hub_label"], started_at=started)
            else:
                request = VisitRequest(job_ref=job_ref, ppmid=row["ppmid_label"], hub=row["hub_label"],
                                       meter=row["meter_label"], hub_location=CHFLocation.DEEP_INDOORS,
                                       override_reason=override, started_at=started,
                                       remedy=RemedyKind.UPDATE_INVENTORY if plan == "remedy" else None,
                                       ppmid_entry=ENTRIES.get(job_ref, ("scanner", "scanner"))[0],
                                       hub_entry=ENTRIES.get(job_ref, ("scanner", "scanner"))[1])
                outcome = record_visit(ctx, request)
            keys = [intent.idempotency_key for intent in outcome.intents]
            answers: list[outbox.StatusUpdate] = []
            if plan in ("done", "failed"):
                answers = [outbox.StatusUpdate(key, outbox.ServerAnswer("succeeded", request_id=f"R{n:04d}",
                                                                        response_code="I0"))
                           for n, key in enumerate(keys)]
                if plan == "failed" and answers:
                    answers[-1] = outbox.StatusUpdate(keys[-1], outbox.ServerAnswer(
                        "failed", request_id="R9999", response_code=FAILED_CODE,
                        reason="The DCC refused the request"))
            if answers and answered:
                with ctx.engine.begin() as conn:
                    outbox.apply_status_changes(conn, answers, (started + timedelta(minutes=30)).isoformat())
            visits.append(RecordedVisit(outcome.install_id, job_ref, str(outcome.verdict_level), outcome.outcome,
                                        bool(getattr(outcome, "override_reason", None)), started,
                                        {"abort": "none", "remedy": "waiting"}.get(plan, plan)))
        return visits
    finally:
        ctx.close()

