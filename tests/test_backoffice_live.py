"""The real service over real HTTP: uvicorn on 127.0.0.1 at a free port, httpx as the client.

One test runs uvicorn in a thread around ``create_app``; the other starts the actual
``hubcheck-backoffice serve --simulate-dcc`` command in a subprocess and watches an
intent go accepted → submitted → succeeded/failed through the status pull.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text

from app.backoffice.db import Store
from app.backoffice.web.app import create_app
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import bearer, issue_token, make_intent

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def app_in_thread(store: Store, log_level: str = "warning") -> Iterator[str]:
    """uvicorn serving ``create_app(store)`` in a thread on 127.0.0.1; stopped on exit."""
    with serving_app(create_app(store), log_level) as url:
        yield url


@contextmanager
def serving_app(app: Any, log_level: str = "warning") -> Iterator[str]:
    """uvicorn serving any ASGI ``app`` (the back office, or it behind a test's own middleware)
    in a thread on 127.0.0.1; its base URL, stopped on exit."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level=log_level))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture
def live_url(store: Store) -> Iterator[str]:
    """uvicorn serving the app in a thread; stopped after the test."""
    with app_in_thread(store) as url:
        yield url


def test_intake_and_pull_over_http(live_url: str, store: Store) -> None:
    headers = bearer(issue_token(store, "alice"))
    intents = [make_intent() for _ in range(50)]
    with httpx.Client(base_url=live_url, timeout=10) as http:
        assert http.get("/v1/health").json()["status"] == "ok"
        assert http.get("/v1/status").status_code == 401
        assert http.get("/v1/status", headers={"Authorization": "Bearer wrong"}).status_code == 401
        first = http.post("/v1/intents", json=intents, headers=headers).json()
        assert first["created"] == 50
        again = http.post("/v1/intents", json=intents[::-1], headers=headers).json()
        assert again["replayed"] == 50
        page = http.get("/v1/status", params={"since": 0}, headers=headers).json()
        assert len(page["changes"]) == 50 and not page["more"]
        assert http.get("/openapi.json").json()["info"]["title"] == "HubCheck back office"


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("hubcheck-backoffice")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.backoffice.cli"]


def test_real_command_with_dcc_simulator(tmp_path: Path, db_url: str) -> None:
    env = {**os.environ, "HUBCHECK_BACKOFFICE_DB": db_url}
    token = subprocess.run(
        [*_cli(), "token", "create", "alice"], env=env, cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [*_cli(), "serve", "--port", str(port), "--simulate-dcc", "--dcc-delay", "0.2",
         "--dcc-rule", "target=ABCDEF:E65", "--log-level", "warning"],
        env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=10, headers=bearer(token)) as http:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if http.get("/v1/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, "the service did not come up"
                time.sleep(0.1)
            ok, bad = (
                make_intent(target="00-1D-6F-00-00-12-34-56"),
                make_intent(),
            )  # default target ends ABCDEF
            assert http.post("/v1/intents", json=[ok, bad]).json()["created"] == 2
            final: dict[str, str] = {}
            cursor = 0
            history: list[tuple[str, str]] = []
            while len(final) < 2 and time.monotonic() < deadline:
                page = http.get("/v1/status", params={"since": cursor}).json()
                cursor = page["cursor"]
                for change in page["changes"]:
                    history.append((change["idempotency_key"], change["state"]))
                    if change["state"] in ("succeeded", "failed"):
                        final[change["idempotency_key"]] = f"{change['state']}:{change['response_code']}"
                        assert change["request_id"].startswith("90-B3-D5-1F-30-01-00-00:")
                time.sleep(0.1)
            assert final == {ok["idempotency_key"]: "succeeded:I0", bad["idempotency_key"]: "failed:E65"}
            for key in (ok["idempotency_key"], bad["idempotency_key"]):
                assert [s for k, s in history if k == key][:2] == ["accepted", "submitted"]
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


# --------------------------------------------------------------------------- order and approval, end to end


def _until(check: Callable[[], bool], what: str, seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.mark.slow  # real laptops and a simulated DCC end to end, ~7 s per database
def test_order_and_approval_from_laptop_to_simulated_dcc(tmp_path: Path, db_url: str) -> None:
    """Real laptops record visits; the real back office (its command, with the DCC simulator)
    forwards each request only when its prerequisites have succeeded and its approval is given."""
    from app.domain.duis import CHFLocation
    from app.services.context import AppContext
    from app.services.cpl_import import import_cpl
    from app.services.installs import RemedyKind, VisitRequest, record_visit
    from app.services.jobs_import import import_jobs_file
    from app.services.queue import list_intents
    from app.sync.engine import sync_once

    sample = REPO / "resources" / "sample"
    labels: dict[str, dict[str, Any]] = {}
    for row in json.loads((sample / "labels.json").read_text()):  # a job's first story is its good scan
        labels.setdefault(row["job_ref"], row)

    def laptop(name: str) -> AppContext:
        ctx = AppContext(tmp_path / name)
        import_cpl(ctx, sample / "cpl.csv")
        import_jobs_file(ctx, sample / "jobpack.json")
        return ctx

    def visit(ctx: AppContext, job: str, **extra: Any) -> dict[str, str]:
        row = labels[job]
        outcome = record_visit(ctx, VisitRequest(
            job_ref=job, ppmid=row["ppmid_label"], hub=row["hub_label"], meter=row["meter_label"],
            hub_location=CHFLocation.DEEP_INDOORS, scenario="existing-hub", **extra,
        ))  # fmt: skip
        return {i.srv: i.idempotency_key for i in outcome.intents}

    # Offline first: the laptops record their visits, then meet the back office.
    alice, carol = laptop("alice"), laptop("carol")
    good = visit(alice, "J-000101")  # every request succeeds, the joins after the 8.11
    broken = visit(alice, "J-000103")  # its 8.11 is answered E081101 (the rule below)
    remedy = visit(alice, "J-000102", override_reason="approved", remedy=RemedyKind.UPDATE_INVENTORY)
    refused = visit(carol, "J-000102", override_reason="approved", remedy=RemedyKind.UPDATE_INVENTORY)
    with alice.engine.connect() as conn:
        targets = dict(conn.execute(text("SELECT idempotency_key, target FROM outbox_intents")).all())
    failing_hub = targets[broken["8.11"]]
    assert failing_hub not in (targets[good["8.11"]], targets[remedy["8.11"]])
    assert set(remedy) >= {"8.4", "8.11", "8.7.1", "8.7.2"} and "8.4" not in good

    env = {**os.environ, "HUBCHECK_BACKOFFICE_DB": db_url}
    tokens = {
        name: subprocess.run([*_cli(), "token", "create", name], env=env, cwd=REPO, capture_output=True,
                             text=True, check=True).stdout.strip()
        for name in ("alice", "carol", "old-laptop")
    }  # fmt: skip
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [*_cli(), "serve", "--port", str(port), "--simulate-dcc", "--dcc-delay", "0.2",
         "--dcc-rule", f"target={failing_hub}:E081101", "--log-level", "warning"],
        env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _until(lambda: _answers(base) or proc.poll() is not None, "the service to come up")
        assert proc.poll() is None, (tmp_path / "serve.log").read_text()
        for name, ctx in (("alice", alice), ("carol", carol)):
            ctx.settings.set_many({"backoffice_url": base, "backoffice_token": tokens[name]})

        def states(ctx: AppContext) -> dict[str, str]:
            sync_once(ctx, ignore_backoff=True)
            return {v.idempotency_key: v.state for v in list_intents(ctx)}

        # The first sync: the remedy visit waits whole (the laptop's queue says so), nothing of it
        # reaches the DCC; the other visits run to their end.
        first = states(alice)
        assert {first[k] for k in remedy.values()} == {"waiting"}
        _until(lambda: all(states(alice)[k] in ("succeeded", "failed") for k in [*good.values(), *broken.values()]),
               "the two plain visits to end")  # fmt: skip
        now = {v.idempotency_key: v for v in list_intents(alice)}
        assert {now[k].state for k in good.values()} == {"succeeded"}
        assert now[broken["8.11"]].state == "failed" and now[broken["8.11"]].response_code == "E081101"
        for srv in ("8.7.1", "8.7.2"):
            join = now[broken[srv]]
            assert join.state == "failed" and join.request_id is None and join.response_code is None
            assert join.server_reason is not None and "its prerequisite 8.11" in join.server_reason
            assert broken["8.11"] in join.server_reason
        assert {now[k].state for k in remedy.values()} == {"waiting"}

        # The back office's own log: the joins were held until the 8.11 had succeeded.
        with httpx.Client(base_url=base, timeout=10, headers=bearer(tokens["alice"])) as http:
            log_rows = http.get("/v1/status", params={"since": 0, "limit": 1000}).json()["changes"]
        seq = {(c["idempotency_key"], c["state"]): c["seq"] for c in log_rows}
        for srv in ("8.7.1", "8.7.2"):
            assert (
                seq[(good[srv], "waiting")] < seq[(good["8.11"], "succeeded")] < seq[(good[srv], "submitted")]
            )
            assert (broken[srv], "submitted") not in seq
        assert not any(k in remedy.values() and s == "submitted" for k, s in seq)

        # An old laptop (no depends_on / needs_approval on the wire) is served as before.
        old = make_intent(target="00-1D-6F-00-00-12-34-56")
        with httpx.Client(base_url=base, timeout=10, headers=bearer(tokens["old-laptop"])) as http:
            (result,) = http.post("/v1/intents", json=[old]).json()["results"]
            assert (result["outcome"], result["intent"]["state"]) == ("created", "accepted")
            _until(lambda: http.get(f"/v1/intents/{old['idempotency_key']}").json()["state"] == "succeeded",
                   "the old laptop's request to succeed")  # fmt: skip

        # A person approves alice's 8.4: it goes, then the rest of the visit after it.
        approved = subprocess.run(
            [*_cli(), "intents", "approve", remedy["8.4"], "--by", "Pat Supervisor"],
            env=env, cwd=REPO, capture_output=True, text=True,
        )  # fmt: skip
        assert approved.returncode == 0, approved.stderr
        assert json.loads(approved.stdout)["audit"][0]["actor"] == "Pat Supervisor"
        _until(
            lambda: {states(alice)[k] for k in remedy.values()} == {"succeeded"}, "the approved visit to end"
        )

        # carol's 8.4 is refused: it and everything of its visit fail with the reason, unsent.
        assert {states(carol)[k] for k in refused.values()} == {"waiting"}
        refusal = subprocess.run(
            [*_cli(), "intents", "refuse", refused["8.4"], "--by", "Pat Supervisor",
             "--reason", "ask the DCC for a manual inventory change"],
            env=env, cwd=REPO, capture_output=True, text=True,
        )  # fmt: skip
        assert refusal.returncode == 0, refusal.stderr
        states(carol)  # the sync pulls the refusal and its consequences
        final = {v.idempotency_key: v for v in list_intents(carol)}
        assert {final[k].state for k in refused.values()} == {"failed"}
        assert (
            final[refused["8.4"]].server_reason
            == "refused by Pat Supervisor: ask the DCC for a manual inventory change"
        )
        assert all(final[k].request_id is None for k in refused.values())
        assert f"its prerequisite 8.4 ({refused['8.4']})" in (final[refused["8.11"]].server_reason or "")

        shown = subprocess.run([*_cli(), "intents", "show", refused["8.4"]], env=env, cwd=REPO,
                               capture_output=True, text=True, check=True)  # fmt: skip
        audit = json.loads(shown.stdout)["audit"]
        assert [(a["action"], a["actor"], a["via"], a["detail"]["reason"]) for a in audit] == [
            ("intent.refused", "Pat Supervisor", "command line", "ask the DCC for a manual inventory change")
        ]
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/v1/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False
