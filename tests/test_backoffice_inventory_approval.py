"""A visit's manual inventory change waits at the back office for a person's decision (SQLite and
PostgreSQL): a laptop records visits whose installer chose "ask the DCC for a manual inventory
change" instead of an 8.4, and syncs them to a back office served on 127.0.0.1. They wait in
``/v1/review/approvals`` and in the review window's Approvals tab beside an 8.4 remedy; an admin
approves one from the window and refuses another on the command line, both audited alike;
deciding again is refused, and an analyst's or installer's token cannot decide. Intake keeps
one decision per record on replay, and the migration fills it for records stored before it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from app.backoffice.cli import main
from app.backoffice.db import Store, _alembic_config, migrate
from app.backoffice.ordering import audit_entries
from app.backoffice.review_query import BackofficeDbReviewSource, review_approvals
from app.domain.duis import CHFLocation
from app.services.context import AppContext
from app.services.cpl_import import import_cpl
from app.services.installs import RemedyKind, VisitRequest, record_visit
from app.services.jobs_import import import_jobs_file
from app.services.review.contract import ReviewError
from app.ui.review.sources import SourceChoice, SourceKind
from app.ui.review.window import TAB_APPROVALS, ReviewWindow
from tests.test_backoffice_live import app_in_thread
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import (
    TestClient,
    bearer,
    issue_token,
    make_install,
    make_intent,
    sync_laptop_copy,
)
from tests.test_review_api import _token
from tests.test_review_window_backoffice import decide_in_window, row_of

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "sample"
LABELS: dict[str, dict[str, Any]] = {}
for _row in json.loads((SAMPLE / "labels.json").read_text()):  # a job's first story is its good scan
    LABELS.setdefault(_row["job_ref"], _row)
MISMATCH = "J-000102"  # a Pending PPMID of a bilingual model pre-notified for the other generation


@dataclass(frozen=True)
class Recorded:
    data: Path
    manual: list[str]  # install ids of the two visits asking for a manual inventory change
    remedy_8_4: str  # the 8.4 intent's key of the third visit
    plain: str  # an ordinary visit: nothing to approve


def _visit(ctx: AppContext, job: str, **extra: Any) -> Any:
    row = LABELS[job]
    return record_visit(ctx, VisitRequest(
        job_ref=job, ppmid=row["ppmid_label"], hub=row["hub_label"], meter=row["meter_label"],
        hub_location=CHFLocation.DEEP_INDOORS, scenario="existing-hub", **extra,
    ))  # fmt: skip


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    """Alice's laptop, offline, with two manual-inventory-change visits, an 8.4 visit and a plain one."""
    data = tmp_path_factory.mktemp("laptop-alice") / "data"
    ctx = AppContext(data)
    try:
        import_cpl(ctx, SAMPLE / "cpl.csv")
        import_jobs_file(ctx, SAMPLE / "jobpack.json")
        manual = [
            _visit(ctx, MISMATCH, override_reason="asked the DCC instead", remedy=RemedyKind.MANUAL_INVENTORY_CHANGE)
            for _ in range(2)
        ]
        remedy = _visit(ctx, MISMATCH, override_reason="moving it", remedy=RemedyKind.UPDATE_INVENTORY)
        plain = _visit(ctx, "J-000101")
    finally:
        ctx.close()
    assert all(i.srv != "8.4" for o in manual for i in o.intents)  # nothing queued for the change itself
    return Recorded(
        data=data,
        manual=[o.install_id for o in manual],
        remedy_8_4=next(i.idempotency_key for i in remedy.intents if i.srv == "8.4"),
        plain=plain.install_id,
    )


Office = tuple[str, Store, Recorded]


@pytest.fixture
def office(recorded: Recorded, store: Store, tmp_path: Path) -> Iterator[Office]:
    """The back office on 127.0.0.1 after alice's laptop (a copy) has synced its visits."""
    with app_in_thread(store) as url:
        sync_laptop_copy(store, url, recorded.data, tmp_path / "laptop")
        yield url, store, recorded


@pytest.fixture
def open_window(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[[str, str], ReviewWindow]]:
    opened: list[tuple[ReviewWindow, AppContext]] = []

    def open_(url: str, token: str) -> ReviewWindow:
        ctx = AppContext(tmp_path / f"reviewer{len(opened)}")
        window = ReviewWindow(ctx, choice=SourceChoice(SourceKind.BACKOFFICE, url=url, token=token))
        qtbot.addWidget(window)
        opened.append((window, ctx))
        window.show()
        qtbot.waitUntil(lambda: window.source is not None and not window.model.loading, timeout=15_000)
        window.tabs.setCurrentIndex(TAB_APPROVALS)
        return window

    yield open_
    for window, ctx in opened:
        window.shutdown()
        ctx.close()


def audit_of(store: Store, subject: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    with store.read() as session:
        return [(e.action, e.actor, e.via, dict(e.detail)) for e in audit_entries(session, subject)]


def approvals_over_http(url: str, token: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{url}/v1/review/approvals", headers=bearer(token), timeout=10)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["approvals"])


def test_manual_inventory_changes_are_decided_from_the_window_and_the_command_line_and_audited(
    qtbot: QtBot, office: Office, open_window: Callable[[str, str], ReviewWindow], db_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, store, rec = office
    first, second = rec.manual
    with store.read() as session:
        ppmid = session.execute(text("SELECT ppmid FROM bo_installs WHERE install_id = :i"), {"i": first}).scalar_one()
    analyst = _token(store, "dana", analyst=True)

    # They wait in the review's list, beside the 8.4, each named by its record and its device.
    waiting = {a["approval_id"]: a for a in approvals_over_http(url, analyst)}
    assert set(waiting) == {f"install:{first}", f"install:{second}", rec.remedy_8_4}
    change = waiting[f"install:{first}"]
    assert (change["kind"], change["record_id"], change["job_ref"], change["installer"]) == (
        "inventory_change", first, MISMATCH, "alice")
    assert (change["srv"], change["target"]) == ("", ppmid)  # the PPMID whose inventory entry would change
    assert change["summary"].startswith(f"Ask the DCC for a manual inventory change of device {ppmid}: move its ")
    assert waiting[rec.remedy_8_4]["kind"] == "remedy_8_4"

    # The window's Approvals tab shows all three; the admin approves the first there.
    window = open_window(url, _token(store, "olive.reviewer", admin=True))
    page = window.approvals
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=15_000)
    kinds = {page.model.row_at(r).approval_id: page.model.index(r, 1).data() for r in range(3)}
    assert kinds == {f"install:{first}": "Inventory change", f"install:{second}": "Inventory change",
                     rec.remedy_8_4: "8.4 remedy"}
    assert page.model.index(row_of(window, f"install:{first}"), 4).data() == "—"  # no Service Request
    decide_in_window(qtbot, window, f"install:{first}", "DCC ticket raised for the PPMID", approve=True)
    qtbot.waitUntil(lambda: page.status.text().startswith(
        "Approved; the back office asks the DCC for the manual inventory change."), timeout=15_000)

    # The second is refused on the command line.
    assert main(["--db", db_url, "installs", "refuse", second, "--by", "olive.reviewer",
                 "--reason", "the model has no other CPL entry in force"]) == 0
    refused = json.loads(capsys.readouterr().out)
    assert (refused["decision"], refused["decided_by"], refused["install_id"]) == ("refused", "olive.reviewer", second)

    # The audit log holds both, alike but for the channel.
    (approved,), (by_cli,) = audit_of(store, first), audit_of(store, second)
    assert approved[:3] == ("install.approved", "olive.reviewer", "admin token of olive.reviewer")
    assert by_cli[:3] == ("install.refused", "olive.reviewer", "command line")
    assert set(approved[3]) == set(by_cli[3]) == {"kind", "install_id", "job_ref", "device_id", "reason"}
    assert approved[3]["reason"] == "DCC ticket raised for the PPMID"
    assert by_cli[3]["reason"] == "the model has no other CPL entry in force"
    assert approved[3]["kind"] == "manual-inventory-change" and approved[3]["install_id"] == first

    # Only the 8.4 still waits; the plain visit never did.
    assert [a["approval_id"] for a in approvals_over_http(url, analyst)] == [rec.remedy_8_4]
    qtbot.mouseClick(page.reload, Qt.MouseButton.LeftButton)  # "Check again" sees the command line's refusal
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=15_000)

    # Deciding again is refused, over HTTP (409) and on the command line (exit 2), and changes nothing.
    admin = bearer(_token(store, "ops", admin=True))
    again = httpx.post(f"{url}/v1/admin/installs/{first}/refuse", headers=admin, timeout=10,
                       json={"by": "ops", "reason": "second thoughts"})
    assert again.status_code == 409 and "already approved by olive.reviewer" in again.json()["detail"]
    assert main(["--db", db_url, "installs", "approve", second, "--by", "ops"]) == 2
    assert "already refused by olive.reviewer" in capsys.readouterr().err
    none = httpx.post(f"{url}/v1/admin/installs/{rec.plain}/approve", headers=admin, timeout=10, json={"by": "ops"})
    assert none.status_code == 409 and "asked for no manual inventory change" in none.json()["detail"]
    unknown = httpx.post(f"{url}/v1/admin/installs/6f1c2b1e-1d2a-4c55-9a3e-0b7d9f5e2a10/approve", headers=admin,
                         timeout=10, json={"by": "ops"})
    assert unknown.status_code == 404
    assert len(audit_of(store, first)) == len(audit_of(store, second)) == 1


def test_an_analysts_or_installers_token_cannot_decide(office: Office) -> None:
    url, store, rec = office
    first = rec.manual[0]
    for token in (_token(store, "dana", analyst=True), issue_token(store, "alice")):
        for action, body in (("approve", {"by": "dana"}), ("refuse", {"by": "dana", "reason": "no"})):
            answer = httpx.post(f"{url}/v1/admin/installs/{first}/{action}", headers=bearer(token), json=body,
                                timeout=10)
            assert answer.status_code == 403, answer.text
    assert audit_of(store, first) == []
    assert f"install:{first}" in {a["approval_id"] for a in approvals_over_http(url, _token(store, "x", admin=True))}


def test_a_refusal_needs_a_reason_and_the_routes_are_documented(client: TestClient, admin: dict[str, str],
                                                                alice: dict[str, str], store: Store) -> None:
    record = make_install(meta={"remedy": "manual inventory change", "remedy_detail": {
        "kind": "manual-inventory-change", "device_id": "00-0D-6F-00-00-11-22-33", "firmware_version": "00010200",
        "smets_chts_version": "SMETS V4.2", "needs_approval": True, "queued": False}})
    assert client.post("/v1/installs", json=[record], headers=alice).status_code == 200
    path = f"/v1/admin/installs/{record['install_id']}"
    assert client.post(f"{path}/refuse", json={"by": "ops"}, headers=admin).status_code == 422
    assert client.post(f"{path}/refuse", json={"by": "ops", "reason": "  "}, headers=admin).status_code == 422
    assert client.post(f"{path}/approve", json={"by": ""}, headers=admin).status_code == 422
    shown = client.post(f"{path}/approve", json={"by": "ops"}, headers=admin)
    assert shown.status_code == 200
    body = shown.json()
    assert (body["decision"], body["decided_by"], body["reason"]) == ("approved", "ops", None)
    assert body["summary"] == ("Ask the DCC for a manual inventory change of device 00-0D-6F-00-00-11-22-33: move "
                               "its inventory entry to firmware 00010200, SMETS V4.2 (its model's other CPL entry).")
    assert [e["action"] for e in body["audit"]] == ["install.approved"]
    audit = client.get("/v1/admin/audit", params={"subject": record["install_id"]}, headers=admin).json()["entries"]
    assert [(e["action"], e["via"]) for e in audit] == [("install.approved", "admin token of ops")]

    paths = client.get("/openapi.json").json()["paths"]
    for action in ("approve", "refuse"):
        statuses = set(paths[f"/v1/admin/installs/{{install_id}}/{action}"]["post"]["responses"])
        assert statuses >= {"200", "400", "401", "403", "404", "409", "413", "422", "503", "507"}


def test_intake_keeps_one_decision_per_record_on_replay_and_the_db_source_decides_each_kind(
    client: TestClient, alice: dict[str, str], store: Store
) -> None:
    detail = {"kind": "manual-inventory-change", "device_id": "00-0D-6F-00-00-11-22-33", "needs_approval": True,
              "queued": False}
    asked = make_install(meta={"remedy_detail": detail})
    not_asked = make_install(meta={"remedy_detail": {**detail, "kind": "update-inventory", "queued": True}})
    for _ in range(2):  # the second post is a replay
        answer = client.post("/v1/installs", json=[asked, not_asked], headers=alice)
        assert answer.status_code == 200, answer.text
    with store.read() as session:
        rows = session.execute(text("SELECT COUNT(*) FROM bo_install_approvals")).scalar_one()
        pending = review_approvals(session)
    assert rows == 1
    assert [(a.approval_id, a.kind) for a in pending] == [(f"install:{asked['install_id']}", "inventory_change")]

    # An 8.4 waiting beside it: the command line's source decides each by its own rule.
    remedy = make_intent(srv="8.4", command_variant=8, needs_approval=True,
                         body={"DeviceFirmwareVersion": "00010200"})
    assert client.post("/v1/intents", json=[remedy], headers=alice).status_code == 200
    source = BackofficeDbReviewSource(store, by="pat")
    assert {a.approval_id for a in source.approvals()} == {f"install:{asked['install_id']}", remedy["idempotency_key"]}
    source.decide(f"install:{asked['install_id']}", False, "wrong device")
    source.decide(remedy["idempotency_key"], True, "checked")
    assert source.approvals() == []
    with pytest.raises(ReviewError, match="already refused by pat"):
        source.decide(f"install:{asked['install_id']}", True, "")
    assert [e[0] for e in audit_of(store, asked["install_id"])] == ["install.refused"]
    assert [e[0] for e in audit_of(store, remedy["idempotency_key"])] == ["intent.approved"]


def test_the_migration_gives_records_already_stored_their_pending_decision(
    client: TestClient, alice: dict[str, str], store: Store
) -> None:
    detail = {"kind": "manual-inventory-change", "device_id": "00-0D-6F-00-00-11-22-33", "needs_approval": True}
    asked, decided, plain = (make_install(meta={"remedy_detail": detail}), make_install(meta={"remedy_detail": detail}),
                             make_install(meta={"remedy": None, "remedy_detail": None}))
    assert client.post("/v1/installs", json=[asked, decided, plain], headers=alice).status_code == 200
    with store.engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0005_journal_subject_index")
    with store.engine.connect() as conn:
        assert not conn.dialect.has_table(conn, "bo_install_approvals")
    migrate(store)
    with store.read() as session:
        assert {a.record_id for a in review_approvals(session)} == {asked["install_id"], decided["install_id"]}
