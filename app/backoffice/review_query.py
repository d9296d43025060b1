"""The analyst's review over the back office's database: every installer, filtered and paged in SQL.

Why it is built this way:

* The review's filter and sort keys are columns of ``bo_installs`` (installer name, verdict
  rank, override, SR progress…) and reason codes are rows of ``bo_install_reasons``, each
  with an index ending ``started_at, id``. They are written at intake (:func:`review_values`,
  :func:`store_reasons`) and whenever an intent's state changes (:func:`refresh_progress`,
  called by the intake and by every transition), in the same transaction as the change.
* Pages are keyset pages (a row-value comparison on the sort key, then ``started_at, id``):
  page 5,000 costs what page 1 costs, on PostgreSQL and on SQLite alike.
* The web routes (``app/backoffice/web/review.py``) and ``BackofficeDbReviewSource`` (used by
  ``hubcheck-backoffice export``) both call the functions here, so the API and the command
  line answer the same question the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, case, func, insert, or_, select, tuple_, update
from sqlalchemy.orm import Session

from app.backoffice.models import (
    ApiToken,
    InstallApproval,
    Installer,
    InstallReason,
    InstallRecord,
    Intent,
    IntentApproval,
    JobPack,
    StatusChange,
)
from app.backoffice.retention import PURGED_KEY
from app.domain.catalogue import srv_name
from app.domain.review import SR_FAILED_STATES, SR_WAITING_STATES, VERDICT_RANK, sr_rank_sql
from app.services.review.common import (
    SR_BY_RANK,
    SR_RANK,
    clamp_limit,
    date_range,
    decode_cursor,
    encode_cursor,
    gb_date,
    reason_lines,
    regime_periods,
    text_prefixes,
)
from app.services.review.contract import (
    INSTALL_APPROVAL_PREFIX,
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
    SortColumn,
    SrEvent,
    SrTimeline,
    scan_entry,
)

# --------------------------------------------------------------------------- keeping the keys


def review_values(meta: dict[str, Any], override_reason: str | None, verdict_level: str, installer: str) -> dict[str, Any]:
    """The review columns of a new install record, from what the laptop sent."""
    return {
        "installer_name": installer,
        "regime": str(meta.get("regime") or "")[:16],
        "regime_source": str(meta.get("regime_source") or "")[:16],
        "scenario": str(meta.get("scenario") or "")[:40],
        "overridden": bool(override_reason and override_reason.strip()),
        "verdict_rank": VERDICT_RANK.get(verdict_level, VERDICT_RANK["ok"]),
    }


def store_reasons(session: Session, records: Iterable[InstallRecord]) -> None:
    """One ``bo_install_reasons`` row per distinct reason code of each new record."""
    rows: list[dict[str, Any]] = []
    for record in records:
        codes = {str(r.get("code")) for r in record.reasons or [] if isinstance(r, dict) and r.get("code")}
        rows.extend(
            {"install_row_id": record.id, "code": code[:40], "started_at": record.started_at} for code in sorted(codes)
        )
    if rows:
        session.execute(insert(InstallReason), rows)


def _count(*states: str) -> Any:
    column: Any = func.count(Intent.id)
    if states:
        column = func.coalesce(func.sum(case((Intent.state.in_(states), 1), else_=0)), 0)
    return (
        select(column).where(Intent.install_id == InstallRecord.install_id).scalar_subquery()
    )


def refresh_progress(session: Session, install_ids: Iterable[str | None]) -> None:
    """Recount the intents of these install records and re-rank their SR progress.

    Called in the transaction that changed an intent (or stored a record), so the review never
    shows a progress the intents do not have. Unknown ids (intents that arrived before their
    record) change nothing: the record's intake counts them when it comes.
    """
    wanted = sorted({i for i in install_ids if i})
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        session.execute(
            update(InstallRecord)
            .where(InstallRecord.install_id.in_(chunk))
            .values(
                sr_total=_count(),
                sr_done=_count("succeeded"),
                sr_failed=_count(*SR_FAILED_STATES),
                sr_waiting=_count(*SR_WAITING_STATES),
            )
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(InstallRecord)
            .where(InstallRecord.install_id.in_(chunk))
            .values(sr_rank=literal_rank())
            .execution_options(synchronize_session=False)
        )


def literal_rank() -> Any:
    """The SR rank of a record from its counts (the domain's rule, as SQL)."""
    from sqlalchemy import text

    return text(sr_rank_sql("sr_failed", "sr_waiting", "1 = 0", "sr_total"))


# --------------------------------------------------------------------------- reading

_SORT: dict[SortColumn, tuple[Any, ...]] = {
    SortColumn.STARTED_AT: (),
    SortColumn.INSTALLER: (InstallRecord.installer_name,),
    SortColumn.JOB_REF: (InstallRecord.job_ref,),
    SortColumn.VERDICT_LEVEL: (InstallRecord.verdict_rank,),
    SortColumn.SR_STATE: (InstallRecord.sr_rank,),
}


def _prefix(column: Any, prefix: str, dialect: str) -> ColumnElement[bool]:
    """A prefix match that an index serves: a range (which a btree reads in any collation), and on
    PostgreSQL also LIKE, so a collation that orders text otherwise than by bytes still matches exactly."""
    within = and_(column >= prefix, column < prefix + "\U0010ffff")
    if dialect == "postgresql":
        return and_(within, column.startswith(prefix, autoescape=True))
    return within


def conditions(flt: ReviewFilter, dialect: str) -> list[ColumnElement[bool]]:
    """The filter as SQL conditions on ``bo_installs`` (every value a bound parameter)."""
    where: list[ColumnElement[bool]] = []
    low, high = date_range(flt.date_from, flt.date_to)
    if low is not None:
        where.append(InstallRecord.started_at >= low)
    if high is not None:
        where.append(InstallRecord.started_at < high)
    if flt.installer:
        where.append(InstallRecord.installer_name == flt.installer)
    if flt.verdict_level:
        if flt.verdict_level not in VERDICT_RANK:
            raise ReviewError(f"verdict level {flt.verdict_level!r} is not known; use ok, warn, block or unknown")
        where.append(InstallRecord.verdict_rank == VERDICT_RANK[flt.verdict_level])
    if flt.reason_code:
        where.append(
            select(InstallReason.install_row_id)
            .where(InstallReason.install_row_id == InstallRecord.id, InstallReason.code == flt.reason_code)
            .exists()
        )
    if flt.overridden is not None:
        where.append(InstallRecord.overridden.is_(flt.overridden))
    if flt.sr_state is not None:
        where.append(InstallRecord.sr_rank == SR_RANK[flt.sr_state])
    jobs, devices = text_prefixes(flt.text)
    matches = [_prefix(InstallRecord.job_ref, p, dialect) for p in jobs]
    for p in devices:
        matches.extend(_prefix(c, p, dialect) for c in (InstallRecord.ppmid, InstallRecord.hub, InstallRecord.meter))
    if matches:
        where.append(or_(*matches))
    return where


_ROW = (
    InstallRecord.id,
    InstallRecord.install_id,
    InstallRecord.started_at,
    InstallRecord.installer_name,
    InstallRecord.job_ref,
    InstallRecord.ppmid,
    InstallRecord.hub,
    InstallRecord.regime,
    InstallRecord.regime_source,
    InstallRecord.verdict_level,
    InstallRecord.outcome,
    InstallRecord.overridden,
    InstallRecord.scenario,
    InstallRecord.sr_rank,
    InstallRecord.sr_total,
    InstallRecord.sr_done,
    InstallRecord.sr_failed,
    InstallRecord.verdict_rank,
)


def _row(r: Any) -> ReviewRow:
    return ReviewRow(
        record_id=str(r.install_id),
        started_at=r.started_at,
        installer=str(r.installer_name),
        job_ref=str(r.job_ref),
        ppmid=r.ppmid,
        hub=r.hub,
        regime=str(r.regime or ""),
        regime_source=str(r.regime_source or ""),
        verdict_level=str(r.verdict_level),
        outcome=str(r.outcome),
        overridden=bool(r.overridden),
        scenario=str(r.scenario or ""),
        sr_state=SR_BY_RANK[int(r.sr_rank)],
        sr_total=int(r.sr_total),
        sr_done=int(r.sr_done),
        sr_failed=int(r.sr_failed),
    )


def _key_of(r: Any, column: SortColumn) -> list[Any]:
    first = {
        SortColumn.STARTED_AT: [],
        SortColumn.INSTALLER: [r.installer_name],
        SortColumn.JOB_REF: [r.job_ref],
        SortColumn.VERDICT_LEVEL: [r.verdict_rank],
        SortColumn.SR_STATE: [r.sr_rank],
    }[column]
    return [*first, r.started_at.isoformat(), int(r.id)]


def _key_values(key: list[Any], column: SortColumn) -> list[Any]:
    """A decoded cursor's key as column values (its instant back to a datetime)."""
    values = list(key)
    try:
        values[-2] = datetime.fromisoformat(str(values[-2]))
        values[-1] = int(values[-1])
        if column in (SortColumn.VERDICT_LEVEL, SortColumn.SR_STATE):
            values[0] = int(values[0])
    except (ValueError, TypeError):
        raise ReviewError("the page cursor is damaged; start again from the first page") from None
    return values


def review_page(
    session: Session, flt: ReviewFilter, sort: ReviewSort, after: str | None = None, limit: int = 200
) -> ReviewPage:
    """One keyset page of install records for the filter and sort."""
    dialect = session.get_bind().dialect.name
    size = clamp_limit(limit)
    first = _SORT[sort.column]
    where = conditions(flt, dialect)
    key_columns: list[Any] = [*first, InstallRecord.started_at, InstallRecord.id]
    source: Any = InstallRecord
    if flt.reason_code and not first:
        # Start order with a reason: read the reason's own index (code, started_at, row id).
        where = [c for c in conditions(ReviewFilter(**{**vars(flt), "reason_code": None}), dialect)]
        where.append(InstallReason.code == flt.reason_code)
        source = InstallReason
        key_columns = [InstallReason.started_at, InstallReason.install_row_id]
    if after:
        key = _key_values(decode_cursor(after, sort.column, sort.descending, len(first) + 2), sort.column)
        row_key = tuple_(*key_columns)
        where.append(row_key < tuple_(*key) if sort.descending else row_key > tuple_(*key))
    # A text filter is answered from the prefix indexes, then sorted: walking the sort's index would
    # read most of the table when the matches are old. COALESCE(c, c) is c, but no index serves it.
    ordered = [func.coalesce(c, c) for c in key_columns] if flt.text.strip() else key_columns
    order = [c.desc() if sort.descending else c.asc() for c in ordered]
    query = select(*_ROW).where(*where).order_by(*order).limit(size + 1)
    if source is InstallReason:
        query = query.select_from(InstallReason).join(InstallRecord, InstallRecord.id == InstallReason.install_row_id)
    rows = session.execute(query).all()
    more = len(rows) > size
    rows = rows[:size]
    cursor = encode_cursor(sort.column, sort.descending, _key_of(rows[-1], sort.column)) if more and rows else None
    return ReviewPage([_row(r) for r in rows], cursor)


def review_detail(session: Session, record_id: str) -> ReviewDetail:
    """Everything about one record: reasons with remedies, SR timelines, the job's personal data
    (none once the record is purged). One record is a page of one: :func:`review_details`."""
    return review_details(session, [record_id])[0]


#: Ids per ``IN`` list when reading records in bulk (SQLite's and PostgreSQL's limits are far above).
BULK_CHUNK = 500


def review_details(session: Session, record_ids: Sequence[str]) -> list[ReviewDetail]:
    """What :func:`review_detail` answers for each record, in the order given, read in bulk.

    An export asks for a page of records at once: the records are read with one ``IN`` query
    (per 500 ids), their intents with one, the intents' status changes with one and the journal
    hashes with one; each job pack naming one of the jobs is read and parsed at most once. A
    record id that does not exist raises ReviewError naming the first such id, as
    :func:`review_detail` does. Each detail equals :func:`review_detail`'s (a test holds them
    equal on SQLite and PostgreSQL).
    """
    wanted = list(dict.fromkeys(record_ids))
    records: dict[str, Any] = {}
    for chunk in _chunks(wanted):
        for r in session.execute(
            select(*_ROW, InstallRecord.installer_id, InstallRecord.meter, InstallRecord.reasons,
                   InstallRecord.override_reason, InstallRecord.meta)
            .where(InstallRecord.install_id.in_(chunk))
        ):
            records[str(r.install_id)] = r
    for record_id in record_ids:
        if record_id not in records:
            raise ReviewError(f"no install record {record_id} at the back office")
    intents: dict[str, list[Any]] = defaultdict(list)
    for chunk in _chunks(wanted):
        for i in session.execute(
            select(Intent.id, Intent.install_id, Intent.idempotency_key, Intent.srv, Intent.meta, Intent.target,
                   Intent.state, Intent.request_id, Intent.response_code)
            .where(Intent.install_id.in_(chunk))
            .order_by(Intent.accepted_seq)
        ):
            intents[str(i.install_id)].append(i)
    events: dict[int, list[SrEvent]] = defaultdict(list)
    for chunk in _chunks([record_id for record_id in wanted if record_id in intents]):
        for change in session.execute(
            select(StatusChange.intent_id, StatusChange.changed_at, StatusChange.state, StatusChange.response_code,
                   StatusChange.reason)
            .join(Intent, Intent.id == StatusChange.intent_id)
            .where(Intent.install_id.in_(chunk))
            .order_by(StatusChange.seq)
        ):
            events[change.intent_id].append(SrEvent(change.changed_at, change.state, change.response_code, change.reason))
    hashes = _journal_hashes(session, wanted)
    changes = _inventory_decisions(session, [r.id for r in records.values()])
    metas = {record_id: dict(r.meta or {}) for record_id, r in records.items()}
    # A purged record shows no personal data, though a job pack still names its job.
    jobs = _jobs_facts(
        session, {(r.installer_id, r.job_ref) for record_id, r in records.items() if PURGED_KEY not in metas[record_id]}
    )
    built: dict[str, ReviewDetail] = {}
    for record_id, r in records.items():
        meta = metas[record_id]
        job = {} if PURGED_KEY in meta else jobs.get((r.installer_id, r.job_ref), {})
        built[record_id] = ReviewDetail(
            row=_row(r),
            meter=r.meter,
            resulting_smets=meta.get("resulting_smets"),
            reasons=reason_lines(x for x in r.reasons or [] if isinstance(x, dict)),
            override_reason=r.override_reason,
            abort_reason=meta.get("abort_reason"),
            ppmid_scan=meta.get("ppmid_scan"),
            hub_scan=meta.get("hub_scan"),
            mpxn=job.get("mpxn"),
            address=list(job.get("address") or []),
            postcode=job.get("postcode"),
            audit_hash=hashes.get(record_id),
            ppmid_scan_entry=scan_entry(meta.get("ppmid_scan_entry")),
            hub_scan_entry=scan_entry(meta.get("hub_scan_entry")),
            inventory_change=changes.get(r.id),
            requests=[
                SrTimeline(
                    idempotency_key=i.idempotency_key,
                    srv=i.srv,
                    srv_name=srv_name(i.srv, str((i.meta or {}).get("kind", ""))),
                    target=i.target,
                    state=i.state,
                    request_id=i.request_id,
                    response_code=i.response_code,
                    events=events.get(i.id, []),
                )
                for i in intents.get(record_id, [])
            ],
        )
    return [built[record_id] for record_id in record_ids]


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), BULK_CHUNK):
        yield values[start : start + BULK_CHUNK]


def _jobs_facts(session: Session, wanted: set[tuple[int, str]]) -> dict[tuple[int, str], dict[str, Any]]:
    """Each (installer, job)'s MPxN, address and postcode, from the newest job pack naming the
    job (for that installer or for all) that parses and holds it. The packs' job lists are read
    once, and each pack is read and parsed at most once, only when a job's turn reaches it."""
    from app.domain.jobpack import JobPackError, parse_job_pack_text

    if not wanted:
        return {}
    installers = sorted({installer_id for installer_id, _ref in wanted})
    refs = {job_ref for _installer, job_ref in wanted}
    naming: dict[str, list[tuple[int, int | None]]] = defaultdict(list)  # job -> (pack, its installer), newest first
    for pack_id, pack_installer, pack_refs in session.execute(
        select(JobPack.id, JobPack.installer_id, JobPack.job_refs)
        .where(or_(JobPack.installer_id.in_(installers), JobPack.installer_id.is_(None)))
        .order_by(JobPack.uploaded_at.desc(), JobPack.id.desc())
    ):
        for ref in {r for r in pack_refs or [] if isinstance(r, str) and r in refs}:
            naming[ref].append((pack_id, pack_installer))
    parsed: dict[int, dict[str, dict[str, Any]] | None] = {}  # pack -> its jobs' facts; None: not a job pack

    def facts_of(pack_id: int) -> dict[str, dict[str, Any]] | None:
        if pack_id not in parsed:
            content = session.scalar(select(JobPack.content).where(JobPack.id == pack_id))
            try:
                result = parse_job_pack_text(content or b"")
            except JobPackError:
                parsed[pack_id] = None
            else:
                found: dict[str, dict[str, Any]] = {}
                for job in result.jobs:  # a reference twice in one pack: its first job
                    found.setdefault(job.job_ref, {"mpxn": job.mpxn or None, "address": list(job.address_lines),
                                                   "postcode": job.postcode or None})
                parsed[pack_id] = found
        return parsed[pack_id]

    out: dict[tuple[int, str], dict[str, Any]] = {}
    for installer_id, job_ref in wanted:
        for pack_id, pack_installer in naming.get(job_ref, []):
            if pack_installer is not None and pack_installer != installer_id:
                continue
            facts = facts_of(pack_id)
            if facts is not None and job_ref in facts:
                out[(installer_id, job_ref)] = facts[job_ref]
                break
    return out


def _inventory_decision(approval: InstallApproval | None) -> InventoryDecision | None:
    """The record's manual inventory change as the review shows it (None: it asked for none)."""
    if approval is None:
        return None
    return InventoryDecision(approval.decision, approval.decided_by, approval.decided_at, approval.reason)


def _inventory_decisions(session: Session, row_ids: list[int]) -> dict[int, InventoryDecision]:
    """:func:`_inventory_decision` of each record (by row id) at once; records that asked for none are absent."""
    out: dict[int, InventoryDecision] = {}
    for chunk in _chunks(row_ids):
        for approval in session.scalars(select(InstallApproval).where(InstallApproval.install_row_id.in_(chunk))):
            decision = _inventory_decision(approval)
            if decision is not None:
                out[approval.install_row_id] = decision
    return out


def _journal_hashes(session: Session, record_ids: list[str]) -> dict[str, str | None]:
    """The hash of the laptop's journal entry that recorded each visit (its first
    ``install.recorded`` or ``install.aborted`` entry), for those whose journal was synced."""
    from sqlalchemy import inspect, text

    if not record_ids or not inspect(session.get_bind()).has_table("bo_journal_entries"):
        return {}
    out: dict[str, str | None] = {}
    for chunk in _chunks(record_ids):
        rows = session.execute(
            text(
                "SELECT subject, entry_hash FROM bo_journal_entries WHERE subject IN :s "
                "AND action IN ('install.recorded', 'install.aborted') ORDER BY id"
            ).bindparams(bindparam("s", expanding=True)),
            {"s": chunk},
        )
        for subject, entry_hash in rows:  # oldest first: keep each record's first entry
            out.setdefault(str(subject), str(entry_hash) if entry_hash is not None else None)
    return out


def review_installers(session: Session) -> list[str]:
    """Every installer with a record, and every installer holding a plain token, by name."""
    with_records = select(InstallRecord.installer_id).distinct()
    holders = select(ApiToken.installer_id).where(ApiToken.is_admin.is_(False), ApiToken.is_analyst.is_(False))
    names = session.scalars(
        select(Installer.name).where(or_(Installer.id.in_(with_records), Installer.id.in_(holders))).order_by(Installer.name)
    )
    return [str(n) for n in names]


def review_summary(session: Session, flt: ReviewFilter) -> DashboardSummary:
    """The dashboard's figures for the filter, counted in the database."""
    dialect = session.get_bind().dialect.name
    where = conditions(flt, dialect)
    hour = _hour_expr(dialect)
    per_day: dict[tuple[date, str], int] = defaultdict(int)
    regimes: list[tuple[datetime, str]] = []
    for _hour, level, regime, count, first in session.execute(
        select(hour.label("h"), InstallRecord.verdict_level, InstallRecord.regime, func.count(),
               func.min(InstallRecord.started_at))
        .where(*where)
        .group_by(hour, InstallRecord.verdict_level, InstallRecord.regime)
    ):
        start = first if isinstance(first, datetime) else datetime.fromisoformat(str(first))
        per_day[(gb_date(start), str(level))] += int(count)
        regimes.append((start, str(regime or "")))
    overrides = {
        str(name): (int(o or 0), int(n))
        for name, o, n in session.execute(
            select(
                InstallRecord.installer_name,
                func.sum(case((InstallRecord.overridden.is_(True), 1), else_=0)),
                func.count(),
            )
            .where(*where, InstallRecord.outcome == "recorded")
            .group_by(InstallRecord.installer_name)
        )
    }
    failures = {
        (str(srv), str(code or "")): int(n)
        for srv, code, n in session.execute(
            select(Intent.srv, Intent.response_code, func.count())
            .join(InstallRecord, InstallRecord.install_id == Intent.install_id)
            .where(*where, InstallRecord.sr_failed > 0, Intent.state.in_(SR_FAILED_STATES))
            .group_by(Intent.srv, Intent.response_code)
        )
    }
    regimes.sort()
    return DashboardSummary(
        visits_per_day=[DayCount(d, level, n) for (d, level), n in sorted(per_day.items())],
        override_rate=overrides,
        sr_failures=failures,
        regime_periods=regime_periods(regimes),
    )


def _hour_expr(dialect: str) -> Any:
    """The UTC hour of a record's start (GB days are counted from hours: a GB day starts on one)."""
    if dialect == "postgresql":
        return func.date_trunc("hour", func.timezone("UTC", InstallRecord.started_at))
    return func.substr(InstallRecord.started_at, 1, 13)


def install_approval_id(approval_id: str) -> str | None:
    """The install record id an ``approval_id`` names, or None when it names an intent."""
    return approval_id[len(INSTALL_APPROVAL_PREFIX):] if approval_id.startswith(INSTALL_APPROVAL_PREFIX) else None


def review_approvals(session: Session) -> list[PendingApproval]:
    """What waits for a decision, oldest first: intents (8.4 remedies) and visits' manual
    inventory changes (their ``approval_id`` is ``install:`` and the install record's id)."""
    return sorted(
        [*_intent_approvals(session), *_install_approvals(session)], key=lambda a: a.requested_at
    )


def _install_approvals(session: Session) -> list[PendingApproval]:
    from app.backoffice.install_approvals import change_summary, pending_install_approvals

    out = []
    for record, name in pending_install_approvals(session):
        detail = (record.meta or {}).get("remedy_detail")
        device = (detail.get("device_id") if isinstance(detail, dict) else None) or record.ppmid or ""
        out.append(
            PendingApproval(
                approval_id=INSTALL_APPROVAL_PREFIX + record.install_id,
                kind="inventory_change",
                installer=name,
                job_ref=record.job_ref,
                record_id=record.install_id,
                srv="",
                target=str(device),
                requested_at=record.received_at,
                summary=change_summary(record.meta, record.ppmid),
            )
        )
    return out


def _intent_approvals(session: Session) -> list[PendingApproval]:
    """Intents whose approval is still to be decided (8.4 remedies), oldest first."""
    rows = session.execute(
        select(Intent, Installer.name)
        .join(IntentApproval, IntentApproval.intent_id == Intent.id)
        .join(Installer, Installer.id == Intent.installer_id)
        .where(IntentApproval.decision == "pending", Intent.state == "waiting")
        .order_by(Intent.id)
    ).all()
    return [
        PendingApproval(
            approval_id=intent.idempotency_key,
            kind="remedy_8_4" if intent.srv == "8.4" else "inventory_change",
            installer=str(name),
            job_ref=intent.job_ref,
            record_id=intent.install_id,
            srv=intent.srv,
            target=intent.target,
            requested_at=intent.accepted_at,
            summary=f"{srv_name(intent.srv, str((intent.meta or {}).get('kind', '')))} for device {_changed(intent)}",
        )
        for intent, name in rows
    ]


def _changed(intent: Intent) -> str:
    """The device an approval changes: an 8.4's DeviceID (its target is the DCC's own EUI-64)."""
    body = intent.body if isinstance(intent.body, dict) else {}
    return str(body.get("device_id") or body.get("DeviceID") or intent.target)


# --------------------------------------------------------------------------- the source for exports


class BackofficeDbReviewSource:
    """A ``ReviewSource`` straight over the back office's database (``hubcheck-backoffice export``).

    It reads every installer; deciding approvals here is the command line's own action
    (audited "via the command line"), named by ``by``.
    """

    def __init__(self, store: Any, *, by: str = "") -> None:
        self._store = store
        self._by = by

    @property
    def description(self) -> str:
        return f"Back office database ({self._store.dialect})"

    @property
    def can_approve(self) -> bool:
        return bool(self._by)

    def _read(self, work: Any) -> Any:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            with self._store.read() as session:
                return work(session)
        except SQLAlchemyError:
            raise ReviewError("the back office's database could not be read; try again shortly") from None

    def page(self, flt: ReviewFilter, sort: ReviewSort, after: str | None = None, limit: int = 200) -> ReviewPage:
        return self._read(lambda s: review_page(s, flt, sort, after, limit))  # type: ignore[no-any-return]

    def detail(self, record_id: str) -> ReviewDetail:
        return self._read(lambda s: review_detail(s, record_id))  # type: ignore[no-any-return]

    def details(self, record_ids: Sequence[str]) -> list[ReviewDetail]:
        return self._read(lambda s: review_details(s, record_ids))  # type: ignore[no-any-return]

    def installers(self) -> list[str]:
        return self._read(review_installers)  # type: ignore[no-any-return]

    def summary(self, flt: ReviewFilter) -> DashboardSummary:
        return self._read(lambda s: review_summary(s, flt))  # type: ignore[no-any-return]

    def chains(self) -> list[Any]:
        """Every laptop's journal as the back office verifies it (``hubcheck-backoffice audit verify``)."""
        from app.backoffice.journal import verify_chains
        from app.services.review.contract import ChainState

        def work(session: Session) -> list[ChainState]:
            return [
                ChainState(v.installer, v.laptop, v.entries, v.intact, v.first_broken, v.last_synced)
                for v in verify_chains(session, None)
            ]

        return self._read(work)  # type: ignore[no-any-return]

    def approvals(self) -> list[PendingApproval]:
        return self._read(review_approvals)  # type: ignore[no-any-return]

    def decide(self, approval_id: str, approve: bool, reason: str) -> None:
        from app.backoffice.ordering import ApprovalError, UnknownIntent, refuse
        from app.backoffice.ordering import approve as do_approve
        from app.backoffice.timeutil import utcnow

        if not self._by:
            raise ReviewError("say who decides (a person's name) to approve or refuse from the command line")
        from app.backoffice.install_approvals import approve_install, refuse_install

        install_id = install_approval_id(approval_id)
        try:
            with self._store.write() as session:
                if install_id is not None and approve:
                    approve_install(session, install_id, self._by, "command line", utcnow(), reason)
                elif install_id is not None:
                    refuse_install(session, install_id, self._by, reason, "command line", utcnow())
                elif approve:
                    do_approve(session, approval_id, self._by, "command line", utcnow(), reason)
                else:
                    refuse(session, approval_id, self._by, reason, "command line", utcnow())
        except (ApprovalError, UnknownIntent) as exc:
            raise ReviewError(str(exc)) from None
