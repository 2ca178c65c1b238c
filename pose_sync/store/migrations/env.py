"""Alembic's environment: always run by pose-sync itself, on the connection it opened (see pose_sync.store.database)."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=True, transaction_per_migration=False)
context.run_migrations()
