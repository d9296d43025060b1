"""The back office's tables as SQLAlchemy 2.0 typed models.

One schema serves SQLite (a single supplier, a test rig) and PostgreSQL (many
installers). Instants go through ``UtcDateTime`` so both back ends hand back aware UTC
values; JSON columns hold the free-form parts (intent body, meta, verdict reasons).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Bumped whenever the tables change; a database written by a newer version is refused.
#: 2: intents may wait for prerequisites and an approval (``waiting``), with an audit log.
SCHEMA_VERSION = 2


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, whatever the back end stores."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        # SQLite keeps text without an offset; PostgreSQL keeps timestamptz.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UtcDateTime}


class SchemaMeta(Base):
    """Key/value facts about the database itself (the schema version)."""

    __tablename__ = "bo_schema_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class Setting(Base):
    """Supplier-wide settings such as the BusinessOriginatorID."""

    __tablename__ = "bo_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class Counter(Base):
    """Named monotonic counters; the row lock serialises writers so values commit in order."""

    __tablename__ = "bo_counters"
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Installer(Base):
    """One installer (or an admin client); every record belongs to exactly one."""

    __tablename__ = "bo_installers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class ApiToken(Base):
    """A bearer token, kept only as its SHA-256: a leaked database yields no usable token."""

    __tablename__ = "bo_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installer_id: Mapped[int] = mapped_column(ForeignKey("bo_installers.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    #: The role belongs to the token, not to the installer's name: a new plain token for an
    #: installer who also holds an admin token is a plain token, and revoking one ends its role.
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: After this instant the token no longer authenticates (None: it does not expire).
    expires_at: Mapped[datetime | None]
    #: The token's first characters, kept in clear so an operator can name one token to revoke
    #: (about 48 of its 256 bits: the rest still cannot be guessed).
    prefix: Mapped[str | None] = mapped_column(String(16), index=True)
    #: A read-only analyst token: reads every installer's records through /v1/review and nothing else.
    is_analyst: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Intent(Base):
    """A queued DUIS Service Request as the laptop sent it, plus its back-office state."""

    __tablename__ = "bo_intents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(36), unique=True)
    installer_id: Mapped[int] = mapped_column(ForeignKey("bo_installers.id"))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    srv: Mapped[str] = mapped_column(String(16))
    command_variant: Mapped[int] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(23))
    body: Mapped[dict[str, Any]]
    duis_xml: Mapped[str] = mapped_column(Text)
    install_id: Mapped[str | None] = mapped_column(String(64), index=True)
    job_ref: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    meta: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16))
    accepted_at: Mapped[datetime]
    accepted_seq: Mapped[int] = mapped_column(BigInteger)
    originator: Mapped[str | None] = mapped_column(String(23))
    counter: Mapped[int | None] = mapped_column(BigInteger)
    request_id: Mapped[str | None] = mapped_column(String(80))
    submitted_at: Mapped[datetime | None]
    response_code: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_bo_intents_state_accepted", "state", "accepted_at"),
        Index("ix_bo_intents_installer", "installer_id", "id"),
    )


class IntentPrerequisite(Base):
    """One prerequisite of an intent, named by its idempotency key.

    By key rather than by row id because a prerequisite may reach the back office after its
    dependant (another batch); the dependant waits until it has arrived and succeeded.
    """

    __tablename__ = "bo_intent_prerequisites"
    intent_id: Mapped[int] = mapped_column(ForeignKey("bo_intents.id"), primary_key=True)
    prerequisite_key: Mapped[str] = mapped_column(String(36), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_bo_prerequisites_key", "prerequisite_key"),)


class IntentApproval(Base):
    """The back-office approval an intent needs before it may go to the DCC (an 8.4 remedy).

    One row per intent that asked for one; ``decision`` is ``pending``, ``approved`` or
    ``refused``. Who decided and why is also appended to :class:`AuditEntry`.
    """

    __tablename__ = "bo_intent_approvals"
    intent_id: Mapped[int] = mapped_column(ForeignKey("bo_intents.id"), primary_key=True)
    decision: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)


class AuditEntry(Base):
    """A person's decision on a record (an approval or a refusal), appended and never changed.

    State changes themselves are already kept in :class:`StatusChange`; this log adds who
    decided, through what (the command line or an admin token), and why.
    """

    __tablename__ = "bo_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    via: Mapped[str] = mapped_column(String(160))
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]]

    __table_args__ = (Index("ix_bo_audit_subject", "subject", "id"),)


class StatusChange(Base):
    """One state change of one intent; ``seq`` is the cursor laptops pull from."""

    __tablename__ = "bo_status_changes"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    intent_id: Mapped[int] = mapped_column(ForeignKey("bo_intents.id"))
    installer_id: Mapped[int] = mapped_column(ForeignKey("bo_installers.id"))
    state: Mapped[str] = mapped_column(String(16))
    response_code: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(80))
    changed_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_bo_status_installer_seq", "installer_id", "seq"),  # the laptops' status pull
        Index("ix_bo_status_intent_seq", "intent_id", "seq"),  # a Service Request's timeline (review)
    )


class InstallRecord(Base):
    """An install visit's outcome as the laptop recorded it, for the review screen."""

    __tablename__ = "bo_installs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    install_id: Mapped[str] = mapped_column(String(36), unique=True)
    installer_id: Mapped[int] = mapped_column(ForeignKey("bo_installers.id"))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    job_ref: Mapped[str] = mapped_column(String(64), index=True)
    ppmid: Mapped[str | None] = mapped_column(String(23))
    hub: Mapped[str | None] = mapped_column(String(23))
    meter: Mapped[str | None] = mapped_column(String(23))
    verdict_level: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[Any]]
    override_reason: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    received_at: Mapped[datetime]
    meta: Mapped[dict[str, Any]]
    # The review's filter and sort keys, copied out of the record (and out of its intents' states)
    # so a million visits filter and sort on indexes (app/backoffice/review_query.py keeps them).
    installer_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    regime: Mapped[str] = mapped_column(String(16), default="", server_default="")
    regime_source: Mapped[str] = mapped_column(String(16), default="", server_default="")
    scenario: Mapped[str] = mapped_column(String(40), default="", server_default="")
    overridden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    verdict_rank: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    sr_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sr_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sr_failed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sr_waiting: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sr_rank: Mapped[int] = mapped_column(Integer, default=4, server_default="4")

    __table_args__ = (
        Index("ix_bo_installs_installer_started", "installer_id", "started_at"),
        Index("ix_bo_installs_review_started", "started_at", "id"),
        Index("ix_bo_installs_review_installer", "installer_name", "started_at", "id"),
        Index("ix_bo_installs_review_job", "job_ref", "started_at", "id"),
        Index("ix_bo_installs_review_verdict", "verdict_rank", "started_at", "id"),
        Index("ix_bo_installs_review_sr", "sr_rank", "started_at", "id"),
        Index("ix_bo_installs_review_overridden", "overridden", "started_at", "id"),
        Index("ix_bo_installs_review_ppmid", "ppmid"),
        Index("ix_bo_installs_review_hub", "hub"),
        Index("ix_bo_installs_review_meter", "meter"),
    )


class InstallReason(Base):
    """One reason code of one install record, with its start: "this reason, newest first" is one range."""

    __tablename__ = "bo_install_reasons"
    install_row_id: Mapped[int] = mapped_column(ForeignKey("bo_installs.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime]

    __table_args__ = (Index("ix_bo_install_reasons_code", "code", "started_at", "install_row_id"),)


class InstallApproval(Base):
    """A person's decision on a visit's manual inventory change (DOMAIN A5, seed 002).

    The installer chose "ask the DCC for a manual inventory change" instead of an 8.4: nothing
    was queued, and the back office asks the DCC only once someone here approves it. One row
    per install record whose meta asked for it, written at intake; ``decision`` is
    ``pending``, ``approved`` or ``refused``. Who decided and why is also appended to
    :class:`AuditEntry` (``install.approved`` / ``install.refused``, subject the install_id).
    """

    __tablename__ = "bo_install_approvals"
    install_row_id: Mapped[int] = mapped_column(ForeignKey("bo_installs.id"), primary_key=True)
    decision: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_bo_install_approvals_decision", "decision", "install_row_id"),)


class CplFile(Base):
    """An uploaded CPL file, kept byte for byte; the newest by date is served."""

    __tablename__ = "bo_cpl_files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    published_on: Mapped[date] = mapped_column(Date)
    uploaded_at: Mapped[datetime]
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class JobPack(Base):
    """An uploaded job pack for one installer, or for all when ``installer_id`` is empty."""

    __tablename__ = "bo_jobpacks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    installer_id: Mapped[int | None] = mapped_column(ForeignKey("bo_installers.id"), index=True)
    uploaded_at: Mapped[datetime]
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    job_refs: Mapped[list[Any]]
    content: Mapped[bytes] = mapped_column(LargeBinary)


class RegimeEntry(Base):
    """The supplier's regime from a GB calendar date on; the latest date not after today rules."""

    __tablename__ = "bo_regime_schedule"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    regime: Mapped[str] = mapped_column(String(16))
    effective_from: Mapped[date] = mapped_column(Date, unique=True)
    set_at: Mapped[datetime]


class JournalChain(Base):
    """One laptop's audit journal as one installer synced it: where its copy ends and how it fared.

    Keyed by (installer, laptop) because a laptop may change hands: each installer's part of
    its journal is a chain of its own. ``last_entry_id``/``last_hash`` are the link the next
    upload must continue from; ``written`` is the laptop's own count of entries ever appended
    (a cut end shows there). ``broken_at``/``problem`` keep the first break an upload showed:
    a broken upload is stored as sent and flagged, never refused or lost.
    """

    __tablename__ = "bo_journal_chains"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installer_id: Mapped[int] = mapped_column(ForeignKey("bo_installers.id"))
    laptop_id: Mapped[str] = mapped_column(String(36))
    first_seen: Mapped[datetime]
    last_synced: Mapped[datetime]
    entries: Mapped[int] = mapped_column(BigInteger, default=0)
    last_entry_id: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    written: Mapped[int] = mapped_column(BigInteger, default=0)
    broken_at: Mapped[int | None] = mapped_column(BigInteger)
    problem: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("installer_id", "laptop_id", name="uq_bo_journal_chain"),)


class JournalEntry(Base):
    """One laptop journal entry exactly as the laptop hashed it (text fields byte for byte)."""

    __tablename__ = "bo_journal_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain_id: Mapped[int] = mapped_column(ForeignKey("bo_journal_chains.id"))
    entry_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(80))
    detail_json: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("chain_id", "entry_id", name="uq_bo_journal_entry"),
        # A record's certificate names its journal entry's hash: looked up by subject (migration 0005).
        Index("ix_bo_journal_entries_subject", "subject", "id"),
    )
