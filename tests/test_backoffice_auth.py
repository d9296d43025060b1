"""Bearer auth: missing or wrong tokens get 401, installers see only their own records."""

from __future__ import annotations

import pytest

from app.backoffice.db import Store
from app.backoffice.tokens import revoke_tokens, token_digest
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import TestClient, make_install, make_intent

PROTECTED = [
    ("GET", "/v1/status"),
    ("GET", "/v1/installs"),
    ("GET", "/v1/regime"),
    ("GET", "/v1/cpl/latest"),
    ("GET", "/v1/jobpacks"),
    ("GET", "/v1/whoami"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_no_token_is_401(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "Bearer" in response.json()["detail"]


def test_wrong_token_is_401(client: TestClient, alice: dict[str, str]) -> None:
    for header in ("Bearer not-a-token", "Bearer " + "x" * 2000, "Basic YWxpY2U6cHc=", "Bearer"):
        response = client.post("/v1/intents", json=[make_intent()], headers={"Authorization": header})
        assert response.status_code == 401, header


def test_revoked_token_is_401(client: TestClient, store: Store, alice: dict[str, str], clock) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/v1/whoami", headers=alice).json() == {"installer": "alice", "admin": False, "analyst": False}
    with store.write() as session:
        assert revoke_tokens(session, "alice", clock()) == 1
    assert client.get("/v1/whoami", headers=alice).status_code == 401


def test_tokens_are_stored_hashed(store: Store, alice: dict[str, str]) -> None:
    token = alice["Authorization"].removeprefix("Bearer ")
    with store.read() as session:
        from sqlalchemy import select

        from app.backoffice.models import ApiToken

        stored = list(session.scalars(select(ApiToken.token_hash)))
    assert token not in stored and token_digest(token) in stored


def test_installers_see_only_their_own_intents(
    client: TestClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    intent = make_intent()
    client.post("/v1/intents", json=[intent], headers=alice)
    key = intent["idempotency_key"]
    assert client.get(f"/v1/intents/{key}", headers=alice).status_code == 200
    assert client.get(f"/v1/intents/{key}", headers=bob).status_code == 404
    assert client.get("/v1/status", headers=bob).json()["changes"] == []
    assert len(client.get("/v1/status", headers=alice).json()["changes"]) == 1


def test_installers_see_only_their_own_installs(
    client: TestClient, alice: dict[str, str], bob: dict[str, str], admin: dict[str, str]
) -> None:
    record = make_install()
    assert client.post("/v1/installs", json=[record], headers=alice).json()["created"] == 1
    assert client.get("/v1/installs", headers=bob).json()["total"] == 0
    assert client.get("/v1/installs", headers=bob, params={"installer": "alice"}).status_code == 403
    assert client.get(f"/v1/installs/{record['install_id']}", headers=bob).status_code == 404
    assert client.get("/v1/installs", headers=alice).json()["total"] == 1
    assert client.get("/v1/installs", headers=admin, params={"installer": "alice"}).json()["total"] == 1


def test_admin_endpoints_refuse_installer_tokens(client: TestClient, alice: dict[str, str]) -> None:
    response = client.put(
        "/v1/admin/regime", json={"regime": "mp202", "effective_from": "2027-01-01"}, headers=alice
    )
    assert response.status_code == 403
    response = client.post("/v1/admin/cpl", params={"name": "c.csv"}, content=b"a,b\n", headers=alice)
    assert response.status_code == 403


def test_an_intake_looks_its_token_up_once(client: TestClient, store: Store, alice: dict[str, str]) -> None:
    """The guard authenticates before the body is read; the route reuses that caller.

    Looking the token up twice cost every intake a second database round trip (about a
    tenth of an intake's time under load).
    """
    from sqlalchemy import event

    token_queries: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if "bo_tokens" in statement and statement.lstrip().upper().startswith("SELECT"):
            token_queries.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        response = client.post("/v1/intents", json=[make_intent()], headers=alice)
        assert response.status_code == 200
        assert len(token_queries) == 1
        token_queries.clear()
        # A request without a body is not seen by the guard's early check: the route looks it up.
        assert client.get("/v1/whoami", headers=alice).status_code == 200
        assert len(token_queries) == 1
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
