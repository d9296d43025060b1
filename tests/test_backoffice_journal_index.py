"""Migration 0005: the back office finds a visit's journal entry (its audit hash) through an index
on ``bo_journal_entries(subject, id)``, on SQLite and PostgreSQL, and an older database gains it."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import inspect, text

from app.backoffice.db import _alembic_config, current_revision, head_revision, migrate
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)

INDEX = "ix_bo_journal_entries_subject"
#: The lookup the review makes for a visit's audit hash (app/backoffice/review_query.py, _journal_hashes
#: asks it for a page of records at once with ``subject IN (…)``).
LOOKUP = ("SELECT entry_hash FROM bo_journal_entries WHERE subject = :s "
          "AND action IN ('install.recorded', 'install.aborted') ORDER BY id LIMIT 1")


def journal_indexes(store: Any) -> dict[str, list[str]]:
    with store.engine.connect() as conn:
        return {ix["name"]: list(ix["column_names"]) for ix in inspect(conn).get_indexes("bo_journal_entries")}


def plan(store: Any) -> str:
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.execute(text("SET LOCAL enable_seqscan = off"))  # a near-empty table: ask whether it could
            rows = conn.execute(text("EXPLAIN " + LOOKUP), {"s": "x"}).scalars().all()
        else:
            rows = [r[-1] for r in conn.execute(text("EXPLAIN QUERY PLAN " + LOOKUP), {"s": "x"})]
    return "\n".join(str(r) for r in rows)


def test_the_audit_hash_lookup_reads_the_subject_index(store: Any) -> None:
    assert head_revision() == current_revision(store)  # 0005 or a later revision keeps the index
    assert journal_indexes(store)[INDEX] == ["subject", "id"]
    assert INDEX in plan(store)


def test_an_older_database_gains_the_index_and_keeps_its_rows(store: Any) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO bo_installers (name, is_admin, created_at) VALUES ('alice', false, CURRENT_TIMESTAMP)"))
        installer = conn.execute(text("SELECT id FROM bo_installers WHERE name = 'alice'")).scalar_one()
        conn.execute(text(
            "INSERT INTO bo_journal_chains (installer_id, laptop_id, first_seen, last_synced, entries, "
            "last_entry_id, last_hash, written) VALUES (:i, 'l', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, 1, "
            "'h', 1)"), {"i": installer})
        chain = conn.execute(text("SELECT id FROM bo_journal_chains")).scalar_one()
        conn.execute(text(
            "INSERT INTO bo_journal_entries (chain_id, entry_id, at, action, subject, detail_json, prev_hash, "
            "entry_hash, received_at) VALUES (:c, 1, '2025-03-01', 'install.recorded', 'rec-1', '{}', '0', "
            "'abc', CURRENT_TIMESTAMP)"), {"c": chain})
        command.downgrade(_alembic_config(conn), "0004_review")
    assert current_revision(store) == "0004_review" and INDEX not in journal_indexes(store)
    assert migrate(store) == head_revision()
    assert journal_indexes(store)[INDEX] == ["subject", "id"]
    with store.engine.connect() as conn:
        assert conn.execute(text(LOOKUP), {"s": "rec-1"}).scalar_one() == "abc"
