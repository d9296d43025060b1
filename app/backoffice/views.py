"""ORM rows → response models, in one place so every endpoint reports an intent alike."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.backoffice.models import InstallApproval, Installer, InstallRecord, Intent
from app.backoffice.ordering import OrderFacts, order_facts
from app.backoffice.schemas import InstallOut, IntentSummary, IntentView, InventoryChangeOut


def intent_view(intent: Intent, facts: OrderFacts | None = None) -> IntentView:
    """The intent's report; ``facts`` adds its prerequisites and approval (see :func:`intent_views`)."""
    view = IntentView(
        idempotency_key=intent.idempotency_key,
        state=intent.state,  # type: ignore[arg-type]
        srv=intent.srv,
        command_variant=intent.command_variant,
        target=intent.target,
        install_id=intent.install_id,
        job_ref=intent.job_ref,
        request_id=intent.request_id,
        response_code=intent.response_code,
        reason=intent.reason,
        accepted_at=intent.accepted_at,
        submitted_at=intent.submitted_at,
        updated_at=intent.updated_at,
        accepted_seq=intent.accepted_seq,
    )
    if facts is not None:
        view.depends_on = list(facts.depends_on)
        view.needs_approval = facts.approval is not None
        view.approval = facts.approval
    return view


def intent_views(session: Session, intents: Sequence[Intent]) -> dict[int, IntentView]:
    """Reports for many intents by row id, with their prerequisites and approvals (two queries)."""
    facts = order_facts(session, (i.id for i in intents))
    return {i.id: intent_view(i, facts.get(i.id)) for i in intents}


def full_intent_view(session: Session, intent: Intent) -> IntentView:
    return intent_views(session, [intent])[intent.id]


def install_views(session: Session, records: Iterable[InstallRecord]) -> list[InstallOut]:
    """Install records with their installer's name, their intents and the decision on the manual
    inventory change each asked for, if any (three extra queries in all)."""
    rows = list(records)
    if not rows:
        return []
    names = {
        installer_id: name
        for installer_id, name in session.execute(
            select(Installer.id, Installer.name).where(Installer.id.in_({r.installer_id for r in rows}))
        )
    }
    by_install: dict[tuple[int, str | None], list[IntentSummary]] = {}
    # Only the summary columns: an intent's body and DUIS XML (up to 1 MB each) are not shown here.
    intents = session.execute(
        select(
            Intent.installer_id,
            Intent.install_id,
            Intent.idempotency_key,
            Intent.srv,
            Intent.state,
            Intent.request_id,
            Intent.response_code,
        )
        .where(Intent.install_id.in_({r.install_id for r in rows}))
        .order_by(Intent.id)
    )
    for installer_id, install_id, key, srv, state, request_id, response_code in intents:
        by_install.setdefault((installer_id, install_id), []).append(
            IntentSummary(
                idempotency_key=key,
                srv=srv,
                state=state,  # type: ignore[arg-type]
                request_id=request_id,
                response_code=response_code,
            )
        )
    changes = {
        approval.install_row_id: InventoryChangeOut(
            decision=approval.decision,  # type: ignore[arg-type]
            reason=approval.reason,
            decided_by=approval.decided_by,
            decided_at=approval.decided_at,
        )
        for approval in session.scalars(
            select(InstallApproval).where(InstallApproval.install_row_id.in_({r.id for r in rows}))
        )
    }
    return [
        InstallOut(
            install_id=r.install_id,
            installer=names.get(r.installer_id, "?"),
            job_ref=r.job_ref,
            ppmid=r.ppmid,
            hub=r.hub,
            meter=r.meter,
            verdict_level=r.verdict_level,
            reasons=list(r.reasons),
            override_reason=r.override_reason,
            outcome=r.outcome,
            started_at=r.started_at,
            finished_at=r.finished_at,
            received_at=r.received_at,
            meta=dict(r.meta),
            intents=by_install.get((r.installer_id, r.install_id), []),
            inventory_change=changes.get(r.id),
        )
        for r in rows
    ]
