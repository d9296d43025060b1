"""An index on laptops' journal entries by subject, for the review's audit hash.

Revision ID: 0005_journal_subject_index
Revises: 0004_review

The detail of a visit, its CSV row and its PDF certificate carry the hash of the laptop's
journal entry that recorded it: ``WHERE subject = :record_id AND action IN (…) ORDER BY id
LIMIT 1`` on ``bo_journal_entries``. Without an index that is a scan of every synced entry
of every laptop, once per record exported. ``(subject, id)`` answers it from the index in
the order asked. Nothing else changes; every row is kept.
"""

from __future__ import annotations

from alembic import op

revision = "0005_journal_subject_index"
down_revision = "0004_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_bo_journal_entries_subject", "bo_journal_entries", ["subject", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_bo_journal_entries_subject", table_name="bo_journal_entries")
