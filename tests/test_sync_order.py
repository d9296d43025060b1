"""The laptop's side of order and approval: what goes on the wire, and the ``waiting`` state.

Real SQLite files for the outbox; the back office is the real one on 127.0.0.1 (its
process, from ``tests.sync_helpers``), so the laptop's sync meets the real intake; the
window's Queue tab is checked through the tester kit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.services.context import AppContext
from app.services.queue import list_intents, queue_counts
from app.store import outbox
from app.sync.engine import intent_item, sync_once
from tests.sync_helpers import Backoffice, backoffice_token, running_backoffice, server_states

pytest_plugins = ["app.testing.plugin"]

NOW = "2026-05-01T08:00:00+00:00"


def _intent(srv: str, *, depends_on: tuple[str, ...] = (), needs_approval: bool = False) -> outbox.NewIntent:
    return outbox.NewIntent(
        idempotency_key=str(uuid.uuid4()),
        kind="ReadFirmwareVersion",
        srv=srv,
        command_variant=1,
        target="00-0D-6F-00-00-AB-CD-EF",
        critical=False,
        payload={"format": "hubcheck-duis-intent/1", "kind": "ReadFirmwareVersion", "body": {}},
        duis_xml="<x/>",
        depends_on=depends_on,
        needs_approval=needs_approval,
    )


def _queue(ctx: AppContext, *intents: outbox.NewIntent) -> None:
    with ctx.engine.begin() as conn:
        outbox.insert_intents(conn, list(intents), install_id=None, job_ref="J-1", now=NOW)


def _claim(ctx: AppContext) -> dict[str, outbox.ClaimedIntent]:
    with ctx.engine.begin() as conn:
        claimed = outbox.claim_due(conn, now=0, now_text=NOW, limit=100, ignore_backoff=True)
    return {c.idempotency_key: c for c in claimed}


def _state(ctx: AppContext, key: str) -> str:
    return {v.idempotency_key: v.state for v in list_intents(ctx)}[key]


def test_the_wire_form_carries_the_order_only_when_there_is_one(tmp_path: Path) -> None:
    ctx = AppContext(tmp_path / "data")
    plain = _intent("8.11")
    join = _intent("8.7.2", depends_on=(plain.idempotency_key,))
    remedy = _intent("8.4", needs_approval=True)
    _queue(ctx, plain, join, remedy)
    claimed = _claim(ctx)
    first = intent_item(claimed[plain.idempotency_key])
    assert "depends_on" not in first and "needs_approval" not in first  # as an older laptop sent it
    assert intent_item(claimed[join.idempotency_key])["depends_on"] == [plain.idempotency_key]
    assert "needs_approval" not in intent_item(claimed[join.idempotency_key])
    assert intent_item(claimed[remedy.idempotency_key])["needs_approval"] is True


def test_waiting_sits_between_sent_and_accepted_and_never_goes_back(tmp_path: Path) -> None:
    ctx = AppContext(tmp_path / "data")
    intent = _intent("8.7.1")
    _queue(ctx, intent)
    _claim(ctx)
    key = intent.idempotency_key

    def apply(state: str, seq: int) -> int:
        with ctx.engine.begin() as conn:
            change = outbox.StatusUpdate(key, outbox.ServerAnswer(state, seq=seq))
            return outbox.apply_status_changes(conn, [change], NOW)

    assert apply("waiting", 1) == 1 and _state(ctx, key) == "waiting"
    assert apply("accepted", 2) == 1 and _state(ctx, key) == "accepted"
    assert apply("waiting", 1) == 0 and _state(ctx, key) == "accepted"  # an old change is ignored
    assert apply("failed", 3) == 1 and _state(ctx, key) == "failed"
    assert queue_counts(ctx)["waiting"] == 0


@pytest.fixture(scope="module")
def backoffice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backoffice]:
    with running_backoffice(tmp_path_factory.mktemp("bo") / "backoffice.db") as bo:
        yield bo


def test_a_sync_shows_waiting_requests_in_the_queue(tmp_path: Path, backoffice: Backoffice) -> None:
    ctx = AppContext(tmp_path / "data")
    name = f"inst-{uuid.uuid4().hex[:8]}"
    ctx.settings.set_many(
        {"backoffice_url": backoffice.url, "backoffice_token": backoffice_token(backoffice.db_url, name)}
    )
    add = _intent("8.11")
    join = _intent("8.7.2", depends_on=(add.idempotency_key,))
    remedy = _intent("8.4", needs_approval=True)
    _queue(ctx, add, join, remedy)
    report = sync_once(ctx)
    assert report.status == "ok", report.errors
    assert (report.created, report.rejected) == (3, 0)
    assert [_state(ctx, k.idempotency_key) for k in (add, join, remedy)] == ["accepted", "waiting", "waiting"]
    assert queue_counts(ctx)["waiting"] == 2
    assert server_states(backoffice.db_url, name) == {
        add.idempotency_key: "accepted",
        join.idempotency_key: "waiting",
        remedy.idempotency_key: "waiting",
    }


def test_the_queue_tab_shows_waiting_after_sync_now(hubcheck, backoffice: Backoffice) -> None:  # noqa: ANN001
    ctx = hubcheck.window.ctx
    token = backoffice_token(backoffice.db_url, f"inst-{uuid.uuid4().hex[:8]}")
    ctx.settings.set_many({"backoffice_url": backoffice.url, "backoffice_token": token})
    add = _intent("8.11")
    join = _intent("8.7.1", depends_on=(add.idempotency_key,))
    _queue(ctx, add, join)
    assert hubcheck.sync_now() == "ok"
    rows = hubcheck.queue_rows()
    model = hubcheck.window.view.queue_page.model
    shown = {row.key: model.index(i, 3).data() for i, row in enumerate(rows)}  # the State column as drawn
    assert model.headerData(3, Qt.Orientation.Horizontal) == "State"
    assert shown == {add.idempotency_key: "accepted", join.idempotency_key: "waiting"}
