"""Seeded install visits for the review tests: varied enough that every filter and sort matters.

``SEED`` describes each visit once (what the laptop stores); the tests put it in a real
laptop database (through the outbox's own writers) or a real back office (through its
intake API), then compare what a review source answers with what the seed says it must.
Several visits share a start instant and a job reference, so keyset paging is tested on ties.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from app.services.review.common import VERDICT_RANK
from app.services.review.contract import ReviewFilter, ReviewPage, ReviewSort, SortColumn, SrProgress

BASE = datetime(2025, 3, 29, 22, 30, tzinfo=UTC)  # over the GB clock change (30 March 2025)
LEVELS = ("ok", "warn", "block", "unknown")
REASONS = {"ok": [], "warn": ["CPL_STATUS"], "block": ["SMETS_MISMATCH", "NOT_ON_CPL"], "unknown": ["NOT_PRENOTIFIED"]}
#: intent-state plans per visit kind, and the SR progress each gives
PLANS: dict[str, tuple[list[str], SrProgress]] = {
    "done": (["succeeded", "succeeded"], SrProgress.DONE),
    "failed": (["succeeded", "failed"], SrProgress.FAILED),
    "waiting": (["queued", "queued"], SrProgress.WAITING),
    "withdrawn": (["withdrawn", "withdrawn"], SrProgress.WITHDRAWN),
    "none": ([], SrProgress.NONE),
}


@dataclass(frozen=True)
class SeedVisit:
    id: str
    job_ref: str
    started_at: datetime
    verdict_level: str
    overridden: bool
    plan: str
    ppmid: str
    hub: str
    installer: str = ""
    scenario: str = "existing_hub"
    regime: str = "tactical"

    @property
    def sr_state(self) -> SrProgress:
        return PLANS[self.plan][1]

    @property
    def reasons(self) -> list[str]:
        return REASONS[self.verdict_level]

    @property
    def outcome(self) -> str:
        return "aborted" if self.plan == "none" else "recorded"


def device(n: int, kind: int) -> str:
    raw = f"{kind:02X}{n:014X}"
    return "-".join(raw[i : i + 2] for i in range(0, 16, 2))


def seed(count: int = 37, installers: tuple[str, ...] = ("",)) -> list[SeedVisit]:
    plans = list(PLANS)
    visits = []
    for n in range(count):
        level = LEVELS[n % 4]
        visits.append(
            SeedVisit(
                id=str(uuid.UUID(int=n + 1)),
                job_ref=f"J-{(n * 7) % 11:04d}",  # job references repeat: ties on the job sort
                started_at=BASE + timedelta(minutes=20 * (n // 3)),  # three visits per instant: ties
                verdict_level=level,
                overridden=level == "block" and n % 8 == 2,
                plan=plans[n % 5],
                ppmid=device(n, 0xAA),
                hub=device(n, 0xBB),
                installer=installers[n % len(installers)],
                regime="tactical" if n < count // 2 else "mp202",
            )
        )
    return visits


def intent_rows(visit: SeedVisit) -> list[tuple[str, str, str, str | None]]:
    """(key, srv, state, response_code) of each intent of the visit."""
    states = PLANS[visit.plan][0]
    srvs = ["8.11", "8.7.1"]
    return [
        (str(uuid.uuid5(uuid.NAMESPACE_URL, f"{visit.id}/{k}")), srvs[k], state, "E12" if state == "failed" else None)
        for k, state in enumerate(states)
    ]


def expected(visits: list[SeedVisit], flt: ReviewFilter, installer_of: Any = None) -> list[SeedVisit]:
    """The seed visits a filter must answer (by the contract's words, computed in Python)."""
    from app.services.review.common import date_range

    low, high = date_range(flt.date_from, flt.date_to)
    text = flt.text.strip().upper()
    out = []
    for v in visits:
        who = installer_of(v) if installer_of else v.installer
        if low and v.started_at < low or high and v.started_at >= high:
            continue
        if flt.installer and who != flt.installer:
            continue
        if flt.verdict_level and v.verdict_level != flt.verdict_level:
            continue
        if flt.reason_code and flt.reason_code not in v.reasons:
            continue
        if flt.overridden is not None and v.overridden != flt.overridden:
            continue
        if flt.sr_state is not None and v.sr_state is not flt.sr_state:
            continue
        bare = text.replace("-", "")
        hexy = bool(bare) and all(ch in "0123456789ABCDEF" for ch in bare)
        devices = [d.replace("-", "") for d in (v.ppmid, v.hub)]
        if text and not (v.job_ref.upper().startswith(text) or hexy and any(d.startswith(bare) for d in devices)):
            continue
        out.append(v)
    return out


def sort_key(v: SeedVisit, column: SortColumn, installer_of: Any = None) -> tuple[Any, ...]:
    first: dict[SortColumn, Any] = {
        SortColumn.STARTED_AT: (),
        SortColumn.INSTALLER: ((installer_of(v) if installer_of else v.installer),),
        SortColumn.JOB_REF: (v.job_ref,),
        SortColumn.VERDICT_LEVEL: (VERDICT_RANK[v.verdict_level],),
        SortColumn.SR_STATE: (list(SrProgress).index(v.sr_state),),
    }
    return (*first[column], v.started_at)


def walk(source: Any, flt: ReviewFilter, sort: ReviewSort, limit: int) -> Iterator[ReviewPage]:
    """Every page of a source for the filter and sort, following the cursors."""
    after = None
    for _ in range(10_000):
        page = source.page(flt, sort, after, limit)
        yield page
        if page.next_cursor is None:
            return
        after = page.next_cursor
    raise AssertionError("the cursor never ended")
