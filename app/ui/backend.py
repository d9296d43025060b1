"""What the window's workers run: plain functions of an ``AppContext`` returning dataclasses.

Every function here runs on a worker thread (through ``TaskRunner``), opens at most one
short connection, and hands back plain data, so the UI thread never waits on SQLite and
never holds an ORM object. Where the services layer has no use case yet (job search,
cache summary) the read goes through the store's repository functions in one short
connection; those belong in ``app/services`` once it grows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.services.paths import SAMPLE_DIR
from app.ui.models import JobRow

if TYPE_CHECKING:  # types only; this module is imported before the first paint
    from app.domain.devices import DeviceRecord, DeviceType
    from app.domain.labels import LabelData
    from app.domain.smets import Generation
    from app.services.context import AppContext


@dataclass(frozen=True, slots=True)
class CplSummary:
    file_name: str | None
    file_date: str | None
    row_count: int

    @property
    def empty(self) -> bool:
        return self.file_name is None


@dataclass(frozen=True, slots=True)
class CacheState:
    """What the status bar and the first-run banner need after the cache opened."""

    cpl: CplSummary
    has_jobs: bool
    queued: int | None


@dataclass(frozen=True, slots=True)
class JobDetail:
    job: JobRow
    records: tuple[DeviceRecord, ...]

    def of_type(self, *types: DeviceType) -> list[DeviceRecord]:
        return [r for r in self.records if r.device_type in types]


@dataclass(frozen=True, slots=True)
class ImportSummary:
    kind: str  # "cpl" | "jobpack" | "inventory" | "sample"
    file_name: str
    imported: int
    rejected: tuple[tuple[str, str], ...]  # (where, why)
    jobs: int = 0


def open_cache(ctx: AppContext) -> CacheState:
    """Open (and migrate) the database, then read the summary: the first thing after paint."""
    ctx.engine  # noqa: B018 - opening is the point: SQLAlchemy is imported here, off the UI thread
    return cache_state(ctx)


def cache_state(ctx: AppContext) -> CacheState:
    from app.store import cpl_repo

    status = cpl_repo.status(ctx.engine)
    with ctx.engine.connect() as conn:
        has_jobs = conn.exec_driver_sql("SELECT 1 FROM jobs LIMIT 1").first() is not None
    file_date = status.file_date.date().isoformat() if status.file_date else None
    return CacheState(CplSummary(status.file_name, file_date, status.row_count), has_jobs, queued_count(ctx))


def search_jobs(ctx: AppContext, text: str, limit: int = 200) -> list[JobRow]:
    """Jobs whose reference, postcode or one of whose device IDs contains ``text``.

    Same matching as ``device_repo.search_jobs`` (case-, space- and separator-insensitive),
    written against the tables with Core: that function selects ORM rows through a plain
    ``Connection`` and gets strings back, so it fails on every call (reported; switch back
    to it once it is fixed).
    """
    import json

    from sqlalchemy import func, or_, select

    from app.store.models import DeviceRow
    from app.store.models import JobRow as JobTable

    jobs_t = JobTable.__table__
    devices_t = DeviceRow.__table__
    query = select(
        jobs_t.c.job_ref, jobs_t.c.personal_postcode, jobs_t.c.visit_date, jobs_t.c.personal_address_lines,
        jobs_t.c.personal_mpxn,
    ).order_by(jobs_t.c.visit_date, jobs_t.c.job_ref).limit(limit)
    needle = text.strip().upper()
    if needle:
        compact = "".join(ch for ch in needle if ch not in " -:")
        device_match = select(devices_t.c.job_ref).where(
            devices_t.c.job_ref.is_not(None),
            or_(devices_t.c.device_id.like(f"%{needle}%"),
                func.replace(devices_t.c.device_id, "-", "").like(f"%{compact}%")),
        )
        query = query.where(or_(
            jobs_t.c.job_ref.ilike(f"%{needle}%"),
            func.replace(jobs_t.c.personal_postcode, " ", "").like(f"%{needle.replace(' ', '')}%"),
            jobs_t.c.job_ref.in_(device_match),
        ))
    with ctx.engine.connect() as conn:
        found = conn.execute(query).all()
        refs = [r[0] for r in found]
        devices: dict[str, list[str]] = {ref: [] for ref in refs}
        if refs:
            rows = conn.execute(
                select(devices_t.c.job_ref, devices_t.c.device_id)
                .where(devices_t.c.job_ref.in_(refs)).order_by(devices_t.c.id)
            )
            for job_ref, device_id in rows:
                devices[job_ref].append(device_id)
    return [
        JobRow(ref, postcode or "", visit or "", ", ".join(json.loads(lines or "[]")), mpxn or "", tuple(devices[ref]))
        for ref, postcode, visit, lines, mpxn in found
    ]


def job_detail(ctx: AppContext, job: JobRow) -> JobDetail:
    from app.store import device_repo

    with ctx.engine.connect() as conn:
        records = device_repo.job_records(conn, job.job_ref)
    return JobDetail(job, tuple(records))


def check(ctx: AppContext, ppmid: LabelData, hub: LabelData, hub_smets: Generation | None) -> Any:
    """The pairing check (``PairingResult``); a worker runs it so a busy import never stalls typing."""
    from app.services.pairing import check_labels

    return check_labels(ctx, ppmid, hub, hub_smets=hub_smets)


def remedy_for(ctx: AppContext, result: Any) -> Any:
    """The 8.4 remedy's target (``CplMoveRemedy``): the PPMID model's CPL entry for the hub's generation."""
    from app.domain.devices import DeviceType
    from app.domain.duis import CplMoveRemedy
    from app.domain.rules import model_entries_for
    from app.store import cpl_repo

    record, hub_generation = result.ppmid_record, result.verdict.hub_smets
    if record is None or hub_generation is None:
        return None
    with ctx.engine.connect() as conn:
        entries = cpl_repo.entries_for_model(conn, record.manufacturer_id, record.model_id)
    for entry in model_entries_for(entries, record):
        if entry.device_type is DeviceType.PPMID and entry.generation is hub_generation:
            return CplMoveRemedy(firmware_version=entry.firmware_version, smets_chts_version=entry.smets_chts_version)
    return None


def import_cpl_file(ctx: AppContext, path: Path, progress: Any = None) -> ImportSummary:
    from app.services.cpl_import import import_cpl

    report = import_cpl(ctx, Path(path), progress=progress)
    return ImportSummary(
        "cpl", report.file_name, report.imported, tuple((f"line {p.line}", p.message) for p in report.rejected)
    )


def import_jobs(ctx: AppContext, path: Path) -> ImportSummary:
    from app.services.jobs_import import import_jobs_file

    report = import_jobs_file(ctx, Path(path))
    return ImportSummary(report.kind, report.file_name, report.devices, tuple(report.problems), jobs=report.jobs)


def load_sample(ctx: AppContext) -> ImportSummary:
    """The bundled sample CPL and job pack, so a newcomer sees a working screen."""
    cpl = import_cpl_file(ctx, SAMPLE_DIR / "cpl.csv")
    jobs = import_jobs(ctx, SAMPLE_DIR / "jobpack.json")
    return ImportSummary("sample", "resources/sample", cpl.imported, cpl.rejected + jobs.rejected, jobs=jobs.jobs)


def is_cpl_file(path: Path) -> bool:
    """CPL files are CSV or XLSX; job packs are JSON and inventory responses XML."""
    return Path(path).suffix.lower() in (".csv", ".xlsx", ".txt", ".tsv")


def queued_count(ctx: AppContext) -> int | None:
    """Service Requests not yet finished, or None while the outbox is not available."""
    from app.ui import queue_backend

    return queue_backend.queued_count(ctx)
