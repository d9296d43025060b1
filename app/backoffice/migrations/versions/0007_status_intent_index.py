"""An index on intents' state changes by intent, for the review's Service Request timelines.

Revision ID: 0007_status_intent_index
Revises: 0006_install_approvals

A visit's detail (its pane, CSV row and PDF certificate) shows each Service Request's state
timeline: ``WHERE intent_id IN (…) ORDER BY seq`` on ``bo_status_changes``. The table's only
index was ``(installer_id, seq)`` for the laptops' status pull, so every detail, and every
page of an export, scanned all the changes of all installers. ``(intent_id, seq)`` answers it
from the index in the order asked. Nothing else changes; every row is kept.
"""

from __future__ import annotations

from alembic import op

revision = "0007_status_intent_index"
down_revision = "0006_install_approvals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_bo_status_intent_seq", "bo_status_changes", ["intent_id", "seq"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_bo_status_intent_seq", table_name="bo_status_changes")
