"""Sync throughput: 10,000 queued intents to the local back office, against a plain httpx loop.

Both sides run in the same process against the same back-office process on 127.0.0.1
(its own SQLite file, started here), each as a different installer:

* baseline — the same intent payloads (fresh idempotency keys), POSTed one by one to
  ``/v1/intents/{key}`` in one plain ``httpx.Client`` loop, no local bookkeeping at all;
* HubCheck — ``sync_once`` on a laptop database holding the 10,000 queued intents: rows
  marked ``sent`` before each batch and answered after it (two committed SQLite
  transactions per batch, synchronous=FULL), batches of 500, then the status pull of all
  10,000 changes and the regime check.

The baseline runs first, so HubCheck's run meets the larger back-office database. Goals:
HubCheck faster than the baseline (batching), and under 10 s.

Run: .venv/bin/python benchmarks/sync.py [--intents N] [--batch-size N]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.backoffice.db import open_store  # noqa: E402
from app.backoffice.timeutil import utcnow  # noqa: E402
from app.backoffice.tokens import create_token  # noqa: E402
from app.domain.devices import DeviceType  # noqa: E402
from app.domain.duis import CHFLocation, plan_visit  # noqa: E402
from app.domain.ids import DeviceId, canonical_from_hex16  # noqa: E402
from app.domain.install_codes import InstallCode  # noqa: E402
from app.services.context import AppContext  # noqa: E402
from app.services.queue import enqueue_intents, queue_counts  # noqa: E402
from app.store import outbox  # noqa: E402
from app.sync.engine import intent_item, sync_once  # noqa: E402

GOAL_SECONDS = 10.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_backoffice(db_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.backoffice.cli", "--db", db_url, "serve", "--port", str(port),
         "--log-level", "warning"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the back office did not start")


def _token(db_url: str, name: str) -> str:
    store = open_store(db_url)
    try:
        with store.write() as session:
            return create_token(session, name, utcnow())
    finally:
        store.dispose()


def _device(n: int) -> DeviceId:
    return DeviceId(canonical_from_hex16(f"{n:016X}"))


def _fill(ctx: AppContext, count: int) -> None:
    """Realistic visits (8.14.1, 8.11, 8.7.1, 8.7.2, 8.2, 11.2) until ``count`` intents are queued."""
    code = InstallCode(bytes(range(16)))
    intents = []
    visit = 0
    while len(intents) < count:
        base = 0x0A1B2C0000000000 + visit * 16
        intents.extend(
            plan_visit(
                hub_id=_device(base + 2), ppmid_id=_device(base + 4), install_code=code, meter_id=_device(base),
                meter_type=DeviceType.ESME, mpxn=f"19{visit:011d}", hub_location=CHFLocation.DEEP_INDOORS,
                aerial_install=False,
            )
        )
        visit += 1
    del intents[count:]
    for start in range(0, count, 2000):
        enqueue_intents(ctx, intents[start : start + 2000], validate=False)


def _baseline_items(ctx: AppContext) -> list[dict]:
    """The same wire payloads the sync sends, with fresh keys (another installer sends them)."""
    with ctx.engine.begin() as conn:
        claimed = outbox.claim_due(conn, now=time.time(), now_text="bench", limit=10**9)
        outbox.recover_in_flight(conn)
    items = []
    for c in claimed:
        item = intent_item(c)
        item["idempotency_key"] = str(uuid.uuid4())
        items.append(item)
    return items


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intents", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hubcheck-bench-sync-") as tmp:
        root = Path(tmp)
        db_url = f"sqlite:///{root / 'backoffice.db'}"
        open_store(db_url).dispose()
        proc, url = _start_backoffice(db_url)
        try:
            ctx = AppContext(root / "laptop")
            ctx.settings.set_many({"backoffice_url": url, "backoffice_token": _token(db_url, "bench-hubcheck")})
            _fill(ctx, args.intents)
            items = _baseline_items(ctx)
            body_bytes = sum(len(json.dumps(i)) for i in items)

            baseline_token = _token(db_url, "bench-baseline")
            began = time.perf_counter()
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {baseline_token}"}) as client:
                for item in items:
                    key = item["idempotency_key"]
                    r = client.post(f"/v1/intents/{key}", json=item, headers={"Idempotency-Key": key})
                    if r.status_code not in (200, 201):
                        raise SystemExit(f"baseline POST failed: HTTP {r.status_code} {r.text[:200]}")
            baseline = time.perf_counter() - began

            began = time.perf_counter()
            report = sync_once(ctx, ignore_backoff=True, batch_size=args.batch_size)
            ours = time.perf_counter() - began
            counts = queue_counts(ctx)
            if report.status != "ok" or counts["accepted"] != args.intents:
                raise SystemExit(f"sync did not finish: {report.status} {report.errors[-1:]} {counts}")
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    n = args.intents
    print(f"sync benchmark: {n} intents ({body_bytes / n:.0f} bytes of JSON each), back office on 127.0.0.1")
    print(f"{'method':<44} {'seconds':>8} {'intents/s':>10}")
    print(f"{'baseline: plain httpx loop, 1 POST per intent':<44} {baseline:>8.2f} {n / baseline:>10.0f}")
    label = f"HubCheck sync_once (batches of {args.batch_size}, + pull)"
    print(f"{label:<44} {ours:>8.2f} {n / ours:>10.0f}")
    ratio = baseline / ours
    print(f"ratio baseline / HubCheck: {ratio:.2f}x  ({report.batches} batches, {report.status_changes} status changes pulled)")
    met = ours < baseline and ours < GOAL_SECONDS
    print(f"goal (faster than baseline and under {GOAL_SECONDS:.0f} s): {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
