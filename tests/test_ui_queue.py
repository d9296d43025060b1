"""The Queue tab's Last error column: why the DCC or the back office settled a request against
the installer, read from a real outbox on a real SQLite folder and shown by the real pane."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services.context import AppContext
from app.store import outbox
from app.ui.models import QueueModel
from app.ui.queue_backend import shown_error, snapshot
from app.ui.queue_page import QueuePage

TARGETS = {"8.7.1": "0A-1B-2C-00-00-00-00-10", "8.11": "0A-1B-2C-00-00-00-00-14", "8.2": "0A-1B-2C-00-00-00-00-12",
           "11.2": "0A-1B-2C-00-00-00-00-13"}


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[AppContext]:
    context = AppContext(tmp_path / "data")
    new = [
        outbox.NewIntent(idempotency_key=str(uuid.uuid4()), kind="Read", srv=srv, command_variant=1, target=target,
                         critical=srv == "8.7.1", payload={"format": "hubcheck-duis-intent/1", "kind": "Read",
                                                           "body": {}}, duis_xml="<x/>")
        for srv, target in TARGETS.items()
    ]
    with context.engine.begin() as conn:
        outbox.insert_intents(conn, new, install_id=None, job_ref="J-1", now="2026-11-23T10:00:00+00:00")
        claimed = outbox.claim_due(conn, now=1.0, now_text="t1", limit=10)
        # A 503 on the way: every request goes back to queued with that transport error kept.
        outbox.release(conn, [(c.id, 0.0) for c in claimed], "HTTP 503 from the back office", "t2")
    yield context
    context.close()


def _answer(ctx: AppContext, srv: str, answer: outbox.ServerAnswer) -> None:
    with ctx.engine.connect() as conn:
        key = next(v.idempotency_key for v in outbox.list_intents(conn) if v.srv == srv)
    with ctx.engine.begin() as conn:
        outbox.apply_status_changes(conn, [outbox.StatusUpdate(key, answer)], "t3")


def _shown(page: QueuePage) -> dict[str, tuple[str, str]]:
    """SRV → (State, Last error) as the table's cells read."""
    model = page.model
    return {model.index(r, QueueModel.COL_SRV).data(): (model.index(r, QueueModel.COL_STATE).data(),
                                                       model.index(r, QueueModel.COL_ERROR).data())
            for r in range(model.rowCount())}


def test_a_failed_request_shows_the_dccs_response_code_not_an_older_network_error(qtbot, ctx) -> None:
    _answer(ctx, "8.7.1", outbox.ServerAnswer("failed", request_id="O:T:1", response_code="E65", seq=1))
    _answer(ctx, "8.11", outbox.ServerAnswer("failed", response_code="E081101", reason="the install code was refused",
                                             seq=2))
    _answer(ctx, "8.2", outbox.ServerAnswer("succeeded", response_code="I0", seq=3))
    page = QueuePage()
    qtbot.addWidget(page)
    page.show_snapshot(snapshot(ctx))

    shown = _shown(page)
    assert shown["8.7.1"] == ("failed", "DCC response E65")
    assert shown["8.11"] == ("failed", "DCC response E081101: the install code was refused")
    assert shown["11.2"] == ("queued", "HTTP 503 from the back office")  # still waiting: the transport error stands
    assert shown["8.2"][0] == "succeeded"
    codes = {row.srv: row.response_code for row in page.model.rows()}
    assert codes == {"8.7.1": "E65", "8.11": "E081101", "8.2": "I0", "11.2": ""}


def test_a_rejected_or_dependant_failure_shows_the_servers_reason(qtbot, ctx) -> None:
    _answer(ctx, "8.7.1", outbox.ServerAnswer("rejected", reason="target is not on the DCC inventory", seq=1))
    _answer(ctx, "11.2", outbox.ServerAnswer("failed", reason="8.7.1 failed (E65)", seq=2))
    page = QueuePage()
    qtbot.addWidget(page)
    page.show_snapshot(snapshot(ctx))

    shown = _shown(page)
    assert shown["8.7.1"] == ("rejected", "target is not on the DCC inventory")
    assert shown["11.2"] == ("failed", "8.7.1 failed (E65)")


@pytest.mark.parametrize(("state", "code", "reason", "last", "expected"), [
    ("failed", "E65", None, "HTTP 503", "DCC response E65"),
    ("failed", "E65", "  ", None, "DCC response E65"),
    ("failed", None, None, "HTTP 503", "HTTP 503"),  # failed with no answer of the server's: what is known
    ("queued", None, "an old reason", "time-out", "time-out"),
    ("queued", None, None, None, ""),
])
def test_shown_error_words(state: str, code: str | None, reason: str | None, last: str | None, expected: str) -> None:
    assert shown_error(state, code, reason, last) == expected
