"""Install records: idempotent intake and the review screen's filters."""

from __future__ import annotations

import uuid

from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import TestClient, make_install, make_intent


def test_install_intake_is_idempotent(client: TestClient, alice: dict[str, str]) -> None:
    record = make_install()
    first = client.post("/v1/installs", json=[record], headers=alice).json()
    assert first["results"][0]["status"] == 201
    again = client.post("/v1/installs", json=[record], headers=alice).json()
    assert again["results"][0]["outcome"] == "replayed"
    assert again["results"][0]["install"] == first["results"][0]["install"]
    changed = client.post("/v1/installs", json=[dict(record, outcome="aborted")], headers=alice).json()
    assert changed["results"][0]["status"] == 422


def test_single_install_endpoint(client: TestClient, alice: dict[str, str]) -> None:
    record = make_install()
    install_id = record.pop("install_id")
    assert client.post(f"/v1/installs/{install_id}", json=record, headers=alice).status_code == 201
    assert client.post(f"/v1/installs/{install_id}", json=record, headers=alice).status_code == 200
    assert (
        client.post(f"/v1/installs/{install_id}", json=dict(record, job_ref="J-2"), headers=alice).status_code
        == 422
    )
    assert (
        client.post(f"/v1/installs/{uuid.uuid4()}", json=dict(record, ppmid="zz"), headers=alice).status_code
        == 422
    )


def test_install_lists_its_intents(client: TestClient, alice: dict[str, str]) -> None:
    record = make_install()
    intent = make_intent(install_id=record["install_id"].upper())
    client.post("/v1/intents", json=[intent], headers=alice)
    client.post("/v1/installs", json=[record], headers=alice)
    got = client.get(f"/v1/installs/{record['install_id']}", headers=alice).json()
    assert [(i["idempotency_key"], i["state"]) for i in got["intents"]] == [
        (intent["idempotency_key"], "accepted")
    ]


def test_install_filters(
    client: TestClient, alice: dict[str, str], bob: dict[str, str], admin: dict[str, str]
) -> None:
    records = [
        make_install(job_ref="J-1", started_at="2026-04-30T23:30:00Z"),  # 1 May in London (BST)
        make_install(
            job_ref="J-2", started_at="2026-05-02T10:00:00Z", outcome="aborted", verdict_level="block"
        ),
        make_install(job_ref="J-1", started_at="2026-05-03T10:00:00Z"),
    ]
    client.post("/v1/installs", json=records, headers=alice)
    client.post("/v1/installs", json=[make_install(job_ref="J-1")], headers=bob)

    def query(headers: dict[str, str] = alice, **params: str) -> list[str]:
        response = client.get("/v1/installs", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [r["started_at"][:10] + "/" + r["job_ref"] for r in response.json()["installs"]]

    assert query() == ["2026-05-03/J-1", "2026-05-02/J-2", "2026-04-30/J-1"]
    assert query(job_ref="J-1") == ["2026-05-03/J-1", "2026-04-30/J-1"]
    assert query(outcome="aborted") == ["2026-05-02/J-2"]
    assert query(verdict_level="block") == ["2026-05-02/J-2"]
    assert query(**{"from": "2026-05-01", "to": "2026-05-01"}) == ["2026-04-30/J-1"]
    assert query(**{"from": "2026-05-02T00:00:00Z"}) == ["2026-05-03/J-1", "2026-05-02/J-2"]
    assert len(query(admin)) == 4
    assert query(admin, installer="bob") == ["2026-05-01/J-1"]
    assert query(admin, installer="nobody") == []
    page = client.get("/v1/installs", params={"limit": 1, "offset": 1}, headers=alice).json()
    assert (page["total"], len(page["installs"])) == (3, 1)


def test_bad_filters_are_422(client: TestClient, alice: dict[str, str]) -> None:
    for params in (
        {"from": "yesterday"},
        {"to": "2026-05-01T10:00:00"},
        {"outcome": "maybe"},
        {"limit": "0"},
        {"from": "0001-01-01T00:00:00+05:00"},
        {"to": "9999-12-31"},
    ):
        response = client.get("/v1/installs", params=params, headers=alice)
        assert response.status_code == 422, params
