"""Shared by the review window's tests: a laptop with recorded visits, and a slow source.

The laptop is recorded once per test module (``app.testing.review_visits``: the sample
jobs recorded through the installer's own services over three days), then copied for each
test that changes it, so a test never sees another's changes.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

from app.services.review.contract import ReviewDetail, ReviewFilter, ReviewPage, ReviewSort
from app.testing.review_visits import RecordedVisit, record_sample_visits


class Laptop:
    """A recorded laptop's data folder and what was recorded in it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.visits: list[RecordedVisit] = record_sample_visits(folder)

    def copy(self, target: Path) -> Path:
        shutil.copytree(self.folder, target)
        return target

    def jobs(self, **match: Any) -> set[str]:
        """The job references of the visits whose attributes equal ``match``."""
        return {v.job_ref for v in self.visits if all(getattr(v, key) == value for key, value in match.items())}


class SlowSource:
    """A real source behind a gate: ``page``/``detail`` wait until the test opens it.

    Only the timing is the test's: every answer is the real source's. It makes "an answer
    arrives after the question changed" happen on purpose rather than by luck.
    """

    def __init__(self, real: Any) -> None:
        self.real = real
        self.gate = threading.Event()
        self.gate.set()
        self.asked: list[ReviewFilter] = []

    def hold(self) -> None:
        self.gate.clear()

    def release(self) -> None:
        self.gate.set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    @property
    def description(self) -> str:
        return str(self.real.description)

    @property
    def can_approve(self) -> bool:
        return bool(self.real.can_approve)

    def page(self, flt: ReviewFilter, sort: ReviewSort, after: str | None = None, limit: int = 200) -> ReviewPage:
        self.asked.append(flt)
        assert self.gate.wait(10), "the test never released the gate"
        page: ReviewPage = self.real.page(flt, sort, after, limit)
        return page

    def detail(self, record_id: str) -> ReviewDetail:
        assert self.gate.wait(10), "the test never released the gate"
        detail: ReviewDetail = self.real.detail(record_id)
        return detail
