"""Migration 0007: a visit's Service Request timelines are read through an index on
``bo_status_changes(intent_id, seq)``, on SQLite and PostgreSQL, and an older database gains it."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import inspect, text

from app.backoffice.db import _alembic_config, current_revision, head_revision, migrate
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)

INDEX = "ix_bo_status_intent_seq"
#: The shape of what the review's detail runs (app/backoffice/review_query.py).
LOOKUP = "SELECT state FROM bo_status_changes WHERE intent_id IN (:a, :b) ORDER BY seq"


def status_indexes(store: Any) -> dict[str, list[str]]:
    with store.engine.connect() as conn:
        return {ix["name"]: list(ix["column_names"]) for ix in inspect(conn).get_indexes("bo_status_changes")}


def plan(store: Any) -> str:
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.execute(text("SET LOCAL enable_seqscan = off"))  # a near-empty table: ask whether it could
            rows = conn.execute(text("EXPLAIN " + LOOKUP), {"a": 1, "b": 2}).scalars().all()
        else:
            rows = [r[-1] for r in conn.execute(text("EXPLAIN QUERY PLAN " + LOOKUP), {"a": 1, "b": 2})]
    return "\n".join(str(r) for r in rows)


def test_a_timeline_lookup_reads_the_intent_index(store: Any) -> None:
    assert head_revision() == current_revision(store)
    assert status_indexes(store)[INDEX] == ["intent_id", "seq"]
    assert INDEX in plan(store)


def test_an_older_database_gains_the_index_and_keeps_its_rows(store: Any) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO bo_installers (name, is_admin, created_at) VALUES ('alice', false, CURRENT_TIMESTAMP)"))
        installer = conn.execute(text("SELECT id FROM bo_installers WHERE name = 'alice'")).scalar_one()
        conn.execute(text(
            "INSERT INTO bo_intents (idempotency_key, installer_id, payload_sha256, srv, command_variant, target, "
            "body, duis_xml, created_at, meta, state, accepted_at, accepted_seq, updated_at) VALUES "
            "('k-1', :i, 'sha', '8.11', 1, 't', '{}', '<x/>', CURRENT_TIMESTAMP, '{}', 'accepted', "
            "CURRENT_TIMESTAMP, 1, CURRENT_TIMESTAMP)"), {"i": installer})
        intent = conn.execute(text("SELECT id FROM bo_intents")).scalar_one()
        conn.execute(text(
            "INSERT INTO bo_status_changes (seq, intent_id, installer_id, state, changed_at) "
            "VALUES (1, :n, :i, 'accepted', CURRENT_TIMESTAMP)"), {"n": intent, "i": installer})
        command.downgrade(_alembic_config(conn), "0006_install_approvals")
    assert current_revision(store) == "0006_install_approvals" and INDEX not in status_indexes(store)
    assert migrate(store) == head_revision() == "0007_status_intent_index"
    assert status_indexes(store)[INDEX] == ["intent_id", "seq"]
    with store.engine.connect() as conn:
        assert conn.execute(text(LOOKUP), {"a": intent, "b": -1}).scalars().all() == ["accepted"]
