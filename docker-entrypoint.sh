#!/bin/sh
# Apply migrations, then run the command (the server by default). Migrations are idempotent, so several
# replicas starting at once is safe: Alembic's version table serialises them on PostgreSQL.
set -e
hotline db upgrade
exec "$@"
