"""Idempotent intent intake: replays, key conflicts, per-item batch results, no 500s."""

from __future__ import annotations

import json
import uuid
from typing import Any

from app.backoffice.db import Store
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import CHF, TestClient, make_intent


def post(client: TestClient, headers: dict[str, str], items: list[Any]) -> dict[str, Any]:
    response = client.post("/v1/intents", json=items, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_new_intent_is_accepted_without_request_id(client: TestClient, alice: dict[str, str]) -> None:
    intent = make_intent(target="000d6f0000abcdef")
    body = post(client, alice, [intent])
    assert (body["created"], body["replayed"], body["errors"]) == (1, 0, 0)
    (result,) = body["results"]
    assert result["outcome"] == "created" and result["status"] == 201
    view = result["intent"]
    assert view["state"] == "accepted"
    assert view["target"] == CHF  # canonical form stored
    assert view["request_id"] is None  # assigned only at submission
    assert view["idempotency_key"] == intent["idempotency_key"]


def test_same_key_same_payload_returns_the_first_result(client: TestClient, alice: dict[str, str]) -> None:
    intent = make_intent()
    first = post(client, alice, [intent])["results"][0]
    again = post(client, alice, [intent])["results"][0]
    assert again["outcome"] == "replayed" and again["status"] == 200
    assert again["intent"] == first["intent"]


def test_equivalent_spelling_is_a_replay(client: TestClient, alice: dict[str, str]) -> None:
    intent = make_intent()
    post(client, alice, [intent])
    respelt = dict(intent, target=CHF.lower().replace("-", ":"), created_at="2026-05-01T07:30:00Z")
    respelt["idempotency_key"] = intent["idempotency_key"].upper()
    assert post(client, alice, [respelt])["results"][0]["outcome"] == "replayed"


def test_same_key_different_payload_is_422_for_that_item(client: TestClient, alice: dict[str, str]) -> None:
    intent = make_intent()
    post(client, alice, [intent])
    changed = dict(intent, command_variant=4)
    other = make_intent()
    body = post(client, alice, [changed, other])
    bad, good = body["results"]
    assert bad["status"] == 422 and bad["outcome"] == "conflict"
    assert bad["error"]["code"] == "key_conflict"
    assert good["status"] == 201
    assert (body["created"], body["errors"]) == (1, 1)


def test_single_endpoint_statuses(client: TestClient, alice: dict[str, str]) -> None:
    intent = make_intent()
    key = intent.pop("idempotency_key")
    first = client.post(f"/v1/intents/{key}", json=intent, headers=alice)
    assert first.status_code == 201, first.text
    again = client.post(f"/v1/intents/{key}", json=intent, headers=alice)
    assert again.status_code == 200 and again.json() == first.json()
    changed = client.post(f"/v1/intents/{key}", json=dict(intent, srv="8.7.2"), headers=alice)
    assert changed.status_code == 422
    mismatch = client.post(
        f"/v1/intents/{uuid.uuid4()}", json=dict(intent, idempotency_key=key), headers=alice
    )
    assert mismatch.status_code == 422
    fetched = client.get(f"/v1/intents/{key}", headers=alice)
    assert fetched.status_code == 200 and fetched.json()["state"] == "accepted"


def test_duplicates_inside_one_batch(client: TestClient, alice: dict[str, str]) -> None:
    intent = make_intent()
    body = post(client, alice, [intent, intent, dict(intent, srv="8.2")])
    outcomes = [r["outcome"] for r in body["results"]]
    assert outcomes == ["created", "replayed", "conflict"]
    assert body["results"][1]["intent"] == body["results"][0]["intent"]


def test_invalid_item_does_not_refuse_the_rest(client: TestClient, alice: dict[str, str]) -> None:
    good = make_intent()
    bad_target = make_intent(target="not-an-eui")
    naive_time = make_intent(created_at="2026-05-01T08:30:00")
    unknown_field = make_intent(colour="blue")
    body = post(client, alice, [bad_target, good, naive_time, unknown_field, 7])
    statuses = [r["status"] for r in body["results"]]
    assert statuses == [422, 201, 422, 422, 422]
    assert body["results"][0]["idempotency_key"] == bad_target["idempotency_key"]
    assert "target" in body["results"][0]["error"]["message"]
    assert body["results"][4]["idempotency_key"] is None


def test_key_used_by_another_installer_is_a_conflict(
    client: TestClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    intent = make_intent()
    post(client, alice, [intent])
    result = post(client, bob, [intent])["results"][0]
    assert result["outcome"] == "conflict" and result["intent"] is None


def test_batch_envelope_errors(client: TestClient, alice: dict[str, str]) -> None:
    assert client.post("/v1/intents", json=[], headers=alice).status_code == 422
    assert client.post("/v1/intents", json={"not": "a list"}, headers=alice).status_code == 422
    too_many = [make_intent() for _ in range(501)]
    assert client.post("/v1/intents", json=too_many, headers=alice).status_code == 422
    broken = client.post("/v1/intents", content=b"[{", headers={**alice, "Content-Type": "application/json"})
    assert broken.status_code == 422


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def test_hostile_values_get_4xx_not_500(client: TestClient, alice: dict[str, str]) -> None:
    hostile: list[dict[str, Any]] = [
        make_intent(duis_xml="<a>\x00</a>"),
        make_intent(body={"x": float("nan")}),
        make_intent(body={"deep": _nested(40)}),
        make_intent(command_variant=2**70),
        make_intent(created_at="0001-01-01T00:00:00+05:00"),
        make_intent(job_ref="x" * 65),
        make_intent(meta={"n": 10**30}),
    ]
    raw = (
        b'[{"idempotency_key": "' + str(uuid.uuid4()).encode() + b'", "duis_xml": "\\ud800", "srv": "8.11"}]'
    )
    response = client.post("/v1/intents", content=raw, headers={**alice, "Content-Type": "application/json"})
    assert response.status_code == 200 and response.json()["results"][0]["status"] == 422
    # NaN is not JSON; send the batch as text so the server sees the literal
    payload = json.dumps(hostile, allow_nan=True).encode()
    response = client.post(
        "/v1/intents", content=payload, headers={**alice, "Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["results"]] == [422] * len(hostile)


def test_large_batch_is_one_call(client: TestClient, alice: dict[str, str]) -> None:
    batch = [make_intent() for _ in range(500)]
    body = post(client, alice, batch)
    assert body["created"] == 500
    seqs = [r["intent"]["accepted_seq"] for r in body["results"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == 500


def test_concurrent_batches_store_each_key_once(store: Store) -> None:
    """Overlapping batches from many threads: one row per key, cursor numbers without gaps."""
    from concurrent.futures import ThreadPoolExecutor
    from datetime import UTC, datetime

    from sqlalchemy import func, select

    from app.backoffice.intake import intake_intents
    from app.backoffice.models import Intent, StatusChange
    from app.backoffice.tokens import get_or_create_installer
    from app.backoffice.web.common import write_with_retry

    with store.write() as session:
        installer_id = get_or_create_installer(session, "racer", datetime.now(UTC)).id
    pool = [make_intent() for _ in range(40)]
    batches = [pool[i : i + 20] for i in range(0, 40, 5)] * 2

    def send(batch: list[dict[str, Any]]) -> list[str]:
        done = write_with_retry(store, lambda s: intake_intents(s, installer_id, batch, datetime.now(UTC)))
        return [item.outcome for item in done]

    with ThreadPoolExecutor(max_workers=8) as executor:
        outcomes = [o for result in executor.map(send, batches) for o in result]
    assert outcomes.count("created") == 40 and "conflict" not in outcomes
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Intent)) == 40
        seqs = sorted(session.scalars(select(StatusChange.seq)))
    assert seqs == list(range(seqs[0], seqs[0] + 40))


def test_oversized_body_is_413(client: TestClient, alice: dict[str, str]) -> None:
    huge = b"[" + b" " * (33 * 1024 * 1024) + b"]"
    response = client.post("/v1/intents", content=huge, headers={**alice, "Content-Type": "application/json"})
    assert response.status_code == 413
