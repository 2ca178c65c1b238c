"""Every store test runs on SQLite (the single-user default) and on PostgreSQL (a service's database).

On PostgreSQL the store finds its database through POSE_SYNC_DATABASE_URL,
as a deployment would; files stay in the test's folder. Tests about what only
the SQLite file has (its file mode, ``PRAGMA user_version``, stores written
before Alembic) run on SQLite alone.
"""

from __future__ import annotations

import pytest

from tests import pg

SQLITE_ONLY = {
    "test_new_store_is_private_and_at_the_latest_schema",   # the file's mode
    "test_a_store_from_a_newer_version_is_refused",         # PRAGMA user_version
    "test_a_store_from_before_migration_3_keeps_its_notes_settled",  # a SQLite file from before Alembic
    "test_a_sqlite_store_from_before_alembic_keeps_everything",
}


@pytest.fixture(autouse=True, params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    if request.param == "sqlite":
        monkeypatch.delenv("POSE_SYNC_DATABASE_URL", raising=False)
        yield "sqlite"
        return
    if request.node.originalname in SQLITE_ONLY:
        pytest.skip("about the SQLite file only")
    with pg.fresh_schema() as url:
        monkeypatch.setenv("POSE_SYNC_DATABASE_URL", url)
        yield "postgresql"
