"""Two athletes in one database: each store sees only its own athlete's rows, and deleting one leaves the other."""

from __future__ import annotations

import os

import pytest

from pose_sync.importer import analyse_fit
from pose_sync.model import SourceRef
from pose_sync.store import QUALITY_FIT, Store
from tests.conftest import sample

RUN = "jimmykane_fit-parser/running-with-developer-data.fit"


def test_athletes_in_one_database_never_see_each_other(tmp_path, backend):
    if backend != "postgresql":
        pytest.skip("a shared database is PostgreSQL's")
    [outcome] = analyse_fit(sample(RUN).read_bytes(), SourceRef("strava", "1"))
    url = os.environ["POSE_SYNC_DATABASE_URL"]
    a = Store.open_database(url, data_dir=tmp_path / "a", home="a", blobs="database")
    b = Store.open_database(url, data_dir=tmp_path / "b", home="b", blobs="database")
    with a, b:
        run_id = a.save_run(outcome.analysis, fit_sha256="f" * 64, quality=QUALITY_FIT).run_id
        a.put_blob(b"a's file", "f" * 64)
        a.put_item("strava", "1", "done", run_id=run_id)
        a.set_cursor("strava", "x")
        a.record_write("strava", "1", "note", "h")
        # the same activity id and file for b are b's own rows, not a's
        assert b.find_source(SourceRef("strava", "1")) is None and b.count_runs() == 0
        with pytest.raises(KeyError):
            b.get_run(run_id)
        with pytest.raises(FileNotFoundError):
            b.get_blob("f" * 64)
        assert b.get_item("strava", "1") is None and b.get_cursor("strava") is None and b.ledger() == []
        b.save_run(outcome.analysis, fit_sha256=None, quality=QUALITY_FIT)
        assert b.count_runs() == 1 and a.count_runs() == 1
        removed = a.delete_everything()
        assert removed["runs"] == 1 and removed["blob_data"] == 1 and a.rows_owned() == 0
        assert b.count_runs() == 1 and b.rows_owned() > 0

