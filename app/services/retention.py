"""Retention on the laptop: forget customers' personal data once a visit is old and settled.

``hubcheck purge --older-than DAYS`` looks at every install visit that started more than
DAYS ago. A visit is *settled* when its record reached the back office (or was withdrawn
before it left) and every one of its Service Requests is final (succeeded, failed,
rejected or withdrawn: ``app.store.outbox.FINAL_STATES``). For settled visits the purge
replaces the personal data (``app.domain.retention``) in the visit's meta and in its
requests' payloads and DUIS XML, and clears the job's MPxN, address lines and postcode,
when every visit of that job is settled and old. A job never visited, imported more than
DAYS ago, is cleared too (nobody will visit on a pack that old). Everything else stays:
the verdicts, devices, requests, outcomes and the journal.

A visit with anything still in flight keeps everything: a resend or an answer may need it.
The purge runs in one transaction with a ``retention.purged`` journal entry naming the
period, the job references and the counts, so the journal says why the data is gone. A
dry run reads the same rows and changes nothing (not even the journal).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from app.domain.retention import scrub_duis_xml, scrub_json
from app.services.context import AppContext
from app.store import audit
from app.store.outbox import FINAL_STATES

#: Visit record uploads that are settled: the back office has it, refused it, or it never left.
SETTLED_UPLOADS = frozenset({"accepted", "rejected", "withdrawn"})


@dataclass
class PurgeReport:
    """What a purge did, or (dry run) would do; ``to_json`` is ``hubcheck purge --json``."""

    dry_run: bool
    older_than_days: int
    cutoff: str
    jobs: list[str] = field(default_factory=list)
    visits: int = 0
    intents: int = 0
    values: int = 0
    kept_pending: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "older_than_days": self.older_than_days,
            "cutoff": self.cutoff,
            "jobs": sorted(self.jobs),
            "visits": self.visits,
            "intents": self.intents,
            "values": self.values,
            "kept_pending": sorted(self.kept_pending),
        }

    def sentence(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        jobs = ", ".join(sorted(self.jobs)[:20]) + (" …" if len(self.jobs) > 20 else "")
        text = (
            f"{verb} personal data of {len(self.jobs)} job(s)" + (f" ({jobs})" if jobs else "")
            + f", {self.visits} visit(s) and {self.intents} Service Request(s) from before {self.cutoff}"
        )
        if self.kept_pending:
            kept = ", ".join(sorted(self.kept_pending)[:20])
            text += f"; kept whole, with requests or uploads still in flight: {kept}"
        return text + ("; nothing was changed (dry run)" if self.dry_run else "")


def _instant(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _visits(conn: Connection) -> list[tuple[str, str, datetime | None, str, str]]:
    rows = conn.execute(text("SELECT id, job_ref, started_at, sync_state, meta_json FROM install_visits")).all()
    return [(str(r[0]), str(r[1]), _instant(r[2]), str(r[3]), str(r[4] or "{}")) for r in rows]


def _intent_states(conn: Connection) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Request states by visit id and by job reference."""
    by_visit: dict[str, list[str]] = {}
    by_job: dict[str, list[str]] = {}
    for install_id, job_ref, state in conn.execute(text("SELECT install_id, job_ref, state FROM outbox_intents")):
        if install_id:
            by_visit.setdefault(str(install_id), []).append(str(state))
        if job_ref:
            by_job.setdefault(str(job_ref), []).append(str(state))
    return by_visit, by_job


def _has_personal(row: Any) -> bool:
    return bool(row[1]) or (row[2] or "[]") not in ("", "[]") or bool(row[3])


def purge_personal_data(ctx: AppContext, older_than_days: int, *, dry_run: bool, now: datetime | None = None) -> PurgeReport:
    """Purge (or count, ``dry_run``) as the module says; one transaction with its journal entry."""
    moment = now or datetime.now(UTC)
    cutoff = moment - timedelta(days=older_than_days)
    report = PurgeReport(dry_run, older_than_days, cutoff.isoformat(timespec="seconds"))
    # A dry run reads on a connection that is never committed; a purge writes first, so
    # nothing is recorded or sent between reading the rows and purging them.
    with ctx.engine.connect() if dry_run else ctx.engine.begin() as conn:
        if not dry_run:
            audit.take_write_lock(conn)
        visits = _visits(conn)
        by_visit, by_job = _intent_states(conn)
        settled: dict[str, bool] = {}
        visited_jobs: dict[str, list[bool]] = {}
        for visit_id, job_ref, started, upload, _meta in visits:
            old = started is not None and started < cutoff
            ok = old and upload in SETTLED_UPLOADS and all(s in FINAL_STATES for s in by_visit.get(visit_id, []))
            settled[visit_id] = ok
            visited_jobs.setdefault(job_ref, []).append(ok)
            if old and not ok:
                report.kept_pending.append(job_ref)
        jobs = conn.execute(
            text("SELECT job_ref, personal_mpxn, personal_address_lines, personal_postcode, imported_at FROM jobs")
        ).all()
        for row in jobs:
            job_ref = str(row[0])
            if not _has_personal(row):
                continue
            loose_final = all(s in FINAL_STATES for s in by_job.get(job_ref, []))
            if job_ref in visited_jobs:
                eligible = all(visited_jobs[job_ref]) and loose_final
            else:
                imported = row[4] if isinstance(row[4], datetime) else _instant(str(row[4] or ""))
                if imported is not None and imported.tzinfo is None:
                    imported = imported.replace(tzinfo=UTC)
                eligible = imported is not None and imported < cutoff and loose_final
            if eligible:
                report.jobs.append(job_ref)
        for visit_id, _job, _started, _upload, meta_json in visits:
            if not settled[visit_id]:
                continue
            report.visits += 1
            _purge_visit(conn, visit_id, meta_json, report)
        if report.jobs and not dry_run:
            conn.execute(
                text(
                    "UPDATE jobs SET personal_mpxn = '', personal_address_lines = '[]', personal_postcode = '' "
                    "WHERE job_ref = :j"
                ),
                [{"j": j} for j in report.jobs],
            )
        report.values += len(report.jobs)
        report.kept_pending = sorted(set(report.kept_pending))
        if dry_run:
            return report
        audit.append(
            conn, "retention.purged", "personal data",
            {"older_than_days": older_than_days, "cutoff": report.cutoff, "jobs": sorted(report.jobs)[:1000],
             "visits": report.visits, "intents": report.intents},
        )
    return report


def _purge_visit(conn: Connection, visit_id: str, meta_json: str, report: PurgeReport) -> None:
    try:
        meta, found = scrub_json(json.loads(meta_json))
    except ValueError:
        meta, found = None, 0  # an unreadable meta is left as it is (the queue shows it)
    report.values += found
    if found and not report.dry_run:
        conn.execute(
            text("UPDATE install_visits SET meta_json = :m WHERE id = :id"),
            {"m": json.dumps(meta, ensure_ascii=False), "id": visit_id},
        )
    rows = conn.execute(
        text("SELECT id, payload_json, duis_xml FROM outbox_intents WHERE install_id = :v"), {"v": visit_id}
    ).all()
    for intent_id, payload_json, duis_xml in rows:
        try:
            payload, in_payload = scrub_json(json.loads(payload_json or "{}"))
        except ValueError:
            payload, in_payload = None, 0
        xml, in_xml = scrub_duis_xml(duis_xml or "")
        if not (in_payload or in_xml):
            continue
        report.intents += 1
        report.values += in_payload + in_xml
        if report.dry_run:
            continue
        conn.execute(
            text("UPDATE outbox_intents SET payload_json = :p, duis_xml = :x WHERE id = :id"),
            {"p": json.dumps(payload, ensure_ascii=False) if in_payload else payload_json, "x": xml, "id": intent_id},
        )
