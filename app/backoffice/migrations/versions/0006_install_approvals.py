"""A decision per visit that asked for a manual inventory change.

Revision ID: 0006_install_approvals
Revises: 0005_journal_subject_index

An installer may choose, instead of an 8.4 remedy, to have the supplier ask the DCC for a
manual inventory change (DOMAIN A5): the laptop queues nothing and records the choice in the
visit's meta (``remedy_detail.kind = manual-inventory-change``, ``needs_approval = true``).
``bo_install_approvals`` keeps the back office's decision on it (pending, approved, refused,
who, when, why), one row per such install record. Records already stored that asked for one
get a pending row here, so they wait for a decision like a record synced after the upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_install_approvals"
down_revision = "0005_journal_subject_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bo_install_approvals",
        sa.Column("install_row_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["install_row_id"], ["bo_installs.id"]),
        sa.PrimaryKeyConstraint("install_row_id"),
    )
    op.create_index(
        "ix_bo_install_approvals_decision", "bo_install_approvals", ["decision", "install_row_id"], unique=False
    )
    if op.get_bind().dialect.name == "postgresql":
        asked = (
            "CAST(meta AS jsonb) -> 'remedy_detail' ->> 'kind' = 'manual-inventory-change' "
            "AND CAST(meta AS jsonb) -> 'remedy_detail' -> 'needs_approval' = 'true'::jsonb"
        )
    else:
        asked = (
            "json_extract(meta, '$.remedy_detail.kind') = 'manual-inventory-change' "
            "AND json_type(meta, '$.remedy_detail.needs_approval') = 'true'"
        )
    op.execute(
        f"INSERT INTO bo_install_approvals (install_row_id, decision) SELECT id, 'pending' FROM bo_installs WHERE {asked}"
    )


def downgrade() -> None:
    op.drop_index("ix_bo_install_approvals_decision", table_name="bo_install_approvals")
    op.drop_table("bo_install_approvals")
