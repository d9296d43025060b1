"""Import a job pack (JSON) or a DUIS 8.2 Read Inventory response (XML), told apart by content."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from app.domain.errors import DomainInputError
from app.domain.inventory import parse_inventory_response
from app.domain.jobpack import parse_job_pack_text
from app.services.context import AppContext


class JobsFileError(DomainInputError):
    """The file is neither a job pack nor an inventory response."""


@dataclass(slots=True)
class JobsImportReport:
    file_name: str
    kind: str  # "jobpack" | "inventory"
    jobs: int = 0
    devices: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.file_name,
            "kind": self.kind,
            "jobs": self.jobs,
            "devices": self.devices,
            "rejected": len(self.problems),
            "problems": [{"where": w, "message": m} for w, m in self.problems],
        }


def detect_kind(data: bytes) -> str:
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head in (b"{", b"["):
        return "jobpack"
    if head == b"<":
        return "inventory"
    raise JobsFileError("not a job pack (JSON) or a DUIS Read Inventory response (XML)")


def import_jobs_file(ctx: AppContext, path: Path) -> JobsImportReport:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise JobsFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    kind = detect_kind(data)
    now = datetime.now(UTC).replace(tzinfo=None)
    from app.store import device_repo

    report = JobsImportReport(file_name=path.name, kind=kind)
    if kind == "jobpack":
        result = parse_job_pack_text(data)
        report.problems.extend(result.problems)
        with ctx.engine.begin() as conn:
            report.devices = device_repo.save_jobs(conn, result.jobs, source_file=path.name, imported_at=now)
        report.jobs = len(result.jobs)
    else:
        records, problems = parse_inventory_response(data)
        report.problems.extend(problems)
        with ctx.engine.begin() as conn:
            report.devices = device_repo.save_inventory(conn, records, imported_at=now)
    return report
