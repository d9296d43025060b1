"""The analyst's review: an analyst role on tokens, the review's keys on install records, reason rows.

Revision ID: 0004_review
Revises: 0003_laptop_journals

The review filters and sorts a million install records by installer, verdict, override,
Service Request progress and reason code; each of those becomes a column (or, for reasons,
a row of ``bo_install_reasons``) with an index that starts with it and ends with
``started_at, id``, the keyset order of a page. Existing records are filled here from what
they already hold (their meta, their override reason, their intents' states), so an old
database answers the review exactly as a new one. Tokens gain ``is_analyst`` (false for
every existing token: no one gains a role by upgrading).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.domain.review import SR_FAILED_STATES, SR_WAITING_STATES, sr_rank_sql, states_sql, verdict_rank_sql

revision = "0004_review"
down_revision = "0003_laptop_journals"
branch_labels = None
depends_on = None

_REVIEW_INDEXES = {
    "ix_bo_installs_review_started": ["started_at", "id"],
    "ix_bo_installs_review_installer": ["installer_name", "started_at", "id"],
    "ix_bo_installs_review_job": ["job_ref", "started_at", "id"],
    "ix_bo_installs_review_verdict": ["verdict_rank", "started_at", "id"],
    "ix_bo_installs_review_sr": ["sr_rank", "started_at", "id"],
    "ix_bo_installs_review_overridden": ["overridden", "started_at", "id"],
    "ix_bo_installs_review_ppmid": ["ppmid"],
    "ix_bo_installs_review_hub": ["hub"],
    "ix_bo_installs_review_meter": ["meter"],
}


def _text_of(json_column: str, key: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"COALESCE(CAST({json_column} AS jsonb) ->> '{key}', '')"
    return f"COALESCE(json_extract({json_column}, '$.{key}'), '')"


def upgrade() -> None:
    with op.batch_alter_table("bo_tokens") as batch:
        batch.add_column(sa.Column("is_analyst", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("bo_installs") as batch:
        batch.add_column(sa.Column("installer_name", sa.String(length=100), server_default="", nullable=False))
        batch.add_column(sa.Column("regime", sa.String(length=16), server_default="", nullable=False))
        batch.add_column(sa.Column("regime_source", sa.String(length=16), server_default="", nullable=False))
        batch.add_column(sa.Column("scenario", sa.String(length=40), server_default="", nullable=False))
        batch.add_column(sa.Column("overridden", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("verdict_rank", sa.Integer(), server_default="3", nullable=False))
        for name in ("sr_total", "sr_done", "sr_failed", "sr_waiting"):
            batch.add_column(sa.Column(name, sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("sr_rank", sa.Integer(), server_default="4", nullable=False))
    op.create_table(
        "bo_install_reasons",
        sa.Column("install_row_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["install_row_id"], ["bo_installs.id"]),
        sa.PrimaryKeyConstraint("install_row_id", "code"),
    )
    _fill(op.get_bind().dialect.name)
    for name, columns in _REVIEW_INDEXES.items():
        op.create_index(name, "bo_installs", columns, unique=False)
    op.create_index(
        "ix_bo_install_reasons_code", "bo_install_reasons", ["code", "started_at", "install_row_id"], unique=False
    )


def _fill(dialect: str) -> None:
    """Existing records: their keys from what they hold (set-based statements, no row loop)."""
    true = "TRUE" if dialect == "postgresql" else "1"
    false = "FALSE" if dialect == "postgresql" else "0"
    op.execute(
        "UPDATE bo_installs SET "
        "installer_name = (SELECT name FROM bo_installers WHERE bo_installers.id = bo_installs.installer_id), "
        f"regime = {_text_of('meta', 'regime', dialect)}, "
        f"regime_source = {_text_of('meta', 'regime_source', dialect)}, "
        f"scenario = {_text_of('meta', 'scenario', dialect)}, "
        f"overridden = CASE WHEN override_reason IS NOT NULL AND override_reason <> '' THEN {true} ELSE {false} END, "
        f"verdict_rank = {verdict_rank_sql('verdict_level')}, "
        "sr_total = (SELECT COUNT(*) FROM bo_intents i WHERE i.install_id = bo_installs.install_id), "
        "sr_done = (SELECT COUNT(*) FROM bo_intents i WHERE i.install_id = bo_installs.install_id "
        "AND i.state = 'succeeded'), "
        "sr_failed = (SELECT COUNT(*) FROM bo_intents i WHERE i.install_id = bo_installs.install_id "
        f"AND i.state IN {states_sql(SR_FAILED_STATES)}), "
        "sr_waiting = (SELECT COUNT(*) FROM bo_intents i WHERE i.install_id = bo_installs.install_id "
        f"AND i.state IN {states_sql(SR_WAITING_STATES)})"
    )
    op.execute(f"UPDATE bo_installs SET sr_rank = {sr_rank_sql('sr_failed', 'sr_waiting', false, 'sr_total')}")
    if dialect == "postgresql":
        op.execute(
            "INSERT INTO bo_install_reasons (install_row_id, code, started_at) "
            "SELECT DISTINCT b.id, r.value ->> 'code', b.started_at FROM bo_installs b, "
            "jsonb_array_elements(CAST(b.reasons AS jsonb)) r WHERE r.value ->> 'code' IS NOT NULL"
        )
    else:
        op.execute(
            "INSERT OR IGNORE INTO bo_install_reasons (install_row_id, code, started_at) "
            "SELECT b.id, json_extract(r.value, '$.code'), b.started_at FROM bo_installs b, json_each(b.reasons) r "
            "WHERE json_extract(r.value, '$.code') IS NOT NULL"
        )


def downgrade() -> None:
    op.drop_index("ix_bo_install_reasons_code", table_name="bo_install_reasons")
    op.drop_table("bo_install_reasons")
    for name in _REVIEW_INDEXES:
        op.drop_index(name, table_name="bo_installs")
    with op.batch_alter_table("bo_installs") as batch:
        for name in ("sr_rank", "sr_waiting", "sr_failed", "sr_done", "sr_total", "verdict_rank", "overridden",
                     "scenario", "regime_source", "regime", "installer_name"):
            batch.drop_column(name)
    with op.batch_alter_table("bo_tokens") as batch:
        batch.drop_column("is_analyst")
