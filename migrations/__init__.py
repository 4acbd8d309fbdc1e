"""Alembic migrations: `hotline db upgrade` builds the schema on SQLite and PostgreSQL alike."""
