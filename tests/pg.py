"""A real PostgreSQL server for tests: a fresh schema per test, dropped afterwards; skipped when none runs.

The server is the project machines' and CI's (127.0.0.1:5432, trust auth,
database ``test``); POSE_SYNC_TEST_PG names another. Each test gets its own
schema through the connection's ``search_path``, so runs never see each other.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from urllib.parse import quote

import pytest

SERVER = os.environ.get("POSE_SYNC_TEST_PG", "postgresql://127.0.0.1:5432/test")


@cache
def unavailable() -> str | None:
    """Why PostgreSQL tests cannot run here (None: they can)."""
    try:
        import psycopg
    except ImportError:
        return "PostgreSQL tests need psycopg (make install)"
    try:
        psycopg.connect(SERVER, connect_timeout=3).close()
    except psycopg.Error:
        return f"no PostgreSQL server at {SERVER.rpartition('@')[2]}"
    return None


def require() -> None:
    reason = unavailable()
    if reason:
        pytest.skip(reason)


def drop_connections(url: str) -> int:
    """End every server connection of a fresh schema's URL, as a database restart would (the server itself is
    shared, so it is not restarted); returns how many were ended."""
    import psycopg

    name = url.rpartition("application_name=")[2]
    with psycopg.connect(SERVER, autocommit=True) as conn:
        rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                            (name,)).fetchall()
    return len(rows)


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A database URL whose tables go to a new, empty schema (dropped on exit)."""
    import psycopg

    from pose_sync.store import database

    require()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{SERVER}?options={quote(f'-csearch_path={schema}')}&application_name=pose-sync-{schema}"
    try:
        yield url
    finally:
        database.dispose(url)
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
