"""Alembic migrations of the back office's own schema (SQLite and PostgreSQL).

Run them with ``hubcheck-backoffice db upgrade`` (see docs/DEPLOY.md); ``app.backoffice.db``
drives Alembic from code, so no ``alembic.ini`` is needed on a supplier's server.
"""
