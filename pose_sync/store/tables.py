"""The store's schema as SQLAlchemy Core tables: one definition for SQLite and PostgreSQL.

Every row belongs to an athlete (``athlete_id``, part of every key): the
single-user CLI is athlete 0 (``LOCAL_ATHLETE``), a service holds many. The
tables say what the schema *is*; the Alembic revisions in
``pose_sync/store/migrations`` say how a database gets there, and a test
checks that the two agree on both dialects.

Only ``athletes`` (the owners themselves) and ``rate_budgets`` (the API
application's request budget, shared by every athlete) belong to nobody.
"""

from __future__ import annotations

import sqlalchemy as sa

LOCAL_ATHLETE = 0

metadata = sa.MetaData()
Real = sa.Float(precision=53)  # Unix seconds need a double, on PostgreSQL too


def _owner() -> sa.Column[int]:
    return sa.Column("athlete_id", sa.Integer, nullable=False, server_default="0")


athletes = sa.Table(
    "athletes", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("strava_id", sa.BigInteger, unique=True),  # None for the local athlete
    sa.Column("home", sa.Text, unique=True),             # the data folder of a single-user store in a shared database
    sa.Column("name", sa.Text),
    sa.Column("settings_json", sa.Text, nullable=False, server_default="{}"),
    sa.Column("strava_tokens", sa.Text),                 # encrypted at rest (service) or None
    sa.Column("garmin_tokens", sa.Text),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Text, nullable=False),
)

runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _owner(),
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
    sa.Index("runs_by_start", "athlete_id", "start_epoch"),
)

run_sources = sa.Table(
    "run_sources", metadata,
    _owner(),
    sa.Column("platform", sa.Text, nullable=False),
    sa.Column("remote_id", sa.Text, nullable=False),
    sa.Column("member", sa.Text, nullable=False, server_default=""),
    sa.Column("session_index", sa.Integer, nullable=False, server_default="0"),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("fit_sha256", sa.Text),
    sa.Column("seen_at", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("athlete_id", "platform", "remote_id", "member", "session_index"),
    sa.Index("run_sources_by_run", "run_id"),
)

blobs = sa.Table(
    "blobs", metadata,
    _owner(),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("stored_at", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("athlete_id", "sha256"),
)

# The bytes themselves when blobs live in the database (the service's choice; a folder is the default).
blob_data = sa.Table(
    "blob_data", metadata,
    _owner(),
    sa.Column("name", sa.Text, nullable=False),       # sha256 + suffix
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.PrimaryKeyConstraint("athlete_id", "name"),
)

cursors = sa.Table(
    "cursors", metadata,
    _owner(),
    sa.Column("connector", sa.Text, nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("athlete_id", "connector"),
)

ledger = sa.Table(
    "ledger", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _owner(),
    sa.Column("platform", sa.Text, nullable=False),
    sa.Column("remote_id", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("content_sha256", sa.Text, nullable=False),
    sa.Column("detail", sa.Text),
    sa.Column("written_at", sa.Text, nullable=False),
    sa.Index("ledger_by_target", "athlete_id", "platform", "remote_id", "kind"),
)

sync_items = sa.Table(
    "sync_items", metadata,
    _owner(),
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
    sa.PrimaryKeyConstraint("athlete_id", "platform", "remote_id"),
    sa.Index("sync_items_pending", "athlete_id", "platform", "state"),
)

events = sa.Table(
    "events", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _owner(),
    sa.Column("platform", sa.Text, nullable=False),
    sa.Column("payload_json", sa.Text, nullable=False),
    sa.Column("received_at", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("processed_at", sa.Text),
    sa.Column("object_key", sa.Text),
    sa.Column("due_epoch", Real),
    sa.Index("events_pending", "athlete_id", "state", "id"),
    sa.Index("events_by_object", "athlete_id", "platform", "object_key", "state"),
)

sync_runs = sa.Table(
    "sync_runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _owner(),
    sa.Column("connector", sa.Text, nullable=False),
    sa.Column("started_at", sa.Text, nullable=False),
    sa.Column("finished_at", sa.Text),
    sa.Column("outcome", sa.Text),
    sa.Column("summary_json", sa.Text),
    sa.Index("sync_runs_by_connector", "athlete_id", "connector", "id"),
)

gear = sa.Table(
    "gear", metadata,
    _owner(),
    sa.Column("platform", sa.Text, nullable=False),
    sa.Column("gear_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text),
    sa.Column("kind", sa.Text),
    sa.Column("distance_m", Real),
    sa.Column("retired", sa.Integer, nullable=False, server_default="0"),
    sa.Column("updated_at", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("athlete_id", "platform", "gear_id"),
)

claims = sa.Table(
    "claims", metadata,
    _owner(),
    sa.Column("platform", sa.Text, nullable=False),
    sa.Column("remote_id", sa.Text, nullable=False),
    sa.Column("holder", sa.Text, nullable=False),
    sa.Column("expires_epoch", Real, nullable=False),
    sa.PrimaryKeyConstraint("athlete_id", "platform", "remote_id"),
)

note_checks = sa.Table(
    "note_checks", metadata,
    _owner(),
    sa.Column("platform", sa.Text, nullable=False),
    sa.Column("remote_id", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("due_epoch", Real),
    sa.Column("written_epoch", Real, nullable=False),
    sa.Column("restores", sa.Integer, nullable=False, server_default="0"),
    sa.Column("updated_at", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("athlete_id", "platform", "remote_id"),
    sa.Index("note_checks_due", "athlete_id", "platform", "state", "due_epoch"),
)

pain_reports = sa.Table(
    "pain_reports", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _owner(),
    sa.Column("day", sa.Text, nullable=False),            # ISO date the pain was felt
    sa.Column("site", sa.Text, nullable=False),           # body site, lower case
    sa.Column("score", Real, nullable=False),             # 0-10
    sa.Column("timing", sa.Text, nullable=False),         # during, morning
    sa.Column("source", sa.Text, nullable=False),         # description, log
    sa.Column("platform", sa.Text),
    sa.Column("remote_id", sa.Text),
    sa.Column("text", sa.Text),
    sa.Column("recorded_at", sa.Text, nullable=False),
    sa.Index("pain_by_day", "athlete_id", "day"),
    sa.Index("pain_by_activity", "athlete_id", "platform", "remote_id"),
)

drill_reports = sa.Table(
    "drill_reports", metadata,
    _owner(),
    sa.Column("platform", sa.Text, nullable=False),
    sa.Column("remote_id", sa.Text, nullable=False),
    sa.Column("day", sa.Text, nullable=False),
    sa.Column("minutes", Real, nullable=False),
    sa.Column("recorded_at", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("athlete_id", "platform", "remote_id"),
)

# One row per API application and window kind: what the platform last said in its rate-limit headers,
# and what workers have taken since (requests in flight count before their answer arrives).
rate_budgets = sa.Table(
    "rate_budgets", metadata,
    sa.Column("platform", sa.Text, primary_key=True),
    sa.Column("short_usage", sa.Integer, nullable=False, server_default="0"),
    sa.Column("short_limit", sa.Integer, nullable=False),
    sa.Column("daily_usage", sa.Integer, nullable=False, server_default="0"),
    sa.Column("daily_limit", sa.Integer, nullable=False),
    sa.Column("read_short_usage", sa.Integer),
    sa.Column("read_short_limit", sa.Integer),
    sa.Column("read_daily_usage", sa.Integer),
    sa.Column("read_daily_limit", sa.Integer),
    sa.Column("window_epoch", Real, nullable=False),   # start of the 15-minute window the usage is for
    sa.Column("day_epoch", Real, nullable=False),      # start of the UTC day
    sa.Column("reported_at", sa.Text),
    sa.Column("refused", sa.Integer, nullable=False, server_default="0"),  # requests held back (all time)
)

OWNED = [t for t in metadata.sorted_tables if "athlete_id" in t.c]
