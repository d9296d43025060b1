"""What the window's workers run: plain functions of an ``AppContext`` returning dataclasses.

Every function here runs on a worker thread (through ``TaskRunner``), opens at most one
short connection through a service, and hands back plain data, so the UI thread never
waits on SQLite and never holds an ORM object.
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
    # "file": ``file_date`` is the date the CPL states; "modified": the file's modification
    # time (show it as "file modified …"); None when no CPL was imported.
    file_date_source: str | None = None

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
    state = cache_state(ctx)
    # The label parser and the rules, which the first scan and verdict need: loaded here,
    # off the UI thread, rather than on the installer's first Enter.
    import app.services.pairing  # noqa: F401
    import app.services.visit  # noqa: F401

    return state


def cache_state(ctx: AppContext) -> CacheState:
    from app.services.jobs import cache_summary

    summary = cache_summary(ctx)
    file_date = summary.cpl_file_date.date().isoformat() if summary.cpl_file_date else None
    cpl = CplSummary(summary.cpl_file, file_date, summary.cpl_rows, summary.cpl_file_date_source)
    return CacheState(cpl, summary.has_jobs, queued_count(ctx))


def search_jobs(ctx: AppContext, text: str, limit: int = 200) -> list[JobRow]:
    """Jobs whose reference, postcode or one of whose device IDs contains ``text``."""
    from app.services import jobs
    from app.services.visit_guard import job_states

    found = jobs.search_jobs(ctx, text, limit)
    states = job_states(ctx, [j.job_ref for j in found])  # one query for the whole list
    return [
        JobRow(j.job_ref, j.postcode, j.visit_date, j.address, j.mpxn, j.device_ids,
               str(states[j.job_ref].value) if j.job_ref in states else "")
        for j in found
    ]


def withdraw_visit(ctx: AppContext, install_id: str, reason: str) -> Any:
    """Withdraw a recorded visit whose requests are all still queued (``WithdrawOutcome``)."""
    from app.services.visit_guard import withdraw_visit as withdraw

    return withdraw(ctx, install_id, reason)


def job_detail(ctx: AppContext, job: JobRow) -> JobDetail:
    from app.services.jobs import job_records

    return JobDetail(job, tuple(job_records(ctx, job.job_ref)))


def check(ctx: AppContext, ppmid: LabelData, hub: LabelData, hub_smets: Generation | None) -> Any:
    """The pairing check (``PairingResult``); a worker runs it so a busy import never stalls typing."""
    from app.services.pairing import check_labels

    return check_labels(ctx, ppmid, hub, hub_smets=hub_smets)


def preview_cpl_file(ctx: AppContext, path: Path, progress: Any = None) -> Any:
    """Read and check a CPL file without touching the cache (``CplImportPreview``)."""
    from app.services.cpl_import import preview_cpl_import

    return preview_cpl_import(ctx, Path(path), progress=progress)


def import_previewed_cpl(ctx: AppContext, preview: Any) -> ImportSummary:
    """Write the rows a preview read (the file is not parsed twice); the cache it replaces is kept."""
    from app.services.cpl_import import import_cpl

    report = import_cpl(ctx, preview.parsed.path, parsed=preview.parsed)
    return ImportSummary(
        "cpl", report.file_name, report.imported, tuple((f"line {p.line}", p.message) for p in report.rejected)
    )


def restore_previous_cpl(ctx: AppContext) -> Any:
    """Swap the CPL kept by the last import back in (``CplRestoreReport``)."""
    from app.services.cpl_import import restore_previous_cpl as restore

    return restore(ctx)


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
