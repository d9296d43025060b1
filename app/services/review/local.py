"""Review the install visits of this laptop's own database (one installer: this laptop's).

The analyst (or a support engineer handed a laptop) reads the same table, detail pane and
dashboard as from the back office, from the laptop's SQLite file. Filtering, sorting and
paging run in SQL on the review index the laptop's triggers keep (``app.store.review_repo``);
this module only turns the analyst's filter into the laptop's terms and rows into the
contract's plain values.

The laptop cannot approve anything: an 8.4 remedy or a manual inventory change waits for the
back office. ``approvals()`` still lists the laptop's ones waiting there, so the analyst sees
them; ``decide()`` refuses with a sentence saying where to decide.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from app.domain.catalogue import srv_name
from app.services.context import AppContext
from app.services.review.common import (
    MANUAL_INVENTORY_CHANGE,
    SR_BY_RANK,
    SR_RANK,
    changed_device,
    clamp_limit,
    date_range,
    decode_cursor,
    encode_cursor,
    gb_date,
    inventory_change_summary,
    parse_instant,
    reason_lines,
    regime_periods,
    text_prefixes,
    utc_text,
)
from app.services.review.contract import (
    INSTALL_APPROVAL_PREFIX,
    ChainState,
    DashboardSummary,
    DayCount,
    InventoryDecision,
    PendingApproval,
    ReviewDetail,
    ReviewError,
    ReviewFilter,
    ReviewPage,
    ReviewRow,
    ReviewSort,
    SrEvent,
    SrTimeline,
    scan_entry,
)

#: What the table calls this laptop's installer when no name is set.
THIS_LAPTOP = "this laptop"


class LocalReviewSource:
    """A :class:`~app.services.review.contract.ReviewSource` over this laptop's database."""

    def __init__(self, ctx_or_data_dir: AppContext | Path | str | None = None) -> None:
        if isinstance(ctx_or_data_dir, AppContext):
            self._ctx, self._own = ctx_or_data_dir, False
        else:
            self._ctx, self._own = AppContext(ctx_or_data_dir), True
        self.installer = self._installer_name()

    def _installer_name(self) -> str:
        """The installer name in the laptop's settings, else "this laptop"."""
        try:
            name = str(self._ctx.setting("installer_name") or "").strip()
        except Exception:  # no such setting on this version: the plain name is used
            name = ""
        return name or THIS_LAPTOP

    def close(self) -> None:
        """Release the database when this source opened it."""
        if self._own:
            self._ctx.close()

    # ----------------------------------------------------------------- the contract's questions

    @property
    def description(self) -> str:
        return f"This laptop ({self._ctx.data_dir})"

    @property
    def can_approve(self) -> bool:
        return False

    def _engine(self) -> Any:
        try:
            return self._ctx.engine
        except Exception as exc:  # a damaged, newer or locked database
            raise ReviewError(f"this laptop's database cannot be opened: {_plain(exc)}") from None

    @contextmanager
    def _reading(self) -> Iterator[Any]:
        """A connection; a database fault becomes a ReviewError with a plain sentence."""
        from sqlalchemy.exc import SQLAlchemyError

        engine = self._engine()
        try:
            with engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise ReviewError(f"this laptop's database could not be read: {_plain(exc)}") from None

    def _query(self, flt: ReviewFilter) -> Any:
        from app.store.review_repo import VisitQuery

        low, high = date_range(flt.date_from, flt.date_to)
        jobs, devices = text_prefixes(flt.text)
        return VisitQuery(
            started_from=utc_text(low) if low else None,
            started_before=utc_text(high) if high else None,
            verdict_level=flt.verdict_level or None,
            reason_code=flt.reason_code or None,
            overridden=flt.overridden,
            sr_rank=SR_RANK[flt.sr_state] if flt.sr_state is not None else None,
            job_prefixes=jobs,
            device_prefixes=devices,
            nothing=bool(flt.installer) and flt.installer != self.installer,
        )

    def page(self, flt: ReviewFilter, sort: ReviewSort, after: str | None = None, limit: int = 200) -> ReviewPage:
        from app.store import review_repo

        size = clamp_limit(limit)
        key_size = len(review_repo.SORT_KEYS[sort.column.value]) + 2
        key = decode_cursor(after, sort.column, sort.descending, key_size) if after else None
        query = self._query(flt)
        with self._reading() as conn:
            rows = review_repo.page(conn, query, sort.column.value, sort.descending, key, size + 1)
        more = len(rows) > size
        rows = rows[:size]
        cursor = None
        if more and rows:
            cursor = encode_cursor(sort.column, sort.descending, review_repo.key_of(rows[-1], sort.column.value))
        return ReviewPage([self._row(r) for r in rows], cursor)

    def _row(self, r: Any) -> ReviewRow:
        return ReviewRow(
            record_id=str(r[0]),
            started_at=parse_instant(r[1]),
            installer=self.installer,
            job_ref=str(r[2]),
            ppmid=r[3],
            hub=r[4],
            regime=str(r[5] or ""),
            regime_source=str(r[6] or ""),
            verdict_level=str(r[7]),
            outcome=str(r[8]),
            overridden=bool(r[9]),
            scenario=str(r[10] or ""),
            sr_state=SR_BY_RANK[int(r[11])],
            sr_total=int(r[12]),
            sr_done=int(r[13]),
            sr_failed=int(r[14]),
        )

    def detail(self, record_id: str) -> ReviewDetail:
        with self._reading() as conn:
            return self._detail(conn, record_id)

    def details(self, record_ids: Sequence[str]) -> list[ReviewDetail]:
        """Each record's detail, in the order given, read on one connection (one read of the
        laptop's file, not one per record)."""
        with self._reading() as conn:
            return [self._detail(conn, record_id) for record_id in record_ids]

    def _detail(self, conn: Any, record_id: str) -> ReviewDetail:
        from app.store import review_repo

        found = review_repo.visit_detail(conn, record_id)
        if found is None:
            raise ReviewError(f"no visit {record_id} is recorded on this laptop")
        meta: dict[str, Any] = found["meta"]
        requests = [_timeline(i) for i in found["intents"]]
        return ReviewDetail(
            row=self._row(found["row"]),
            meter=found["meter"],
            resulting_smets=meta.get("resulting_smets"),
            reasons=reason_lines(found["reasons"]),
            override_reason=found["override_reason"],
            abort_reason=found["abort_reason"],
            ppmid_scan=meta.get("ppmid_scan"),
            hub_scan=meta.get("hub_scan"),
            mpxn=found["mpxn"],
            address=[str(line) for line in found["address"]],
            postcode=found["postcode"],
            audit_hash=found["audit_hash"],
            requests=requests,
            ppmid_scan_entry=scan_entry(meta.get("ppmid_scan_entry")),
            hub_scan_entry=scan_entry(meta.get("hub_scan_entry")),
            inventory_change=_inventory_change(meta, found["inventory_decision"]),
        )

    def installers(self) -> list[str]:
        return [self.installer]

    def summary(self, flt: ReviewFilter) -> DashboardSummary:
        from app.store import review_repo

        with self._reading() as conn:
            raw = review_repo.summary(conn, self._query(flt))
        per_day: dict[tuple[date, str], int] = defaultdict(int)
        for hour, level, count in raw["hours"]:
            per_day[(gb_date(_hour(hour)), level)] += count
        overridden, recorded = raw["overrides"]
        return DashboardSummary(
            visits_per_day=[DayCount(day, level, n) for (day, level), n in sorted(per_day.items())],
            override_rate={self.installer: (overridden, recorded)} if recorded else {},
            sr_failures={(srv, code): n for srv, code, n in raw["failures"]},
            regime_periods=regime_periods((_hour(h), regime) for h, regime in raw["regimes"]),
        )

    def chains(self) -> list[ChainState]:
        """This laptop's journal as ``hubcheck audit verify`` sees it: one chain."""
        from app.services.audit import verify_journal

        self._engine()
        try:
            check = verify_journal(self._ctx)
        except Exception as exc:
            raise ReviewError(f"this laptop's journal could not be read: {_plain(exc)}") from None
        return [
            ChainState(
                installer=self.installer,
                laptop=THIS_LAPTOP,
                entries=check.entries,
                intact=check.ok,
                first_broken=None if check.ok else check.problem,
                last_synced=None,
            )
        ]

    def approvals(self) -> list[PendingApproval]:
        """The 8.4 remedies and manual inventory changes this laptop recorded that wait for the
        back office, oldest first; each names the device it would change (an 8.4's target is
        the DCC's own address, so its DeviceID is read from the request's body). A manual
        inventory change whose approval or refusal a sync brought back waits no more."""
        from app.store import review_repo

        with self._reading() as conn:
            rows = review_repo.pending_approvals(conn)
            changes = review_repo.pending_inventory_changes(conn)
        waiting = [
            PendingApproval(
                approval_id=str(key),
                kind="remedy_8_4",
                installer=self.installer,
                job_ref=job_ref,
                record_id=install_id,
                srv=str(srv),
                target=str(target),
                requested_at=parse_instant(created),
                summary=(
                    f"{srv_name(str(srv), str(kind))} for device {changed_device(_json(payload), str(target))}, "
                    "waiting for the back office's approval"
                ),
            )
            for key, install_id, job_ref, srv, kind, target, created, payload in rows
        ]
        for visit_id, job_ref, ppmid, meta_json, finished, started in changes:
            meta = _json(meta_json)
            detail = meta.get("remedy_detail")
            detail = detail if isinstance(detail, dict) else {}
            summary = inventory_change_summary(meta, ppmid).rstrip(".")
            waiting.append(
                PendingApproval(
                    approval_id=INSTALL_APPROVAL_PREFIX + str(visit_id),
                    kind="inventory_change",
                    installer=self.installer,
                    job_ref=job_ref,
                    record_id=str(visit_id),
                    srv="",
                    target=str(detail.get("device_id") or ppmid or ""),
                    requested_at=parse_instant(finished or started),
                    summary=f"{summary}; waiting for the back office's approval",
                )
            )
        return sorted(waiting, key=lambda a: a.requested_at)

    def decide(self, approval_id: str, approve: bool, reason: str) -> None:
        raise ReviewError(
            "approvals are decided at the back office, not on a laptop: "
            "open the review from the back office with an admin token"
        )


def _inventory_change(meta: dict[str, Any], stored: Any) -> InventoryDecision | None:
    """The visit's manual inventory change: the decision a sync brought back, else pending (the
    laptop knows no other); None when the visit asked for none."""
    detail = meta.get("remedy_detail")
    if not (isinstance(detail, dict) and detail.get("kind") == MANUAL_INVENTORY_CHANGE
            and detail.get("needs_approval") is True):
        return None
    if stored is None:
        return InventoryDecision("pending")
    return InventoryDecision(
        decision=str(stored.decision),
        decided_by=stored.decided_by,
        decided_at=parse_instant(stored.decided_at) if stored.decided_at else None,
        reason=stored.reason,
    )


def _hour(text: str) -> datetime:
    """A stored instant's first 13 characters ("2025-03-30T01") as an aware UTC hour."""
    return datetime.fromisoformat(text + ":00:00").replace(tzinfo=UTC)


def _timeline(i: Any) -> SrTimeline:
    key, srv, kind, target, state, request_id, response_code, reason, created, sent, accepted, updated = i
    events = [SrEvent(parse_instant(created), "queued")]
    if sent:
        events.append(SrEvent(parse_instant(sent), "sent"))
    if accepted:
        events.append(SrEvent(parse_instant(accepted), "accepted"))
    if state not in ("queued", "sent", "accepted") and updated:
        events.append(SrEvent(parse_instant(updated), str(state), response_code, reason))
    return SrTimeline(
        idempotency_key=str(key),
        srv=str(srv),
        srv_name=srv_name(str(srv), str(kind)),
        target=str(target),
        state=str(state),
        request_id=request_id,
        response_code=response_code,
        events=events,
    )


def _json(text: str | None) -> dict[str, Any]:
    """A stored JSON object; anything else (damaged, not an object) reads as empty."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _plain(exc: BaseException) -> str:
    """An error's own sentence, never SQL text: the first line, cut before any statement."""
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return message.split("[SQL:")[0].strip()
