"""Back-office load: 50 installers at once against intake, next to a trivial endpoint.

What a supplier's back office meets on a busy morning: many laptops syncing at the same
time. One run per database (SQLite, and PostgreSQL from ``scripts/ci-postgres.sh``), each
against its own ``hubcheck-backoffice serve`` process on 127.0.0.1 and its own empty
database (PostgreSQL: a throw-away schema), in three phases on the same server:

1. trivial — every client GETs ``/v1/health`` in a loop: what the server, the HTTP stack
   and this load generator manage with no database work at all;
2. intake — ``--clients`` installers (each with its own token) POST batches of real visits'
   intents (built by the laptop's own code: ``plan_visit`` → the outbox → ``intent_item``,
   with fresh keys per batch), pull ``/v1/status`` every few batches, and 10% of their batches
   are replays of a batch they sent before (every item must come back ``replayed``);
3. overload — ``--overload``× as many installers, with the laptop's behaviour: a request that
   times out (``--timeout``) is sent again. In every phase a 503 (admission control) waits its
   ``Retry-After`` and is sent again, as the laptop does; latencies are per answered attempt.
   A batch whose first answer came too late and whose resend found it stored was done twice.

A second baseline, ``/v1/whoami``, is the cheapest request that does what every intake also
does (a token check, one indexed read, a hop through the request thread pool); ``/v1/health``
does none of that (it answers from the event loop), so it is the stricter of the two.

``intents/s`` counts the intents in answered batches (new and replayed). ``ratio`` is request
for request: intake batches answered per second over the trivial endpoint's requests per
second, at the same number of clients (so it depends on the batch size, which is printed).
After every phase the database is checked: every key sent is there once, under its sender,
with the payload sent (srv, target, body, DUIS XML and fingerprint), and no key nobody sent.

Goals (issue 12): on PostgreSQL at 50 clients, ratio ≥ 0.25 and intake p95 ≤ 1 s; under 4×
overload, goodput ≥ 80% of the peak and no batch done twice because its answer came too late.

Run time: about 110 s per database with the defaults (10 s trivial, 30 s intake, 40 s
overload, start-up and checks), so both databases finish in under 5 minutes on 2 cores.

Run: .venv/bin/python benchmarks/backoffice_load.py [--db sqlite|postgresql|both]
     [--clients 50] [--visits-per-batch 4] [--seconds 30] [--overload 4] [--timeout 10]
     [--serve-arg=--some-option --serve-arg=VALUE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from backoffice_server import database, serving  # noqa: E402  (beside this script)

from app.backoffice.db import open_store  # noqa: E402
from app.backoffice.schemas import IntentIn  # noqa: E402
from app.backoffice.timeutil import utcnow  # noqa: E402
from app.backoffice.tokens import create_token  # noqa: E402
from app.backoffice.validation import fingerprint  # noqa: E402
from app.domain.devices import DeviceType  # noqa: E402
from app.domain.duis import CHFLocation, plan_visit  # noqa: E402
from app.domain.ids import DeviceId, canonical_from_hex16  # noqa: E402
from app.domain.install_codes import InstallCode  # noqa: E402
from app.services.context import AppContext  # noqa: E402
from app.services.queue import enqueue_intents  # noqa: E402
from app.store import outbox  # noqa: E402
from app.sync.engine import intent_item  # noqa: E402

GOAL_RATIO = 0.25
GOAL_P95 = 1.0
GOAL_GOODPUT = 0.80
TEMPLATE_VISITS = 200
STATUS_EVERY = 5
REPLAY_SHARE = 0.10


# --------------------------------------------------------------------------- set-up


def _device(n: int) -> DeviceId:
    return DeviceId(canonical_from_hex16(f"{n:016X}"))


def visit_templates(folder: Path, visits: int) -> list[list[dict[str, Any]]]:
    """Real visits' intents as the laptop sends them: planned, queued in its outbox, claimed."""
    ctx = AppContext(folder)
    code = InstallCode(bytes(range(16)))
    planned = []
    for visit in range(visits):
        base = 0x0A1B2C0000000000 + visit * 16
        planned.append(
            plan_visit(
                hub_id=_device(base + 2), ppmid_id=_device(base + 4), install_code=code, meter_id=_device(base),
                meter_type=DeviceType.GSME if visit % 3 == 2 else DeviceType.ESME, mpxn=f"19{visit:011d}",
                hub_location=CHFLocation.DEEP_INDOORS, aerial_install=False,
            )
        )
    sizes = [len(p) for p in planned]
    enqueue_intents(ctx, [i for p in planned for i in p], validate=False)
    with ctx.engine.begin() as conn:
        claimed = outbox.claim_due(conn, now=time.time(), now_text="bench", limit=10**9)
    items = [intent_item(c) for c in claimed]
    out, at = [], 0
    for size in sizes:
        out.append(items[at : at + size])
        at += size
    return out


def fresh_batch(templates: list[list[dict[str, Any]]], visits: int, rng: random.Random) -> list[dict[str, Any]]:
    """``visits`` visits' intents with new keys (``depends_on`` follows its visit's new keys)."""
    batch: list[dict[str, Any]] = []
    for visit in rng.sample(templates, visits):
        renamed = {item["idempotency_key"]: str(uuid.uuid4()) for item in visit}
        for item in visit:
            new = dict(item, idempotency_key=renamed[item["idempotency_key"]])
            if "depends_on" in new:
                new["depends_on"] = [renamed.get(k, k) for k in new["depends_on"]]
            batch.append(new)
    return batch


def issue_tokens(db_url: str, names: list[str]) -> dict[str, str]:
    store = open_store(db_url)
    try:
        with store.write() as session:
            return {name: create_token(session, name, utcnow()) for name in names}
    finally:
        store.dispose()


# --------------------------------------------------------------------------- load


@dataclass
class Tally:
    """What one phase saw, over all its clients."""

    latencies: list[float] = field(default_factory=list)
    pull_latencies: list[float] = field(default_factory=list)
    requests: int = 0
    intents: int = 0
    errors: int = 0
    refused_503: int = 0
    timeouts: int = 0
    twice_batches: int = 0
    twice_intents: int = 0
    error_samples: list[str] = field(default_factory=list)
    #: key → (installer, item) for every item sent; answered keys must be on the server.
    sent: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    answered: set[str] = field(default_factory=set)

    def error(self, text: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(text[:200])


async def trivial_client(url: str, stop: float, tally: Tally, path: str = "/v1/health",
                         token: str | None = None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=url, timeout=30, headers=headers) as http:
        while time.monotonic() < stop:
            began = time.perf_counter()
            try:
                r = await http.get(path)
            except httpx.HTTPError as exc:
                tally.error(f"{path}: {exc!r}")
                continue
            tally.latencies.append(time.perf_counter() - began)
            tally.requests += 1
            if r.status_code != 200:
                tally.error(f"{path} HTTP {r.status_code}")


async def installer_client(
    url: str, name: str, token: str, stop: float, tally: Tally, make_batch: Callable[[], list[dict[str, Any]]],
    rng: random.Random, timeout: float, laptop: bool,
) -> None:
    """Send batches until ``stop``; ``laptop``: resend after a timeout or a 503 (overload run)."""
    headers = {"Authorization": f"Bearer {token}"}
    sent: list[list[dict[str, Any]]] = []
    cursor, batches = 0, 0
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=timeout) as http:
        while time.monotonic() < stop:
            replay = bool(sent) and rng.random() < REPLAY_SHARE
            batch = rng.choice(sent) if replay else make_batch()
            if not replay:
                for item in batch:
                    tally.sent[item["idempotency_key"]] = (name, item)
            timed_out = False
            while True:
                began = time.perf_counter()
                try:
                    r = await http.post("/v1/intents", json=batch)
                except httpx.TimeoutException:
                    tally.timeouts += 1
                    timed_out = True
                    if laptop and time.monotonic() < stop + timeout:
                        await asyncio.sleep(1.0)
                        continue
                    break
                except httpx.HTTPError as exc:
                    tally.error(f"intake: {exc!r}")
                    break
                elapsed = time.perf_counter() - began
                if r.status_code == 503:  # admission control: the laptop waits Retry-After, sends again
                    tally.refused_503 += 1
                    wait = float(r.headers.get("Retry-After", "1") or 1)
                    if time.monotonic() + wait > stop + timeout:
                        break
                    await asyncio.sleep(min(wait, 30.0) * (0.5 + rng.random()))
                    continue
                tally.requests += 1
                tally.latencies.append(elapsed)
                if r.status_code != 200:
                    tally.error(f"intake HTTP {r.status_code}: {r.text[:150]}")
                    break
                body = r.json()
                expected = "replayed" if replay else "created"
                results = body["results"]
                wrong = [x for x in results if x["outcome"] != expected]
                if timed_out and not replay:
                    # The first attempt was processed after all: this resend is the work done twice.
                    again = [x for x in results if x["outcome"] == "replayed"]
                    if again:
                        tally.twice_batches += 1
                        tally.twice_intents += len(again)
                    wrong = [x for x in wrong if x["outcome"] != "replayed"]
                if wrong:
                    tally.error(f"intake item {wrong[0]['outcome']}: {json.dumps(wrong[0].get('error'))[:150]}")
                tally.intents += len(results)
                tally.answered.update(item["idempotency_key"] for item in batch)
                if not replay:
                    sent.append(batch)
                break
            batches += 1
            if batches % STATUS_EVERY == 0 and time.monotonic() < stop:
                began = time.perf_counter()
                try:
                    r = await http.get("/v1/status", params={"since": cursor, "limit": 1000})
                except httpx.HTTPError as exc:
                    tally.error(f"status: {exc!r}")
                    continue
                tally.pull_latencies.append(time.perf_counter() - began)
                if r.status_code == 200:
                    cursor = r.json()["cursor"]
                elif r.status_code != 503:
                    tally.error(f"status HTTP {r.status_code}")


async def run_phase(coros: list[Any]) -> float:
    began = time.perf_counter()
    await asyncio.gather(*coros)
    return time.perf_counter() - began


# --------------------------------------------------------------------------- checks


def check_exactly_once(db_url: str, tally: Tally, sent_before: dict[str, tuple[str, dict[str, Any]]]) -> list[str]:
    """Every answered key stored once with the payload sent; nothing stored that nobody sent."""
    from sqlalchemy import text

    everything = {**sent_before, **tally.sent}
    store = open_store(db_url, create=False)
    problems: list[str] = []
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT i.idempotency_key, u.name, i.srv, i.target, i.body, i.duis_xml, i.payload_sha256 "
                    "FROM bo_intents i JOIN bo_installers u ON u.id = i.installer_id"
                )
            ).all()
    finally:
        store.dispose()
    seen: dict[str, int] = {}
    for key, name, srv, target, body, duis_xml, sha in rows:
        seen[key] = seen.get(key, 0) + 1
        if key not in everything:
            problems.append(f"{key}: on the server but never sent")
            continue
        sender, item = everything[key]
        stored_body = json.loads(body) if isinstance(body, str) else body
        want_sha = fingerprint(IntentIn.model_validate(item).model_dump(mode="json"))
        if (name, srv, target, duis_xml, stored_body, sha) != (
            sender, item["srv"], item["target"], item["duis_xml"], item["body"], want_sha
        ):
            problems.append(f"{key}: stored payload differs from the one sent")
    problems += [f"{k}: stored {n} times" for k, n in seen.items() if n != 1]
    problems += [f"{k}: answered but not on the server" for k in tally.answered if k not in seen]
    return problems


# --------------------------------------------------------------------------- report


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def ms(value: float) -> str:
    return f"{value * 1000:.0f}"


def run_database(kind: str, args: argparse.Namespace, templates: list[list[dict[str, Any]]]) -> dict[str, Any]:
    rng = random.Random(12)
    with database(kind, "load") as db_url:
        open_store(db_url).dispose()
        overload_clients = args.clients * args.overload
        names = [f"installer-{n:03d}" for n in range(overload_clients)]
        tokens = issue_tokens(db_url, names)
        with serving(db_url, args.serve_arg) as url:

            def batch() -> list[dict[str, Any]]:
                return fresh_batch(templates, args.visits_per_batch, rng)

            trivial = Tally()
            stop = time.monotonic() + args.trivial_seconds
            t_trivial = asyncio.run(run_phase([trivial_client(url, stop, trivial) for _ in range(args.clients)]))
            # The cheapest request that does what every intake also does: a token check, one
            # indexed read, through the same request thread pool (health skips all three).
            authed = Tally()
            stop = time.monotonic() + args.trivial_seconds
            t_authed = asyncio.run(run_phase([
                trivial_client(url, stop, authed, "/v1/whoami", tokens[name]) for name in names[: args.clients]
            ]))

            intake = Tally()
            stop = time.monotonic() + args.seconds
            t_intake = asyncio.run(
                run_phase(
                    [
                        installer_client(url, name, tokens[name], stop, intake, batch, random.Random(i), 30.0, False)
                        for i, name in enumerate(names[: args.clients])
                    ]
                )
            )
            problems = check_exactly_once(db_url, intake, {})

            over = Tally()
            stop = time.monotonic() + args.overload_seconds
            t_over = asyncio.run(
                run_phase(
                    [
                        installer_client(url, name, tokens[name], stop, over, batch, random.Random(1000 + i),
                                         args.timeout, True)
                        for i, name in enumerate(names)
                    ]
                )
            )
            problems += check_exactly_once(db_url, over, intake.sent)
    return {
        "kind": kind, "trivial": trivial, "t_trivial": t_trivial, "authed": authed, "t_authed": t_authed,
        "intake": intake, "t_intake": t_intake,
        "over": over, "t_over": t_over, "problems": problems, "overload_clients": overload_clients,
    }


def report(results: list[dict[str, Any]], args: argparse.Namespace, per_batch: float) -> bool:
    print(
        f"back-office load: {args.clients} installers, batches of {args.visits_per_batch} visits "
        f"(~{per_batch:.0f} intents), {REPLAY_SHARE:.0%} replays, a status pull every {STATUS_EVERY} batches; "
        f"trivial {args.trivial_seconds:.0f} s, intake {args.seconds:.0f} s, "
        f"overload {args.overload}x for {args.overload_seconds:.0f} s with a {args.timeout:.0f} s client timeout"
    )
    head = f"{'database':<10} {'phase':<18} {'clients':>7} {'requests':>8} {'req/s':>7} {'intents/s':>9} " \
           f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6} {'ratio':>6}"
    print(head)
    print("-" * len(head))
    met = True
    for res in results:
        kind = res["kind"]
        triv, intake, over = res["trivial"], res["intake"], res["over"]
        triv_rps = triv.requests / res["t_trivial"]
        authed_rps = res["authed"].requests / res["t_authed"]
        authed_ratio = intake.requests / res["t_intake"] / authed_rps if authed_rps else float("nan")
        rate = intake.intents / res["t_intake"]
        ratio = intake.requests / res["t_intake"] / triv_rps if triv_rps else float("nan")
        over_rate = (over.intents - over.twice_intents) / res["t_over"]
        rows = [
            ("trivial /v1/health", args.clients, triv, res["t_trivial"], "", triv.latencies, "1.00"),
            ("token /v1/whoami", args.clients, res["authed"], res["t_authed"], "", res["authed"].latencies,
             f"{authed_rps / triv_rps:.2f}" if triv_rps else ""),
            ("intake", args.clients, intake, res["t_intake"], f"{rate:.0f}", intake.latencies, f"{ratio:.2f}"),
            ("status pull", args.clients, None, res["t_intake"], "", intake.pull_latencies, ""),
            (f"overload {args.overload}x", res["overload_clients"], over, res["t_over"], f"{over_rate:.0f}",
             over.latencies, f"{over.requests / res['t_over'] / triv_rps:.2f}" if triv_rps else ""),
        ]
        for phase, clients, tally, seconds, ips, lat, r in rows:
            reqs = tally.requests if tally else len(lat)
            errs = str(tally.errors) if tally else "-"
            print(f"{kind:<10} {phase:<18} {clients:>7} {reqs:>8} {reqs / seconds:>7.0f} {ips:>9} "
                  f"{ms(pct(lat, 50)):>7} {ms(pct(lat, 95)):>7} {ms(pct(lat, 99)):>7} {errs:>6} {r:>6}")
        goodput = over_rate / rate if rate else 0.0
        print(f"{kind:<10} intake at {args.clients}: {intake.refused_503} answered 503 (Retry-After honoured); "
              f"intake / token-checked /v1/whoami: {authed_ratio:.2f}x")
        print(f"{kind:<10} overload: goodput {goodput:.0%} of the peak; {over.refused_503} answered 503 "
              f"(Retry-After honoured); {over.timeouts} timed out; done twice: {over.twice_batches} batches "
              f"({over.twice_intents} intents)")
        once = "ok" if not res["problems"] else f"{len(res['problems'])} PROBLEMS: " + "; ".join(res["problems"][:3])
        print(f"{kind:<10} exactly-once after every phase: {once}")
        for sample in (intake.error_samples + over.error_samples)[:3]:
            print(f"{kind:<10}   error: {sample}")
        met = met and not res["problems"] and intake.errors == 0 and over.errors == 0
        if kind == "postgresql":
            goals = [
                (f"ratio ≥ {GOAL_RATIO}", ratio >= GOAL_RATIO),
                (f"p95 ≤ {GOAL_P95:.0f} s", pct(intake.latencies, 95) <= GOAL_P95),
                (f"overload goodput ≥ {GOAL_GOODPUT:.0%}", goodput >= GOAL_GOODPUT),
                ("nothing done twice", over.twice_batches == 0),
            ]
            print("goals on postgresql: " + ", ".join(f"{g}: {'met' if ok else 'NOT met'}" for g, ok in goals))
            met = met and all(ok for _, ok in goals)
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--visits-per-batch", type=int, default=4)
    parser.add_argument("--trivial-seconds", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the intake phase")
    parser.add_argument("--overload", type=int, default=4, help="the overload phase's client multiple")
    parser.add_argument("--overload-seconds", type=float, default=40.0)
    parser.add_argument("--timeout", type=float, default=10.0, help="the overload clients' request timeout")
    parser.add_argument("--serve-arg", action="append", default=[], help="passed on to serve (repeatable)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hubcheck-bench-laptop-") as tmp:
        templates = visit_templates(Path(tmp), TEMPLATE_VISITS)
    per_batch = args.visits_per_batch * statistics.mean(len(v) for v in templates)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = [run_database(kind, args, templates) for kind in kinds]
    met = report(results, args, per_batch)
    return 0 if met else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
