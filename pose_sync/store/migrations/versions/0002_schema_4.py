"""The SQLite store's migration 4, for either dialect: the runner's pain in their own words and drill minutes.

A store written before Alembic at ``PRAGMA user_version`` 4 is stamped with this revision.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

Real = sa.Float(precision=53)


def upgrade() -> None:
    op.create_table(
        "pain_reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Text, nullable=False),
        sa.Column("site", sa.Text, nullable=False),
        sa.Column("score", Real, nullable=False),
        sa.Column("timing", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("platform", sa.Text),
        sa.Column("remote_id", sa.Text),
        sa.Column("text", sa.Text),
        sa.Column("recorded_at", sa.Text, nullable=False),
    )
    op.create_index("pain_by_day", "pain_reports", ["day"])
    op.create_index("pain_by_activity", "pain_reports", ["platform", "remote_id"])
    op.create_table(
        "drill_reports",
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("remote_id", sa.Text, nullable=False),
        sa.Column("day", sa.Text, nullable=False),
        sa.Column("minutes", Real, nullable=False),
        sa.Column("recorded_at", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("platform", "remote_id"),
    )
