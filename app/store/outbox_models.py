"""Tables of the outbox: install visits, their queued intents, counters, exports, the audit journal.

Why these shapes:

* An intent row is never deleted (DOMAIN A4): its ``state`` moves forward and a failed
  or rejected one keeps its reason, so the installer and the auditor can see it.
* ``next_attempt_at`` is epoch seconds (a float) because the sync worker's one hot query
  is "queued rows due now", and a number compares and indexes cheaply; every other
  instant is ISO-8601 UTC text, the exact form sent to the back office (its idempotency
  fingerprint covers ``created_at``, so a resend must carry the same text).
* ``payload_json`` and ``duis_xml`` carry the MPxN (8.14.x) and the install code (8.11):
  they are personal/secret data, redacted from the audit journal and from logs.
* Counters (the local DUIS RequestID counter, the status cursor) live in their own rows,
  bumped with one ``UPDATE … RETURNING`` so a value is never handed out twice, even
  across a crash.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models import Base


class InstallVisitRow(Base):
    """One install visit as recorded on the laptop (a recorded install or an aborted visit)."""

    __tablename__ = "install_visits"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # UUID, also the back office's install_id
    job_ref: Mapped[str] = mapped_column(String(64), index=True)
    ppmid: Mapped[str | None] = mapped_column(String(23), nullable=True)
    hub: Mapped[str | None] = mapped_column(String(23), nullable=True)
    meter: Mapped[str | None] = mapped_column(String(23), nullable=True)
    meter_type: Mapped[str | None] = mapped_column(String(8), nullable=True)
    verdict_level: Mapped[str] = mapped_column(String(8))
    regime: Mapped[str] = mapped_column(String(8), default="")
    regime_source: Mapped[str] = mapped_column(String(12), default="")
    reasons_json: Mapped[str] = mapped_column(Text, default="[]")
    override_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    outcome: Mapped[str] = mapped_column(String(10))  # recorded | aborted
    abort_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    meta_json: Mapped[str] = mapped_column(Text, default="{}")
    started_at: Mapped[str] = mapped_column(String(40))
    finished_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Set when the installer withdrew the visit before any of its requests was sent (schema step 3).
    withdrawn_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    withdraw_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Upload of the visit record itself to POST /v1/installs: queued | sent | accepted | rejected,
    # or withdrawn (withdrawn before it left the laptop: the back office never receives it).
    sync_state: Mapped[str] = mapped_column(String(10), default="queued")
    sync_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[float] = mapped_column(Float, default=0.0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class OutboxIntentRow(Base):
    """One queued DUIS Service Request intent and where it is on its way to the DCC."""

    __tablename__ = "outbox_intents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(36), unique=True)
    install_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("install_visits.id"), nullable=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    job_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    kind: Mapped[str] = mapped_column(String(40))
    srv: Mapped[str] = mapped_column(String(12))
    command_variant: Mapped[int] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(23))
    critical: Mapped[bool] = mapped_column(Boolean, default=False)
    payload_json: Mapped[str] = mapped_column(Text)
    duis_xml: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[float] = mapped_column(Float, default=0.0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[str] = mapped_column(String(40))
    sent_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    accepted_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    response_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    server_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    server_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at", "id"),)


class OutboxCounterRow(Base):
    """A named monotonic number: the local RequestID counter, the status cursor, the audit head."""

    __tablename__ = "outbox_counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class IntentExportRow(Base):
    """One DUIS file written for offline hand-off, with the RequestID it was given."""

    __tablename__ = "outbox_exports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    intent_id: Mapped[int] = mapped_column(ForeignKey("outbox_intents.id"), index=True)
    counter: Mapped[int] = mapped_column(BigInteger, unique=True)
    request_id: Mapped[str] = mapped_column(String(80))
    file_name: Mapped[str] = mapped_column(String(260))
    exported_at: Mapped[str] = mapped_column(String(40))


class AuditEntryRow(Base):
    """One entry of the hash-chained audit journal; ``prev_hash`` is unique so the chain cannot fork."""

    __tablename__ = "audit_journal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(80))
    detail_json: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class IntentPrerequisiteRow(Base):
    """One "this intent waits for that one" link (DOMAIN A5, order and approval).

    A table of its own rather than a column of ``outbox_intents``: the final ``create_all`` of
    the migrations adds it to an existing database with no schema step, and an intent with no
    prerequisite simply has no row. Both ends are idempotency keys, the names the back office
    knows the intents by.
    """

    __tablename__ = "intent_prerequisites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    intent_key: Mapped[str] = mapped_column(String(36), ForeignKey("outbox_intents.idempotency_key"), index=True)
    prerequisite_key: Mapped[str] = mapped_column(String(36))
    position: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("intent_key", "prerequisite_key", name="uq_intent_prerequisite"),)


class IntentApprovalRow(Base):
    """An intent the back office must approve before it goes to the DCC (the 8.4 remedy).

    A row exists only for such an intent, so older databases need nothing added to old rows.
    """

    __tablename__ = "intent_approvals"

    intent_key: Mapped[str] = mapped_column(
        String(36), ForeignKey("outbox_intents.idempotency_key"), primary_key=True
    )
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=True)


#: The tables this module adds (schema step 2 creates them on an older database).
OUTBOX_TABLES: list[Table] = [
    InstallVisitRow.__table__,  # type: ignore[list-item]
    OutboxIntentRow.__table__,  # type: ignore[list-item]
    OutboxCounterRow.__table__,  # type: ignore[list-item]
    IntentExportRow.__table__,  # type: ignore[list-item]
    AuditEntryRow.__table__,  # type: ignore[list-item]
]
