"""The schema of pose-sync's SQLite store at its migration 3, for either dialect.

With 0002 (migration 4) these are the tables of a store written before Alembic
(see pose_sync.store.schema): such a store gets the rest of its old migrations
and is then stamped with 0002.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

Real = sa.Float(precision=53)


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("start_time", sa.Text, nullable=False),
        sa.Column("start_epoch", Real, nullable=False),
        sa.Column("distance_m", Real, nullable=False),
        sa.Column("moving_time_s", Real, nullable=False),
        sa.Column("sport", sa.Text, nullable=False),
        sa.Column("form_score", Real),
        sa.Column("analysis_version", sa.Integer, nullable=False),
        sa.Column("analysis_json", sa.Text, nullable=False),
        sa.Column("fit_sha256", sa.Text),
        sa.Column("quality", sa.Integer, nullable=False),
        sa.Column("gear_id", sa.Text),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.Column("samples_sha256", sa.Text),
    )
    op.create_index("runs_by_start", "runs", ["start_epoch"])
    op.create_table(
        "run_sources",
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("remote_id", sa.Text, nullable=False),
        sa.Column("member", sa.Text, nullable=False, server_default=""),
        sa.Column("session_index", sa.Integer, nullable=False, server_default="0"),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("fit_sha256", sa.Text),
        sa.Column("seen_at", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("platform", "remote_id", "member", "session_index"),
    )
    op.create_index("run_sources_by_run", "run_sources", ["run_id"])
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.Text, primary_key=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("stored_at", sa.Text, nullable=False),
    )
    op.create_table(
        "cursors",
        sa.Column("connector", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
    )
    op.create_table(
        "ledger",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("remote_id", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("content_sha256", sa.Text, nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("written_at", sa.Text, nullable=False),
    )
    op.create_index("ledger_by_target", "ledger", ["platform", "remote_id", "kind"])
    op.create_table(
        "sync_items",
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("remote_id", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("start_epoch", Real),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL")),
        sa.Column("summary_json", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.Column("first_seen_epoch", Real),
        sa.Column("uploaded_epoch", Real),
        sa.PrimaryKeyConstraint("platform", "remote_id"),
    )
    op.create_index("sync_items_pending", "sync_items", ["platform", "state"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("payload_json", sa.Text, nullable=False),
        sa.Column("received_at", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("processed_at", sa.Text),
        sa.Column("object_key", sa.Text),
        sa.Column("due_epoch", Real),
    )
    op.create_index("events_pending", "events", ["state", "id"])
    op.create_index("events_by_object", "events", ["platform", "object_key", "state"])
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("connector", sa.Text, nullable=False),
        sa.Column("started_at", sa.Text, nullable=False),
        sa.Column("finished_at", sa.Text),
        sa.Column("outcome", sa.Text),
        sa.Column("summary_json", sa.Text),
    )
    op.create_index("sync_runs_by_connector", "sync_runs", ["connector", "id"])
    op.create_table(
        "gear",
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("gear_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("kind", sa.Text),
        sa.Column("distance_m", Real),
        sa.Column("retired", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("platform", "gear_id"),
    )
    op.create_table(
        "claims",
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("remote_id", sa.Text, nullable=False),
        sa.Column("holder", sa.Text, nullable=False),
        sa.Column("expires_epoch", Real, nullable=False),
        sa.PrimaryKeyConstraint("platform", "remote_id"),
    )
    op.create_table(
        "note_checks",
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("remote_id", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("due_epoch", Real),
        sa.Column("written_epoch", Real, nullable=False),
        sa.Column("restores", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("platform", "remote_id"),
    )
    op.create_index("note_checks_due", "note_checks", ["platform", "state", "due_epoch"])
