"""Automatic post-run sync: Strava's webhook, a durable queue, and a worker running the pipeline."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from pose_sync_strava.webhook import EventWorker, create_app, run_worker
from waitress.server import create_server

from pose_sync.cli import main
from pose_sync.notes import BEGIN
from pose_sync.store import Store
from tests.conftest import NO_SETTLE
from tests.fakes.strava_app import FakeActivity
from tests.plugins.strava.conftest import ATHLETE_TEXT

BIN = Path(sys.executable).parent

EVENT = {"aspect_type": "create", "event_time": 1725991232, "object_id": 101, "object_type": "activity",
         "owner_id": 134815, "subscription_id": 131300, "updates": {}}


def client(strava):
    return create_app(strava.data_dir, strava.settings).test_client()


def test_validation_answers_the_challenge_only_with_the_right_token(strava):
    web = client(strava)
    ok = web.get("/webhook", query_string={"hub.mode": "subscribe", "hub.challenge": "15f7d1a91c1f40",
                                           "hub.verify_token": "verify-me-please"})
    assert ok.status_code == 200 and ok.get_json() == {"hub.challenge": "15f7d1a91c1f40"}
    for token in ("wrong", "", "verify-me-pleasE", "verify-me-please-and-more"):
        refused = web.get("/webhook", query_string={"hub.mode": "subscribe", "hub.challenge": "x",
                                                    "hub.verify_token": token})
        assert refused.status_code == 403 and b"x" not in refused.data
    assert web.get("/webhook", query_string={"hub.challenge": "x", "hub.verify_token": "verify-me-please"}
                   ).status_code == 403


def test_events_are_queued_before_the_answer_and_nothing_else_happens_then(strava):
    web = client(strava)
    reply = web.post("/webhook", json=EVENT)
    assert reply.status_code == 200 and reply.get_json() == {"status": "queued"}
    assert strava.state.log == []  # the answer does not wait for Strava: processing is the worker's
    with Store.open(strava.data_dir) as store:
        [(event_id, payload, attempts)] = store.pending_events("strava")
        assert payload == EVENT and attempts == 0
    assert web.post("/webhook", data="not json", content_type="application/json").status_code == 400
    assert web.post("/webhook", json={**EVENT, "object_type": "club"}).status_code == 400


def test_an_event_for_a_new_run_ends_with_its_description_written(strava):
    client(strava).post("/webhook", json=EVENT)
    assert EventWorker(strava.data_dir, NO_SETTLE, strava.settings).process_pending() is None
    description = strava.state.activities[101].description
    assert description.startswith(ATHLETE_TEXT) and description.count(BEGIN) == 1
    with Store.open(strava.data_dir) as store:
        assert store.pending_events("strava") == [] and store.count_runs() == 1
    # the same event delivered again (Strava retries) changes nothing
    client(strava).post("/webhook", json=EVENT)
    EventWorker(strava.data_dir, NO_SETTLE, strava.settings).process_pending()
    assert strava.state.activities[101].description == description


def test_a_restart_between_event_and_processing_loses_nothing(strava):
    client(strava).post("/webhook", json=EVENT)  # received, then the process dies before processing
    restarted = EventWorker(strava.data_dir, NO_SETTLE, strava.settings)  # a new process, a new worker
    restarted.process_pending()
    assert strava.state.activities[101].description.count(BEGIN) == 1


def test_events_for_other_athletes_and_subscriptions_are_refused_or_ignored(strava):
    web = client(strava)
    with Store.open(strava.data_dir) as store:
        store.set_cursor("strava:subscription_id", "131300")
    assert web.post("/webhook", json={**EVENT, "subscription_id": 999}).status_code == 403
    web.post("/webhook", json={**EVENT, "owner_id": 42})
    EventWorker(strava.data_dir, NO_SETTLE, strava.settings).process_pending()
    assert strava.state.log == []  # another athlete's activity is never fetched


def test_deauthorisation_deletes_the_tokens(strava):
    web = client(strava)
    web.post("/webhook", json={"aspect_type": "update", "event_time": 1516126040, "object_id": 134815,
                               "object_type": "athlete", "owner_id": 134815, "subscription_id": 131300,
                               "updates": {"authorized": "false"}})
    EventWorker(strava.data_dir, NO_SETTLE, strava.settings).process_pending()
    assert strava.tokens() is None and not (strava.data_dir / "tokens" / "strava.json").exists()


@pytest.fixture
def served(strava):
    """The webhook app on a real local server, with the background worker, as `pose-sync serve` runs them."""
    wake, stop = threading.Event(), threading.Event()
    server = create_server(create_app(strava.data_dir, strava.settings, wake), host="127.0.0.1", port=0)
    threading.Thread(target=server.run, daemon=True).start()
    worker = threading.Thread(target=run_worker, args=(EventWorker(strava.data_dir, NO_SETTLE, strava.settings),
                                                       wake, stop), daemon=True)
    worker.start()
    yield f"http://127.0.0.1:{server.effective_port}/webhook"
    stop.set()
    wake.set()
    server.close()
    worker.join(timeout=10)


def test_serve_processes_a_pushed_event_within_seconds(strava, served):
    direct = requests.Session()
    direct.trust_env = False  # Strava calls us directly
    assert direct.post(served, json=EVENT, timeout=10).status_code == 200
    deadline = time.monotonic() + 60          # generous: a loaded CI machine, not a timing test
    while time.monotonic() < deadline:
        if (strava.state.activities[101].description or "").count(BEGIN):
            break
        time.sleep(0.1)
    assert strava.state.activities[101].description.count(BEGIN) == 1


def test_subscription_commands(strava, served, capsys):
    def cli(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as info:
            main(list(args))
        out, err = capsys.readouterr()
        return int(info.value.code or 0), out, err

    code, out, err = cli("strava", "subscribe", "--callback-url", served)
    assert code == 0, err
    assert "Subscribed" in out and served in out and len(strava.state.subscriptions) == 1
    with Store.open(strava.data_dir) as store:
        assert store.get_cursor("strava:subscription_id") == str(next(iter(strava.state.subscriptions)))
    code, out, _ = cli("strava", "subscriptions")
    assert code == 0 and served in out
    code, out, _ = cli("strava", "unsubscribe")
    assert code == 0 and strava.state.subscriptions == {}
    code, _, err = cli("strava", "unsubscribe")
    assert code == 1 and "no push subscription" in err


def _new_runs(strava, ids, start):
    path = strava.state.activities[101].fit_path
    for k, activity_id in enumerate(ids):
        strava.state.add(FakeActivity(activity_id, path, start + timedelta(days=k), name=f"Run {k}",
                                      description=f"Run {k} of the block."))


def _event(activity_id, aspect="create", updates=None):
    return {**EVENT, "object_id": activity_id, "aspect_type": aspect, "updates": updates or {},
            "event_time": int(time.time())}


def test_serve_and_a_cron_sync_side_by_side_write_each_note_once(strava, served):
    """The webhook worker and a real `pose-sync sync` process work on the same four new runs at once."""
    _new_runs(strava, (104, 105), datetime(2018, 11, 1, tzinfo=timezone.utc))
    # Hold the worker's fetch of 101 until the other process has moved: either it fetches 101 too
    # (no shared claim: both write), or it skipped 101 and fetches another run (the claim held).
    moved = threading.Event()
    strava.state.on("GET", r"^/api/v3/activities/101/streams$", lambda s: moved.wait(timeout=20), when="before")
    strava.state.on("GET", r"^/api/v3/activities/101/streams$", lambda s: moved.set(), when="before", skip=1)
    strava.state.on("GET", r"^/api/v3/activities/10[245]/streams$", lambda s: moved.set(), when="before")
    direct = requests.Session()
    direct.trust_env = False
    for activity_id in (101, 102, 104, 105):
        assert direct.post(served, json=_event(activity_id), timeout=2).status_code == 200
    cron = subprocess.run([str(BIN / "pose-sync"), "sync", "--platform", "strava"], env=dict(os.environ),
                          capture_output=True, text=True, timeout=120)
    assert cron.returncode == 0, cron.stderr
    for _ in range(200):
        if all((strava.state.activities[i].description or "").count(BEGIN) for i in (101, 102, 104, 105)):
            break
        time.sleep(0.1)
    for activity_id in (101, 102, 104, 105):
        assert strava.state.writes.count(activity_id) == 1, f"{activity_id} written {strava.state.writes}"
        assert strava.state.activities[activity_id].description.count(BEGIN) == 1
    # events the worker left to the sync finish without a fetch (what it reads now is each note's later check)
    log_size = len(strava.state.log)
    EventWorker(strava.data_dir, NO_SETTLE, strava.settings, clock=lambda: time.time() + 120).process_pending()
    assert not [line for line in strava.state.log[log_size:] if "/streams" in line or line.startswith("PUT")]
    with Store.open(strava.data_dir) as store:
        assert store.pending_events("strava") == []
        assert store.conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0


def test_a_burst_of_duplicate_and_update_events_costs_one_fetch_per_new_run(strava):
    """200 events: 14 new runs, each create delivered 6 times, title and privacy edits on them and on older runs."""
    new = list(range(3000, 3014))
    _new_runs(strava, new, datetime(2021, 5, 1, tzinfo=timezone.utc))
    burst = []
    for activity_id in new:
        burst += [_event(activity_id)] * 6
        burst += [_event(activity_id, "update", {"title": "Tempo"}), _event(activity_id, "update", {"private": "true"})]
    burst += [_event(101 + k % 2, "update", {"title": f"Run {k}"} if k % 3 else {"private": "false"})
              for k in range(200 - len(burst))]
    assert len(burst) == 200
    web = client(strava)
    for item in burst:
        assert web.post("/webhook", json=item).status_code == 200
    assert strava.state.log == []
    EventWorker(strava.data_dir, NO_SETTLE, strava.settings).process_pending()
    reads = strava.state.requests_to(r"^GET /api/v3/")
    for activity_id in new:
        assert strava.state.writes.count(activity_id) == 1
        assert len(strava.state.requests_to(rf"^GET /api/v3/activities/{activity_id}/streams")) == 1
        # is it a run (the event names only the id), then its description again just before the write
        assert len(strava.state.requests_to(rf"^GET /api/v3/activities/{activity_id}\?")) == 2
    assert not strava.state.requests_to(r"/activities/10[12]")  # a title or privacy edit costs nothing
    assert len(reads) == 3 * len(new) + 1  # and one for the shoe
    assert len(strava.state.log) == len(reads) + len(new)  # plus one write per run: 57 requests in all
    with Store.open(strava.data_dir) as store:
        assert store.pending_events("strava") == []
