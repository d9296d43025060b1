"""CPL import and pairing-check speed, against a plain baseline measured in the same run.

Builds a 100,000-row CPL and a 10,000-device job pack, then prints:
- the import time of ``hubcheck``'s CPL import next to a baseline (Python's csv module +
  ``sqlite3.executemany`` of the same rows into a table of the same columns), and the ratio
  (goal: ≤ 1.5×);
- p50/p95 of the pairing check for 1,000 random PPMID/hub pairs (goal: p95 < 2 ms).

Run: .venv/bin/python benchmarks/cpl.py [--rows N] [--devices N]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.domain.cpl_format import VALUE_COLUMNS  # noqa: E402
from app.services.context import AppContext  # noqa: E402
from app.services.cpl_import import import_cpl  # noqa: E402
from app.services.jobs_import import import_jobs_file  # noqa: E402
from app.services.pairing import check_texts  # noqa: E402

HEADER = [
    "Device Type", "Manufacturer Name", "Manufacturer ID", "Model ID", "Hardware Version", "Firmware Version",
    "SMETS Generation", "SMETS/CHTS Version", "GBCS Version", "Status", "Manufacturer Image Hash", "Date Added",
]


def build_cpl(path: Path, rows: int, rng: random.Random) -> list[tuple[str, str, str, str, str]]:
    """Write the CPL; return (type, mfr, model, fw, generation) of every row for the job pack."""
    models = []
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            dtype = ("PPMID", "CHF", "ESME", "GSME", "IHD")[i % 5]
            mfr = f"{0x1000 + (i // 50) % 4096:04X}"
            model = f"{i // 4:08X}"
            fw = f"{i:08X}"
            gen = "SMETS1" if i % 7 == 0 else "SMETS2+"
            version = "SMETS1" if gen == "SMETS1" else "SMETS V5.1"
            status = "Withdrawn" if i % 97 == 0 else "Active"
            writer.writerow([dtype, f"Maker {mfr}", mfr, model, "0001", fw, gen, version, "4.1", status,
                             f"{rng.getrandbits(256):064X}", "2026-10-01"])
            models.append((dtype, mfr, model, fw, gen))
    return models


def dev(n: int) -> str:
    return f"{0x0A1B2C0000000000 + n:016X}"


def build_jobpack(path: Path, models: list[tuple[str, str, str, str, str]], devices: int, rng: random.Random) -> tuple[list[str], list[str]]:
    ppmids = [m for m in models if m[0] == "PPMID"]
    hubs = [m for m in models if m[0] == "CHF"]
    jobs = []
    ppmid_ids: list[str] = []
    hub_ids: list[str] = []
    for j in range(devices // 2):
        p = rng.choice(ppmids)
        h = rng.choice(hubs)
        pid, hid = dev(2 * j), dev(2 * j + 1)
        ppmid_ids.append(pid)
        hub_ids.append(hid)
        jobs.append({
            "job_ref": f"J-{j:06d}",
            "devices": [
                {"device_id": pid, "device_type": "PPMID", "manufacturer_id": p[1], "model_id": p[2],
                 "hardware_version": "0001", "firmware_version": p[3], "smets_generation": p[4], "smi_status": "Pending"},
                {"device_id": hid, "device_type": "CHF", "manufacturer_id": h[1], "model_id": h[2],
                 "firmware_version": h[3], "smets_generation": h[4]},
            ],
        })
    path.write_text(json.dumps({"format": "hubcheck-jobpack/1", "jobs": jobs}), encoding="utf-8")
    return ppmid_ids, hub_ids


def baseline_import(csv_path: Path, db_path: Path) -> float:
    """csv.reader + sqlite3.executemany of the same rows, same columns, same PRAGMAs."""
    start = time.perf_counter()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    cols = ", ".join(f"{c} TEXT" for c in VALUE_COLUMNS)
    conn.execute(f"CREATE TABLE cpl (id INTEGER PRIMARY KEY, {cols})")
    with csv_path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows = [(r[0], r[2], r[1], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], n, "")
                for n, r in enumerate(reader, start=2)]
    with conn:
        conn.executemany(
            f"INSERT INTO cpl ({', '.join(VALUE_COLUMNS)}) VALUES ({', '.join('?' * len(VALUE_COLUMNS))})", rows
        )
    conn.close()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--checks", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3, help="import runs; the median is reported")
    args = parser.parse_args()
    rng = random.Random(20261121)
    work = Path(tempfile.mkdtemp(prefix="hubcheck-bench-"))
    cpl_path, pack_path = work / "cpl.csv", work / "jobpack.json"
    models = build_cpl(cpl_path, args.rows, rng)
    ppmid_ids, hub_ids = build_jobpack(pack_path, models, args.devices, rng)

    base_times, our_times = [], []
    for run in range(args.repeat):
        base_times.append(baseline_import(cpl_path, work / f"baseline-{run}.db"))
        ctx = AppContext(work / f"ours-{run}")
        ctx.engine  # noqa: B018 - open and migrate outside the timed region, as the app does at start
        start = time.perf_counter()
        report = import_cpl(ctx, cpl_path)
        our_times.append(time.perf_counter() - start)
        assert report.imported == args.rows, report.imported
        ctx.close()

    ctx = AppContext(work / "ours-0")
    start = time.perf_counter()
    jobs_report = import_jobs_file(ctx, pack_path)
    jobs_time = time.perf_counter() - start
    check_texts(ctx, ppmid_ids[0], hub_ids[0])  # warm-up: first connection, caches
    durations = []
    levels: dict[str, int] = {}
    for _ in range(args.checks):
        i = rng.randrange(len(ppmid_ids))
        k = rng.randrange(len(hub_ids))
        start = time.perf_counter()
        result = check_texts(ctx, ppmid_ids[i], hub_ids[k])
        durations.append((time.perf_counter() - start) * 1000)
        levels[result.verdict.level.value] = levels.get(result.verdict.level.value, 0) + 1
    durations.sort()
    p50 = statistics.median(durations)
    p95 = durations[int(len(durations) * 0.95) - 1]

    base, ours = statistics.median(base_times), statistics.median(our_times)
    print(f"CPL rows: {args.rows:,}   job-pack devices: {jobs_report.devices:,}   checks: {args.checks:,}")
    print()
    print("| measure | HubCheck | baseline | ratio | goal |")
    print("|---|---|---|---|---|")
    print(f"| CPL import (median of {args.repeat}) | {ours:.3f} s | {base:.3f} s (csv + sqlite3.executemany) "
          f"| {ours / base:.2f}× | ≤ 1.5× |")
    print(f"| job-pack import | {jobs_time:.3f} s | – | – | – |")
    print(f"| check p50 | {p50:.3f} ms | – | – | – |")
    print(f"| check p95 | {p95:.3f} ms | – | – | < 2 ms |")
    print()
    print(f"verdict levels over the random pairs: {levels}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
