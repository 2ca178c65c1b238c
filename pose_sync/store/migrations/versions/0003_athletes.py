"""Every row owned by an athlete: an ``athletes`` table (athlete 0 is the single-user CLI's), ``athlete_id``
in every table and at the front of every key and index; blob bytes in the database (for a service that keeps
them there); the API application's shared request budget.

Tables whose key changes are rebuilt (create, copy, drop, rename: what SQLite needs, and correct on
PostgreSQL too); the others get a column. Nothing references the rebuilt tables, so nothing cascades.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"

Real = sa.Float(precision=53)


def _owner() -> sa.Column:
    return sa.Column("athlete_id", sa.Integer, nullable=False, server_default="0")


# table -> (columns after athlete_id, as in 0001; the new key)
REKEYED: dict[str, tuple[list[sa.Column], list[str]]] = {
    "run_sources": ([
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("remote_id", sa.Text, nullable=False),
        sa.Column("member", sa.Text, nullable=False, server_default=""),
        sa.Column("session_index", sa.Integer, nullable=False, server_default="0"),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("fit_sha256", sa.Text),
        sa.Column("seen_at", sa.Text, nullable=False),
    ], ["athlete_id", "platform", "remote_id", "member", "session_index"]),
    "blobs": ([
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("stored_at", sa.Text, nullable=False),
    ], ["athlete_id", "sha256"]),
    "cursors": ([
        sa.Column("connector", sa.Text, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
    ], ["athlete_id", "connector"]),
    "sync_items": ([
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
    ], ["athlete_id", "platform", "remote_id"]),
    "gear": ([
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("gear_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("kind", sa.Text),
        sa.Column("distance_m", Real),
        sa.Column("retired", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.Text, nullable=False),
    ], ["athlete_id", "platform", "gear_id"]),
    "claims": ([
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("remote_id", sa.Text, nullable=False),
        sa.Column("holder", sa.Text, nullable=False),
        sa.Column("expires_epoch", Real, nullable=False),
    ], ["athlete_id", "platform", "remote_id"]),
    "note_checks": ([
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("remote_id", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("due_epoch", Real),
        sa.Column("written_epoch", Real, nullable=False),
        sa.Column("restores", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.Text, nullable=False),
    ], ["athlete_id", "platform", "remote_id"]),
    "drill_reports": ([
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("remote_id", sa.Text, nullable=False),
        sa.Column("day", sa.Text, nullable=False),
        sa.Column("minutes", Real, nullable=False),
        sa.Column("recorded_at", sa.Text, nullable=False),
    ], ["athlete_id", "platform", "remote_id"]),
}
# index -> (table, its columns from now on); those on rebuilt tables went with the old table
INDEXES = {
    "runs_by_start": ("runs", ["athlete_id", "start_epoch"]),
    "run_sources_by_run": ("run_sources", ["run_id"]),
    "ledger_by_target": ("ledger", ["athlete_id", "platform", "remote_id", "kind"]),
    "sync_items_pending": ("sync_items", ["athlete_id", "platform", "state"]),
    "events_pending": ("events", ["athlete_id", "state", "id"]),
    "events_by_object": ("events", ["athlete_id", "platform", "object_key", "state"]),
    "sync_runs_by_connector": ("sync_runs", ["athlete_id", "connector", "id"]),
    "note_checks_due": ("note_checks", ["athlete_id", "platform", "state", "due_epoch"]),
    "pain_by_day": ("pain_reports", ["athlete_id", "day"]),
    "pain_by_activity": ("pain_reports", ["athlete_id", "platform", "remote_id"]),
}
ALTERED = ("runs", "ledger", "events", "sync_runs", "pain_reports")


def upgrade() -> None:
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    athletes = op.create_table(
        "athletes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("strava_id", sa.BigInteger, unique=True),
        sa.Column("home", sa.Text, unique=True),
        sa.Column("name", sa.Text),
        sa.Column("settings_json", sa.Text, nullable=False, server_default="{}"),
        sa.Column("strava_tokens", sa.Text),
        sa.Column("garmin_tokens", sa.Text),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
    )
    op.bulk_insert(athletes, [{"id": 0, "name": "local", "settings_json": "{}", "created_at": now,
                               "updated_at": now}])
    for name, (table, _) in INDEXES.items():
        if table in ALTERED:
            op.drop_index(name, table_name=table)
    for table in ALTERED:
        op.add_column(table, _owner())
    for table, (columns, key) in REKEYED.items():
        names = [c.name for c in columns]
        op.create_table(f"{table}_new", _owner(), *columns, sa.PrimaryKeyConstraint(*key, name=f"{table}_key"))
        listed = ", ".join(names)
        op.execute(f"INSERT INTO {table}_new (athlete_id, {listed}) SELECT 0, {listed} FROM {table}")
        op.drop_table(table)
        op.rename_table(f"{table}_new", table)
    for name, (table, indexed) in INDEXES.items():
        op.create_index(name, table, indexed)
    op.create_table(
        "blob_data",
        _owner(),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("athlete_id", "name"),
    )
    op.create_table(
        "rate_budgets",
        sa.Column("platform", sa.Text, primary_key=True),
        sa.Column("short_usage", sa.Integer, nullable=False, server_default="0"),
        sa.Column("short_limit", sa.Integer, nullable=False),
        sa.Column("daily_usage", sa.Integer, nullable=False, server_default="0"),
        sa.Column("daily_limit", sa.Integer, nullable=False),
        sa.Column("read_short_usage", sa.Integer),
        sa.Column("read_short_limit", sa.Integer),
        sa.Column("read_daily_usage", sa.Integer),
        sa.Column("read_daily_limit", sa.Integer),
        sa.Column("window_epoch", Real, nullable=False),
        sa.Column("day_epoch", Real, nullable=False),
        sa.Column("reported_at", sa.Text),
        sa.Column("refused", sa.Integer, nullable=False, server_default="0"),
    )
