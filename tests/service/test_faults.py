"""Faults during work: a worker killed -9 right after Strava applied its write (before it heard back), and every
database connection dropped mid-way as a restart would: each run is still noted, and its note is there once."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from pose_sync.notes.block import BEGIN, END
from tests import pg
from tests.service.web_client import connect, event, send_event

ATHLETE = 134815


@pytest.fixture
def quick_stall(monkeypatch):
    monkeypatch.setenv("POSE_SYNC_STALLED_AFTER_S", "3")


def test_a_worker_killed_mid_job_and_lost_connections_lose_and_double_nothing(quick_stall, service):
    service.env["POSE_SYNC_STALLED_AFTER_S"] = "3"
    connect(service.url, service.strava, ATHLETE)
    ids = service.add_runs(ATHLETE, 9101, count=6, days_ago=0)
    doomed = service.start_worker(concurrency=1)
    service.strava.kill = ("PUT", f"/activities/{ids[0]}$", "after_applying", doomed.pid)
    for activity in ids:
        assert send_event(service.url, event(ATHLETE, activity)).status_code == 200
        assert send_event(service.url, event(ATHLETE, activity)).json()["status"] == "duplicate"
    service.wait_for(lambda: doomed.poll() is not None, what="the worker killed at its first write")
    assert service.strava.writes == [ids[0]]          # the write happened; the worker never heard
    time.sleep(4)                                     # its heartbeat is now older than the stall limit
    service.start_worker()
    service.start_worker()
    service.wait_for(lambda: len(set(service.strava.writes)) >= 3, what="half the notes")
    assert pg.drop_connections(service.database_url) > 0   # web and workers lose every connection at once
    for activity in ids[3:]:                          # and events keep coming
        sent = time.time()
        assert send_event(service.url, event(ATHLETE, activity, "update", type="Run")).status_code == 200
        assert time.time() - sent < 2.0   # answered in time for Strava, connections lost or not
    service.wait_for(lambda: set(service.strava.writes) == set(ids), timeout=90, what="every note")
    time.sleep(2)
    assert service.strava.writes.count(ids[0]) == 1       # the killed worker's write was not made again
    for activity in ids:
        text = service.strava.activities[activity].description
        # one note each: the athlete's words, then our block once (a note re-rendered because an earlier run
        # arrived meanwhile replaces the block, it never adds one)
        assert text.startswith("My own words.") and text.count(BEGIN) == 1 and text.count(END) == 1

    # an activity deleted on Strava leaves the store (Strava's terms), the others stay
    assert send_event(service.url, event(ATHLETE, ids[-1], "delete")).status_code == 200
    engine = sa.create_engine(service.database_url.replace("postgresql://", "postgresql+psycopg://"))

    def sources() -> set[str]:
        with engine.connect() as db:
            return {r[0] for r in db.exec_driver_sql("SELECT remote_id FROM run_sources WHERE platform = 'strava'")}

    try:
        service.wait_for(lambda: str(ids[-1]) not in sources(), what="the deleted activity to leave the store")
        assert sources() == {str(a) for a in ids[:-1]}
    finally:
        engine.dispose()
