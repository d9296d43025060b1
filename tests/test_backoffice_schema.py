"""Schema-driven fuzzing (schemathesis) of every endpoint: no input may produce a 500.

For each operation in the live OpenAPI schema, schemathesis generates requests that fit
the schema (positive) and requests that break it (negative); every one is sent with an
admin token, so generated inputs reach the handlers rather than stopping at the 401.
The example count is bounded to keep the whole run well under a minute.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

from app.backoffice.db import Store
from app.backoffice.web.app import create_app
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import FakeClock, TestClient, issue_token, make_intent

EXAMPLES_PER_OPERATION = 12


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_no_server_errors(store: Store, clock: FakeClock, mode: GenerationMode) -> None:
    headers = {"Authorization": f"Bearer {issue_token(store, 'fuzz-admin', admin=True)}"}
    app = create_app(store, clock=clock)
    failures: list[str] = []
    with TestClient(app) as client:
        assert client.post("/v1/intents", json=[make_intent()], headers=headers).status_code == 200
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 15

        for operation in operations:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def send(case: schemathesis.Case) -> None:
                response = case.call(headers=dict(headers))
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:300]}"
                    )

            try:
                send()
            except Unsatisfiable:
                # Nothing in this operation can be made invalid (e.g. no parameters at all).
                assert mode is GenerationMode.NEGATIVE, operation.label
    assert not failures, "\n".join(failures[:20])


@pytest.mark.slow
def test_every_answer_is_documented_on_its_operation(store: Store, clock: FakeClock) -> None:
    """What each operation answers — with an admin token, an installer's, or none; with
    inputs that fit the schema and inputs that break it — is a status its OpenAPI entry
    documents, with a body that fits the documented schema (schemathesis'
    status_code_conformance and response_schema_conformance)."""
    tokens = {
        "admin": {"Authorization": f"Bearer {issue_token(store, 'conf-admin', admin=True)}"},
        "installer": {"Authorization": f"Bearer {issue_token(store, 'conf-installer')}"},
        "none": {},
    }
    app = create_app(store, clock=clock)
    failures: set[str] = set()
    with TestClient(app) as client:
        assert client.post("/v1/intents", json=[make_intent()], headers=tokens["admin"]).status_code == 200
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        for operation in [result.ok() for result in schema.get_all_operations()]:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                for who, headers in tokens.items():
                    try:
                        _conformance_run(operation, mode, who, headers, failures)()
                    except Unsatisfiable:
                        assert mode is GenerationMode.NEGATIVE, operation.label
    assert not failures, "\n".join(sorted(failures)[:30])


def test_guard_answers_are_documented_where_they_can_happen(store: Store, clock: FakeClock) -> None:
    """The statuses no route declares itself (bad JSON, too large, busy, disk full) are on
    the operations that can give them, and only there."""
    with TestClient(create_app(store, clock=clock)) as client:
        paths = client.get("/openapi.json").json()["paths"]
    intake = paths["/v1/intents"]["post"]["responses"]
    assert {"400", "401", "413", "422", "503", "507"} <= set(intake)
    assert "Retry-After" in intake["503"]["headers"]
    status = paths["/v1/status"]["get"]["responses"]
    assert "503" in status and "413" not in status and "507" not in status
    assert "503" not in paths["/v1/health"]["get"]["responses"]
    assert "404" in paths["/v1/intents/{key}"]["get"]["responses"]


def _conformance_run(
    operation: Any, mode: GenerationMode, who: str, headers: dict[str, str], failures: set[str]
) -> Callable[[], None]:
    """A Hypothesis run sending ``operation``'s generated cases with ``headers``."""
    from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=6, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
    )
    def send(case: schemathesis.Case) -> None:
        response = case.call(headers=dict(headers))
        try:
            case.validate_response(response, checks=[status_code_conformance, response_schema_conformance])
        except Exception as exc:  # schemathesis' failure group: one line per operation and status
            first = str(exc).strip().splitlines()[0]
            failures.add(f"{operation.label} ({who} token) → {response.status_code}: {first}")

    return send  # type: ignore[no-any-return]
