"""Baseline: the back office's schema version 2 (intents, prerequisites, approvals, audit).

Revision ID: 0001_baseline
Revises: (none)

Generated from the models as they were when migrations began. A database made before
Alembic (schema version 1 or 2, created by ``create_all``) is brought here without
losing data: each table is created only when missing (version 1 lacked the prerequisite,
approval and audit tables; version 2 lacks none), then the version row and the status
counter are written when absent. A fresh database gets every table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA_VERSION = "2"


def _missing(table: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if _missing("bo_audit"):
        op.create_table("bo_audit",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("actor", sa.String(length=100), nullable=False),
            sa.Column("via", sa.String(length=160), nullable=False),
            sa.Column("action", sa.String(length=32), nullable=False),
            sa.Column("subject", sa.String(length=64), nullable=False),
            sa.Column("detail", sa.JSON(), nullable=False),
            sa.PrimaryKeyConstraint("id")
        )
        op.create_index("ix_bo_audit_subject", "bo_audit", ["subject", "id"], unique=False)
    if _missing("bo_counters"):
        op.create_table("bo_counters",
            sa.Column("name", sa.String(length=128), nullable=False),
            sa.Column("value", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("name")
        )
    if _missing("bo_cpl_files"):
        op.create_table("bo_cpl_files",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("name", sa.String(length=255), nullable=False),
            sa.Column("published_on", sa.Date(), nullable=False),
            sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("sha256", sa.String(length=64), nullable=False),
            sa.Column("size", sa.BigInteger(), nullable=False),
            sa.Column("content", sa.LargeBinary(), nullable=False),
            sa.PrimaryKeyConstraint("id")
        )
    if _missing("bo_installers"):
        op.create_table("bo_installers",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("name", sa.String(length=100), nullable=False),
            sa.Column("is_admin", sa.Boolean(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("name")
        )
    if _missing("bo_regime_schedule"):
        op.create_table("bo_regime_schedule",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("regime", sa.String(length=16), nullable=False),
            sa.Column("effective_from", sa.Date(), nullable=False),
            sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("effective_from")
        )
    if _missing("bo_schema_meta"):
        op.create_table("bo_schema_meta",
            sa.Column("key", sa.String(length=64), nullable=False),
            sa.Column("value", sa.String(length=256), nullable=False),
            sa.PrimaryKeyConstraint("key")
        )
    if _missing("bo_settings"):
        op.create_table("bo_settings",
            sa.Column("key", sa.String(length=64), nullable=False),
            sa.Column("value", sa.String(length=256), nullable=False),
            sa.PrimaryKeyConstraint("key")
        )
    if _missing("bo_installs"):
        op.create_table("bo_installs",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("install_id", sa.String(length=36), nullable=False),
            sa.Column("installer_id", sa.Integer(), nullable=False),
            sa.Column("payload_sha256", sa.String(length=64), nullable=False),
            sa.Column("job_ref", sa.String(length=64), nullable=False),
            sa.Column("ppmid", sa.String(length=23), nullable=True),
            sa.Column("hub", sa.String(length=23), nullable=True),
            sa.Column("meter", sa.String(length=23), nullable=True),
            sa.Column("verdict_level", sa.String(length=16), nullable=False),
            sa.Column("reasons", sa.JSON(), nullable=False),
            sa.Column("override_reason", sa.Text(), nullable=True),
            sa.Column("outcome", sa.String(length=16), nullable=False),
            sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("meta", sa.JSON(), nullable=False),
            sa.ForeignKeyConstraint(["installer_id"], ["bo_installers.id"]),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("install_id")
        )
        op.create_index("ix_bo_installs_installer_started", "bo_installs", ["installer_id", "started_at"], unique=False)
        op.create_index(op.f("ix_bo_installs_job_ref"), "bo_installs", ["job_ref"], unique=False)
    if _missing("bo_intents"):
        op.create_table("bo_intents",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("idempotency_key", sa.String(length=36), nullable=False),
            sa.Column("installer_id", sa.Integer(), nullable=False),
            sa.Column("payload_sha256", sa.String(length=64), nullable=False),
            sa.Column("srv", sa.String(length=16), nullable=False),
            sa.Column("command_variant", sa.Integer(), nullable=False),
            sa.Column("target", sa.String(length=23), nullable=False),
            sa.Column("body", sa.JSON(), nullable=False),
            sa.Column("duis_xml", sa.Text(), nullable=False),
            sa.Column("install_id", sa.String(length=64), nullable=True),
            sa.Column("job_ref", sa.String(length=64), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("meta", sa.JSON(), nullable=False),
            sa.Column("state", sa.String(length=16), nullable=False),
            sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("accepted_seq", sa.BigInteger(), nullable=False),
            sa.Column("originator", sa.String(length=23), nullable=True),
            sa.Column("counter", sa.BigInteger(), nullable=True),
            sa.Column("request_id", sa.String(length=80), nullable=True),
            sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("response_code", sa.String(length=16), nullable=True),
            sa.Column("reason", sa.Text(), nullable=True),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["installer_id"], ["bo_installers.id"]),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("idempotency_key")
        )
        op.create_index(op.f("ix_bo_intents_install_id"), "bo_intents", ["install_id"], unique=False)
        op.create_index("ix_bo_intents_installer", "bo_intents", ["installer_id", "id"], unique=False)
        op.create_index("ix_bo_intents_state_accepted", "bo_intents", ["state", "accepted_at"], unique=False)
    if _missing("bo_jobpacks"):
        op.create_table("bo_jobpacks",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("name", sa.String(length=255), nullable=False),
            sa.Column("installer_id", sa.Integer(), nullable=True),
            sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("sha256", sa.String(length=64), nullable=False),
            sa.Column("size", sa.BigInteger(), nullable=False),
            sa.Column("job_refs", sa.JSON(), nullable=False),
            sa.Column("content", sa.LargeBinary(), nullable=False),
            sa.ForeignKeyConstraint(["installer_id"], ["bo_installers.id"]),
            sa.PrimaryKeyConstraint("id")
        )
        op.create_index(op.f("ix_bo_jobpacks_installer_id"), "bo_jobpacks", ["installer_id"], unique=False)
    if _missing("bo_tokens"):
        op.create_table("bo_tokens",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("installer_id", sa.Integer(), nullable=False),
            sa.Column("token_hash", sa.String(length=64), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
            sa.ForeignKeyConstraint(["installer_id"], ["bo_installers.id"]),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("token_hash")
        )
        op.create_index(op.f("ix_bo_tokens_installer_id"), "bo_tokens", ["installer_id"], unique=False)
    if _missing("bo_intent_approvals"):
        op.create_table("bo_intent_approvals",
            sa.Column("intent_id", sa.Integer(), nullable=False),
            sa.Column("decision", sa.String(length=16), nullable=False),
            sa.Column("decided_by", sa.String(length=100), nullable=True),
            sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("reason", sa.Text(), nullable=True),
            sa.ForeignKeyConstraint(["intent_id"], ["bo_intents.id"]),
            sa.PrimaryKeyConstraint("intent_id")
        )
    if _missing("bo_intent_prerequisites"):
        op.create_table("bo_intent_prerequisites",
            sa.Column("intent_id", sa.Integer(), nullable=False),
            sa.Column("prerequisite_key", sa.String(length=36), nullable=False),
            sa.Column("position", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(["intent_id"], ["bo_intents.id"]),
            sa.PrimaryKeyConstraint("intent_id", "prerequisite_key")
        )
        op.create_index("ix_bo_prerequisites_key", "bo_intent_prerequisites", ["prerequisite_key"], unique=False)
    if _missing("bo_status_changes"):
        op.create_table("bo_status_changes",
            sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
            sa.Column("intent_id", sa.Integer(), nullable=False),
            sa.Column("installer_id", sa.Integer(), nullable=False),
            sa.Column("state", sa.String(length=16), nullable=False),
            sa.Column("response_code", sa.String(length=16), nullable=True),
            sa.Column("reason", sa.Text(), nullable=True),
            sa.Column("request_id", sa.String(length=80), nullable=True),
            sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["installer_id"], ["bo_installers.id"]),
            sa.ForeignKeyConstraint(["intent_id"], ["bo_intents.id"]),
            sa.PrimaryKeyConstraint("seq")
        )
        op.create_index("ix_bo_status_installer_seq", "bo_status_changes", ["installer_id", "seq"], unique=False)
    meta = sa.table("bo_schema_meta", sa.column("key", sa.String), sa.column("value", sa.String))
    bind = op.get_bind()
    found = bind.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    if found is None:
        op.bulk_insert(meta, [{"key": "schema_version", "value": SCHEMA_VERSION}])
    elif found.isdigit() and int(found) < int(SCHEMA_VERSION):
        # Version 1 to 2 only added tables (above); record it so an older back office refuses.
        op.execute(meta.update().where(meta.c.key == "schema_version").values(value=SCHEMA_VERSION))
    counters = sa.table("bo_counters", sa.column("name", sa.String), sa.column("value", sa.BigInteger))
    if bind.execute(sa.select(counters.c.name).where(counters.c.name == "status_change_seq")).first() is None:
        op.bulk_insert(counters, [{"name": "status_change_seq", "value": 0}])


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone: restore a backup taken before upgrading")
