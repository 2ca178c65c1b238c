"""Automatic post-run sync: Strava's webhook, a durable queue, and a worker running the pipeline."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from pose_sync_strava.webhook import EventWorker, create_app, run_worker
from waitress.server import create_server

from pose_sync.cli import main
from pose_sync.notes import BEGIN
from pose_sync.store import Store
from tests.conftest import NO_SETTLE
from tests.plugins.strava.conftest import ATHLETE_TEXT

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
    assert direct.post(served, json=EVENT, timeout=2).status_code == 200
    for _ in range(100):
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
