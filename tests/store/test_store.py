"""The store: migrations, run matching across platforms, the ledger, crash safety of transactions."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from datetime import timedelta

import pytest

from pose_sync.importer import analyse_fit
from pose_sync.model import SourceRef
from pose_sync.store import QUALITY_FIT, QUALITY_STREAMS, Store
from pose_sync.store.schema import MIGRATIONS
from tests.conftest import sample

RUN = "jimmykane_fit-parser/running-with-developer-data.fit"


@pytest.fixture
def analysis():
    [outcome] = analyse_fit(sample(RUN).read_bytes(), SourceRef("file", RUN))
    return outcome.analysis


def test_new_store_is_private_and_at_the_latest_schema(tmp_path):
    with Store.open(tmp_path / "d") as store:
        assert store.schema_version == len(MIGRATIONS)
    assert stat.S_IMODE(os.stat(tmp_path / "d").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(tmp_path / "d" / "pose-sync.sqlite3").st_mode) == 0o600
    with Store.open(tmp_path / "d") as store:  # reopening migrates nothing and loses nothing
        assert store.schema_version == len(MIGRATIONS)


def test_a_store_from_a_newer_version_is_refused(tmp_path):
    with Store.open(tmp_path) as store:
        store.conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    from pose_sync.errors import ConfigError
    with pytest.raises(ConfigError, match="newer pose-sync"):
        Store.open(tmp_path)


def test_the_same_run_from_another_platform_is_linked_not_duplicated(tmp_path, analysis):
    with Store.open(tmp_path) as store:
        first = store.save_run(analysis, fit_sha256="a" * 64, quality=QUALITY_FIT)
        assert first.outcome == "created"
        # Strava's copy: starts 1 s later, GPS distance 2 % longer.
        strava = replace(analysis, source=SourceRef("strava", "123"),
                         start_time=analysis.start_time + timedelta(seconds=1), distance_m=analysis.distance_m * 1.02)
        linked = store.save_run(strava, fit_sha256=None, quality=QUALITY_STREAMS)
        assert linked == type(linked)(first.run_id, "linked")
        again = store.save_run(strava, fit_sha256=None, quality=QUALITY_STREAMS)
        assert again.outcome == "unchanged"
        assert store.count_runs() == 1
        [run] = store.list_runs()
        assert {s.platform for s in run.sources} == {"file", "strava"}
        assert run.quality == QUALITY_FIT  # the poorer source did not replace the FIT analysis


def test_a_richer_source_upgrades_the_analysis(tmp_path, analysis):
    with Store.open(tmp_path) as store:
        streams = replace(analysis, source=SourceRef("strava", "9"), form=replace(analysis.form, score=10.0))
        store.save_run(streams, fit_sha256=None, quality=QUALITY_STREAMS)
        result = store.save_run(analysis, fit_sha256="b" * 64, quality=QUALITY_FIT)
        assert result.outcome == "upgraded"
        assert store.get_run(result.run_id).analysis.form.score == analysis.form.score


def test_different_runs_are_not_matched(tmp_path, analysis):
    with Store.open(tmp_path) as store:
        store.save_run(analysis, fit_sha256=None, quality=QUALITY_FIT)
        later = replace(analysis, source=SourceRef("file", "other"),
                        start_time=analysis.start_time + timedelta(hours=3),
                        moving_time_s=analysis.moving_time_s + 40)
        # A copy written in local time would start exactly 3 h later; 3 h 5 min is another run.
        not_a_zone = replace(analysis, source=SourceRef("file", "other3"),
                             start_time=analysis.start_time + timedelta(hours=3, minutes=5))
        shorter = replace(analysis, source=SourceRef("file", "other2"), distance_m=analysis.distance_m / 2)
        assert store.save_run(later, fit_sha256=None, quality=QUALITY_FIT).outcome == "created"
        assert store.save_run(shorter, fit_sha256=None, quality=QUALITY_FIT).outcome == "created"
        assert store.save_run(not_a_zone, fit_sha256=None, quality=QUALITY_FIT).outcome == "created"
        assert store.count_runs() == 4


def test_analysis_round_trips_exactly(tmp_path, analysis):
    with Store.open(tmp_path) as store:
        run_id = store.save_run(analysis, fit_sha256=None, quality=QUALITY_FIT).run_id
        assert store.get_run(run_id).analysis == analysis


def test_a_failed_transaction_leaves_nothing_behind(tmp_path, analysis):
    with Store.open(tmp_path) as store:
        with pytest.raises(RuntimeError):
            with store.transaction():
                store.save_run(analysis, fit_sha256=None, quality=QUALITY_FIT)
                store.set_cursor("strava", "2026-01-01")
                raise RuntimeError("crash between steps")
        assert store.count_runs() == 0 and store.get_cursor("strava") is None


def test_ledger_and_cursors(tmp_path):
    with Store.open(tmp_path) as store:
        assert store.last_write("strava", "1", "note") is None
        store.record_write("strava", "1", "note", "h1", {"chars": 10})
        store.record_write("strava", "1", "note", "h2")
        assert store.last_write("strava", "1", "note").content_sha256 == "h2"
        assert [e.content_sha256 for e in store.ledger("strava", "note")] == ["h1", "h2"]
        store.set_cursor("garmin", "x")
        store.set_cursor("garmin", "y")
        assert store.get_cursor("garmin") == "y"


def test_blobs_are_content_addressed(tmp_path):
    with Store.open(tmp_path) as store:
        store.put_blob(b"fit bytes", "c" * 64)
        store.put_blob(b"fit bytes", "c" * 64)
        assert store.get_blob("c" * 64) == b"fit bytes"
        assert stat.S_IMODE(os.stat(store.blob_path("c" * 64).parent).st_mode) == 0o700


def test_opening_a_new_store_from_many_threads_at_once_migrates_once(tmp_path):
    import threading

    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def open_it() -> None:
        try:
            barrier.wait()
            Store.open(tmp_path / "shared").close()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Store.open(tmp_path / "shared") as store:
        assert store.schema_version == len(MIGRATIONS)


def test_a_claim_is_one_holder_at_a_time_and_a_dead_holder_blocks_nobody(tmp_path):
    import subprocess
    import sys

    from pose_sync.store import HOST

    with Store.open(tmp_path / "d") as store:
        assert store.claim("strava", "1", "me", 60, now=1000.0)
        assert not store.claim("strava", "1", f"{HOST}:{os.getpid()}:other", 60, now=1010.0)  # alive, lease runs
        assert store.claim("strava", "1", "me", 60, now=1020.0)  # the holder renews it
        assert store.claim("strava", "1", "another-host:1:x", 60, now=1081.0)  # the lease ran out
        store.release("strava", "1", "another-host:1:x")
        # a process on this machine that was killed -9 while holding a claim
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
        assert store.claim("garmin", "2", f"{HOST}:{dead.stdout.strip()}:x", 900, now=2000.0)
        assert store.claim("garmin", "2", "me", 900, now=2001.0)  # taken over at once


def test_a_store_from_before_migration_3_keeps_its_notes_settled(tmp_path):
    import sqlite3

    from pose_sync.store.schema import MIGRATIONS as ALL

    path = tmp_path / "d"
    path.mkdir(mode=0o700)
    conn = sqlite3.connect(path / "pose-sync.sqlite3", isolation_level=None)
    for migration in ALL[:2]:
        conn.executescript(migration)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO sync_items (platform, remote_id, state, updated_at)"
                 " VALUES ('strava', '1', 'stored', 'x')")
    conn.close()
    with Store.open(path) as store:
        assert store.schema_version == len(ALL)
        item = store.get_item("strava", "1")
        assert item is not None and item.first_seen_epoch is None  # seen before the settle delay existed
        store.put_item("strava", "2", "listed", now=1234.0)
        assert store.get_item("strava", "2").first_seen_epoch == 1234.0
