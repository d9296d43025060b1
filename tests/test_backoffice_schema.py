"""Schema-driven fuzzing (schemathesis) of every endpoint: no input may produce a 500.

For each operation in the live OpenAPI schema, schemathesis generates requests that fit
the schema (positive) and requests that break it (negative); every one is sent with an
admin token, so generated inputs reach the handlers rather than stopping at the 401.
The example count is bounded to keep the whole run well under a minute.
"""

from __future__ import annotations

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
