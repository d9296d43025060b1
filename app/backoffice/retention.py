"""Retention at the back office: forget personal data of old install records once nothing is in flight.

``hubcheck-backoffice purge --older-than DAYS`` takes every install record that started
more than DAYS ago and whose Service Requests (intents with its ``install_id``) are all
final (succeeded, failed or rejected, ``app.backoffice.transitions``), and replaces the
personal data it carries (``app.domain.retention``: the MPxN, address and postcode in the
record's meta and in its requests' bodies and DUIS XML) with ``[purged]``. Everything
else is kept: the verdict, the devices, the requests and their outcomes, the journals.
A record with a request still waiting, accepted or submitted keeps everything.

Job packs uploaded before the cutoff are deleted too, unless one of their jobs has a record
that keeps its personal data (one still in flight, or one too recent to purge): a pack holds
every job's MPxN, address and postcode, and the review reads a record's from it. A purged
record's review shows none of them, even while a newer pack still names its job.

The purge is one transaction and is written to ``bo_audit`` (who, when, the period, the
job references and counts), so the audit log says why a record holds ``[purged]``. A dry
run reads the same records and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.backoffice.db import Store
from app.backoffice.models import AuditEntry, InstallRecord, Intent, JobPack
from app.backoffice.timeutil import iso
from app.backoffice.transitions import FINAL_STATES
from app.domain.retention import scrub_duis_xml, scrub_json

#: The mark left in a purged record's meta (when, and that the purge already ran on it).
PURGED_KEY = "personal_data_purged_at"
CHUNK = 1000


@dataclass
class PurgeReport:
    """What a purge did, or (dry run) would do."""

    dry_run: bool
    older_than_days: int
    cutoff: datetime
    records: int = 0
    intents: int = 0
    values: int = 0
    kept_pending: int = 0
    job_refs: list[str] = field(default_factory=list)
    #: Names of the job packs deleted (or, dry run, that would be).
    jobpacks: list[str] = field(default_factory=list)
    #: Records purged by this run (the dry run's too): their jobs no longer keep a pack.
    purged_ids: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "older_than_days": self.older_than_days,
            "cutoff": iso(self.cutoff),
            "records": self.records,
            "intents": self.intents,
            "values": self.values,
            "kept_pending": self.kept_pending,
            "job_refs": sorted(self.job_refs),
            "jobpacks": len(self.jobpacks),
            "jobpack_names": sorted(self.jobpacks),
        }

    def sentence(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        jobs = ", ".join(sorted(self.job_refs)[:20]) + (" …" if len(self.job_refs) > 20 else "")
        text = (
            f"{verb} personal data from {self.records} install record(s) started before {iso(self.cutoff)}"
            + (f" (jobs {jobs})" if jobs else "")
            + f" and {self.intents} of their Service Requests"
        )
        if self.jobpacks:
            text += f"; {'would delete' if self.dry_run else 'deleted'} {len(self.jobpacks)} job pack(s) uploaded before then"
        if self.kept_pending:
            text += f"; {self.kept_pending} older record(s) kept whole: their Service Requests are not all final"
        return text + ("; nothing was changed (dry run)" if self.dry_run else "")


def _pending_installs(session: Session, install_ids: list[str]) -> set[str]:
    rows = session.scalars(
        select(Intent.install_id).where(Intent.install_id.in_(install_ids), Intent.state.not_in(FINAL_STATES))
    )
    return {str(r) for r in rows if r is not None}


def _purge_chunk(session: Session, records: list[InstallRecord], report: PurgeReport, now: datetime) -> None:
    pending = _pending_installs(session, [r.install_id for r in records])
    eligible = [r for r in records if r.install_id not in pending]
    report.kept_pending += len(records) - len(eligible)
    if not eligible:
        return
    intents = session.scalars(select(Intent).where(Intent.install_id.in_([r.install_id for r in eligible]))).all()
    for record in eligible:
        meta, found = scrub_json(dict(record.meta or {}))
        report.records += 1
        report.values += found
        report.job_refs.append(record.job_ref)
        report.purged_ids.add(record.install_id)
        if not report.dry_run:
            meta[PURGED_KEY] = iso(now)
            record.meta = meta
    for intent in intents:
        body, in_body = scrub_json(dict(intent.body or {}))
        xml, in_xml = scrub_duis_xml(intent.duis_xml or "")
        if in_body or in_xml:
            report.intents += 1
            report.values += in_body + in_xml
            if not report.dry_run:
                intent.body, intent.duis_xml = body, xml


def _purge_jobpacks(session: Session, report: PurgeReport) -> None:
    """Delete the packs uploaded before the cutoff that no record still holding personal data needs."""
    packs = session.execute(
        select(JobPack.id, JobPack.name, JobPack.job_refs).where(JobPack.uploaded_at < report.cutoff)
    ).all()
    if not packs:
        return
    refs = {str(ref) for _id, _name, job_refs in packs for ref in (job_refs or [])}
    needed: set[str] = set()
    for install_id, job_ref, meta in session.execute(
        select(InstallRecord.install_id, InstallRecord.job_ref, InstallRecord.meta).where(
            InstallRecord.job_ref.in_(refs)
        )
    ):
        if install_id not in report.purged_ids and PURGED_KEY not in (meta or {}):
            needed.add(str(job_ref))
    gone = [(pack_id, name) for pack_id, name, job_refs in packs if not needed & {str(r) for r in (job_refs or [])}]
    report.jobpacks.extend(name for _id, name in gone)
    if gone and not report.dry_run:
        session.execute(delete(JobPack).where(JobPack.id.in_([pack_id for pack_id, _name in gone])))


def purge_personal_data(
    store: Store, *, older_than_days: int, now: datetime, dry_run: bool, by: str, via: str = "command line"
) -> PurgeReport:
    """Purge (or, ``dry_run``, count) as the module says; one transaction, audited."""
    cutoff = now - timedelta(days=older_than_days)
    report = PurgeReport(dry_run=dry_run, older_than_days=older_than_days, cutoff=cutoff)
    with store.read() if dry_run else store.write() as session:  # a dry run never commits
        after = 0
        while True:
            chunk = session.scalars(
                select(InstallRecord)
                .where(InstallRecord.started_at < cutoff, InstallRecord.id > after)
                .order_by(InstallRecord.id)
                .limit(CHUNK)
            ).all()
            if not chunk:
                break
            after = chunk[-1].id
            todo = [r for r in chunk if PURGED_KEY not in (r.meta or {})]
            if todo:
                _purge_chunk(session, list(todo), report, now)
        _purge_jobpacks(session, report)
        if dry_run:
            return report
        session.add(
            AuditEntry(
                at=now, actor=by[:100], via=via, action="retention.purge", subject="personal data",
                detail={**report.to_json(), "job_refs": sorted(report.job_refs)[:1000],
                        "jobpack_names": sorted(report.jobpacks)[:1000]},
            )
        )
    return report
