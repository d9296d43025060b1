"""Roles and expiry belong to each token; a prefix names one token to revoke.

Revision ID: 0002_token_roles
Revises: 0001_baseline

Before, ``bo_installers.is_admin`` made every token of a name admin. Each live token of an
admin installer becomes an admin token here, so nothing an operator relies on stops
working; from now on the installer's flag is never read. Old tokens have no prefix (only
their hash was kept); they are revoked by name or id.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_token_roles"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("bo_tokens", sa.Column("is_admin", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("bo_tokens", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("bo_tokens", sa.Column("prefix", sa.String(length=16), nullable=True))
    op.create_index(op.f("ix_bo_tokens_prefix"), "bo_tokens", ["prefix"], unique=False)
    tokens = sa.table("bo_tokens", sa.column("installer_id", sa.Integer), sa.column("is_admin", sa.Boolean))
    installers = sa.table("bo_installers", sa.column("id", sa.Integer), sa.column("is_admin", sa.Boolean))
    admins = sa.select(installers.c.id).where(installers.c.is_admin == sa.true())
    op.execute(tokens.update().where(tokens.c.installer_id.in_(admins)).values(is_admin=True))


def downgrade() -> None:
    op.drop_index(op.f("ix_bo_tokens_prefix"), table_name="bo_tokens")
    with op.batch_alter_table("bo_tokens") as batch:
        batch.drop_column("prefix")
        batch.drop_column("expires_at")
        batch.drop_column("is_admin")
