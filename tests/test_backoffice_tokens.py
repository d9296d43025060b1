"""Token roles, listing, revoking one token and expiry, through the ``hubcheck-backoffice`` command.

The role is a token's, never its installer's: the sequence that once left carol an admin
(``token create carol --admin``, then ``token create carol``, then ``token revoke carol``)
is replayed here and each token is tried against the real app.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from app.backoffice.cli import main
from app.backoffice.db import Store
from app.backoffice.tokens import expiry_from_date
from app.backoffice.web.app import create_app
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import FakeClock, TestClient, bearer


def _cli(capsys: pytest.CaptureFixture[str], db_url: str, *args: str) -> tuple[int, str, str]:
    code = main(["--db", db_url, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _whoami(client: TestClient, token: str) -> tuple[int, bool | None]:
    answer = client.get("/v1/whoami", headers=bearer(token))
    return answer.status_code, answer.json().get("admin") if answer.status_code == 200 else None


def _listing(capsys: pytest.CaptureFixture[str], db_url: str, *name: str) -> list[dict[str, object]]:
    code, out, err = _cli(capsys, db_url, "token", "list", *name)
    assert code == 0, err
    tokens: list[dict[str, object]] = json.loads(out)["tokens"]
    return tokens


def test_admin_is_the_tokens_role_not_the_names(
    db_url: str, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, plain, _ = _cli(capsys, db_url, "token", "create", "carol")
    assert code == 0
    code, admin, _ = _cli(capsys, db_url, "token", "create", "carol", "--admin")
    assert code == 0
    plain, admin = plain.strip(), admin.strip()
    with TestClient(create_app(store)) as client:
        # --admin made a new admin token; carol's existing token stays an installer's.
        assert _whoami(client, plain) == (200, False)
        assert _whoami(client, admin) == (200, True)
        assert client.get("/v1/admin/intents", headers=bearer(plain)).status_code == 403
        assert client.get("/v1/admin/intents", headers=bearer(admin)).status_code == 200

        code, out, _ = _cli(capsys, db_url, "token", "revoke", "carol")
        assert (code, out.strip()) == (0, "revoked 2 token(s) of carol")
        assert _whoami(client, plain)[0] == 401 and _whoami(client, admin)[0] == 401

        # A later plain token for carol is a plain token.
        code, later, _ = _cli(capsys, db_url, "token", "create", "carol")
        assert code == 0
        assert _whoami(client, later.strip()) == (200, False)
        assert client.get("/v1/admin/intents", headers=bearer(later.strip())).status_code == 403

    listed = _listing(capsys, db_url, "carol")
    assert [(t["admin"], t["state"]) for t in listed] == [
        (False, "revoked"),
        (True, "revoked"),
        (False, "live"),
    ]
    assert all(t["prefix"] == tok[:8] for t, tok in zip(listed, [plain, admin, later.strip()], strict=True))
    # The listing never holds a token, only its prefix.
    code, out, _ = _cli(capsys, db_url, "token", "list")
    assert code == 0 and plain not in out and admin not in out and later.strip() not in out


def test_revoking_one_token_by_id_or_prefix_leaves_the_others(
    db_url: str, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    tokens = []
    for args in (["carol", "--admin"], ["carol"], ["dave"]):
        code, out, _ = _cli(capsys, db_url, "token", "create", *args)
        assert code == 0
        tokens.append(out.strip())
    admin, laptop, dave = tokens
    ids = {t["prefix"]: t["id"] for t in _listing(capsys, db_url)}

    code, out, _ = _cli(capsys, db_url, "token", "revoke", "--id", str(ids[admin[:8]]))
    assert code == 0 and out.startswith(f"revoked token {ids[admin[:8]]} ({admin[:8]}…, admin) of carol")
    code, out, _ = _cli(capsys, db_url, "token", "revoke", "--prefix", dave[:6])
    assert code == 0 and "of dave" in out
    with TestClient(create_app(store)) as client:
        assert _whoami(client, admin)[0] == 401
        assert _whoami(client, dave)[0] == 401
        assert _whoami(client, laptop) == (200, False)

    # Unknown ids and prefixes, and ambiguous requests, are one line and exit 2.
    assert _cli(capsys, db_url, "token", "revoke", "--id", "999")[0:1] == (2,)
    code, _, err = _cli(capsys, db_url, "token", "revoke", "--prefix", "~nothing")
    assert code == 2 and err.count("\n") == 1 and "no token with prefix" in err
    code, _, err = _cli(capsys, db_url, "token", "revoke", "carol", "--id", "1")
    assert code == 2 and "exactly one of" in err
    code, _, err = _cli(capsys, db_url, "token", "revoke")
    assert code == 2 and "exactly one of" in err
    code, _, err = _cli(capsys, db_url, "token", "revoke", "--id", "abc")
    assert code == 2 and "not a token id" in err
    code, _, err = _cli(capsys, db_url, "token", "list", "nobody")
    assert code == 2 and "no installer named 'nobody'" in err


def test_a_prefix_shared_by_two_tokens_is_refused(store: Store) -> None:
    from app.backoffice.models import ApiToken
    from app.backoffice.tokens import TokenError, create_token, revoke_token

    now = datetime.now(UTC)
    with store.write() as session:
        first, second = create_token(session, "erin", now), create_token(session, "erin", now)
        for row in session.query(ApiToken).all():  # two tokens that happen to share a prefix
            row.prefix = "Abc" + str(row.prefix)[3:]
    with store.write() as session, pytest.raises(TokenError, match="2 tokens match prefix 'Abc'"):
        revoke_token(session, now, prefix="Abc")
    assert first != second


def test_expiry_is_enforced(db_url: str, store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    clock = FakeClock(datetime(2027, 1, 31, 12, 0, tzinfo=UTC))
    code, out, _ = _cli(capsys, db_url, "token", "create", "frank", "--expires", "2999-02-01")
    assert code == 0
    with store.write() as session:  # bring the expiry near the test clock
        from app.backoffice.models import ApiToken

        row = session.query(ApiToken).one()
        row.expires_at = expiry_from_date(date(2027, 2, 1))
    token = out.strip()
    with TestClient(create_app(store, clock=clock)) as client:
        assert _whoami(client, token) == (200, False)
        clock.advance(timedelta(hours=11, minutes=59).total_seconds())  # 31 January 23:59 GMT
        assert _whoami(client, token) == (200, False)
        clock.advance(60)  # 1 February 00:00 GB time: the start of the expiry date
        answer = client.get("/v1/whoami", headers=bearer(token))
        assert answer.status_code == 401 and "expired" in answer.json()["detail"]
    (listed,) = _listing(capsys, db_url, "frank")
    assert listed["expires_at"] == "2027-02-01T00:00:00+00:00"


def test_expiry_dates_and_bad_input(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    # GB summer time: the start of 1 July in London is 23:00 UTC the day before.
    assert expiry_from_date(date(2027, 7, 1)) == datetime(2027, 6, 30, 23, 0, tzinfo=UTC)
    code, _, err = _cli(capsys, db_url, "token", "create", "gina", "--expires", "2001-01-01")
    assert code == 2 and "is not in the future" in err and err.count("\n") == 1
    code, _, err = _cli(capsys, db_url, "token", "create", "gina", "--expires", "tomorrow")
    assert code == 2 and "is not a date" in err
    assert _listing(capsys, db_url) == []  # nothing was made by the refused commands
