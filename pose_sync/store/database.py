"""Where the store's tables live: a SQLite file (the default, no server) or a PostgreSQL database (a URL).

Both get the same tables (:mod:`pose_sync.store.tables`) through the same
Alembic revisions (``migrations/versions``). SQLAlchemy and Alembic are
imported only here and in the store, so ``pose-sync --help`` pays for neither;
Alembic only when a database is behind (opening an up-to-date store reads
one row).

Connections run in autocommit mode and the store writes its own ``BEGIN``:
``BEGIN IMMEDIATE`` on SQLite (one writer at a time, as before), and on
PostgreSQL ``BEGIN`` plus a transaction-scoped advisory lock on the athlete,
so one athlete's read-modify-write steps are serialised exactly as on SQLite
while different athletes never wait for each other.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool, StaticPool

from pose_sync.errors import ConfigError
from pose_sync.store.schema import MIGRATIONS

HEAD = "0003"          # the latest Alembic revision (a test checks it is the scripts' head)
BASELINE = "0002"      # the revision whose tables are the SQLite store's schema after all its old migrations
ENV_URL = "POSE_SYNC_DATABASE_URL"
MIGRATION_LOCK = 0x706F7365  # 'pose': the advisory lock key while migrating a PostgreSQL database

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def sqlite_engine(path: Path) -> Engine:
    """One new sqlite3 connection per store (they are not shared across threads), WAL and foreign keys on."""
    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
        _set_wal(conn)
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    return sa.create_engine("sqlite://", creator=connect, poolclass=NullPool)


def _set_wal(conn: sqlite3.Connection, patience_s: float = 30.0) -> None:
    """Switch a connection to WAL, waiting for others that are doing the same.

    Changing the journal mode takes an exclusive lock, and SQLite answers
    "database is locked" at once instead of calling the busy handler when
    several connections open a new store together; so wait here.
    """
    deadline = time.monotonic() + patience_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def memory_engine(conn: sqlite3.Connection) -> Engine:
    """An engine over one existing in-memory connection (a dry run's copy)."""
    conn.execute("PRAGMA foreign_keys=ON")
    return sa.create_engine("sqlite://", creator=lambda: conn, poolclass=StaticPool)


def url_engine(url: str) -> Engine:
    """A pooled engine per database URL, shared by every store of the process."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            try:
                engine = sa.create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=8, pool_recycle=1800)
            except (sa.exc.ArgumentError, ImportError) as exc:
                raise ConfigError(f"cannot use the database URL in {ENV_URL}: {exc}",
                                  hint="use postgresql://HOST:PORT/DATABASE") from None
            _engines[url] = engine
        return engine


def connect(engine: Engine) -> Connection:
    try:
        return engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    except sa.exc.OperationalError as exc:
        raise ConfigError(f"cannot reach the database: {str(exc.orig).strip().splitlines()[0]}",
                          hint=f"is PostgreSQL running, and {ENV_URL} right?") from None


def is_postgres(db: Connection) -> bool:
    return db.dialect.name == "postgresql"


def begin(db: Connection, athlete_id: int) -> None:
    """Open a transaction that holds this athlete's write lock (see the module docstring)."""
    if is_postgres(db):
        db.exec_driver_sql("BEGIN")
        # keyed by schema too: advisory locks are per database, and two deployments (or test runs) may share one
        db.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(current_schema()), :key)"), {"key": athlete_id})
    else:
        db.exec_driver_sql("BEGIN IMMEDIATE")


def revision(db: Connection) -> str | None:
    """The Alembic revision the database is at (None: not managed by Alembic yet)."""
    if is_postgres(db):
        present = db.execute(sa.text("SELECT to_regclass('alembic_version')")).scalar()
    else:
        present = db.execute(sa.text("SELECT 1 FROM sqlite_master WHERE name='alembic_version'")).scalar()
    if not present:
        return None
    return db.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def legacy_version(db: Connection) -> int:
    """SQLite's ``PRAGMA user_version``: how many of the pre-Alembic migrations a store has (0 on PostgreSQL)."""
    return 0 if is_postgres(db) else int(db.exec_driver_sql("PRAGMA user_version").scalar() or 0)


def _alembic_config(db: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.attributes["connection"] = db
    return config


def known_revisions(db: Connection) -> set[str]:
    from alembic.script import ScriptDirectory

    return {r.revision for r in ScriptDirectory.from_config(_alembic_config(db)).walk_revisions()}


def migrate(db: Connection, where: str) -> None:
    """Bring the database to ``HEAD`` in one transaction, exactly once however many processes open it at once.

    A SQLite store from before Alembic first gets the rest of its old
    migrations, then is stamped with the baseline revision (same tables) and
    upgraded from there. ``PRAGMA user_version`` stays at the number of old
    migrations, as earlier versions of pose-sync expect to read it.
    """
    if revision(db) == HEAD and (is_postgres(db) or legacy_version(db) == len(MIGRATIONS)):
        return
    newer = ConfigError(f"the store at {where} was written by a newer pose-sync", hint="upgrade pose-sync")
    if legacy_version(db) > len(MIGRATIONS):
        raise newer
    from alembic import command

    if is_postgres(db):
        db.exec_driver_sql("BEGIN")
        db.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    else:
        db.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        current = revision(db)
        if current is not None and current not in known_revisions(db):
            raise newer
        config = _alembic_config(db)
        if current is None:
            version = legacy_version(db)
            if version:
                for script in MIGRATIONS[version:]:
                    for statement in _split_sql(script):
                        db.exec_driver_sql(statement)
                command.stamp(config, BASELINE)
        if current != HEAD:
            command.upgrade(config, HEAD)
        if not is_postgres(db):
            db.exec_driver_sql(f"PRAGMA user_version = {len(MIGRATIONS)}")
        db.exec_driver_sql("COMMIT")
    except BaseException:
        db.exec_driver_sql("ROLLBACK")
        raise


def _split_sql(script: str) -> list[str]:
    """Statements of an old migration (they contain no literal semicolons)."""
    return [s.strip() for s in script.split(";") if s.strip() and not _only_comments(s)]


def _only_comments(statement: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in statement.splitlines())


class _Row:
    """A row by column name or position, like sqlite3.Row."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: list[str], values: tuple[Any, ...]) -> None:
        self._names, self._values = names, values

    def __getitem__(self, key: int | str) -> Any:
        return self._values[key] if isinstance(key, int) else self._values[self._names.index(key)]

    def keys(self) -> list[str]:
        return list(self._names)


class RawSQL:
    """sqlite3-style access to the store's connection (``?`` parameters, rows by name or position).

    For tests and maintenance queries written by hand; it is not scoped by
    athlete, so the store's own methods never use it.
    """

    def __init__(self, db: Connection) -> None:
        self.db = db

    def execute(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> Any:
        raw: Any = self.db.connection.dbapi_connection
        if is_postgres(self.db):
            def rows(cursor: Any) -> Any:
                names = [d.name for d in cursor.description or ()]
                return lambda values: _Row(names, values)

            cursor = raw.cursor(row_factory=rows)
            cursor.execute(sql.replace("?", "%s"), tuple(params))
            return cursor
        cursor = raw.cursor()
        cursor.row_factory = sqlite3.Row
        return cursor.execute(sql, tuple(params))


def dispose(url: str) -> None:
    """Close the pooled connections of a database URL (tests drop their schema afterwards)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    with _engines_lock:
        engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()
