"""The review window on a real back office served on 127.0.0.1 (SQLite and PostgreSQL): an admin
approves and refuses waiting 8.4 remedies from the Approvals tab, and the back office's audit
log holds each decision exactly as the command line records its own; an analyst's token lists
what waits but cannot decide it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.backoffice.cli import main
from app.backoffice.ordering import audit_entries
from app.services.context import AppContext
from app.ui.review.sources import SourceChoice, SourceKind
from app.ui.review.window import TAB_APPROVALS, ReviewWindow
from tests.test_backoffice_live import app_in_thread
from tests.test_backoffice_order import post, view, visit
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import TestClient
from tests.test_review_api import _token

Office = tuple[str, Any, list[dict[str, dict[str, Any]]]]


@pytest.fixture
def office(client: TestClient, store: Any, alice: dict[str, str]) -> Iterator[Office]:
    """Three of alice's visits, each waiting for its 8.4 remedy to be approved, served over HTTP."""
    visits = [visit(remedy=True) for _ in range(3)]
    for intents in visits:
        post(client, alice, *intents.values())
    with app_in_thread(store) as url:
        yield url, store, visits


@pytest.fixture
def open_window(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[[str, str], ReviewWindow]]:
    opened: list[tuple[ReviewWindow, AppContext]] = []

    def open_(url: str, token: str) -> ReviewWindow:
        ctx = AppContext(tmp_path / f"laptop{len(opened)}")
        window = ReviewWindow(ctx, choice=SourceChoice(SourceKind.BACKOFFICE, url=url, token=token))
        qtbot.addWidget(window)
        opened.append((window, ctx))
        window.resize(1280, 720)
        window.show()
        qtbot.waitUntil(lambda: window.source is not None and not window.model.loading, timeout=15_000)
        window.tabs.setCurrentIndex(TAB_APPROVALS)
        return window

    yield open_
    for window, ctx in opened:
        window.shutdown()
        ctx.close()


def row_of(window: ReviewWindow, key: str) -> int:
    model = window.approvals.model
    return next(r for r in range(model.rowCount()) if model.row_at(r).approval_id == key)


def decide_in_window(qtbot: QtBot, window: ReviewWindow, key: str, reason: str, approve: bool) -> None:
    """Select the request, type the reason and click the button, as the analyst does."""
    page = window.approvals
    page.table.selectRow(row_of(window, key))
    page.reason.clear()
    qtbot.keyClicks(page.reason, reason)
    button = page.approve if approve else page.refuse
    assert button.isEnabled() and not page.note.isVisible()
    with qtbot.waitSignal(page.decided, timeout=15_000) as decided:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert decided.args == [key, approve]
    qtbot.waitUntil(lambda: not any(page.model.row_at(r).approval_id == key for r in range(page.model.rowCount())),
                    timeout=15_000)


def audit_of(store: Any, key: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    with store.read() as session:
        return [(e.action, e.actor, e.via, dict(e.detail)) for e in audit_entries(session) if e.subject == key]


def test_an_admin_approves_and_refuses_from_the_window_audited_like_the_command_line(
    qtbot: QtBot, office: Office, open_window: Callable[[str, str], ReviewWindow], db_url: str,
    client: TestClient, alice: dict[str, str], capsys: pytest.CaptureFixture[str],
) -> None:
    url, store, visits = office
    window = open_window(url, _token(store, "olive.reviewer", admin=True))
    page = window.approvals
    keys = [v["8.4"]["idempotency_key"] for v in visits]
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=15_000)
    assert {page.model.row_at(r).approval_id for r in range(3)} == set(keys)
    assert {page.model.index(r, 1).data() for r in range(3)} == {"8.4 remedy"}
    assert window.source is not None and window.source.can_approve

    page.table.selectRow(row_of(window, keys[0]))
    assert not page.approve.isEnabled() and "Write the reason" in page.note.text()  # a reason is required

    decide_in_window(qtbot, window, keys[0], "firmware checked against the CPL", approve=True)
    qtbot.waitUntil(lambda: page.status.text() == "Approved; it goes to the DCC with the next send. "
                                                  "2 waiting for approval.", timeout=15_000)
    decide_in_window(qtbot, window, keys[1], "wrong model for this hub", approve=False)
    assert page.model.rowCount() == 1

    # The third is decided on the command line, so the window's entries can be set beside its own.
    assert main(["--db", db_url, "intents", "approve", keys[2], "--by", "olive.reviewer",
                 "--reason", "firmware checked against the CPL"]) == 0
    assert json.loads(capsys.readouterr().out)["approval"]["decided_by"] == "olive.reviewer"

    (approved,), (refused,), (by_cli,) = (audit_of(store, k) for k in keys)
    assert approved[:3] == ("intent.approved", "olive.reviewer", "admin token of olive.reviewer")
    assert approved[3]["reason"] == "firmware checked against the CPL" and approved[3]["srv"] == "8.4"
    assert by_cli[:3] == ("intent.approved", "olive.reviewer", "command line")
    assert set(approved[3]) == set(by_cli[3]) and approved[3]["reason"] == by_cli[3]["reason"]
    assert refused[:2] == ("intent.refused", "olive.reviewer")
    assert refused[3]["reason"] == "wrong model for this hub"

    assert view(client, alice, visits[0]["8.4"])["state"] == "accepted"
    shown = view(client, alice, visits[1]["8.4"])
    assert (shown["state"], shown["reason"]) == ("failed", "refused by olive.reviewer: wrong model for this hub")
    assert view(client, alice, visits[1]["8.11"])["state"] == "failed"  # what waited on it fails too


def test_an_analysts_token_lists_what_waits_but_cannot_decide(
    qtbot: QtBot, office: Office, open_window: Callable[[str, str], ReviewWindow]
) -> None:
    url, store, visits = office
    window = open_window(url, _token(store, "dana", analyst=True))
    page = window.approvals
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=15_000)
    page.table.selectRow(0)
    qtbot.keyClicks(page.reason, "looks right")
    assert not page.approve.isEnabled() and not page.refuse.isEnabled()
    assert page.note.isVisible()
    assert page.note.text() == ("This back-office access reads but may not decide (an analyst's token is read only). "
                                "Approving or refusing needs an admin token.")
    page.decide(True)  # even asked directly, nothing is sent
    assert all(not audit_of(store, v["8.4"]["idempotency_key"]) for v in visits)
