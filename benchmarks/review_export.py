"""Exporting install records: each record's detail asked one at a time, against a page's at once.

An export (``app.services.review.export``) reads a page of rows, then the records' details. It
used to ask ``detail(record_id)`` once per record: through the back office's API (the review
window reading a back office, ``RemoteReviewSource``) one HTTP request per record; at the back
office itself (``hubcheck-backoffice export``, ``BackofficeDbReviewSource``) several queries per
record and a job pack read and parsed again for every record. Now it asks ``details(ids)`` once
per page (``POST /v1/review/details``; a few queries and each pack parsed once).

For each database (SQLite in a temporary folder; PostgreSQL in a throw-away schema when
``HUBCHECK_TEST_PG_URL`` is set, see ``scripts/ci-postgres.sh``) the run fills a back office
with ``--records`` install records the way laptops do, through a real ``hubcheck-backoffice
serve`` process on 127.0.0.1: records and their Service Requests through the intake API (20
installers, two requests per visit), each installer's audit journal through ``/v1/journal``,
then the DCC simulator answers every request (one in ten visits' 8.7.1 fails with E65); job
packs are stored as uploads are, one per 50 jobs of an installer plus the sample pack for all.
Then, in the same run, it times a CSV export of every record (``export_records``, exactly as
the window and the command line call it) four ways: through the API record by record (the old
way, forced by a subclass) and a page at once, and straight from the database both ways. Both
ways of a source must write the same bytes (checked). ``new/old`` is the new way's time over
the old way's, per source: below 1 is faster.

Run: .venv/bin/python benchmarks/review_export.py [--records 2000] [--db sqlite|postgresql|both]
     [--repeat 1]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from backoffice_server import database, serving  # noqa: E402  (beside this script)

from app.backoffice.db import open_store  # noqa: E402
from app.backoffice.dccsim import DccSimulator, parse_rule  # noqa: E402
from app.backoffice.files import upload_jobpack  # noqa: E402
from app.backoffice.models import Installer  # noqa: E402
from app.backoffice.review_query import BackofficeDbReviewSource  # noqa: E402
from app.backoffice.timeutil import utcnow  # noqa: E402
from app.backoffice.tokens import issue_token  # noqa: E402
from app.domain.journal import GENESIS_HASH, entry_hash  # noqa: E402
from app.services.review.contract import ReviewDetail, ReviewFilter  # noqa: E402
from app.services.review.export import export_records  # noqa: E402
from app.services.review.remote import RemoteReviewSource  # noqa: E402

INSTALLERS = [f"installer{n:02d}" for n in range(20)]
JOBS_PER_PACK = 50
START = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
HUB = "00-0D-6F-00-00-AB-CD-EF"
FAILING_HUB = "00-0D-6F-00-00-AB-FA-11"  # the DCC simulator fails 8.7.1 to this hub (E65)
SAMPLE_PACK = REPO / "resources" / "sample" / "jobpack.json"
LEVELS = ["ok"] * 7 + ["warn", "block", "unknown"]
REASONS = {"ok": [], "warn": ["CPL_STATUS"], "block": ["SMETS_MISMATCH", "NOT_ON_CPL"], "unknown": ["NOT_PRENOTIFIED"]}


# --------------------------------------------------------------------------- the old way


class RemotePerRecord(RemoteReviewSource):
    """The API source as exports read it before ``POST /v1/review/details``: one request per record."""

    def details(self, record_ids: Sequence[str]) -> list[ReviewDetail]:
        return [self.detail(record_id) for record_id in record_ids]


class DbPerRecord(BackofficeDbReviewSource):
    """The database source as exports read it before: each record's queries and job pack on their own."""

    def details(self, record_ids: Sequence[str]) -> list[ReviewDetail]:
        return [self.detail(record_id) for record_id in record_ids]


# --------------------------------------------------------------------------- a back office


def visits(count: int) -> list[dict[str, Any]]:
    """``count`` visits spread over the installers and three months, each its own job."""
    out = []
    for n in range(count):
        level = LEVELS[n % len(LEVELS)]
        started = START + timedelta(minutes=67 * n)
        out.append({
            "n": n,
            "installer": INSTALLERS[n % len(INSTALLERS)],
            "install_id": str(uuid.UUID(int=n + 1)),
            "job_ref": f"J-{n:07d}",
            "level": level,
            "started": started,
            "aborted": n % 25 == 24,
        })
    return out


def _device(n: int, kind: int) -> str:
    raw = f"{kind:02X}{n:014X}"
    return "-".join(raw[i : i + 2] for i in range(0, 16, 2))


def record_of(v: dict[str, Any]) -> dict[str, Any]:
    return {
        "install_id": v["install_id"], "job_ref": v["job_ref"], "ppmid": _device(v["n"], 0xAA),
        "hub": HUB, "meter": _device(v["n"], 0xCC), "verdict_level": v["level"],
        "reasons": [{"code": c, "severity": "warn", "message": f"said {c}"} for c in REASONS[v["level"]]],
        "override_reason": "customer insisted, supervisor agreed" if v["level"] == "block" else None,
        "outcome": "aborted" if v["aborted"] else "recorded",
        "started_at": v["started"].isoformat(), "finished_at": (v["started"] + timedelta(minutes=50)).isoformat(),
        "meta": {"scenario": "existing_hub", "regime": "tactical", "regime_source": "settings",
                 "resulting_smets": "SMETS2+", "ppmid_scan_entry": "scanner", "hub_scan_entry": "camera",
                 **({"abort_reason": "no access to the meter cupboard"} if v["aborted"] else {})},
    }


def intents_of(v: dict[str, Any]) -> list[dict[str, Any]]:
    if v["aborted"]:
        return []
    made = v["started"] + timedelta(minutes=30)
    common = {"install_id": v["install_id"], "job_ref": v["job_ref"], "command_variant": 1,
              "duis_xml": "<sr:Request schemaVersion='5.4'>…</sr:Request>", "created_at": made.isoformat()}
    return [
        {**common, "idempotency_key": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{v['install_id']}/8.11")), "srv": "8.11",
         "target": HUB, "body": {"Action": "Add", "DeviceID": _device(v["n"], 0xAA), "JoinTimePeriod": 3600},
         "meta": {"kind": "add"}},
        {**common, "idempotency_key": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{v['install_id']}/8.7.1")),
         "srv": "8.7.1", "target": FAILING_HUB if v["n"] % 10 == 3 else HUB,
         "body": {"DeviceID": _device(v["n"], 0xAA)}, "meta": {}},
    ]


def job_pack(jobs: list[dict[str, Any]], template: dict[str, Any]) -> bytes:
    """A pack naming these visits' jobs, each with the sample job's devices, MPxN and address."""
    return json.dumps({"format": "hubcheck-jobpack/1", "jobs": [
        {**template, "job_ref": v["job_ref"], "mpxn": f"19{v['n']:011d}",
         "address": {"lines": [f"{v['n']} Bench Street", "Testville"], "postcode": f"ZZ{v['n'] % 99} 1AA"}}
        for v in jobs
    ]}).encode()


def fill(db_url: str, url: str, count: int) -> None:
    """The records, Service Requests and journals through the API; packs as uploads; the DCC's answers."""
    store = open_store(db_url)
    try:
        with store.write() as session:
            tokens = {name: issue_token(session, name, utcnow())[0] for name in INSTALLERS}
        made = visits(count)
        with httpx.Client(base_url=url, timeout=120) as http:
            for name in INSTALLERS:
                mine = [v for v in made if v["installer"] == name]
                head = {"Authorization": f"Bearer {tokens[name]}"}
                for start in range(0, len(mine), 250):
                    part = mine[start : start + 250]
                    for path, body in (("/v1/installs", [record_of(v) for v in part]),
                                       ("/v1/intents", [i for v in part for i in intents_of(v)])):
                        if body:
                            answer = http.post(path, json=body, headers=head)
                            assert answer.status_code in (200, 201, 207) and answer.json()["errors"] == 0, answer.text
                upload_journal(http, head, mine)
        template = json.loads(SAMPLE_PACK.read_bytes())["jobs"][0]
        with store.write() as session:
            ids = {str(n): int(i) for i, n in session.execute(select(Installer.id, Installer.name))}
            upload_jobpack(session, "sample.json", SAMPLE_PACK.read_bytes(), utcnow())
            for name in INSTALLERS:
                mine = [v for v in made if v["installer"] == name]
                for start in range(0, len(mine), JOBS_PER_PACK):
                    upload_jobpack(session, f"{name}-{start // JOBS_PER_PACK}.json",
                                   job_pack(mine[start : start + JOBS_PER_PACK], template), utcnow(), ids[name])
        dcc = DccSimulator(store, delay=0, rules=[parse_rule(f"target={FAILING_HUB[-5:]}:E65")], batch=1000)
        while dcc.step():
            pass
    finally:
        store.dispose()


def upload_journal(http: httpx.Client, head: dict[str, str], mine: list[dict[str, Any]]) -> None:
    """The installer's laptop journal, one entry per visit, hashed as the laptop hashes it."""
    prev, entries = GENESIS_HASH, []
    for n, v in enumerate(mine, start=1):
        at = v["started"].isoformat(timespec="microseconds")
        action = "install.aborted" if v["aborted"] else "install.recorded"
        detail = json.dumps({"job_ref": v["job_ref"]}, separators=(",", ":"), sort_keys=True)
        digest = entry_hash(prev, at, action, v["install_id"], detail)
        entries.append({"id": n, "at": at, "action": action, "subject": v["install_id"], "detail_json": detail,
                        "prev_hash": prev, "entry_hash": digest})
        prev = digest
    laptop = str(uuid.uuid4())
    for start in range(0, len(entries), 500):
        part = entries[start : start + 500]
        body = {"laptop_id": laptop, "entries": part, "after": start,
                **({"written": len(entries)} if start + 500 >= len(entries) else {})}
        answer = http.post("/v1/journal", json=body, headers=head)
        assert answer.status_code == 200, answer.text


# --------------------------------------------------------------------------- the measures


def timed_export(source: Any, out: Path, repeat: int) -> tuple[float, int]:
    """Median seconds of ``repeat`` CSV exports of every record, and how many records."""
    times, records = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        records = export_records(source, ReviewFilter(), "csv", False, out).records
        times.append(time.perf_counter() - t0)
    return statistics.median(times), records


def what_was_exported(data: bytes) -> str:
    """One line saying the records carry what the detail reads (so the timing is of real work)."""
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    states = Counter(row["sr_state"] for row in rows)
    return (f"{len(rows)} rows: {sum(bool(r['mpxn']) for r in rows)} with an MPxN from a job pack, "
            f"{sum(bool(r['audit_hash']) for r in rows)} with a journal hash, SR states {dict(sorted(states.items()))}")


def run_database(kind: str, count: int, repeat: int, folder: Path) -> list[tuple[str, str, str, float, int]]:
    rows: list[tuple[str, str, str, float, int]] = []
    with database(kind, "export") as db_url:
        open_store(db_url).dispose()  # the schema, before the server opens it
        with serving(db_url) as url:
            t0 = time.perf_counter()
            fill(db_url, url, count)
            print(f"{kind}: {count:,} records filled in {time.perf_counter() - t0:.0f} s", flush=True)
            store = open_store(db_url)
            with store.write() as session:
                token = issue_token(session, "bench-analyst", utcnow(), analyst=True)[0]
            ways: list[tuple[str, str, Any]] = [
                ("API (RemoteReviewSource)", "old: detail() per record", RemotePerRecord(url, token)),
                ("API (RemoteReviewSource)", "new: details() per page", RemoteReviewSource(url, token)),
                ("database (BackofficeDbReviewSource)", "old: detail() per record", DbPerRecord(store)),
                ("database (BackofficeDbReviewSource)", "new: details() per page", BackofficeDbReviewSource(store)),
            ]
            written: dict[str, bytes] = {}
            for source_name, way, source in ways:
                out = folder / f"{kind}-{len(rows)}.csv"
                seconds, records = timed_export(source, out, repeat)
                if records != count:
                    raise SystemExit(f"{kind} {source_name} {way}: exported {records} records, not {count}")
                written.setdefault(source_name, out.read_bytes())
                if out.read_bytes() != written[source_name]:
                    raise SystemExit(f"{kind} {source_name}: the two ways wrote different files")
                rows.append((kind, source_name, way, seconds, records))
                print(f"  {source_name:38} {way:26} {seconds:8.2f} s", flush=True)
                if isinstance(source, RemoteReviewSource):
                    source.close()
            if written["API (RemoteReviewSource)"] != written["database (BackofficeDbReviewSource)"]:
                raise SystemExit(f"{kind}: the API and the database wrote different files")
            print("  " + what_was_exported(written["database (BackofficeDbReviewSource)"]), flush=True)
            store.dispose()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"),
                        default="both" if os.environ.get("HUBCHECK_TEST_PG_URL") else "sqlite")
    parser.add_argument("--repeat", type=int, default=1, help="exports per way (the median is shown)")
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if args.db == "sqlite" and not os.environ.get("HUBCHECK_TEST_PG_URL"):
        print("PostgreSQL skipped: set HUBCHECK_TEST_PG_URL (scripts/ci-postgres.sh) or pass --db postgresql")
    rows: list[tuple[str, str, str, float, int]] = []
    with tempfile.TemporaryDirectory(prefix="hubcheck-bench-export-out-") as tmp:
        for kind in kinds:
            rows += run_database(kind, args.records, args.repeat, Path(tmp))
    print(f"\nCSV export of {args.records:,} install records (median of {args.repeat}); the same bytes both ways\n")
    print("| database | source | way | seconds | records/s |\n|---|---|---|---|---|")
    for kind, source_name, way, seconds, records in rows:
        print(f"| {kind} | {source_name} | {way} | {seconds:.2f} | {records / seconds:,.0f} |")
    print("\n| database | source | new/old (time) | speed-up |\n|---|---|---|---|")
    for kind in kinds:
        for source_name in dict.fromkeys(r[1] for r in rows):
            old = next(r[3] for r in rows if r[0] == kind and r[1] == source_name and r[2].startswith("old"))
            new = next(r[3] for r in rows if r[0] == kind and r[1] == source_name and r[2].startswith("new"))
            print(f"| {kind} | {source_name} | {new / old:.3f} | {old / new:.1f}× |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
