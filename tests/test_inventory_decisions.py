"""A laptop learns how its manual inventory changes were decided (SQLite and PostgreSQL back offices).

A laptop records visits whose installer chose "ask the DCC for a manual inventory change" instead
of an 8.4 and syncs them to a real back office on 127.0.0.1 (a counting middleware in front notes
each request). While the change is pending the laptop keeps nothing and lists it as waiting; once
an admin approves one (route) and refuses another (command line), the next sync keeps each decision
with a journal entry, the laptop's review lists neither as waiting and its detail (and the review
window's detail pane) says who decided, when and why; later syncs ask nothing more about them.
An older laptop database gains the table at start-up; an older back office (no ``inventory_change``
in its answer, or a 404) and a failing one leave the laptop as it was. The install routes' JSON
carries ``inventory_change``, ``null`` for an ordinary record.
"""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from app.backoffice.cli import main as backoffice_main
from app.backoffice.db import Store
from app.backoffice.review_query import BackofficeDbReviewSource
from app.backoffice.web.app import create_app
from app.cli import main as laptop_main
from app.services.context import AppContext
from app.services.cpl_import import import_cpl
from app.services.installs import RemedyKind
from app.services.jobs_import import import_jobs_file
from app.services.review.contract import InventoryDecision, ReviewFilter
from app.services.review.export import export_records
from app.services.review.local import LocalReviewSource
from app.services.review.remote import RemoteReviewSource
from app.store import audit
from app.store.db import DB_FILE_NAME
from app.store.migrations import LATEST_VERSION
from app.sync.engine import SyncReport, sync_once
from app.ui.review.sources import SourceChoice, SourceKind
from app.ui.review.window import ReviewWindow
from tests.test_backoffice_inventory_approval import MISMATCH, SAMPLE, _visit
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import TestClient, bearer, issue_token, make_install, sync_laptop_copy
from tests.test_review_api import _token
from tests.test_review_details import Counting, serving
from tests.test_review_scan_entry import _show

APPROVAL_REASON = "DCC ticket raised for the PPMID"
REFUSAL_REASON = "the model has no other CPL entry in force"
DETAIL = {"kind": "manual-inventory-change", "device_id": "00-0D-6F-00-00-11-22-33", "firmware_version": "00010200",
          "smets_chts_version": "SMETS V4.2", "needs_approval": True, "queued": False}


@dataclass(frozen=True)
class Recorded:
    data: Path
    manual: list[str]  # two visits asking for a manual inventory change, oldest first
    plain: str  # an ordinary visit


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    """Alice's laptop, offline, with two manual-inventory-change visits and a plain one."""
    data = tmp_path_factory.mktemp("laptop-alice") / "data"
    ctx = AppContext(data)
    try:
        import_cpl(ctx, SAMPLE / "cpl.csv")
        import_jobs_file(ctx, SAMPLE / "jobpack.json")
        manual = [
            _visit(ctx, MISMATCH, override_reason="asked the DCC instead", remedy=RemedyKind.MANUAL_INVENTORY_CHANGE)
            for _ in range(2)
        ]
        plain = _visit(ctx, "J-000101")
    finally:
        ctx.close()
    return Recorded(data, [o.install_id for o in manual], plain.install_id)


class OlderBackoffice(Counting):
    """The real back office behind a counter; ``mode`` makes its answers to one install record
    (``GET /v1/installs/{id}``) those of an older or failing back office: ``"no-key"`` drops
    ``inventory_change`` from the JSON, ``"404"`` answers that it does not know the record and
    ``"500"`` fails. ``None`` passes everything through unchanged."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.mode: str | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = str(scope.get("path", ""))
        one_record = scope["type"] == "http" and scope["method"] == "GET" and path.startswith("/v1/installs/")
        if not one_record or self.mode is None:
            await super().__call__(scope, receive, send)
            return
        self.seen.append((scope["method"], path))
        if self.mode in ("404", "500"):
            words = b'{"detail":"no install record with that install_id for this installer"}' if self.mode == "404" \
                else b'{"detail":"Internal Server Error"}'
            await send({"type": "http.response.start", "status": int(self.mode),
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(words)).encode())]})
            await send({"type": "http.response.body", "body": words})
            return
        started: dict[str, Any] = {}
        body = bytearray()

        async def keep(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            else:
                body.extend(message.get("body", b""))

        await self.app(scope, receive, keep)
        answer = json.loads(bytes(body))
        answer.pop("inventory_change", None)
        words = json.dumps(answer).encode()
        headers = [(k, v) for k, v in started["headers"] if k.lower() != b"content-length"]
        await send({"type": "http.response.start", "status": started["status"],
                    "headers": [*headers, (b"content-length", str(len(words)).encode())]})
        await send({"type": "http.response.body", "body": words})


@pytest.fixture
def served(store: Store) -> Iterator[tuple[str, OlderBackoffice]]:
    counting = OlderBackoffice(create_app(store))
    with serving(counting) as url:
        yield url, counting


def _sync(ctx: AppContext) -> SyncReport:
    return sync_once(ctx, ignore_backoff=True)


def _asked(counting: Counting) -> int:
    return counting.count("GET", "/v1/installs/")


def _waiting(ctx: AppContext) -> list[str]:
    """The laptop's manual inventory changes its own review lists as waiting."""
    source = LocalReviewSource(ctx)
    return [a.record_id or "" for a in source.approvals() if a.kind == "inventory_change"]


def _kept(ctx: AppContext) -> list[tuple[Any, ...]]:
    with ctx.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT visit_id, decision, reason, decided_by, decided_at, learned_at FROM inventory_decisions "
            "ORDER BY visit_id"))]


def _visits(ctx: AppContext) -> list[tuple[Any, ...]]:
    with ctx.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT id, outcome, meta_json FROM install_visits ORDER BY id"))]


def _decided_entries(ctx: AppContext) -> list[audit.AuditEntry]:
    with ctx.engine.connect() as conn:
        return [e for e in audit.entries(conn) if e.action == "inventory.decided"]


def _journal_ok(ctx: AppContext) -> bool:
    with ctx.engine.connect() as conn:
        return audit.verify_chain(conn).ok


def _install(url: str, token: str, install_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{url}/v1/installs/{install_id}", headers=bearer(token), timeout=10)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


# --------------------------------------------------------------------------- end to end


def test_the_laptop_learns_each_decision_once_journals_it_and_stops_listing_it_as_waiting(
    qtbot: QtBot, recorded: Recorded, store: Store, db_url: str, served: tuple[str, OlderBackoffice],
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    url, counting = served
    first, second = recorded.manual
    data = sync_laptop_copy(store, url, recorded.data, tmp_path / "laptop")
    assert _asked(counting) == 2  # the first pass already asked about both: pending
    alice = issue_token(store, "alice")

    # The back office's answer says the change waits; the laptop keeps nothing and lists both.
    pending = _install(url, alice, first)["inventory_change"]
    assert pending == {"decision": "pending", "reason": None, "decided_by": None, "decided_at": None}
    assert _install(url, alice, recorded.plain)["inventory_change"] is None
    ctx = AppContext(data)
    try:
        before = _visits(ctx)
        asked = _asked(counting)
        report = _sync(ctx)
        assert (report.status, report.inventory_decisions) == ("ok", 0), report.errors
        assert _asked(counting) == asked + 2
        assert _kept(ctx) == [] and _decided_entries(ctx) == []
        assert sorted(_waiting(ctx)) == sorted(recorded.manual)
        assert LocalReviewSource(ctx).detail(first).inventory_change == InventoryDecision("pending")
        assert LocalReviewSource(ctx).detail(recorded.plain).inventory_change is None

        # An admin approves the first through the route and refuses the second on the command line.
        admin = bearer(_token(store, "olive.reviewer", admin=True))
        approved = httpx.post(f"{url}/v1/admin/installs/{first}/approve", headers=admin, timeout=10,
                              json={"by": "olive.reviewer", "reason": APPROVAL_REASON})
        assert approved.status_code == 200, approved.text
        assert backoffice_main(["--db", db_url, "installs", "refuse", second, "--by", "pat.supervisor",
                                "--reason", REFUSAL_REASON]) == 0
        capsys.readouterr()
        at = {i: datetime.fromisoformat(_install(url, alice, i)["inventory_change"]["decided_at"].replace("Z", "+00:00"))
              for i in recorded.manual}

        # The next sync keeps both, journals them and says so.
        asked = _asked(counting)
        report = _sync(ctx)
        assert (report.status, report.inventory_decisions) == ("ok", 2), report.errors
        assert report.message.endswith("; the back office decided 2 manual inventory changes")
        assert _asked(counting) == asked + 2
        kept = {row[0]: row for row in _kept(ctx)}
        assert set(kept) == {first, second}
        assert kept[first][1:4] == ("approved", APPROVAL_REASON, "olive.reviewer")
        assert kept[second][1:4] == ("refused", REFUSAL_REASON, "pat.supervisor")
        assert datetime.fromisoformat(kept[first][4]) == at[first] and kept[first][5]
        entries = {e.subject: e for e in _decided_entries(ctx)}
        assert set(entries) == {first, second}
        assert entries[first].detail["decision"] == "approved" and entries[first].detail["reason"] == APPROVAL_REASON
        assert entries[second].detail == {"decision": "refused", "reason": REFUSAL_REASON,
                                          "decided_by": "pat.supervisor", "decided_at": kept[second][4]}
        assert entries[second].at == kept[second][5]  # learnt and journalled in one step
        assert _journal_ok(ctx)
        assert laptop_main(["--data-dir", str(data), "audit", "verify"]) == 0
        capsys.readouterr()
        assert _visits(ctx) == before  # what was recorded stays as it was recorded

        # The laptop's review no longer lists them as waiting; the detail says who decided, when and why.
        assert _waiting(ctx) == []
        source = LocalReviewSource(ctx)
        assert source.detail(first).inventory_change == InventoryDecision(
            "approved", "olive.reviewer", at[first], APPROVAL_REASON)
        assert source.detail(second).inventory_change == InventoryDecision(
            "refused", "pat.supervisor", at[second], REFUSAL_REASON)
        ids = [first, recorded.plain, second]
        assert source.details(ids) == [source.detail(i) for i in ids]
        # The CSV says it in its last four columns, the reason scrubbed of personal data when redacted.
        for redact in (False, True):
            out = tmp_path / f"visits-{redact}.csv"
            export_records(source, ReviewFilter(), "csv", redact, out)
            with out.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle)
                assert list(reader.fieldnames or ())[-4:] == [
                    "inventory_change", "inventory_change_by", "inventory_change_at", "inventory_change_reason"]
                rows = {row["record_id"]: row for row in reader}
            assert [rows[second][k] for k in ("inventory_change", "inventory_change_by", "inventory_change_reason")] \
                == ["refused", "pat.supervisor", REFUSAL_REASON]
            assert rows[second]["inventory_change_at"] == at[second].astimezone(UTC).isoformat(timespec="seconds")
            assert rows[first]["inventory_change"] == "approved"
            assert rows[recorded.plain]["inventory_change"] == rows[recorded.plain]["inventory_change_by"] == ""
        # … as the back office's review says it, from its database and over its routes.
        office = BackofficeDbReviewSource(store)
        remote = RemoteReviewSource(url, _token(store, "dana", analyst=True))
        try:
            assert office.details(ids) == [office.detail(i) for i in ids] == remote.details(ids)
            assert [remote.detail(i).inventory_change for i in ids] == [source.detail(i).inventory_change for i in ids]
        finally:
            remote.close()

        # A further sync asks nothing more about them, and sends their journal entries on.
        asked = _asked(counting)
        report = _sync(ctx)
        assert (report.status, report.inventory_decisions, _asked(counting)) == ("ok", 0, asked), report.errors
        with store.read() as session:
            sent = session.execute(text(
                "SELECT subject FROM bo_journal_entries WHERE action = 'inventory.decided'")).scalars().all()
        assert sorted(sent) == sorted(recorded.manual)

        # The review window's detail pane says it in one line.
        window = ReviewWindow(ctx, choice=SourceChoice(SourceKind.LAPTOP))
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.source is not None and not window.model.loading, timeout=10_000)
        try:
            shown = _show(qtbot, window, second).replace("\xa0", " ")
            when = at[second].astimezone().strftime("%Y-%m-%d %H:%M:%S")
            assert f"Refused by pat.supervisor on {when}: {REFUSAL_REASON}" in shown
            assert "Approved by" not in _show(qtbot, window, recorded.plain)
        finally:
            window.shutdown()
    finally:
        ctx.close()


# --------------------------------------------------------------------------- an older laptop database


def test_an_older_laptop_database_gains_the_table_and_keeps_its_visits(recorded: Recorded, tmp_path: Path) -> None:
    data = shutil.copytree(recorded.data, tmp_path / "data")
    ctx = AppContext(data)
    before = _visits(ctx)
    ctx.close()
    raw = sqlite3.connect(data / DB_FILE_NAME)
    raw.execute("DROP TABLE inventory_decisions")
    raw.execute(f"PRAGMA user_version={LATEST_VERSION - 1}")
    raw.commit()
    raw.close()

    ctx = AppContext(data)
    try:
        assert _visits(ctx) == before and len(before) == 3
        assert _kept(ctx) == []
        assert sorted(_waiting(ctx)) == sorted(recorded.manual)
        with ctx.engine.connect() as conn:
            columns = [r[1] for r in conn.execute(text("PRAGMA table_info(inventory_decisions)"))]
            assert conn.execute(text("PRAGMA user_version")).scalar_one() == LATEST_VERSION >= 7
        assert columns == ["visit_id", "decision", "reason", "decided_by", "decided_at", "learned_at"]
        assert _journal_ok(ctx)
    finally:
        ctx.close()
    assert list(data.glob(f"{DB_FILE_NAME}.v{LATEST_VERSION - 1}.*.bak")), "the upgrade kept a backup first"


# --------------------------------------------------------------------------- an older or failing back office


def test_an_older_or_failing_back_office_leaves_the_laptop_as_it_was(
    recorded: Recorded, store: Store, db_url: str, served: tuple[str, OlderBackoffice], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, counting = served
    first, second = recorded.manual
    data = sync_laptop_copy(store, url, recorded.data, tmp_path / "laptop")
    for install_id in recorded.manual:
        assert backoffice_main(["--db", db_url, "installs", "approve", install_id, "--by", "olive.reviewer"]) == 0
    capsys.readouterr()
    ctx = AppContext(data)
    try:
        journal = len(_decided_entries(ctx))
        for mode in ("no-key", "404"):  # a back office from before the key; one that does not know the records
            counting.mode = mode
            asked = _asked(counting)
            report = _sync(ctx)
            assert (report.status, report.inventory_decisions, report.errors) == ("ok", 0, []), mode
            assert _asked(counting) == asked + 2, mode  # it did ask, and kept nothing
            assert _kept(ctx) == [] and len(_decided_entries(ctx)) == journal == 0
            assert sorted(_waiting(ctx)) == sorted(recorded.manual)

        # A back office failing on the records: the pass reports it, nothing is lost, Sync again learns.
        counting.mode = "500"
        report = _sync(ctx)
        assert report.status == "partial" and "HTTP 500" in report.errors[-1]
        assert report.inventory_decisions == 0 and _kept(ctx) == []
        counting.mode = None
        report = _sync(ctx)
        assert (report.status, report.inventory_decisions) == ("ok", 2), report.errors
        assert {row[0]: row[1] for row in _kept(ctx)} == {first: "approved", second: "approved"}
        assert _waiting(ctx) == [] and _journal_ok(ctx)
    finally:
        ctx.close()


# --------------------------------------------------------------------------- the install routes


def test_the_install_routes_carry_inventory_change_null_for_an_ordinary_record(
    client: TestClient, alice: dict[str, str], admin: dict[str, str]
) -> None:
    asked = make_install(meta={"remedy": "manual inventory change", "remedy_detail": DETAIL})
    plain = make_install()
    batch = client.post("/v1/installs", json=[asked, plain], headers=alice)
    assert batch.status_code == 200, batch.text
    answered = {r["install_id"]: r["install"] for r in batch.json()["results"]}
    assert answered[plain["install_id"]]["inventory_change"] is None
    assert answered[asked["install_id"]]["inventory_change"]["decision"] == "pending"

    one = client.get(f"/v1/installs/{plain['install_id']}", headers=alice).json()
    assert "inventory_change" in one and one["inventory_change"] is None
    waiting = client.get(f"/v1/installs/{asked['install_id']}", headers=alice).json()["inventory_change"]
    assert waiting == {"decision": "pending", "reason": None, "decided_by": None, "decided_at": None}

    refused = client.post(f"/v1/admin/installs/{asked['install_id']}/refuse", headers=admin,
                          json={"by": "ops", "reason": REFUSAL_REASON})
    assert refused.status_code == 200, refused.text
    change = client.get(f"/v1/installs/{asked['install_id']}", headers=alice).json()["inventory_change"]
    assert (change["decision"], change["reason"], change["decided_by"]) == ("refused", REFUSAL_REASON, "ops")
    assert change["decided_at"] == refused.json()["decided_at"]
    listed = {i["install_id"]: i["inventory_change"] for i in client.get("/v1/installs", headers=alice).json()["installs"]}
    assert listed == {plain["install_id"]: None, asked["install_id"]: change}

    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert "inventory_change" in schema["InstallOut"]["properties"]
    assert "inventory_change" not in schema["InstallOut"].get("required", [])
