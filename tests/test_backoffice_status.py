"""State transitions, RequestIDs, the status pull with its cursor, and the DCC simulator."""

from __future__ import annotations

import time
from typing import Any

import pytest

from app.backoffice.db import Store
from app.backoffice.dccsim import DccRule, DccSimulator, RuleError, parse_rule
from app.backoffice.settings import DEFAULT_ORIGINATOR
from app.backoffice.web.app import create_app
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import CHF, ESME, FakeClock, TestClient, make_intent


def submit(client: TestClient, headers: dict[str, str], *intents: dict[str, Any]) -> list[str]:
    body = client.post("/v1/intents", json=list(intents), headers=headers).json()
    assert body["errors"] == 0, body
    return [r["idempotency_key"] for r in body["results"]]


def pull(client: TestClient, headers: dict[str, str], since: int = 0, limit: int = 500) -> dict[str, Any]:
    response = client.get("/v1/status", params={"since": since, "limit": limit}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def event(client: TestClient, headers: dict[str, str], key: str, **body: Any) -> Any:
    return client.post(f"/v1/admin/intents/{key}/events", json=body, headers=headers)


def test_status_pull_is_incremental(
    client: TestClient, alice: dict[str, str], bob: dict[str, str], admin: dict[str, str]
) -> None:
    k1, k2 = submit(client, alice, make_intent(), make_intent())
    submit(client, bob, make_intent())
    first = pull(client, alice)
    assert [c["idempotency_key"] for c in first["changes"]] == [k1, k2]
    assert all(c["state"] == "accepted" and c["request_id"] is None for c in first["changes"])
    cursor = first["cursor"]
    empty = pull(client, alice, cursor)
    assert empty == {"changes": [], "cursor": cursor, "more": False}

    assert event(client, admin, k1, event="submitted").status_code == 200
    assert event(client, admin, k1, event="response", response_code="E65").status_code == 200
    later = pull(client, alice, cursor)
    assert [(c["state"], c["response_code"]) for c in later["changes"]] == [
        ("submitted", None),
        ("failed", "E65"),
    ]
    assert later["changes"][1]["request_id"] == later["changes"][0]["request_id"]
    assert later["cursor"] > cursor


def test_pull_pages_with_more_flag(client: TestClient, alice: dict[str, str]) -> None:
    submit(client, alice, *[make_intent() for _ in range(5)])
    page = pull(client, alice, limit=2)
    assert len(page["changes"]) == 2 and page["more"]
    seen = [c["seq"] for c in page["changes"]]
    while page["more"]:
        page = pull(client, alice, page["cursor"], limit=2)
        seen += [c["seq"] for c in page["changes"]]
    assert len(seen) == 5 and seen == sorted(seen)


def test_request_ids_rise_strictly_per_originator(
    client: TestClient, alice: dict[str, str], admin: dict[str, str]
) -> None:
    keys = submit(client, alice, *[make_intent(target=t) for t in (CHF, ESME, CHF)])
    counters = []
    for key in keys:
        view = event(client, admin, key, event="submitted").json()
        originator, target, counter = view["request_id"].split(":")
        assert originator == DEFAULT_ORIGINATOR and target == view["target"]
        counters.append(int(counter))
    assert counters == sorted(counters) and len(set(counters)) == 3
    assert counters[0] >= 1_777_000_000_000  # epoch milliseconds of the fake clock or later


def test_illegal_transitions_are_409(
    client: TestClient, alice: dict[str, str], admin: dict[str, str]
) -> None:
    (key,) = submit(client, alice, make_intent())
    assert event(client, admin, key, event="response", response_code="I0").status_code == 409
    assert event(client, admin, key, event="rejected").status_code == 409  # needs a reason
    assert (
        event(client, admin, key, event="rejected", reason="not pre-notified").json()["state"] == "rejected"
    )
    assert event(client, admin, key, event="submitted").status_code == 409
    assert event(client, admin, "00000000-0000-0000-0000-000000000000", event="submitted").status_code == 404
    assert event(client, admin, key, event="response", response_code="OK").status_code == 422


def test_acknowledgement_keeps_it_submitted(
    client: TestClient, alice: dict[str, str], admin: dict[str, str]
) -> None:
    (key,) = submit(client, alice, make_intent(command_variant=4))
    event(client, admin, key, event="submitted")
    acked = event(client, admin, key, event="response", response_code="I99").json()
    assert (acked["state"], acked["response_code"]) == ("submitted", "I99")
    done = event(client, admin, key, event="response", response_code="I0").json()
    assert (done["state"], done["response_code"]) == ("succeeded", "I0")


def test_simulator_moves_intents_after_the_delay(
    client: TestClient, alice: dict[str, str], simulator: DccSimulator, clock: FakeClock
) -> None:
    (key,) = submit(client, alice, make_intent())
    assert simulator.step() == 1  # submitted at once
    assert client.get(f"/v1/intents/{key}", headers=alice).json()["state"] == "submitted"
    clock.advance(4.9)
    assert simulator.step() == 0  # delay (5 s) not yet over
    clock.advance(0.2)
    assert simulator.step() == 1
    states = [(c["state"], c["response_code"]) for c in pull(client, alice)["changes"]]
    assert states == [("accepted", None), ("submitted", None), ("succeeded", "I0")]


def test_simulator_rules_choose_codes(
    client: TestClient, alice: dict[str, str], store: Store, clock: FakeClock
) -> None:
    rules = [
        parse_rule("srv=8.7*:E65"),
        parse_rule("target=123456:E081101"),
        parse_rule("job_ref=J-BAD:reject"),
    ]
    sim = DccSimulator(store, delay=0, rules=rules, clock=clock)
    keys = submit(
        client,
        alice,
        make_intent(srv="8.7.1", command_variant=4, target=ESME),
        make_intent(target=ESME),
        make_intent(job_ref="J-BAD"),
        make_intent(),
    )
    sim.step()
    sim.step()
    final = {k: client.get(f"/v1/intents/{k}", headers=alice).json() for k in keys}
    assert [(final[k]["state"], final[k]["response_code"]) for k in keys] == [
        ("failed", "E65"),
        ("failed", "E081101"),
        ("rejected", None),
        ("succeeded", "I0"),
    ]
    assert final[keys[2]]["request_id"] is None  # never submitted


@pytest.mark.parametrize("text", ["srv=8.11", "colour=red:I0", "srv=8.11:OK", "cv=4:"])
def test_bad_rules_are_refused(text: str) -> None:
    with pytest.raises(RuleError):
        parse_rule(text)


def test_rule_parsing() -> None:
    assert parse_rule("cv=4:i99") == DccRule("cv", "4", "I99")
    assert parse_rule("target=cd-ef:e65") == DccRule("target", "cd-ef", "E65")


def test_simulator_thread_in_the_app(store: Store, db_url: str) -> None:
    from tests.test_backoffice_support import bearer, issue_token

    headers = bearer(issue_token(store, "carol"))
    sim = DccSimulator(store, delay=0.05)
    with TestClient(create_app(store, simulator=sim)) as live:
        (key,) = submit(live, headers, make_intent())
        deadline = time.monotonic() + 10
        state = "accepted"
        while time.monotonic() < deadline and state != "succeeded":
            time.sleep(0.05)
            state = live.get(f"/v1/intents/{key}", headers=headers).json()["state"]
        assert state == "succeeded"
