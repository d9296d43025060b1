"""Sync against the real back-office process on 127.0.0.1: push, replay, status pull, visits, regime, CLI."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from app.cli import main
from app.domain.duis import CHFLocation, ReadFirmwareVersion
from app.domain.ids import DeviceId, canonical_from_hex16
from app.services.context import AppContext
from app.services.cpl_import import import_cpl
from app.services.installs import VisitRequest, record_visit
from app.services.jobs_import import import_jobs_file
from app.services.pairing import check_texts
from app.services.queue import enqueue_intents, list_intents, queue_counts
from app.store import audit
from app.sync.engine import sync_once
from tests.sync_helpers import (
    Backoffice,
    backoffice_token,
    running_backoffice,
    server_keys,
    server_states,
    set_backoffice_regime,
)

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "sample"
GOOD = json.loads((SAMPLE / "labels.json").read_text())[0]


@pytest.fixture(scope="module")
def backoffice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backoffice]:
    with running_backoffice(tmp_path_factory.mktemp("bo") / "backoffice.db") as bo:
        yield bo


def laptop(tmp_path: Path, bo: Backoffice, installer: str | None = None) -> tuple[AppContext, str]:
    name = installer or f"inst-{uuid.uuid4().hex[:10]}"
    ctx = AppContext(tmp_path / f"laptop-{name}")
    ctx.settings.set_many({"backoffice_url": bo.url, "backoffice_token": backoffice_token(bo.db_url, name)})
    return ctx, name


def fill(ctx: AppContext, n: int, start: int = 1) -> list[str]:
    intents = [ReadFirmwareVersion(target_id=DeviceId(canonical_from_hex16(f"{i:016X}"))) for i in range(start, start + n)]
    return enqueue_intents(ctx, intents, validate=False)


def test_a_pass_sends_every_intent_once_and_marks_it_accepted(tmp_path: Path, backoffice: Backoffice) -> None:
    ctx, name = laptop(tmp_path, backoffice)
    keys = fill(ctx, 1200)
    report = sync_once(ctx, batch_size=500)
    assert report.status == "ok", report.errors
    assert (report.sent, report.created, report.batches, report.queued_left) == (1200, 1200, 3, 0)
    assert queue_counts(ctx)["accepted"] == 1200
    on_server = server_keys(backoffice.db_url, name)
    assert set(on_server) == set(keys) and set(on_server.values()) == {1}
    again = sync_once(ctx)
    assert (again.status, again.sent) == ("ok", 0)


def test_a_resend_of_accepted_intents_is_a_replay(tmp_path: Path, backoffice: Backoffice) -> None:
    ctx, name = laptop(tmp_path, backoffice)
    keys = fill(ctx, 50)
    sync_once(ctx)
    with ctx.engine.begin() as conn:  # as if the laptop lost its answers
        conn.execute(text("UPDATE outbox_intents SET state = 'queued'"))
    report = sync_once(ctx)
    assert (report.created, report.replayed) == (0, 50)
    assert queue_counts(ctx)["accepted"] == 50
    assert set(server_keys(backoffice.db_url, name).values()) == {1} and len(keys) == 50


def test_an_item_the_back_office_refuses_is_rejected_and_the_rest_go_through(
    tmp_path: Path, backoffice: Backoffice
) -> None:
    ctx, _ = laptop(tmp_path, backoffice)
    fill(ctx, 5)
    with ctx.engine.begin() as conn:
        conn.execute(text("UPDATE outbox_intents SET target = 'not-a-device' WHERE id = 3"))
    report = sync_once(ctx)
    assert (report.created, report.rejected) == (4, 1)
    views = {v.id: v for v in list_intents(ctx)}
    assert views[3].state == "rejected" and views[3].last_error and "target" in views[3].last_error
    assert {views[i].state for i in (1, 2, 4, 5)} == {"accepted"}


def test_status_changes_flow_back(tmp_path: Path, backoffice: Backoffice) -> None:
    ctx, name = laptop(tmp_path, backoffice)
    first, second = fill(ctx, 2)
    sync_once(ctx)
    admin = backoffice_token(backoffice.db_url, f"admin-{uuid.uuid4().hex[:6]}", admin=True)
    headers = {"Authorization": f"Bearer {admin}"}
    for key, code in ((first, "I0"), (second, "E65")):
        r = httpx.post(f"{backoffice.url}/v1/admin/intents/{key}/events", json={"event": "submitted"}, headers=headers)
        assert r.status_code == 200, r.text
        r = httpx.post(
            f"{backoffice.url}/v1/admin/intents/{key}/events",
            json={"event": "response", "response_code": code},
            headers=headers,
        )
        assert r.status_code == 200, r.text
    report = sync_once(ctx)
    assert report.status == "ok" and report.status_applied >= 2
    views = {v.idempotency_key: v for v in list_intents(ctx)}
    assert views[first].state == "succeeded" and views[first].response_code == "I0"
    assert views[first].request_id and views[first].request_id.count(":") == 2
    assert views[second].state == "failed" and views[second].response_code == "E65"
    assert server_states(backoffice.db_url, name) == {first: "succeeded", second: "failed"}


def test_visit_records_are_uploaded_with_their_override(tmp_path: Path, backoffice: Backoffice) -> None:
    ctx, name = laptop(tmp_path, backoffice)
    import_cpl(ctx, SAMPLE / "cpl.csv")
    import_jobs_file(ctx, SAMPLE / "jobpack.json")
    stop = json.loads((SAMPLE / "labels.json").read_text())[1]
    outcome = record_visit(
        ctx,
        VisitRequest(
            job_ref=stop["job_ref"], ppmid=stop["ppmid_label"], hub=stop["hub_label"], meter=stop["meter_label"],
            hub_location=CHFLocation.OUTSIDE_PREMISES, override_reason="approved by supervisor",
        ),
    )
    report = sync_once(ctx)
    assert (report.visits_sent, report.visits_accepted, report.created) == (1, 1, 5)
    from app.backoffice.db import open_store

    store = open_store(backoffice.db_url)
    with store.engine.connect() as conn:
        row = conn.execute(
            text("SELECT override_reason, verdict_level, outcome FROM bo_installs WHERE install_id = :i"),
            {"i": outcome.install_id},
        ).one()
        linked = conn.execute(
            text("SELECT COUNT(*) FROM bo_intents WHERE install_id = :i"), {"i": outcome.install_id}
        ).scalar_one()
    store.dispose()
    assert tuple(row) == ("approved by supervisor", "block", "recorded") and linked == 5
    with ctx.engine.connect() as conn:
        assert conn.execute(text("SELECT sync_state FROM install_visits")).scalar_one() == "accepted"


def test_the_laptop_adopts_the_back_offices_regime(tmp_path: Path) -> None:
    with running_backoffice(tmp_path / "regime-bo.db") as bo:
        ctx, _ = laptop(tmp_path, bo)
        import_cpl(ctx, SAMPLE / "cpl.csv")
        import_jobs_file(ctx, SAMPLE / "jobpack.json")
        assert (ctx.setting("regime"), ctx.setting("regime_source")) == ("tactical", "local")
        set_backoffice_regime(bo.db_url, "mp202")
        report = sync_once(ctx)
        assert (report.regime, report.regime_changed) == ("mp202", True)
        assert (ctx.setting("regime"), ctx.setting("regime_source")) == ("mp202", "backoffice")
        verdict = check_texts(ctx, GOOD["ppmid_label"], GOOD["hub_label"])
        assert verdict.to_json()["regime"] == "mp202" and verdict.to_json()["regime_source"] == "backoffice"
        assert sync_once(ctx).regime_changed is False
        with ctx.engine.connect() as conn:
            adopted = [e for e in audit.entries(conn) if e.action == "regime.adopted"]
        assert len(adopted) == 1 and adopted[0].detail["from"] == "tactical"


def test_cli_sync(tmp_path: Path, backoffice: Backoffice, capsys: pytest.CaptureFixture[str]) -> None:
    ctx, _ = laptop(tmp_path, backoffice)
    fill(ctx, 30)
    data = ["--data-dir", str(ctx.data_dir)]
    assert main([*data, "sync", "--once", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["created"] == 30 and report["status"] == "ok" and report["regime_source"] == "backoffice"
    fill(ctx, 10, start=100)
    assert main([*data, "sync"]) == 0
    assert "10 new" in capsys.readouterr().out
    assert main([*data, "settings", "set", "backoffice_url", ""]) == 0
    assert main([*data, "sync", "--once"]) == 2
    assert "backoffice_url" in capsys.readouterr().out


def test_a_damaged_stored_intent_is_set_aside_and_the_rest_still_reach_the_back_office(
    tmp_path: Path, backoffice: Backoffice
) -> None:
    ctx, name = laptop(tmp_path, backoffice)
    keys = fill(ctx, 30)
    damaged = keys[7]
    with ctx.engine.begin() as conn:  # a torn write or disk fault left this row's JSON unreadable
        conn.exec_driver_sql(
            "UPDATE outbox_intents SET payload_json = '{\"body\": ' WHERE idempotency_key = ?", (damaged,)
        )

    report = sync_once(ctx, batch_size=10)

    assert report.status == "ok", report.errors
    assert (report.created, report.rejected, report.queued_left) == (29, 1, 0)
    assert set(server_keys(backoffice.db_url, name)) == set(keys) - {damaged}
    views = {v.idempotency_key: v for v in list_intents(ctx)}
    assert views[damaged].state == "rejected"
    assert "cannot be read" in (views[damaged].last_error or "")
    assert sync_once(ctx).sent == 0  # set aside once, not retried for ever
