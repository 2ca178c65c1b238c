"""One schema for both dialects: the Alembic revisions build exactly the tables the store's code declares,
and a SQLite store written before Alembic keeps every row, now owned by the local athlete."""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa

from pose_sync.store import Store, database, tables
from pose_sync.store.schema import MIGRATIONS


def _shape(db: sa.engine.Connection) -> dict[str, tuple[set[str], list[str], set[tuple[str, ...]]]]:
    inspector = sa.inspect(db)
    return {name: ({c["name"] for c in inspector.get_columns(name)},
                   inspector.get_pk_constraint(name)["constrained_columns"],
                   {tuple(i["column_names"]) for i in inspector.get_indexes(name) if not i.get("unique")})
            for name in tables.metadata.tables}


def _declared() -> dict[str, tuple[set[str], list[str], set[tuple[str, ...]]]]:
    return {table.name: ({c.name for c in table.c}, [c.name for c in table.primary_key.columns],
                         {tuple(c.name for c in i.columns) for i in table.indexes if not i.unique})
            for table in tables.metadata.tables.values()}


def test_the_migrations_build_the_declared_tables(tmp_path, backend):
    with Store.open(tmp_path) as store:
        assert store.revision == database.HEAD
        assert _shape(store.db) == _declared()
        assert database.known_revisions(store.db) >= {database.HEAD, database.BASELINE}


def test_head_is_the_last_revision(tmp_path):
    from alembic.script import ScriptDirectory

    with Store.open(tmp_path) as store:
        assert ScriptDirectory.from_config(database._alembic_config(store.db)).get_current_head() == database.HEAD


def test_a_sqlite_store_from_before_alembic_keeps_everything(tmp_path):
    path = tmp_path / "d"
    path.mkdir(mode=0o700)
    conn = sqlite3.connect(path / "pose-sync.sqlite3", isolation_level=None)
    for migration in MIGRATIONS:
        conn.executescript(migration)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
    conn.execute("INSERT INTO cursors VALUES ('strava', '2026-01-01', 'x')")
    conn.execute("INSERT INTO claims VALUES ('strava', '7', 'h', 1.0)")
    conn.execute("INSERT INTO ledger (platform, remote_id, kind, content_sha256, written_at)"
                 " VALUES ('strava', '7', 'note', 'abc', 'x')")
    conn.close()
    with Store.open(path) as store:
        assert store.schema_version == len(MIGRATIONS) and store.revision == database.HEAD
        assert store.get_cursor("strava") == "2026-01-01"
        assert store.last_write("strava", "7", "note").content_sha256 == "abc"
        assert store.claims_held() == 1 and store.athlete_id == tables.LOCAL_ATHLETE
        assert _shape(store.db) == _declared()
