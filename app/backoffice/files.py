"""Stored CPL files and job packs, handed out to laptops byte for byte.

The back office does not interpret a CPL (the laptop's importer does, header-driven);
it only checks that the file is plausibly one. A job pack is checked against the
``hubcheck-jobpack/1`` outline so a broken file is refused at upload, not on a laptop.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, defer

from app.backoffice.models import CplFile, JobPack
from app.backoffice.timeutil import gb_today
from app.backoffice.validation import check_json, text_problem

MAX_FILE_BYTES = 64 * 1024 * 1024
JOBPACK_FORMAT = "hubcheck-jobpack/1"
CPL_SUFFIXES = (".csv", ".xlsx")


class UploadError(ValueError):
    """An uploaded file that cannot be stored; the message says why."""


def check_file_name(name: str) -> str:
    """A bare file name: no folders, no control characters, at most 255 characters."""
    clean = name.strip()
    problem = text_problem(clean)
    if problem:
        raise UploadError(f"the file name {problem}")
    if not clean or len(clean) > 255 or "/" in clean or "\\" in clean or not clean.isprintable():
        raise UploadError("the file name must be a bare name of 1-255 printable characters")
    return clean


def _check_size(content: bytes) -> None:
    if not content:
        raise UploadError("the file is empty")
    if len(content) > MAX_FILE_BYTES:
        raise UploadError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")


def upload_cpl(
    session: Session, name: str, content: bytes, now: datetime, published_on: date | None = None
) -> CplFile:
    """Store a CPL file (CSV or XLSX); its date defaults to today's GB date."""
    clean = check_file_name(name)
    _check_size(content)
    lower = clean.lower()
    if not lower.endswith(CPL_SUFFIXES):
        raise UploadError("a CPL file must be .csv or .xlsx")
    if lower.endswith(".xlsx") and not content.startswith(b"PK"):
        raise UploadError("the .xlsx file is not a spreadsheet (no ZIP signature)")
    if lower.endswith(".csv") and b"\x00" in content[:65536]:
        raise UploadError("the .csv file holds binary data")
    row = CplFile(
        name=clean,
        published_on=published_on or gb_today(now),
        uploaded_at=now,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        content=content,
    )
    session.add(row)
    session.flush()
    return row


def latest_cpl(session: Session) -> CplFile | None:
    """The CPL with the latest date (the latest upload among equal dates)."""
    return session.scalar(select(CplFile).order_by(CplFile.published_on.desc(), CplFile.id.desc()).limit(1))


def parse_jobpack(content: bytes) -> list[str]:
    """The job references of a ``hubcheck-jobpack/1`` document, or UploadError saying what is wrong."""
    try:
        document = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise UploadError(f"the job pack is not JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != JOBPACK_FORMAT:
        raise UploadError(f'a job pack is a JSON object with "format": "{JOBPACK_FORMAT}"')
    try:
        check_json(document)
    except ValueError as exc:
        raise UploadError(f"the job pack cannot be stored: {exc}") from None
    jobs = document.get("jobs")
    if not isinstance(jobs, list) or not jobs:
        raise UploadError('a job pack needs a non-empty "jobs" list')
    refs: list[str] = []
    for index, job in enumerate(jobs):
        ref = job.get("job_ref") if isinstance(job, dict) else None
        if not isinstance(ref, str) or not ref.strip() or len(ref) > 64:
            raise UploadError(f"job {index} has no usable job_ref (text of 1-64 characters)")
        if not isinstance(job.get("devices", []), list):
            raise UploadError(f'job {ref!r}: "devices" must be a list')
        refs.append(ref)
    return refs


def upload_jobpack(
    session: Session, name: str, content: bytes, now: datetime, installer_id: int | None = None
) -> JobPack:
    """Store a job pack for one installer (or, with no installer, for all)."""
    clean = check_file_name(name)
    _check_size(content)
    refs = parse_jobpack(content)
    row = JobPack(
        name=clean,
        installer_id=installer_id,
        uploaded_at=now,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        job_refs=refs,
        content=content,
    )
    session.add(row)
    session.flush()
    return row


def visible_jobpacks(session: Session, installer_id: int | None) -> list[JobPack]:
    """Job packs for that installer plus those for everyone; ``None`` lists them all."""
    stmt = select(JobPack).options(defer(JobPack.content)).order_by(JobPack.id)
    if installer_id is not None:
        stmt = stmt.where(or_(JobPack.installer_id == installer_id, JobPack.installer_id.is_(None)))
    return list(session.scalars(stmt))
