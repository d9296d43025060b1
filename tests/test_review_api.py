"""``/v1/review`` on a real back office (SQLite and PostgreSQL): filters, sorts, pages, roles, upgrade."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from app.backoffice.cli import main
from app.backoffice.db import _alembic_config, current_revision, head_revision, migrate
from app.backoffice.review_query import BackofficeDbReviewSource
from app.backoffice.tokens import create_token
from app.services.review.contract import ReviewError, ReviewFilter, ReviewSort, SortColumn, SrProgress
from tests.review_helpers import SeedVisit, expected, intent_rows, seed, sort_key
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import TestClient, bearer, make_install, make_intent

INSTALLERS = ("alice", "bob", "carol")


def backoffice_seed() -> list[SeedVisit]:
    """The seed as the back office can hold it: a withdrawn visit never leaves the laptop."""
    return [replace(v, plan="none") if v.plan == "withdrawn" else v for v in seed(37, INSTALLERS)]


def load(client: TestClient, store: Any, visits: list[SeedVisit]) -> dict[str, dict[str, str]]:
    """Send the seed through the intake API as each installer, then play the DCC's answers."""
    heads = {name: bearer(_token(store, name)) for name in INSTALLERS}
    ops = bearer(_token(store, "ops", admin=True))
    for n, v in enumerate(visits):
        record = make_install(
            v.id, job_ref=v.job_ref, ppmid=v.ppmid, hub=v.hub, meter=None, verdict_level=v.verdict_level,
            reasons=[{"code": c, "severity": "warn" if v.verdict_level == "unknown" else v.verdict_level,
                      "message": f"said {c}"} for c in v.reasons],
            override_reason="customer insisted" if v.overridden else None, outcome=v.outcome,
            started_at=v.started_at.isoformat(), finished_at=v.started_at.isoformat(),
            meta={"scenario": v.scenario, "regime": v.regime, "regime_source": "settings",
                  "resulting_smets": "SMETS2+"},
        )
        intents = [
            make_intent(key, srv=srv, install_id=v.id, job_ref=v.job_ref,
                        **({"needs_approval": True} if state == "queued" and srv == "8.7.1" else {}))
            for key, srv, state, _code in intent_rows(v)
        ]
        head = heads[v.installer]
        first, second = ("/v1/intents", intents), ("/v1/installs", [record])
        if n % 2:  # half the records arrive after their intents
            first, second = second, first
        for path, body in (first, second):
            if body:
                answer = client.post(path, json=body, headers=head)
                assert answer.status_code in (200, 201, 207) and answer.json()["errors"] == 0, answer.text
        for key, _srv, state, code in intent_rows(v):
            if state in ("succeeded", "failed"):
                assert client.post(f"/v1/admin/intents/{key}/events", json={"event": "submitted"},
                                   headers=ops).status_code == 200
                answer = {"event": "response", "response_code": "I0" if state == "succeeded" else code}
                assert client.post(f"/v1/admin/intents/{key}/events", json=answer, headers=ops).status_code == 200
    return heads


def _token(store: Any, name: str, *, admin: bool = False, analyst: bool = False) -> str:
    from datetime import UTC, datetime

    from app.backoffice.tokens import issue_token

    with store.write() as session:
        return issue_token(session, name, datetime.now(UTC), admin=admin, analyst=analyst)[0]


@pytest.fixture
def loaded(client: TestClient, store: Any) -> tuple[TestClient, dict[str, str], list[SeedVisit], dict[str, dict[str, str]]]:
    visits = backoffice_seed()
    heads = load(client, store, visits)
    analyst = bearer(_token(store, "dana", analyst=True))
    return client, analyst, visits, heads


def params_of(flt: ReviewFilter) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in vars(flt).items():
        if value is None or value == "":
            continue
        out[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def api_walk(client: TestClient, head: dict[str, str], params: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    after = None
    for _ in range(1000):
        query = {**params, "limit": limit, **({"after": after} if after else {})}
        answer = client.get("/v1/review/visits", params=query, headers=head)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert set(body) == {"rows", "next"}
        assert len(body["rows"]) <= limit
        rows.extend(body["rows"])
        after = body["next"]
        if after is None:
            return rows
        assert len(body["rows"]) == limit
    raise AssertionError("the cursor never ended")


FILTERS = [
    ReviewFilter(),
    ReviewFilter(date_from=date(2025, 3, 30)),
    ReviewFilter(date_to=date(2025, 3, 29)),
    ReviewFilter(installer="bob"),
    ReviewFilter(verdict_level="block"),
    ReviewFilter(reason_code="NOT_ON_CPL"),
    ReviewFilter(overridden=True),
    ReviewFilter(overridden=False),
    *[ReviewFilter(sr_state=s) for s in SrProgress if s is not SrProgress.WITHDRAWN],
    ReviewFilter(text="J-0003"),
    ReviewFilter(text="aa00000000000001"),
    ReviewFilter(installer="carol", verdict_level="warn", sr_state=SrProgress.DONE),
]


def test_every_filter_reads_every_installers_records(loaded: Any) -> None:
    client, analyst, visits, _heads = loaded
    for flt in FILTERS:
        got = [r["record_id"] for r in api_walk(client, analyst, params_of(flt), 5)]
        want = sorted(expected(visits, flt), key=lambda v: (v.started_at, v.id), reverse=True)
        assert got == [v.id for v in want], flt
        if flt != ReviewFilter():
            assert len(want) < len(visits), flt


def test_each_sort_both_ways_pages_across_ties(loaded: Any) -> None:
    client, analyst, visits, _heads = loaded
    for column in SortColumn:
        for descending in (True, False):
            for limit in (1, 4):
                rows = api_walk(client, analyst, {"sort": column.value, "desc": str(descending).lower()}, limit)
                want = sorted(visits, key=lambda v: (*sort_key(v, column), v.id), reverse=descending)  # row ids follow the seed
                assert [r["record_id"] for r in rows] == [v.id for v in want], (column, descending, limit)


def test_reason_filter_in_both_directions(loaded: Any) -> None:
    client, analyst, visits, _heads = loaded
    flt = ReviewFilter(reason_code="SMETS_MISMATCH")
    for descending in (True, False):
        rows = api_walk(client, analyst, {**params_of(flt), "desc": str(descending).lower()}, 2)
        want = sorted(expected(visits, flt), key=lambda v: (v.started_at, v.id), reverse=descending)
        assert [r["record_id"] for r in rows] == [v.id for v in want]


def test_rows_hold_the_records_keys_and_progress(loaded: Any) -> None:
    client, analyst, visits, _heads = loaded
    rows = {r["record_id"]: r for r in api_walk(client, analyst, {}, 500)}
    for v in visits:
        row = rows[v.id]
        states = [s for _k, _srv, s, _c in intent_rows(v)]
        assert (row["installer"], row["job_ref"], row["verdict_level"], row["overridden"], row["sr_state"]) == (
            v.installer, v.job_ref, v.verdict_level, v.overridden, v.sr_state.value
        )
        assert (row["regime"], row["regime_source"], row["scenario"]) == (v.regime, "settings", v.scenario)
        assert (row["sr_total"], row["sr_done"], row["sr_failed"]) == (
            len(states), states.count("succeeded"), states.count("failed")
        )


def test_detail_summary_installers_and_approvals(loaded: Any, store: Any) -> None:
    client, analyst, visits, heads = loaded
    failed = next(v for v in visits if v.plan == "failed")
    detail = client.get(f"/v1/review/visits/{failed.id}", headers=analyst).json()
    assert detail["row"]["record_id"] == failed.id and detail["resulting_smets"] == "SMETS2+"
    assert [r["code"] for r in detail["reasons"]] == failed.reasons
    join = detail["requests"][1]
    assert (join["srv"], join["state"], join["response_code"]) == ("8.7.1", "failed", "E12")
    assert [e["state"] for e in join["events"]] == ["accepted", "submitted", "failed"]
    assert client.get("/v1/review/visits/no-such-record", headers=analyst).status_code == 404

    assert client.get("/v1/review/installers", headers=analyst).json() == {"installers": list(INSTALLERS)}

    summary = client.get("/v1/review/summary", headers=analyst).json()
    assert sum(d["count"] for d in summary["visits_per_day"]) == len(visits)
    assert {d["day"] for d in summary["visits_per_day"]} == {"2025-03-29", "2025-03-30"}
    rates = {r["installer"]: (r["overridden"], r["recorded"]) for r in summary["override_rate"]}
    for name in INSTALLERS:
        mine = [v for v in visits if v.installer == name and v.outcome == "recorded"]
        assert rates[name] == (sum(v.overridden for v in mine), len(mine))
    assert summary["sr_failures"] == [
        {"srv": "8.7.1", "response_code": "E12", "count": sum(v.plan == "failed" for v in visits)}
    ]
    assert [p["regime"] for p in summary["regime_periods"]] == ["tactical", "mp202"]
    only_bob = client.get("/v1/review/summary", params={"installer": "bob"}, headers=analyst).json()
    assert [r["installer"] for r in only_bob["override_rate"]] == ["bob"]

    pending = client.get("/v1/review/approvals", headers=analyst).json()["approvals"]
    waiting = {v.id for v in visits if v.plan == "waiting"}
    assert {p["record_id"] for p in pending} == waiting
    key = pending[0]["approval_id"]
    # The analyst may not decide; an admin decides through the admin route (the audited action).
    assert client.post(f"/v1/admin/intents/{key}/approve", json={"by": "Dana"}, headers=analyst).status_code == 403
    ops = bearer(_token(store, "ops2", admin=True))
    assert client.post(f"/v1/admin/intents/{key}/approve", json={"by": "Olive"}, headers=ops).status_code == 200
    after = client.get("/v1/review/approvals", headers=ops).json()["approvals"]
    assert key not in {p["approval_id"] for p in after} and len(after) == len(pending) - 1
    audit = client.get("/v1/admin/audit", params={"subject": key}, headers=ops).json()["entries"]
    assert audit[-1]["actor"] == "Olive"


def test_roles_analyst_reads_only_the_review_installer_never_reads_it(loaded: Any, store: Any) -> None:
    client, analyst, visits, heads = loaded
    alice = heads["alice"]
    for path in ("/v1/review/visits", "/v1/review/installers", "/v1/review/summary", "/v1/review/approvals",
                 f"/v1/review/visits/{visits[0].id}"):
        assert client.get(path, headers=alice).status_code == 403, path
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers=analyst).status_code in (200,), path
    # The analyst cannot use the installer routes, nor the admin ones, nor write anything.
    assert client.get("/v1/installs", headers=analyst).status_code == 403
    assert client.get("/v1/status", headers=analyst).status_code == 403
    assert client.post("/v1/intents", json=[make_intent()], headers=analyst).status_code == 403
    assert client.post("/v1/installs", json=[make_install()], headers=analyst).status_code == 403
    assert client.get("/v1/admin/intents", headers=analyst).status_code == 403
    assert client.put("/v1/admin/regime", json={"regime": "mp202", "effective_from": "2026-01-01"},
                      headers=analyst).status_code == 403
    who = client.get("/v1/whoami", headers=analyst).json()
    assert who == {"installer": "dana", "admin": False, "analyst": True}
    # An admin reads the review too.
    ops = bearer(_token(store, "ops3", admin=True))
    assert len(api_walk(client, ops, {}, 500)) == len(visits)


def test_bad_parameters_are_422_with_a_reason(loaded: Any) -> None:
    client, analyst, _visits, _heads = loaded
    for params in ({"limit": 501}, {"limit": 0}, {"sort": "colour"}, {"date_from": "yesterday"},
                   {"verdict_level": "great"}, {"after": "not-a-cursor"},
                   {"date_from": "2025-04-02", "date_to": "2025-04-01"}):
        answer = client.get("/v1/review/visits", params=params, headers=analyst)
        assert answer.status_code == 422, params
        assert "Traceback" not in answer.text and "SELECT" not in answer.text
    first = client.get("/v1/review/visits", params={"limit": 2}, headers=analyst).json()["next"]
    other = client.get("/v1/review/visits", params={"limit": 2, "sort": "job_ref", "after": first}, headers=analyst)
    assert other.status_code == 422 and "another sort" in other.json()["detail"]


def test_openapi_documents_every_review_answer(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/v1/review/visits", "/v1/review/visits/{record_id}", "/v1/review/installers",
                 "/v1/review/summary", "/v1/review/approvals"):
        answers = set(spec["paths"][path]["get"]["responses"])
        assert {"200", "401", "403", "422", "503"} <= answers, (path, answers)
    assert "404" in spec["paths"]["/v1/review/visits/{record_id}"]["get"]["responses"]


def test_the_database_source_answers_like_the_api(loaded: Any, store: Any) -> None:
    client, analyst, visits, _heads = loaded
    source = BackofficeDbReviewSource(store)
    flt = ReviewFilter(installer="alice", overridden=False)
    pages, after = [], None
    while True:
        page = source.page(flt, ReviewSort(SortColumn.VERDICT_LEVEL, False), after, 3)
        pages.extend(r.record_id for r in page.rows)
        if page.next_cursor is None:
            break
        after = page.next_cursor
    api = [r["record_id"] for r in api_walk(client, analyst, {**params_of(flt), "sort": "verdict_level",
                                                                "desc": "false"}, 3)]
    assert pages == api and pages
    assert source.detail(visits[0].id).row.record_id == visits[0].id
    with pytest.raises(ReviewError):
        source.decide("00000000-0000-0000-0000-00000000ffff", True, "")


def test_upgrade_from_the_previous_head_fills_the_review(loaded: Any, store: Any) -> None:
    client, analyst, visits, _heads = loaded
    before = api_walk(client, analyst, {"sort": "sr_state"}, 500)
    with store.engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0003_laptop_journals")
    assert current_revision(store) == "0003_laptop_journals"
    assert migrate(store) == head_revision()
    with store.engine.connect() as conn:
        codes = conn.execute(text("SELECT COUNT(*) FROM bo_install_reasons")).scalar_one()
    assert codes == sum(len(v.reasons) for v in visits)
    # Tokens made before the upgrade are no analysts; the analyst's token was lost with the column's
    # value (false after the upgrade), so a new one is issued.
    analyst = bearer(_token(store, "erin", analyst=True))
    assert api_walk(client, analyst, {"sort": "sr_state"}, 500) == before


def test_token_create_analyst_and_list_shows_the_role(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", db_url, "token", "create", "dana", "--analyst"]) == 0
    token = capsys.readouterr().out.strip()
    assert main(["--db", db_url, "token", "list"]) == 0
    [listed] = json.loads(capsys.readouterr().out)["tokens"]
    assert (listed["installer"], listed["admin"], listed["analyst"]) == ("dana", False, True)
    assert main(["--db", db_url, "token", "create", "eve", "--analyst", "--admin"]) == 2
    assert "either --admin or --analyst" in capsys.readouterr().err
    assert token


def test_create_token_keeps_its_old_call(store: Any) -> None:
    from datetime import UTC, datetime

    with store.write() as session:
        assert create_token(session, "frank", datetime.now(UTC))
