"""Laptops' audit journals, kept per installer and laptop, with the state of each chain.

Revision ID: 0003_laptop_journals
Revises: 0002_token_roles

Two new tables and nothing else changed: an existing database keeps every row. Each
laptop sends the entries of its hash-chained journal with every sync (POST /v1/journal);
the back office stores them as sent and checks each upload continues the chain it holds.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_laptop_journals"
down_revision = "0002_token_roles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bo_journal_chains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("installer_id", sa.Integer(), nullable=False),
        sa.Column("laptop_id", sa.String(length=36), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_synced", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("last_entry_id", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("written", sa.BigInteger(), nullable=False),
        sa.Column("broken_at", sa.BigInteger(), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["installer_id"], ["bo_installers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("installer_id", "laptop_id", name="uq_bo_journal_chain"),
    )
    op.create_table(
        "bo_journal_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("detail_json", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["chain_id"], ["bo_journal_chains.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chain_id", "entry_id", name="uq_bo_journal_entry"),
    )


def downgrade() -> None:
    op.drop_table("bo_journal_entries")
    op.drop_table("bo_journal_chains")
