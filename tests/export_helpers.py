"""A laptop data folder with real recorded visits for the export tests.

The visits go through the same services the window and ``hubcheck install`` use (the
sample CPL and job pack, ``record_visit``, ``abort_visit``), so the exports read what a
laptop really stores: the MPxN, address and postcode from the job pack, the journal's hash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from app.domain.duis import CHFLocation
from app.services.context import AppContext
from app.services.cpl_import import import_cpl
from app.services.installs import VisitRequest, abort_visit, record_visit
from app.services.jobs_import import import_jobs_file
from app.store import audit

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "sample"
_ROWS = json.loads((SAMPLE / "labels.json").read_text())
_BY_JOB = {row["job_ref"]: row for row in _ROWS if row["job_ref"]}

#: Free text an analyst's spreadsheet must show as words: a formula, quotes, commas,
#: non-ASCII letters, and the customer's own address and postcode typed in by the installer.
OVERRIDE = '=HYPERLINK("http://example.invalid","click"), "quoted", café Gŵyr; at 2 Sample Street ZZ2 1AA'
ABORT = "+44 7700 900123 customer refused access, MPRN 1900000000003"


@dataclass(frozen=True)
class Visit:
    record_id: str
    job_ref: str
    day: date
    level: str
    mpxn: str
    postcode: str
    address: tuple[str, ...]
    audit_hash: str


def _request(job_ref: str, started: datetime, **extra: object) -> VisitRequest:
    row = _BY_JOB[job_ref] if job_ref != "J-000101" else _ROWS[0]
    return VisitRequest(
        job_ref=job_ref,
        ppmid=row["ppmid_label"],
        hub=row["hub_label"],
        meter=row["meter_label"],
        hub_location=CHFLocation.DEEP_INDOORS,
        started_at=started,
        **extra,  # type: ignore[arg-type]
    )


def laptop_with_visits(data_dir: Path) -> list[Visit]:
    """Record four visits on four days (an OK, an overridden STOP, an abort, and a WARNING
    a week later) and return what each export must show, oldest first."""
    ctx = AppContext(data_dir)
    try:
        import_cpl(ctx, SAMPLE / "cpl.csv")
        import_jobs_file(ctx, SAMPLE / "jobpack.json")
        ids = [
            record_visit(ctx, _request("J-000101", datetime(2025, 3, 1, 10, 0, tzinfo=UTC))).install_id,
            record_visit(
                ctx, _request("J-000102", datetime(2025, 3, 2, 11, 0, tzinfo=UTC), override_reason=OVERRIDE)
            ).install_id,
            abort_visit(ctx, "J-000103", ABORT, started_at=datetime(2025, 3, 3, 12, 0, tzinfo=UTC)).install_id,
            record_visit(ctx, _request("J-000110", datetime(2025, 3, 10, 9, 0, tzinfo=UTC))).install_id,
        ]
        with ctx.engine.connect() as conn:
            hashes = {entry.subject: entry.entry_hash for entry in audit.entries(conn)}
    finally:
        ctx.close()
    facts = [("J-000101", date(2025, 3, 1)), ("J-000102", date(2025, 3, 2)), ("J-000103", date(2025, 3, 3)),
             ("J-000110", date(2025, 3, 10))]
    levels = ["ok", "block", "unknown", "warn"]
    visits = []
    for record_id, (job_ref, day), level in zip(ids, facts, levels, strict=True):
        number = int(job_ref[-3:]) - 100
        visits.append(
            Visit(
                record_id=record_id,
                job_ref=job_ref,
                day=day,
                level=level,
                mpxn=f"19000000000{number:02d}",
                postcode=f"ZZ{number} 1AA",
                address=(f"{number} Sample Street", "Testville"),
                audit_hash=hashes[record_id],
            )
        )
    return visits
