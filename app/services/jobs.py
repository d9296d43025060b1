"""Jobs and the cache summary as the window and the command line read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.domain.devices import CplEntry, DeviceRecord
from app.domain.rules import entry_for_generation
from app.domain.smets import Generation
from app.services.context import AppContext
from app.store.device_repo import JobSummary

__all__ = ["CacheSummary", "JobSummary", "cache_summary", "job_records", "model_entry_for", "search_jobs"]


@dataclass(frozen=True, slots=True)
class CacheSummary:
    """What the status bar and the first-run banner need."""

    cpl_file: str | None
    cpl_file_date: datetime | None
    cpl_rows: int
    has_jobs: bool
    # "file" (the CPL states its date) or "modified" (its modification time); None: no CPL.
    cpl_file_date_source: str | None = None


def search_jobs(ctx: AppContext, text: str = "", limit: int = 200) -> list[JobSummary]:
    """Jobs whose reference, postcode or one of whose device IDs contains ``text``."""
    from app.store import device_repo

    with ctx.engine.connect() as conn:
        return device_repo.search_jobs(conn, text, limit)


def job_records(ctx: AppContext, job_ref: str) -> list[DeviceRecord]:
    from app.store import device_repo

    with ctx.engine.connect() as conn:
        return device_repo.job_records(conn, job_ref)


def cache_summary(ctx: AppContext) -> CacheSummary:
    from app.store import cpl_repo, device_repo

    status = cpl_repo.status(ctx.engine)
    with ctx.engine.connect() as conn:
        has_jobs = device_repo.has_jobs(conn)
    return CacheSummary(status.file_name, status.file_date, status.row_count, has_jobs, status.file_date_source)


def model_entry_for(ctx: AppContext, record: DeviceRecord, generation: Generation) -> CplEntry | None:
    """The CPL entry of ``record``'s PPMID model for ``generation`` (the 8.4 remedy's target)."""
    from app.store import cpl_repo

    with ctx.engine.connect() as conn:
        entries = cpl_repo.entries_for_model(conn, record.manufacturer_id, record.model_id)
    return entry_for_generation(entries, record, generation)
