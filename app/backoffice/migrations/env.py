"""Alembic's environment: run on the connection ``app.backoffice.db`` hands over.

``app.backoffice.db.migrate`` opens the connection, takes the migration lock (so several
workers starting on an empty database create the schema once) and begins the transaction;
this file only points Alembic at it and at the models, for ``compare_metadata`` and
``revision --autogenerate``.
"""

from __future__ import annotations

from alembic import context

from app.backoffice.models import Base

VERSION_TABLE = "bo_alembic_version"

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached by a hand-run `alembic` command
    raise RuntimeError("run migrations with `hubcheck-backoffice db upgrade`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
