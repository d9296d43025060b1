"""Batch splitting after a 413: the pass halves the batch, and gives up on one item alone.

The back office here is a stand-in passed through ``sync_once(client=…)``: a real one
would need a body over its limit, which no honest visit record reaches.
"""

from __future__ import annotations

from pathlib import Path

from app.services.context import AppContext
from app.services.installs import abort_visit
from app.sync.client import BatchTooLarge
from app.sync.engine import sync_once


class _RefusesEveryBatch:
    base_url = "http://backoffice.invalid/"

    def __init__(self) -> None:
        self.batch_sizes: list[int] = []

    def post_installs(self, items: list[dict]) -> list:
        self.batch_sizes.append(len(items))
        raise BatchTooLarge("the back office refused the batch as too large: 413")

    def post_intents(self, items: list[dict]) -> list:  # pragma: no cover - never reached
        raise AssertionError("intents are pushed only after every visit record went")


def test_a_visit_too_large_even_alone_ends_the_pass_and_stays_queued(tmp_path: Path) -> None:
    ctx = AppContext(tmp_path / "laptop")
    for n in range(3):
        abort_visit(ctx, f"J-00010{n}", "customer not home")
    client = _RefusesEveryBatch()

    report = sync_once(ctx, client=client, batch_size=4, pull_status=False, adopt_regime=False, max_seconds=5)

    assert client.batch_sizes == [3, 2, 1]
    assert report.status == "partial"
    assert "too large" in report.message
    assert report.visits_sent == 0
