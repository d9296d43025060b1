"""The supplier's regime: default tactical, scheduled changes, GB dates."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from app.backoffice.cli import main
from app.backoffice.db import Store
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import FakeClock, TestClient


def test_default_is_tactical(client: TestClient, alice: dict[str, str]) -> None:
    body = client.get("/v1/regime", headers=alice).json()
    assert body == {
        "regime": "tactical",
        "effective_from": None,
        "source": "default",
        "today": "2026-05-01",
        "scheduled": None,
    }


def test_scheduled_regime_takes_effect_on_its_gb_date(
    client: TestClient, admin: dict[str, str], alice: dict[str, str], clock: FakeClock
) -> None:
    set_body = {"regime": "mp202", "effective_from": "2027-01-01"}
    assert client.put("/v1/admin/regime", json=set_body, headers=admin).status_code == 200
    before = client.get("/v1/regime", headers=alice).json()
    assert before["regime"] == "tactical"
    assert before["scheduled"] == {"regime": "mp202", "effective_from": "2027-01-01"}
    clock.now = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    assert client.get("/v1/regime", headers=alice).json()["regime"] == "tactical"
    clock.now = datetime(2027, 1, 1, 0, 0, tzinfo=UTC)
    after = client.get("/v1/regime", headers=alice).json()
    assert (after["regime"], after["effective_from"], after["source"], after["scheduled"]) == (
        "mp202",
        "2027-01-01",
        "schedule",
        None,
    )


def test_summer_midnight_is_decided_in_gb_time(
    client: TestClient, admin: dict[str, str], alice: dict[str, str], clock: FakeClock
) -> None:
    client.put("/v1/admin/regime", json={"regime": "mp202", "effective_from": "2026-07-01"}, headers=admin)
    clock.now = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # 00:30 on 1 July in London
    assert client.get("/v1/regime", headers=alice).json()["regime"] == "mp202"


def test_bad_regime_is_422(client: TestClient, admin: dict[str, str]) -> None:
    for body in (
        {"regime": "smets3", "effective_from": "2027-01-01"},
        {"regime": "mp202", "effective_from": "soon"},
    ):
        assert client.put("/v1/admin/regime", json=body, headers=admin).status_code == 422


def test_regime_set_from_the_cli(
    db_url: str, store: Store, client: TestClient, alice: dict[str, str], capsys
) -> None:  # type: ignore[no-untyped-def]
    assert main(["--db", db_url, "regime", "set", "mp202", "--effective", "2027-01-01"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["scheduled"] == {"regime": "mp202", "effective_from": "2027-01-01"}
    assert main(["--db", db_url, "regime", "set", "mp202", "--effective", "2020-01-01"]) == 0
    assert client.get("/v1/regime", headers=alice).json()["regime"] == "mp202"
    assert main(["--db", db_url, "regime", "set", "smets9"]) == 2
