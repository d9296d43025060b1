"""``POST /v1/journal`` and ``GET /v1/journal/chains`` over real HTTP (uvicorn on 127.0.0.1), SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.backoffice.db import Store
from app.domain.journal import GENESIS_HASH, canonical, entry_hash
from app.services.review.contract import ChainState
from tests.test_backoffice_live import app_in_thread
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import bearer, issue_token


@pytest.fixture
def http(store: Store) -> Iterator[httpx.Client]:
    with app_in_thread(store) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield client


def chain(n: int, start: int = 1, prev: str = GENESIS_HASH) -> list[dict[str, Any]]:
    """``n`` entries as a laptop's journal would hold them."""
    out = []
    for i in range(start, start + n):
        at, detail = f"2026-05-01T09:{i % 60:02d}:00.000000+00:00", canonical({"n": i})
        digest = entry_hash(prev, at, "install.recorded", f"visit-{i}", detail)
        out.append({"id": i, "at": at, "action": "install.recorded", "subject": f"visit-{i}",
                    "detail_json": detail, "prev_hash": prev, "entry_hash": digest})
        prev = digest
    return out


def test_an_upload_is_stored_once_and_a_replay_changes_nothing(http: httpx.Client, store: Store) -> None:
    alice = bearer(issue_token(store, "alice"))
    laptop = str(uuid.uuid4())
    entries = chain(10)
    first = http.post("/v1/journal", json={"laptop_id": laptop, "entries": entries, "written": 10}, headers=alice)
    assert first.status_code == 200, first.text
    assert first.json() | {"laptop_id": laptop} == {
        "laptop_id": laptop, "received": 10, "stored": 10, "replayed": 0, "conflicts": 0, "last_id": 10,
        "intact": True, "first_broken": None, "resend_after": None,
    }
    again = http.post("/v1/journal", json={"laptop_id": laptop, "entries": entries, "after": 0}, headers=alice).json()
    assert (again["stored"], again["replayed"], again["intact"]) == (0, 10, True)
    more = http.post("/v1/journal", json={"laptop_id": laptop, "entries": chain(2, 11, entries[-1]["entry_hash"]),
                                          "after": 10}, headers=alice).json()
    assert (more["stored"], more["last_id"], more["intact"]) == (2, 12, True)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM bo_journal_entries")).scalar() == 12


def test_a_changed_entry_sent_again_keeps_the_stored_one_and_is_counted(http: httpx.Client, store: Store) -> None:
    alice = bearer(issue_token(store, "alice"))
    laptop = str(uuid.uuid4())
    entries = chain(3)
    http.post("/v1/journal", json={"laptop_id": laptop, "entries": entries}, headers=alice)
    forged = [dict(entries[1], subject="visit-forged")]
    answer = http.post("/v1/journal", json={"laptop_id": laptop, "entries": forged, "after": 1}, headers=alice).json()
    assert (answer["stored"], answer["conflicts"], answer["intact"]) == (0, 1, True)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT subject FROM bo_journal_entries WHERE entry_id = 2")).scalar() == "visit-2"
        assert conn.execute(text("SELECT COUNT(*) FROM bo_audit WHERE action = 'journal.conflict'")).scalar() == 1


def test_a_broken_upload_is_stored_and_flagged(http: httpx.Client, store: Store) -> None:
    alice = bearer(issue_token(store, "alice"))
    laptop = str(uuid.uuid4())
    entries = chain(6)
    del entries[2]  # entry 3 cut before the sync
    answer = http.post("/v1/journal", json={"laptop_id": laptop, "entries": entries}, headers=alice).json()
    assert (answer["stored"], answer["intact"]) == (5, False)
    assert answer["first_broken"] == "entry 3 is missing: entry 4 follows entry 2"


def test_a_restored_back_office_asks_for_the_entries_again_instead_of_seeing_a_gap(
    http: httpx.Client, store: Store
) -> None:
    alice = bearer(issue_token(store, "alice"))
    laptop = str(uuid.uuid4())
    entries = chain(8)
    http.post("/v1/journal", json={"laptop_id": laptop, "entries": entries[:4]}, headers=alice)
    answer = http.post("/v1/journal", json={"laptop_id": laptop, "entries": entries[6:], "after": 6},
                       headers=alice).json()
    assert (answer["resend_after"], answer["stored"], answer["intact"]) == (4, 0, True)
    answer = http.post("/v1/journal", json={"laptop_id": laptop, "entries": entries[4:], "after": 4},
                       headers=alice).json()
    assert (answer["stored"], answer["last_id"], answer["intact"]) == (4, 8, True)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"laptop_id": "not-a-uuid", "entries": []}, "laptop_id"),
        ({"laptop_id": str(uuid.uuid4()), "entries": [dict(chain(1)[0], prev_hash="xyz")]}, "prev_hash"),
        ({"laptop_id": str(uuid.uuid4()), "entries": [dict(chain(1)[0], id=0)]}, "id"),
        ({"laptop_id": str(uuid.uuid4()), "entries": [dict(chain(1)[0], subject="a\x00b")]}, "subject"),
        ({"laptop_id": str(uuid.uuid4()), "entries": chain(501)}, "entries"),
    ],
    ids=["laptop-id", "hash", "id", "nul", "too-many"],
)
def test_a_bad_upload_is_refused_naming_the_field_and_stores_nothing(
    http: httpx.Client, store: Store, body: dict[str, Any], field: str
) -> None:
    answer = http.post("/v1/journal", json=body, headers=bearer(issue_token(store, "alice")))
    assert answer.status_code == 422
    assert field in str(answer.json()["detail"])
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM bo_journal_entries")).scalar() == 0


def test_chains_answer_the_review_contract_for_admins_only(http: httpx.Client, store: Store) -> None:
    alice, bob = bearer(issue_token(store, "alice")), bearer(issue_token(store, "bob"))
    good, bad = str(uuid.uuid4()), str(uuid.uuid4())
    http.post("/v1/journal", json={"laptop_id": good, "entries": chain(4)}, headers=alice)
    edited = chain(4)
    edited[1]["detail_json"] = canonical({"n": 999})
    http.post("/v1/journal", json={"laptop_id": bad, "entries": edited}, headers=bob)
    assert http.get("/v1/journal/chains", headers=alice).status_code == 403
    assert http.get("/v1/journal/chains").status_code == 401
    answer = http.get("/v1/journal/chains", headers=bearer(issue_token(store, "ops", admin=True)))
    assert answer.status_code == 200
    rows = answer.json()
    assert [set(row) for row in rows] == [{f.name for f in dataclasses.fields(ChainState)}] * 2
    by_installer = {row["installer"]: row for row in rows}
    assert by_installer["alice"] | {"last_synced": None} == {
        "installer": "alice", "laptop": good, "entries": 4, "intact": True, "first_broken": None, "last_synced": None}
    assert by_installer["bob"]["intact"] is False
    assert by_installer["bob"]["first_broken"] == "entry 2 was changed after it was written: its hash does not match its content"
    only = http.get("/v1/journal/chains", params={"installer": "bob"},
                    headers=bearer(issue_token(store, "ops2", admin=True))).json()
    assert [row["laptop"] for row in only] == [bad]


def test_a_journal_upload_waits_its_turn_behind_a_full_intake_gate(store: Store) -> None:
    """A journal upload is work taken in like a batch of intents: with every intake slot taken
    it is refused at once with Retry-After and stores nothing (the laptop keeps the entries and
    sends them on a later pass); reading the chains is not intake and still answers."""
    from app.backoffice.web.app import create_app
    from tests.test_backoffice_support import TestClient

    alice = bearer(issue_token(store, "alice"))
    admin = bearer(issue_token(store, "ops", admin=True))
    app = create_app(store, max_intakes=2)
    upload = {"laptop_id": str(uuid.uuid4()), "entries": chain(3), "written": 3}
    with TestClient(app) as client:
        app.state.intake_gate.in_progress = 2  # two intakes in progress: the gate is full
        refused = client.post("/v1/journal", json=upload, headers=alice)
        assert refused.status_code == 503 and 2 <= int(refused.headers["retry-after"]) <= 4
        assert client.get("/v1/journal/chains", headers=admin).status_code == 200
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM bo_journal_entries")).scalar() == 0
        app.state.intake_gate.in_progress = 0
        taken = client.post("/v1/journal", json=upload, headers=alice)
        assert taken.status_code == 200 and taken.json()["stored"] == 3
