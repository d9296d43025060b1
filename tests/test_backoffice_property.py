"""Property: intake of random batches with duplicates, changed payloads and reordering.

Whatever the batches, every key is stored exactly once with the payload first sent,
each item's outcome is what a simple model predicts (created / replayed / conflict),
and every replay reports the same intent as the item that created it.
"""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.backoffice.db import Store
from app.backoffice.models import Intent, StatusChange
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import TestClient, make_intent

POOL = 6
# One pick: (which key of the pool, which of two payload variants).
picks = st.tuples(st.integers(0, POOL - 1), st.integers(0, 1))
batches = st.lists(st.lists(picks, min_size=1, max_size=12), min_size=1, max_size=4)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=batches, order=st.randoms(use_true_random=False))
def test_random_batches_store_each_key_once(
    plan: list[list[tuple[int, int]]], order: Any, client: TestClient, store: Store, alice: dict[str, str]
) -> None:
    keys = [str(uuid.uuid4()) for _ in range(POOL)]  # fresh keys: examples share one database
    variants = {
        (k, v): make_intent(keys[k], job_ref=f"J-{v}", install_id=None) for k in range(POOL) for v in (0, 1)
    }
    stored_variant: dict[int, int] = {}
    views: dict[str, dict[str, Any]] = {}

    for batch in plan:
        batch = list(batch)
        order.shuffle(batch)
        response = client.post("/v1/intents", json=[variants[p] for p in batch], headers=alice)
        assert response.status_code == 200, response.text
        body = response.json()
        assert [r["index"] for r in body["results"]] == list(range(len(batch)))
        for (k, v), result in zip(batch, body["results"], strict=True):
            assert result["idempotency_key"] == keys[k]
            if k not in stored_variant:
                expected = "created"
                stored_variant[k] = v
            elif stored_variant[k] == v:
                expected = "replayed"
            else:
                expected = "conflict"
            assert result["outcome"] == expected, (batch, result)
            assert result["status"] == {"created": 201, "replayed": 200, "conflict": 422}[expected]
            if expected == "conflict":
                assert result["intent"] is None
            elif expected == "created":
                views[keys[k]] = result["intent"]
            else:
                assert result["intent"] == views[keys[k]]
        assert body["created"] + body["replayed"] + body["errors"] == len(batch)

    with store.read() as session:
        rows = session.execute(
            select(Intent.idempotency_key, Intent.job_ref).where(Intent.idempotency_key.in_(keys))
        ).all()
        accepted = session.scalar(
            select(func.count())
            .select_from(StatusChange)
            .join(Intent, Intent.id == StatusChange.intent_id)
            .where(Intent.idempotency_key.in_(keys))
        )
    assert sorted(key for key, _ in rows) == sorted(keys[k] for k in stored_variant)
    assert {key: ref for key, ref in rows} == {keys[k]: f"J-{v}" for k, v in stored_variant.items()}
    assert accepted == len(stored_variant)  # one `accepted` change per stored intent
