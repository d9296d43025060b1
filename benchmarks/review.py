"""The analyst's review at scale: first rows, a filter change and a sort change over N visits.

Two places hold a generated log of ``--visits`` install visits (default 50,000; the issue's
measure is 1,000,000):

* the back office on PostgreSQL (a schema of its own, ``bench_review_<N>``, kept between runs),
  read through the real API: uvicorn serving ``create_app`` on 127.0.0.1, an analyst token,
  httpx, exactly as the review window's RemoteReviewSource does;
* a laptop's SQLite file (``--cache`` folder, kept between runs), read through LocalReviewSource.

Visits are bulk-loaded (PostgreSQL ``COPY``; SQLite ``executemany`` in batches of 50,000 with the
review triggers dropped, then the review index rebuilt in one pass and the triggers put back),
with a realistic spread: 40 installers, a year of visits, 70% ok / 15% warn / 10% block / 5%
unknown, 3% overridden, SR progress 80% done / 12% waiting / 6% failed. The back office's
intents are not loaded: the measured queries read only the review columns of ``bo_installs``
and the reason rows.

For every query the statement the source actually ran is captured (a SQLAlchemy cursor event)
and run again as plain SQL on a raw DBAPI connection in the same run: ``ratio`` is the source's
time over the plain SQL's (the cost of the API or the source around the query). Each figure is
the median of ``--repeat`` runs after one warm-up; "first rows" is also shown cold (the first
call after opening).

Goals (issue 13): first rows ≤ 300 ms, a filter change ≤ 100 ms.

Run: .venv/bin/python benchmarks/review.py [--visits 50000] [--cache DIR] [--repeat 5]
     [--pg-url URL | env HUBCHECK_TEST_PG_URL] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, event, text  # noqa: E402

from app.services.review.contract import ReviewFilter, ReviewSort, SortColumn, SrProgress  # noqa: E402

INSTALLERS = [f"installer{n:02d}" for n in range(40)]
START = datetime(2025, 1, 1, tzinfo=UTC)
LEVELS = ["ok"] * 70 + ["warn"] * 15 + ["block"] * 10 + ["unknown"] * 5
REASONS = {"ok": [], "warn": ["CPL_STATUS"], "block": ["SMETS_MISMATCH", "NOT_ON_CPL"], "unknown": ["NOT_PRENOTIFIED"]}
SR_PLANS = [("done", ["succeeded", "succeeded"])] * 80 + [("waiting", ["queued", "accepted"])] * 12 + [
    ("failed", ["succeeded", "failed"])
] * 6 + [("none", [])] * 2
VERDICT_RANK = {"block": 0, "warn": 1, "unknown": 2, "ok": 3}
SR_RANK = {"failed": 0, "waiting": 1, "done": 2, "withdrawn": 3, "none": 4}

FILTERS: list[tuple[str, ReviewFilter]] = [
    ("installer", ReviewFilter(installer="installer07")),
    ("verdict=block", ReviewFilter(verdict_level="block")),
    ("reason code", ReviewFilter(reason_code="NOT_PRENOTIFIED")),
    ("overridden", ReviewFilter(overridden=True)),
    ("sr_state=failed", ReviewFilter(sr_state=SrProgress.FAILED)),
    ("one month", ReviewFilter(date_from=date(2025, 6, 1), date_to=date(2025, 6, 30))),
    ("text: job ref", ReviewFilter(text="J-0012345")),
    ("text: device", ReviewFilter(text="AA-00-00-00-00-01")),
    ("block+failed+month", ReviewFilter(verdict_level="block", sr_state=SrProgress.FAILED,
                                        date_from=date(2025, 6, 1), date_to=date(2025, 8, 31))),
]


def visit(n: int, rng: random.Random) -> dict[str, Any]:
    level = rng.choice(LEVELS)
    plan, states = rng.choice(SR_PLANS)
    started = START + timedelta(seconds=int(n * (365 * 86400) / VISITS))
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128))),
        "n": n,
        "installer": INSTALLERS[n % len(INSTALLERS)],
        "job_ref": f"J-{n:07d}",
        "ppmid": "-".join(f"{b:02X}" for b in (0xAA, 0, 0, 0, 0, (n >> 16) & 255, (n >> 8) & 255, n & 255)),
        "hub": "-".join(f"{b:02X}" for b in (0xBB, 0, 0, 0, 0, (n >> 16) & 255, (n >> 8) & 255, n & 255)),
        "level": level,
        "reasons": REASONS[level],
        "overridden": level == "block" and rng.random() < 0.3,
        "plan": plan,
        "states": states,
        "started": started,
        "regime": "tactical" if started < datetime(2025, 9, 1, tzinfo=UTC) else "mp202",
    }


VISITS = 50_000


def generate(count: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(13)
    for n in range(count):
        yield visit(n, rng)


# --------------------------------------------------------------------------- capture and timing


class Capture:
    """The statements an engine ran (text and parameters), for re-running as plain SQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[tuple[str, Any]] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        self.statements.append((statement, parameters))

    @contextmanager
    def watching(self) -> Iterator[list[tuple[str, Any]]]:
        self.statements = []
        found: list[tuple[str, Any]] = []
        yield found
        found.extend(s for s in self.statements if s[0].lstrip().upper().startswith("SELECT"))


def median_ms(work: Callable[[], Any], repeat: int) -> float:
    work()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        work()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def plain_sql_ms(engine: Engine, statement: tuple[str, Any], repeat: int) -> float:
    """The captured statement on a raw DBAPI connection: the database's own time plus a round trip."""
    sql, params = statement
    raw = engine.raw_connection()
    try:
        def run() -> None:
            cursor = raw.cursor()
            cursor.execute(sql, params)
            cursor.fetchall()
            cursor.close()

        return median_ms(run, repeat)
    finally:
        raw.close()


# --------------------------------------------------------------------------- the back office on PostgreSQL


def pg_store(base: str, count: int) -> Any:
    from sqlalchemy import create_engine

    from app.backoffice.db import normalise_url, open_store

    schema = f"bench_review_{count}"
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    admin.dispose()
    from sqlalchemy.engine import make_url

    url = make_url(normalise_url(base)).update_query_dict({"options": f"-csearch_path={schema}"})
    store = open_store(url.render_as_string(hide_password=False))
    with store.engine.connect() as conn:
        have = conn.execute(text("SELECT COUNT(*) FROM bo_installs")).scalar_one()
    if have != count:
        load_pg(store, count)
    return store


def load_pg(store: Any, count: int) -> None:
    print(f"loading {count:,} visits into PostgreSQL…", flush=True)
    t0 = time.perf_counter()
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        conn.execute(text("TRUNCATE bo_install_reasons, bo_installs, bo_tokens, bo_installers CASCADE"))
        for n, name in enumerate(INSTALLERS, start=1):
            conn.execute(text("INSERT INTO bo_installers (id, name, is_admin, created_at) VALUES (:i, :n, false, :t)"),
                         {"i": n, "n": name, "t": now})
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        columns = ("id, install_id, installer_id, payload_sha256, job_ref, ppmid, hub, meter, verdict_level, reasons, "
                   "override_reason, outcome, started_at, finished_at, received_at, meta, installer_name, regime, "
                   "regime_source, scenario, overridden, verdict_rank, sr_total, sr_done, sr_failed, sr_waiting, sr_rank")
        with cursor.copy(f"COPY bo_installs ({columns}) FROM STDIN") as copy:
            for v in generate(count):
                states = v["states"]
                reasons = json.dumps([{"code": c, "severity": "warn", "message": c} for c in v["reasons"]])
                copy.write_row((
                    v["n"] + 1, v["id"], v["n"] % len(INSTALLERS) + 1, "0" * 64, v["job_ref"], v["ppmid"], v["hub"],
                    None, v["level"], reasons, "insisted" if v["overridden"] else None,
                    "recorded" if states else "aborted", v["started"], v["started"], now,
                    json.dumps({"scenario": "existing_hub", "regime": v["regime"]}), v["installer"], v["regime"],
                    "settings", "existing_hub", v["overridden"], VERDICT_RANK[v["level"]], len(states),
                    states.count("succeeded"), states.count("failed"),
                    sum(s in ("queued", "accepted") for s in states), SR_RANK[v["plan"]],
                ))
        with cursor.copy("COPY bo_install_reasons (install_row_id, code, started_at) FROM STDIN") as copy:
            for v in generate(count):
                for code in v["reasons"]:
                    copy.write_row((v["n"] + 1, code, v["started"]))
        cursor.execute("SELECT setval(pg_get_serial_sequence('bo_installs', 'id'), %s)", (count + 1,))
        cursor.execute("SELECT setval(pg_get_serial_sequence('bo_installers', 'id'), %s)", (len(INSTALLERS) + 1,))
        raw.commit()
        cursor.execute("ANALYZE bo_installs")
        cursor.execute("ANALYZE bo_install_reasons")
        raw.commit()
    finally:
        raw.close()
    print(f"  loaded in {time.perf_counter() - t0:.0f} s", flush=True)


@contextmanager
def serving(store: Any) -> Iterator[str]:
    import socket

    import uvicorn

    from app.backoffice.web.app import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def bench_backoffice(base: str, count: int, repeat: int) -> list[tuple[str, str, float, float, float]]:
    from app.backoffice.tokens import issue_token
    from app.services.review.remote import RemoteReviewSource

    store = pg_store(base, count)
    with store.write() as session:
        token = issue_token(session, f"bench-analyst-{uuid.uuid4().hex[:8]}", datetime.now(UTC), analyst=True)[0]
    capture = Capture(store.engine)
    rows: list[tuple[str, str, float, float, float]] = []
    with serving(store) as url:
        source = RemoteReviewSource(url, token)
        rows.extend(measure("PostgreSQL via API", source, capture, store.engine, repeat))
        source.close()
    store.dispose()
    return rows


# --------------------------------------------------------------------------- the laptop's SQLite


def sqlite_source(cache: Path, count: int) -> Any:
    from app.services.context import AppContext
    from app.services.review.local import LocalReviewSource

    data = cache / f"laptop-{count}"
    ctx = AppContext(data)
    with ctx.engine.connect() as conn:
        have = conn.execute(text("SELECT COUNT(*) FROM review_visits")).scalar_one()
    if have != count:
        load_sqlite(ctx, count)
    return ctx, LocalReviewSource(ctx)


def load_sqlite(ctx: Any, count: int) -> None:
    from app.store import review_models

    print(f"loading {count:,} visits into a laptop's SQLite…", flush=True)
    t0 = time.perf_counter()
    with ctx.engine.begin() as conn:
        review_models.drop_triggers(conn)
        for table in ("review_visit_reasons", "review_visits", "outbox_intents", "install_visits"):
            conn.exec_driver_sql(f"DELETE FROM {table}")
    raw = ctx.engine.raw_connection()
    try:
        cursor = raw.cursor()
        visits, intents = [], []
        key = 0

        def flush() -> None:
            cursor.executemany(
                "INSERT INTO install_visits (id, job_ref, ppmid, hub, verdict_level, regime, regime_source, "
                "reasons_json, override_reason, outcome, meta_json, started_at, finished_at, sync_state, "
                "sync_attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, 'settings', ?, ?, ?, ?, ?, ?, "
                "'accepted', 0, 0)", visits)
            cursor.executemany(
                "INSERT INTO outbox_intents (idempotency_key, install_id, position, job_ref, kind, srv, "
                "command_variant, target, critical, payload_json, duis_xml, state, attempts, next_attempt_at, "
                "created_at, updated_at, response_code) VALUES (?, ?, ?, ?, 'x', ?, 1, ?, 0, '{}', '', ?, 0, 0, "
                "?, ?, ?)", intents)
            visits.clear()
            intents.clear()

        for v in generate(count):
            started = v["started"].isoformat(timespec="microseconds")
            reasons = json.dumps([{"code": c, "severity": "warn", "message": c} for c in v["reasons"]])
            visits.append((v["id"], v["job_ref"], v["ppmid"], v["hub"], v["level"], v["regime"], reasons,
                           "insisted" if v["overridden"] else None, "recorded" if v["states"] else "aborted",
                           json.dumps({"scenario": "existing_hub"}), started, started))
            for position, state in enumerate(v["states"]):
                key += 1
                intents.append((f"k{key}", v["id"], position, v["job_ref"], ("8.11", "8.7.1")[position],
                                v["ppmid"], state, started, started, "E12" if state == "failed" else None))
            if len(visits) >= 50_000:
                flush()
        if visits:
            flush()
        raw.commit()
    finally:
        raw.close()
    with ctx.engine.begin() as conn:
        review_models.rebuild(conn)
        review_models.create_triggers(conn)
        conn.exec_driver_sql("ANALYZE")
    print(f"  loaded in {time.perf_counter() - t0:.0f} s", flush=True)


def bench_sqlite(cache: Path, count: int, repeat: int) -> list[tuple[str, str, float, float, float]]:
    ctx, source = sqlite_source(cache, count)
    ctx.close()  # reopen: "first rows" is measured on a fresh engine
    ctx, source = sqlite_source(cache, count)
    capture = Capture(ctx.engine)
    rows = measure("SQLite via LocalReviewSource", source, capture, ctx.engine, repeat)
    ctx.close()
    return rows


# --------------------------------------------------------------------------- the measures


def measure(where: str, source: Any, capture: Capture, engine: Engine, repeat: int) -> list[tuple[str, str, float, float, float]]:
    """(where, what, cold ms, median ms, plain SQL ms) for first rows, each filter and each sort."""
    out = []

    def one(what: str, flt: ReviewFilter, sort: ReviewSort) -> None:
        with capture.watching() as found:
            t0 = time.perf_counter()
            page = source.page(flt, sort, None, 200)
            cold = (time.perf_counter() - t0) * 1000
        warm = median_ms(lambda: source.page(flt, sort, None, 200), repeat)
        page_sql = [s for s in found if "LIMIT" in s[0].upper()]
        plain = plain_sql_ms(engine, page_sql[-1], repeat) if page_sql else float("nan")
        out.append((where, f"{what} ({len(page.rows)} rows)", cold, warm, plain))

    one("first rows", ReviewFilter(), ReviewSort())
    for name, flt in FILTERS:
        one(f"filter {name}", flt, ReviewSort())
    for column in SortColumn:
        for descending in (True, False):
            one(f"sort {column.value} {'desc' if descending else 'asc'}", ReviewFilter(), ReviewSort(column, descending))
    return out


def main(argv: list[str] | None = None) -> int:
    global VISITS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=50_000)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "hubcheck-review-bench")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg-url", default=os.environ.get("HUBCHECK_TEST_PG_URL", ""))
    parser.add_argument("--only", choices=("sqlite", "postgresql"), default=None)
    args = parser.parse_args(argv)
    VISITS = args.visits
    rows: list[tuple[str, str, float, float, float]] = []
    if args.only in (None, "postgresql"):
        if not args.pg_url:
            print("PostgreSQL skipped: give --pg-url or set HUBCHECK_TEST_PG_URL (scripts/ci-postgres.sh)")
        else:
            rows += bench_backoffice(args.pg_url, args.visits, args.repeat)
    if args.only in (None, "sqlite"):
        args.cache.mkdir(parents=True, exist_ok=True)
        rows += bench_sqlite(args.cache, args.visits, args.repeat)
    buf = io.StringIO()
    buf.write(f"\n{args.visits:,} visits; median of {args.repeat} after a warm-up; goals: first rows ≤ 300 ms, "
              "filter ≤ 100 ms\n")
    buf.write(f"{'where':30} {'query':42} {'cold ms':>8} {'ms':>8} {'SQL ms':>8} {'ratio':>6} goal\n")
    for where, what, cold, warm, plain in rows:
        goal = 300 if "first rows" in what else 100 if what.startswith("filter") else None
        verdict = "" if goal is None else ("ok" if warm <= goal else "MISSED")
        ratio = warm / plain if plain and plain == plain else float("nan")
        buf.write(f"{where:30} {what:42} {cold:8.1f} {warm:8.1f} {plain:8.2f} {ratio:6.1f} {verdict}\n")
    print(buf.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
