"""Each job's state for the job list: every state at once, in one query, synced through a real back office."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from sqlalchemy import event

from app.domain.duis import CHFLocation
from app.services.context import AppContext
from app.services.cpl_import import import_cpl
from app.services.installs import VisitOutcome, VisitRequest, abort_visit, record_visit
from app.services.jobs_import import import_jobs_file
from app.services.visit_guard import JobState, job_states, withdraw_visit
from app.sync.engine import sync_once
from tests.sync_helpers import FaultProxy, backoffice_token, running_backoffice

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "sample"
GOOD = json.loads((SAMPLE / "labels.json").read_text())[0]
REASON = "recorded against the wrong job"


def record(ctx: AppContext, job_ref: str) -> VisitOutcome:
    # A visit's devices must belong to its job (DOMAIN A5): the job gets J-000101's devices.
    pack = json.loads((SAMPLE / "jobpack.json").read_text())
    job = {**pack["jobs"][0], "job_ref": job_ref}
    path = ctx.data_dir / f"pack-{job_ref}.json"
    path.write_text(json.dumps({"format": pack["format"], "jobs": [job]}))
    import_jobs_file(ctx, path)
    return record_visit(
        ctx,
        VisitRequest(
            job_ref=job_ref, ppmid=GOOD["ppmid_label"], hub=GOOD["hub_label"], meter=GOOD["meter_label"],
            hub_location=CHFLocation.DEEP_INDOORS, mpxn="1900000000099",
        ),
    )


def statements_about_visits(ctx: AppContext) -> list[str]:
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if "install_visits" in statement or "outbox_intents" in statement:
            seen.append(statement)

    event.listen(ctx.engine, "before_cursor_execute", count)
    return seen


def test_every_state_in_one_call_and_one_query(tmp_path: Path) -> None:
    with running_backoffice(tmp_path / "bo.db") as bo:
        ctx = AppContext(tmp_path / "laptop")
        import_cpl(ctx, SAMPLE / "cpl.csv")
        import_jobs_file(ctx, SAMPLE / "jobpack.json")
        ctx.settings.set_many(
            {"backoffice_url": bo.url, "backoffice_token": backoffice_token(bo.db_url, f"i-{uuid.uuid4().hex[:8]}")}
        )
        record(ctx, "J-SYNCED")
        record(ctx, "J-AGAIN")
        report = sync_once(ctx)
        assert report.status == "ok" and report.sent == 14, report.errors
        # Synced, then recorded again: the new, unsent install decides.
        record(ctx, "J-AGAIN")
        record(ctx, "J-RECORDED")
        abort_visit(ctx, "J-ABORTED", "no access to the meter cupboard")
        withdraw_visit(ctx, record(ctx, "J-WITHDRAWN").install_id, REASON)
        # An older install stands when a newer one is withdrawn: the older one decides.
        record(ctx, "J-TWICE")
        withdraw_visit(ctx, record(ctx, "J-TWICE").install_id, REASON)
        # An abort after a withdrawn install: the abort decides.
        withdraw_visit(ctx, record(ctx, "J-BACK").install_id, REASON)
        abort_visit(ctx, "J-BACK", "customer asked us to come back")

        refs = ["J-TODO", "J-RECORDED", "J-ABORTED", "J-SYNCED", "J-WITHDRAWN", "J-TWICE", "J-BACK", "J-AGAIN"]
        seen = statements_about_visits(ctx)
        states = job_states(ctx, refs)
        assert len(seen) == 1, seen
        assert states == {
            "J-TODO": JobState.TO_DO,
            "J-RECORDED": JobState.RECORDED,
            "J-ABORTED": JobState.ABORTED,
            "J-SYNCED": JobState.SYNCED,
            "J-WITHDRAWN": JobState.WITHDRAWN,
            "J-TWICE": JobState.RECORDED,
            "J-BACK": JobState.ABORTED,
            "J-AGAIN": JobState.RECORDED,
        }
        assert list(states) == refs

        # A full job list costs the same one query.
        seen.clear()
        many = job_states(ctx, [f"J-{n:06d}" for n in range(2000)] + refs)
        assert len(seen) == 1 and len(many) == 2000 + len(refs) and many["J-SYNCED"] is JobState.SYNCED
        seen.clear()
        assert job_states(ctx, []) == {} and not seen


def test_a_record_the_back_office_has_with_requests_still_queued_is_not_synced(tmp_path: Path) -> None:
    """The visit record reached the back office but its requests did not: still ``recorded``."""

    class DropIntents(FaultProxy):
        """Passes the visit record, drops every intents batch unanswered."""

        def _upstream(self, request: bytes) -> bytes:
            if request.startswith(b"POST /v1/intents"):
                raise OSError("dropped")
            return super()._upstream(request)

    with running_backoffice(tmp_path / "bo.db") as bo, DropIntents(bo.port) as proxy:
        ctx = AppContext(tmp_path / "laptop")
        import_cpl(ctx, SAMPLE / "cpl.csv")
        import_jobs_file(ctx, SAMPLE / "jobpack.json")
        token = backoffice_token(bo.db_url, f"i-{uuid.uuid4().hex[:8]}")
        ctx.settings.set_many({"backoffice_url": proxy.url, "backoffice_token": token})
        record(ctx, "J-HALF")
        report = sync_once(ctx, http_timeout=5.0)
        assert (report.visits_accepted, report.sent, report.queued_left) == (1, 0, 7)
        assert job_states(ctx, ["J-HALF"]) == {"J-HALF": JobState.RECORDED}
        ctx.settings.set_many({"backoffice_url": bo.url})
        assert sync_once(ctx, ignore_backoff=True).sent == 7
        assert job_states(ctx, ["J-HALF"]) == {"J-HALF": JobState.SYNCED}
