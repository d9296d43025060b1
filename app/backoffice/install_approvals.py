"""A visit's manual inventory change (DOMAIN A5, seed 002): pending until a person decides it.

When a PPMID was pre-notified for the wrong generation, the installer may choose, instead of
an 8.4 remedy, to have the supplier ask the DCC for a manual inventory change. The laptop
queues nothing for it; it records the choice in the visit's meta (``remedy_detail`` with
``kind: manual-inventory-change`` and ``needs_approval: true``). At intake the back office
keeps a :class:`~app.backoffice.models.InstallApproval` row for such a record, and an admin
approves or refuses it here, from the command line (``installs approve|refuse``) or an admin
token (``POST /v1/admin/installs/{install_id}/approve|refuse``). Each decision is written to
the audit log in the same transaction, exactly as an intent's is (:mod:`app.backoffice.ordering`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.backoffice.models import AuditEntry, InstallApproval, Installer, InstallRecord
from app.backoffice.ordering import ApprovalError, _person, audit_entries
from app.backoffice.schemas import AuditOut

KIND = "manual-inventory-change"
APPROVED = "install.approved"
REFUSED = "install.refused"


class UnknownInstall(ApprovalError):
    """No install record has that id."""


def needs_inventory_approval(meta: Mapping[str, Any] | None) -> bool:
    """True when a visit's meta asks for a manual inventory change waiting for approval."""
    detail = (meta or {}).get("remedy_detail")
    return isinstance(detail, dict) and detail.get("kind") == KIND and detail.get("needs_approval") is True


def store_install_approvals(session: Session, records: Iterable[InstallRecord]) -> None:
    """A pending decision for each new record that asked for a manual inventory change."""
    rows = [{"install_row_id": r.id, "decision": "pending"} for r in records if needs_inventory_approval(r.meta)]
    if rows:
        session.execute(insert(InstallApproval), rows)


def change_summary(meta: Mapping[str, Any] | None, fallback_device: str | None) -> str:
    """One sentence: which device's inventory entry the installer asked to change, and to what."""
    from app.services.review.common import inventory_change_summary

    return inventory_change_summary(meta, fallback_device)


# --------------------------------------------------------------------------- deciding


class InstallApprovalView(BaseModel):
    """A visit's manual inventory change and where its decision stands (with its audit)."""

    install_id: str
    installer: str
    job_ref: str
    device_id: str | None = Field(description="the device whose inventory entry is to change (the PPMID)")
    summary: str
    decision: Literal["pending", "approved", "refused"]
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None = Field(description="why it was decided so (a refusal always has one)")
    audit: list[AuditOut] = Field(default_factory=list)


def _locked(session: Session, install_id: str) -> tuple[InstallRecord, InstallApproval]:
    record = session.scalar(select(InstallRecord).where(InstallRecord.install_id == install_id))
    if record is None:
        raise UnknownInstall(f"no install record with the id {install_id}")
    approval = session.scalar(
        select(InstallApproval).where(InstallApproval.install_row_id == record.id).with_for_update()
    )
    if approval is None:
        raise ApprovalError(f"install record {install_id} (job {record.job_ref}) asked for no manual inventory change")
    if approval.decision != "pending":
        raise ApprovalError(
            f"the manual inventory change of install record {install_id} was already {approval.decision} "
            f"by {approval.decided_by} at {approval.decided_at:%Y-%m-%d %H:%M} UTC"
        )
    return record, approval


def _reason(reason: str | None, required: bool) -> str:
    why = (reason or "").strip()
    if required and not why:
        raise ApprovalError("--reason must say why the manual inventory change is refused")
    if len(why) > 2000:
        raise ApprovalError("--reason is too long (at most 2000 characters)")
    return why


def _audit(session: Session, now: datetime, by: str, via: str, action: str, record: InstallRecord, why: str) -> None:
    detail = (record.meta or {}).get("remedy_detail")
    device = detail.get("device_id") if isinstance(detail, dict) else None
    session.add(
        AuditEntry(
            at=now,
            actor=by,
            via=via,
            action=action,
            subject=record.install_id,
            detail={"kind": KIND, "install_id": record.install_id, "job_ref": record.job_ref,
                    "device_id": device or record.ppmid, **({"reason": why} if why else {})},
        )
    )
    session.flush()


def approve_install(
    session: Session, install_id: str, by: str, via: str, now: datetime, reason: str | None = None
) -> InstallRecord:
    """Approve a visit's manual inventory change (``reason`` optional, kept in the audit entry)."""
    name, why = _person(by), _reason(reason, required=False)
    record, approval = _locked(session, install_id)
    approval.decision, approval.decided_by, approval.decided_at = "approved", name, now
    approval.reason = why or None
    _audit(session, now, name, via, APPROVED, record, why)
    return record


def refuse_install(session: Session, install_id: str, by: str, reason: str, via: str, now: datetime) -> InstallRecord:
    """Refuse a visit's manual inventory change; the reason is required."""
    name, why = _person(by), _reason(reason, required=True)
    record, approval = _locked(session, install_id)
    approval.decision, approval.decided_by, approval.decided_at, approval.reason = "refused", name, now, why
    _audit(session, now, name, via, REFUSED, record, why)
    return record


def install_approval_view(session: Session, record: InstallRecord) -> InstallApprovalView:
    """The record's manual inventory change as the routes and the command line report it."""
    approval = session.get(InstallApproval, record.id)
    if approval is None:
        raise ApprovalError(f"install record {record.install_id} asked for no manual inventory change")
    installer = session.scalar(select(Installer.name).where(Installer.id == record.installer_id)) or ""
    detail = (record.meta or {}).get("remedy_detail")
    device = detail.get("device_id") if isinstance(detail, dict) else None
    return InstallApprovalView(
        install_id=record.install_id,
        installer=installer,
        job_ref=record.job_ref,
        device_id=device or record.ppmid,
        summary=change_summary(record.meta, record.ppmid),
        decision=approval.decision,  # type: ignore[arg-type]
        decided_by=approval.decided_by,
        decided_at=approval.decided_at,
        reason=approval.reason,
        audit=audit_entries(session, record.install_id),
    )


def find_install(session: Session, install_id: str) -> InstallRecord:
    record = session.scalar(select(InstallRecord).where(InstallRecord.install_id == install_id))
    if record is None:
        raise UnknownInstall(f"no install record with the id {install_id}")
    return record


# --------------------------------------------------------------------------- reading


def pending_install_approvals(session: Session) -> list[tuple[InstallRecord, str]]:
    """Records whose manual inventory change is still to be decided, with the installer's name, oldest first."""
    rows = session.execute(
        select(InstallRecord, Installer.name)
        .join(InstallApproval, InstallApproval.install_row_id == InstallRecord.id)
        .join(Installer, Installer.id == InstallRecord.installer_id)
        .where(InstallApproval.decision == "pending")
        .order_by(InstallApproval.install_row_id)
    ).all()
    return [(record, str(name)) for record, name in rows]
