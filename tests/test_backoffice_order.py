"""Order and approval in the back office (DOMAIN A5): prerequisites, ``waiting``, approval, audit.

Every test runs on SQLite and PostgreSQL. The DCC simulator is stepped by hand with the
fake clock, so which intent reached the DCC (was ``submitted``) and when is exact.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import update

from app.backoffice.cli import main
from app.backoffice.db import Store, open_store
from app.backoffice.dccsim import DccSimulator, parse_rule
from app.backoffice.models import SchemaMeta
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import ESME, FakeClock, TestClient, make_intent

PPMID = "00-0D-6F-00-00-11-22-33"


def visit(*, remedy: bool = False) -> dict[str, dict[str, Any]]:
    """A visit's intents as a new laptop sends them: the joins wait for the 8.11; with an 8.4
    remedy everything waits for the 8.4, which waits for an approval."""
    install_id = str(uuid.uuid4())
    add = make_intent(install_id=install_id)
    critical = make_intent(
        srv="8.7.1", command_variant=4, target=ESME, body={"OtherDeviceID": PPMID}, install_id=install_id
    )
    noncritical = make_intent(srv="8.7.2", target=PPMID, body={"OtherDeviceID": ESME}, install_id=install_id)
    intents = {"8.11": add, "8.7.1": critical, "8.7.2": noncritical}
    for join in (critical, noncritical):
        join["depends_on"] = [add["idempotency_key"]]
    if remedy:
        update_inventory = make_intent(
            srv="8.4", command_variant=8, target=PPMID, body={"DeviceFirmwareVersion": "00010200"},
            install_id=install_id, needs_approval=True,
        )  # fmt: skip
        for other in intents.values():
            other.setdefault("depends_on", []).insert(0, update_inventory["idempotency_key"])
        intents = {"8.4": update_inventory, **intents}
    return intents


def post(client: TestClient, headers: dict[str, str], *intents: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post("/v1/intents", json=list(intents), headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


def states(client: TestClient, headers: dict[str, str], intents: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {
        name: client.get(f"/v1/intents/{i['idempotency_key']}", headers=headers).json()["state"]
        for name, i in intents.items()
    }


def view(client: TestClient, headers: dict[str, str], intent: dict[str, Any]) -> dict[str, Any]:
    response = client.get(f"/v1/intents/{intent['idempotency_key']}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def history(client: TestClient, headers: dict[str, str]) -> dict[str, list[str]]:
    changes = client.get("/v1/status", params={"since": 0, "limit": 1000}, headers=headers).json()["changes"]
    seen: dict[str, list[str]] = {}
    for change in changes:
        seen.setdefault(change["idempotency_key"], []).append(change["state"])
    return seen


def run_dcc(simulator: DccSimulator, clock: FakeClock, ticks: int = 6) -> None:
    for _ in range(ticks):
        simulator.step()
        clock.advance(simulator.delay + 1)


# --------------------------------------------------------------------------- prerequisites


def test_joins_wait_for_the_8_11_and_go_once_it_succeeded(
    client: TestClient, alice: dict[str, str], simulator: DccSimulator, clock: FakeClock
) -> None:
    intents = visit()
    results = post(client, alice, *intents.values())
    assert [r["intent"]["state"] for r in results] == ["accepted", "waiting", "waiting"]
    assert results[1]["intent"]["depends_on"] == [intents["8.11"]["idempotency_key"]]

    simulator.step()  # only the 8.11 goes to the DCC
    assert states(client, alice, intents) == {"8.11": "submitted", "8.7.1": "waiting", "8.7.2": "waiting"}
    assert view(client, alice, intents["8.7.1"])["request_id"] is None
    clock.advance(simulator.delay + 1)
    simulator.step()  # the 8.11 succeeds: the joins are released at once
    assert states(client, alice, intents) == {"8.11": "succeeded", "8.7.1": "accepted", "8.7.2": "accepted"}
    run_dcc(simulator, clock)
    assert set(states(client, alice, intents).values()) == {"succeeded"}
    seen = history(client, alice)
    assert seen[intents["8.7.1"]["idempotency_key"]] == ["waiting", "accepted", "submitted", "succeeded"]
    assert seen[intents["8.11"]["idempotency_key"]] == ["accepted", "submitted", "succeeded"]


def test_a_failed_8_11_fails_its_joins_with_the_reason_and_they_never_reach_the_dcc(
    store: Store, client: TestClient, alice: dict[str, str], clock: FakeClock
) -> None:
    simulator = DccSimulator(store, delay=5.0, clock=clock, rules=[parse_rule("srv=8.11:E081101")])
    intents = visit()
    post(client, alice, *intents.values())
    run_dcc(simulator, clock)
    assert states(client, alice, intents) == {"8.11": "failed", "8.7.1": "failed", "8.7.2": "failed"}
    add_key = intents["8.11"]["idempotency_key"]
    for join in ("8.7.1", "8.7.2"):
        shown = view(client, alice, intents[join])
        assert (
            shown["reason"]
            == f"not sent to the DCC: its prerequisite 8.11 ({add_key}) failed with DCC response E081101"
        )
        assert (
            shown["request_id"] is None and shown["submitted_at"] is None and shown["response_code"] is None
        )
        assert history(client, alice)[intents[join]["idempotency_key"]] == ["waiting", "failed"]
    pulled = client.get("/v1/status", params={"since": 0}, headers=alice).json()["changes"]
    failed_join = [c for c in pulled if c["srv"] == "8.7.1" and c["state"] == "failed"]
    assert failed_join and "8.11" in failed_join[0]["reason"]


def test_a_prerequisite_that_arrives_later_is_waited_for(
    client: TestClient, alice: dict[str, str], simulator: DccSimulator, clock: FakeClock
) -> None:
    intents = visit()
    post(client, alice, intents["8.7.1"])  # the join arrives first (another batch)
    run_dcc(simulator, clock)
    assert view(client, alice, intents["8.7.1"])["state"] == "waiting"
    post(client, alice, intents["8.11"], intents["8.7.2"])
    run_dcc(simulator, clock)
    assert set(states(client, alice, intents).values()) == {"succeeded"}


def test_a_prerequisite_that_already_failed_fails_a_late_dependant_at_once(
    client: TestClient, alice: dict[str, str], admin: dict[str, str]
) -> None:
    intents = visit()
    key = intents["8.11"]["idempotency_key"]
    post(client, alice, intents["8.11"])
    rejected = client.post(
        f"/v1/admin/intents/{key}/events",
        json={"event": "rejected", "reason": "hub not on the job"},
        headers=admin,
    )
    assert rejected.status_code == 200
    (result,) = post(client, alice, intents["8.7.1"])
    assert result["outcome"] == "created" and result["intent"]["state"] == "failed"
    assert (
        result["intent"]["reason"]
        == f"not sent to the DCC: its prerequisite 8.11 ({key}) was rejected (hub not on the job)"
    )


def test_rejecting_a_waiting_prerequisite_fails_the_chain(
    client: TestClient, alice: dict[str, str], admin: dict[str, str]
) -> None:
    intents = visit(remedy=True)
    post(client, alice, *intents.values())
    key = intents["8.11"]["idempotency_key"]
    answer = client.post(
        f"/v1/admin/intents/{key}/events", json={"event": "rejected", "reason": "stale"}, headers=admin
    )
    assert answer.status_code == 200 and answer.json()["state"] == "rejected"
    assert states(client, alice, intents) == {
        "8.4": "waiting",
        "8.11": "rejected",
        "8.7.1": "failed",
        "8.7.2": "failed",
    }


def test_a_dependant_of_an_item_refused_in_the_same_batch_fails(
    client: TestClient, alice: dict[str, str]
) -> None:
    intents = visit()
    broken = dict(intents["8.11"], target="not-a-device")
    results = post(client, alice, broken, intents["8.7.1"])
    assert results[0]["outcome"] == "invalid"
    assert results[1]["intent"]["state"] == "failed"
    assert "was refused by the back office" in results[1]["intent"]["reason"]


def test_a_prerequisite_later_in_the_batch_that_fails_at_once_fails_the_earlier_dependant(
    client: TestClient, alice: dict[str, str], admin: dict[str, str]
) -> None:
    first = make_intent()
    post(client, alice, first)
    client.post(
        f"/v1/admin/intents/{first['idempotency_key']}/events",
        json={"event": "rejected", "reason": "no"},
        headers=admin,
    )
    middle = make_intent(depends_on=[first["idempotency_key"]])
    last = make_intent(depends_on=[middle["idempotency_key"]])
    results = post(client, alice, last, middle)  # the dependant comes first in the batch
    assert [r["intent"]["state"] for r in results] == ["failed", "failed"]
    assert f"prerequisite 8.11 ({middle['idempotency_key']})" in results[0]["intent"]["reason"]


def test_another_installers_request_cannot_be_a_prerequisite(
    client: TestClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    theirs = make_intent()
    post(client, bob, theirs)
    (result,) = post(client, alice, make_intent(depends_on=[theirs["idempotency_key"]]))
    assert result["outcome"] == "invalid" and result["status"] == 422
    assert (
        result["error"]["message"]
        == f"depends_on: {theirs['idempotency_key']} is not one of this installer's requests"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"depends_on": ["nope"]}, "depends_on.0"),
        ({"depends_on": "not-a-list"}, "depends_on"),
        ({"needs_approval": "yes"}, "needs_approval"),
        ({"depends_on": [str(uuid.uuid4()) for _ in range(33)]}, "depends_on"),
    ],
)
def test_bad_order_fields_are_refused_with_the_field_named(
    client: TestClient, alice: dict[str, str], change: dict[str, Any], expected: str
) -> None:
    (result,) = post(client, alice, make_intent(**change))
    assert result["outcome"] == "invalid"
    assert result["error"]["message"].startswith(f"item 0 is not valid: {expected}")


def test_an_intent_cannot_wait_for_itself_or_name_a_prerequisite_twice(
    client: TestClient, alice: dict[str, str]
) -> None:
    key = str(uuid.uuid4())
    other = str(uuid.uuid4())
    (itself,) = post(client, alice, make_intent(key, depends_on=[key]))
    assert "cannot wait for itself" in itself["error"]["message"]
    (twice,) = post(client, alice, make_intent(depends_on=[other, other.upper()]))
    assert "the same key twice" in twice["error"]["message"]


def test_an_old_laptops_intent_is_accepted_and_forwarded_as_before(
    client: TestClient, alice: dict[str, str], simulator: DccSimulator, clock: FakeClock
) -> None:
    old = make_intent()
    assert "depends_on" not in old and "needs_approval" not in old
    (first,) = post(client, alice, old)
    assert (first["outcome"], first["intent"]["state"]) == ("created", "accepted")
    assert first["intent"]["depends_on"] == [] and first["intent"]["needs_approval"] is False
    # The same intent re-sent by a newer laptop with the fields at their defaults is a replay.
    (again,) = post(client, alice, dict(old, depends_on=[], needs_approval=False))
    assert again["outcome"] == "replayed"
    run_dcc(simulator, clock)
    assert view(client, alice, old)["state"] == "succeeded"
    assert history(client, alice)[old["idempotency_key"]] == ["accepted", "submitted", "succeeded"]


def test_same_key_with_other_prerequisites_is_a_conflict(client: TestClient, alice: dict[str, str]) -> None:
    intent = make_intent(depends_on=[str(uuid.uuid4())])
    post(client, alice, intent)
    (other,) = post(client, alice, dict(intent, depends_on=[str(uuid.uuid4())]))
    assert other["outcome"] == "conflict"


# --------------------------------------------------------------------------- approval


def test_an_8_4_waits_with_its_whole_visit_until_approved(
    client: TestClient,
    alice: dict[str, str],
    admin: dict[str, str],
    simulator: DccSimulator,
    clock: FakeClock,
) -> None:
    intents = visit(remedy=True)
    results = post(client, alice, *intents.values())
    assert [r["intent"]["state"] for r in results] == ["waiting"] * 4
    assert results[0]["intent"]["needs_approval"] is True
    assert results[0]["intent"]["approval"] == {
        "decision": "pending",
        "decided_by": None,
        "decided_at": None,
        "reason": None,
    }
    run_dcc(simulator, clock)
    assert set(states(client, alice, intents).values()) == {"waiting"}  # nothing reached the DCC

    awaiting = client.get("/v1/admin/intents", params={"awaiting_approval": True}, headers=admin).json()
    assert [i["idempotency_key"] for i in awaiting["intents"]] == [intents["8.4"]["idempotency_key"]]
    key = intents["8.4"]["idempotency_key"]
    approved = client.post(f"/v1/admin/intents/{key}/approve", json={"by": "Dana Reviewer"}, headers=admin)
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "accepted"
    assert approved.json()["approval"]["decision"] == "approved"
    assert approved.json()["approval"]["decided_by"] == "Dana Reviewer"

    simulator.step()
    assert states(client, alice, intents) == {
        "8.4": "submitted",
        "8.11": "waiting",
        "8.7.1": "waiting",
        "8.7.2": "waiting",
    }
    run_dcc(simulator, clock, ticks=10)
    assert set(states(client, alice, intents).values()) == {"succeeded"}
    assert history(client, alice)[key] == ["waiting", "accepted", "submitted", "succeeded"]

    audit = client.get("/v1/admin/audit", params={"subject": key}, headers=admin).json()["entries"]
    assert [(e["action"], e["actor"], e["via"]) for e in audit] == [
        ("intent.approved", "Dana Reviewer", "admin token of ops")
    ]
    assert audit[0]["detail"]["srv"] == "8.4" and audit[0]["detail"]["released"] is True
    again = client.post(f"/v1/admin/intents/{key}/approve", json={"by": "Dana Reviewer"}, headers=admin)
    assert again.status_code == 409 and "already approved by Dana Reviewer" in again.json()["detail"]


def test_a_refused_8_4_fails_with_its_reason_and_so_does_its_visit(
    client: TestClient,
    alice: dict[str, str],
    admin: dict[str, str],
    simulator: DccSimulator,
    clock: FakeClock,
) -> None:
    intents = visit(remedy=True)
    post(client, alice, *intents.values())
    key = intents["8.4"]["idempotency_key"]
    refused = client.post(
        f"/v1/admin/intents/{key}/refuse",
        json={"by": "Dana", "reason": "ask the DCC for a manual change"},
        headers=admin,
    )
    assert refused.status_code == 200, refused.text
    assert refused.json()["reason"] == "refused by Dana: ask the DCC for a manual change"
    assert refused.json()["approval"]["decision"] == "refused"
    run_dcc(simulator, clock)
    assert set(states(client, alice, intents).values()) == {"failed"}
    for name in ("8.11", "8.7.1", "8.7.2"):
        reason = view(client, alice, intents[name])["reason"]
        assert reason.startswith(
            f"not sent to the DCC: its prerequisite 8.4 ({key}) failed (refused by Dana:"
        )
        assert view(client, alice, intents[name])["request_id"] is None
    audit = client.get("/v1/admin/audit", params={"subject": key}, headers=admin).json()["entries"]
    assert [(e["action"], e["actor"], e["detail"]["reason"]) for e in audit] == [
        ("intent.refused", "Dana", "ask the DCC for a manual change")
    ]


def test_approval_needs_an_admin_a_name_and_an_intent_that_waits_for_one(
    client: TestClient, alice: dict[str, str], admin: dict[str, str]
) -> None:
    intents = visit(remedy=True)
    post(client, alice, *intents.values())
    key = intents["8.4"]["idempotency_key"]
    assert (
        client.post(f"/v1/admin/intents/{key}/approve", json={"by": "me"}, headers=alice).status_code == 403
    )
    blank = client.post(f"/v1/admin/intents/{key}/approve", json={"by": "   "}, headers=admin)
    assert blank.status_code == 422 and blank.json()["detail"][0]["loc"] == ["body", "by"]
    no_reason = client.post(
        f"/v1/admin/intents/{key}/refuse", json={"by": "Dana", "reason": " "}, headers=admin
    )
    assert no_reason.status_code == 422
    plain = intents["8.11"]["idempotency_key"]
    not_needed = client.post(f"/v1/admin/intents/{plain}/approve", json={"by": "Dana"}, headers=admin)
    assert not_needed.status_code == 409 and "does not need an approval" in not_needed.json()["detail"]
    unknown = client.post(f"/v1/admin/intents/{uuid.uuid4()}/approve", json={"by": "Dana"}, headers=admin)
    assert unknown.status_code == 404
    assert client.get("/v1/admin/audit", headers=admin).json()["entries"] == []
    assert view(client, alice, intents["8.4"])["approval"]["decision"] == "pending"


def test_an_approved_intent_still_waits_for_its_own_prerequisites(
    client: TestClient,
    alice: dict[str, str],
    admin: dict[str, str],
    simulator: DccSimulator,
    clock: FakeClock,
) -> None:
    first = make_intent()
    gated = make_intent(
        srv="8.4", command_variant=8, needs_approval=True, depends_on=[first["idempotency_key"]]
    )
    post(client, alice, gated)
    approved = client.post(
        f"/v1/admin/intents/{gated['idempotency_key']}/approve", json={"by": "Dana"}, headers=admin
    )
    assert approved.json()["state"] == "waiting"
    post(client, alice, first)
    run_dcc(simulator, clock)
    assert view(client, alice, gated)["state"] == "succeeded"


# --------------------------------------------------------------------------- command line


def test_cli_approves_and_refuses_with_audit(
    db_url: str, store: Store, client: TestClient, alice: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    one, two = visit(remedy=True), visit(remedy=True)
    post(client, alice, *one.values(), *two.values())
    key_one, key_two = one["8.4"]["idempotency_key"], two["8.4"]["idempotency_key"]

    assert main(["--db", db_url, "intents", "list", "--awaiting-approval"]) == 0
    listed = json.loads(capsys.readouterr().out)["intents"]
    assert {i["idempotency_key"] for i in listed} == {key_one, key_two}

    assert main(["--db", db_url, "intents", "approve", key_one, "--by", "Sam Ops"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["state"] == "accepted" and shown["approval"]["decided_by"] == "Sam Ops"
    assert [(a["action"], a["actor"], a["via"]) for a in shown["audit"]] == [
        ("intent.approved", "Sam Ops", "command line")
    ]

    assert (
        main(
            [
                "--db",
                db_url,
                "intents",
                "refuse",
                key_two.upper(),
                "--by",
                "Sam Ops",
                "--reason",
                "wrong model",
            ]
        )
        == 0
    )
    shown = json.loads(capsys.readouterr().out)
    assert (shown["state"], shown["reason"]) == ("failed", "refused by Sam Ops: wrong model")
    assert states(client, alice, two) == {
        "8.4": "failed",
        "8.11": "failed",
        "8.7.1": "failed",
        "8.7.2": "failed",
    }

    assert main(["--db", db_url, "intents", "show", key_two]) == 0
    assert json.loads(capsys.readouterr().out)["audit"][0]["detail"]["reason"] == "wrong model"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["intents", "approve", "nope", "--by", "Sam"], "'nope' is not an intent key"),
        (["intents", "approve", "KEY", "--by", " "], "--by must name the person deciding"),
        (["intents", "refuse", "KEY", "--by", "Sam", "--reason", "  "], "--reason must say why"),
        (["intents", "approve", "PLAIN", "--by", "Sam"], "does not need an approval"),
        (["intents", "approve", str(uuid.UUID(int=7)), "--by", "Sam"], "no intent with the key"),
        (["intents", "refuse", "KEY", "--by", "Sam"], "the following arguments are required: --reason"),
    ],
)
def test_cli_refuses_bad_decisions_in_one_line(
    db_url: str,
    client: TestClient,
    alice: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    intents = visit(remedy=True)
    post(client, alice, *intents.values())
    keys = {"KEY": intents["8.4"]["idempotency_key"], "PLAIN": intents["8.11"]["idempotency_key"]}
    assert main(["--db", db_url, *[keys.get(a, a) for a in argv]]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert message in err and "Traceback" not in err
    assert view(client, alice, intents["8.4"])["approval"]["decision"] == "pending"


def test_a_version_1_database_is_upgraded_in_place(db_url: str, store: Store) -> None:
    with store.write() as session:
        session.execute(update(SchemaMeta).where(SchemaMeta.key == "schema_version").values(value="1"))
    reopened = open_store(db_url)
    try:
        with reopened.read() as session:
            assert session.get(SchemaMeta, "schema_version").value == "2"  # type: ignore[union-attr]
    finally:
        reopened.dispose()
