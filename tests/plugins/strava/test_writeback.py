"""Write-back on a real phone, against the fake Strava: settle first, re-read before the write, read back
after it, restore a note an app save removed once, then respect the athlete; late uploads; revoked access."""

from __future__ import annotations

import logging
import os
import stat
import time
from datetime import datetime, timedelta, timezone

import pytest
from pose_sync_strava.webhook import EventWorker, create_app

from pose_sync.cli import main
from pose_sync.config import Config
from pose_sync.notes import BEGIN
from pose_sync.store import Store
from pose_sync.sync import Pipeline
from tests.conftest import NO_SETTLE, NO_SETTLE_TOML
from tests.fakes.strava_app import FakeActivity
from tests.plugins.strava.conftest import ATHLETE_TEXT, strava_config

SETTLE_10 = Config.model_validate({"notes": {"settle_minutes": 10}})
TYPED = ATHLETE_TEXT + "\r\nSplits felt even, 4:55 average."  # what the athlete adds in the app
PUT_101 = r"^/api/v3/activities/101$"


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def sync(strava, config: Config = NO_SETTLE, at: float | None = None):
    connector = strava.connector()
    clock = time.time if at is None else (lambda: at)
    with Store.open(strava.data_dir) as store:
        result = Pipeline(store, config, echo=lambda _: None, clock=clock).sync(connector)
    connector.close()
    return result


def event(activity_id: int, aspect: str = "create", updates: dict | None = None, at: float | None = None) -> dict:
    return {"aspect_type": aspect, "event_time": int(at or time.time()), "object_id": activity_id,
            "object_type": "activity", "owner_id": 134815, "subscription_id": 131300, "updates": updates or {}}


def reads_of(strava, activity_id: int) -> list[str]:
    return strava.state.requests_to(rf"^GET /api/v3/activities/{activity_id}(\?|$)")


# --- 4: settle before writing ---------------------------------------------------------------------------

def test_sync_stores_a_settling_run_at_once_and_leaves_its_note_to_the_next_sync(strava, capsys):
    strava.config_path.write_text(strava_config(strava.state).replace(NO_SETTLE_TOML, ""))  # the default: 10 min
    code, out, err = run_cli(["sync", "--platform", "strava", "--dry-run"], capsys)
    assert code == 0, err
    assert out.count("would write the description of") == 2 and "(after the settle delay, in 10 min)" in out
    assert out.endswith("dry run: strava: 2 new, 1 skipped, 0 failed, 0 note(s) written; 2 of the notes would wait"
                        " 10 min for the athlete's edits to settle (a real sync stores the runs now and the next sync"
                        " writes those notes)\n")
    read_by_dry_run = len(reads_of(strava, 101))
    code, out, err = run_cli(["sync", "--platform", "strava"], capsys)
    assert code == 0, err
    assert out == ("strava: 0 new, 1 skipped, 0 failed, 0 note(s) written; 2 more stored, note(s) in 10 min once"
                   " the athlete's edits have settled: the next sync writes them\n")
    assert not strava.state.requests_to("^PUT") and len(reads_of(strava, 101)) == read_by_dry_run  # not read yet
    with Store.open(strava.data_dir) as store:
        assert store.count_runs() == 2  # stored and analysed now
        assert store.get_cursor("strava") is None  # the cursor does not pass a settling run
    log_size = len(strava.state.log)
    five_min = sync(strava, SETTLE_10, at=time.time() + 5 * 60)
    assert five_min.summary()["settling"] == 2 and not strava.state.requests_to("^PUT")
    assert len(strava.state.log) == log_size + 1  # the listing only: nothing is fetched twice
    settled = sync(strava, SETTLE_10, at=time.time() + 11 * 60)
    assert settled.summary()["notes_written"] == 2 and settled.summary()["new"] == 2
    assert strava.state.activities[101].description.startswith(ATHLETE_TEXT + "\r\n\r\n" + BEGIN)
    with Store.open(strava.data_dir) as store:
        assert store.get_cursor("strava") == "2018-10-21T09:00:00+00:00"  # past the ride too


def test_serve_holds_an_event_in_the_queue_until_it_has_settled(strava):
    web = create_app(strava.data_dir, strava.settings, settle_s=600).test_client()
    now = time.time()
    assert web.post("/webhook", json=event(101, at=now)).status_code == 200
    early = EventWorker(strava.data_dir, SETTLE_10, strava.settings, clock=lambda: now + 60)
    assert early.process_pending() is None
    assert strava.state.log == []  # a delayed job: nothing fetched, nothing written
    assert early.next_due_in() == pytest.approx(540, abs=5)
    with Store.open(strava.data_dir) as store:
        assert len(store.pending_events("strava")) == 1 and store.pending_events("strava", now + 60) == []
    EventWorker(strava.data_dir, SETTLE_10, strava.settings, clock=lambda: now + 601).process_pending()
    assert strava.state.activities[101].description.count(BEGIN) == 1
    assert strava.state.writes == [101]


# --- 5 and 6: the athlete between our read and our write, and after our write ------------------------------

def test_text_typed_between_our_read_and_our_write_is_kept(strava):
    """The webhook path reads the activity first (is it a run?), fetches and analyses, then writes: the athlete
    types in between. The description is read again just before the write and our block goes into the new text."""
    strava.state.on("GET", PUT_101, lambda s: s.athlete_types(101, TYPED))  # after our first read of it
    create_app(strava.data_dir, strava.settings).test_client().post("/webhook", json=event(101))
    EventWorker(strava.data_dir, NO_SETTLE, strava.settings).process_pending()
    text = strava.state.activities[101].description
    assert text.startswith(TYPED + "\r\n\r\n" + BEGIN) and text.count(BEGIN) == 1
    assert text[:len(TYPED)] == TYPED  # byte for byte
    assert strava.state.writes == [101]


def test_a_note_an_app_save_removed_comes_back_once_and_only_once(strava):
    # the app saves an edit screen opened before our write: the athlete's new text, without our note
    strava.state.on("PUT", PUT_101, lambda s: s.athlete_types(101, TYPED))
    first = sync(strava)
    assert first.summary()["notes_written"] == 2
    assert strava.state.activities[101].description == TYPED  # wiped, and no webhook tells us
    second = sync(strava)
    assert second.summary()["restored"] == 1
    restored = strava.state.activities[101].description
    assert restored.startswith(TYPED + "\r\n\r\n" + BEGIN) and restored.count(BEGIN) == 1
    with Store.open(strava.data_dir) as store:
        assert [e.detail.get("restored") for e in store.ledger("strava", "note") if e.remote_id == "101"] == [
            None, True]
    # the athlete removes it again: that is their choice, recorded, and never fought
    strava.state.athlete_types(101, TYPED + "\r\nNo notes on this one please.")
    third = sync(strava)
    assert third.summary()["respected"] == 1 and third.summary()["notes_written"] == 0
    assert strava.state.activities[101].description == TYPED + "\r\nNo notes on this one please."
    with Store.open(strava.data_dir) as store:
        [respected] = store.ledger("strava", "note_respected")
        assert respected.remote_id == "101" and "removed again" in respected.detail["reason"]
    # re-syncing writes nothing, and reads nothing beyond the listing
    writes, log_size = list(strava.state.writes), len(strava.state.log)
    for _ in range(2):
        assert sync(strava).summary()["notes_written"] == 0
    assert strava.state.writes == writes == [101, 102, 101]
    assert all("athlete/activities" in line for line in strava.state.log[log_size:])


def test_a_note_removed_more_than_48_hours_after_our_write_is_left_alone(strava):
    sync(strava)
    strava.state.athlete_types(101, ATHLETE_TEXT)
    log_size = len(strava.state.log)
    late = sync(strava, at=time.time() + 49 * 3600)
    assert late.summary()["restored"] == 0 and strava.state.activities[101].description == ATHLETE_TEXT
    assert not reads_of(strava, 101)[1:] and len(strava.state.log) == log_size + 1  # not even read


# --- 7: late uploads ----------------------------------------------------------------------------------------

def test_a_run_uploaded_4_days_late_is_synced_by_cron(strava, capsys):
    code, _, err = run_cli(["sync", "--platform", "strava"], capsys)
    assert code == 0, err
    newest = strava.state.activities[103].start_date  # the newest activity synced (a ride)
    strava.state.add(FakeActivity(106, strava.state.activities[101].fit_path, newest - timedelta(days=4),
                                  description="Watch synced late"))
    code, out, err = run_cli(["sync", "--platform", "strava"], capsys)
    assert code == 0, err
    assert out.startswith("strava: 1 new, 0 skipped, 0 failed, 1 note(s) written")
    assert strava.state.activities[106].description.startswith("Watch synced late\n\n" + BEGIN)
    _, out, _ = run_cli(["doctor"], capsys)
    text = " ".join(out.split())
    assert "strava: look-back each sync lists from 2018-09-23, 28 days before the newest activity synced" in text


# --- 8 and 9: access revoked, then granted again with --code ------------------------------------------------

def test_events_received_while_access_is_revoked_are_processed_after_re_authorising(strava, capsys):
    strava.state.access_tokens.clear()
    strava.state.refresh_tokens.clear()  # the athlete revoked pose-sync on strava.com
    web = create_app(strava.data_dir, strava.settings).test_client()
    for activity_id in (101, 102):
        web.post("/webhook", json=event(activity_id))
    worker = EventWorker(strava.data_dir, NO_SETTLE, strava.settings)
    worker.process_pending()
    with Store.open(strava.data_dir) as store:
        assert len(store.pending_events("strava")) == 2  # kept, not failed
    calls = len(strava.state.log)
    worker.process_pending()
    assert len(strava.state.log) == calls  # nothing is tried again until the tokens change
    code, out, _ = run_cli(["doctor"], capsys)
    text = " ".join(out.split())
    assert "2 webhook event(s) queued; waiting because: strava: the saved authorisation was revoked" in text
    strava.state.codes.add("auth-code-2")
    code, out, err = run_cli(["auth", "strava", "--code", "auth-code-2"], capsys)
    assert code == 0, err
    worker.process_pending()  # the running `serve` picks them up on its next round
    for activity_id in (101, 102):
        assert strava.state.activities[activity_id].description.count(BEGIN) == 1
    with Store.open(strava.data_dir) as store:
        assert store.pending_events("strava") == []


def test_events_that_failed_before_are_queued_again_by_auth(strava, capsys):
    with Store.open(strava.data_dir) as store:  # a store from before: auth failures marked failed
        event_id, _ = store.enqueue_event("strava", event(101))
        store.finish_event(event_id, "failed", "strava: access was refused")
    strava.state.codes.add("auth-code-2")
    code, out, _ = run_cli(["auth", "strava", "--code", "auth-code-2"], capsys)
    assert code == 0 and "1 webhook event(s) that could not be processed are queued again" in out
    EventWorker(strava.data_dir, NO_SETTLE, strava.settings).process_pending()
    assert strava.state.activities[101].description.count(BEGIN) == 1


def test_doctor_is_green_after_auth_with_a_pasted_code(strava, capsys):
    (strava.data_dir / "tokens" / "strava.json").unlink()
    code, _, err = run_cli(["auth", "strava", "--code", "auth-code-ok"], capsys)
    assert code == 0, err
    code, out, _ = run_cli(["doctor"], capsys)
    assert code == 0 and "FAIL" not in out, out
    assert "not recorded (connected with --code)" in " ".join(out.split())
    # the whole address from the browser says what was granted
    strava.state.codes.add("auth-code-2")
    url = "http://localhost:8731/authorized?state=&code=auth-code-2&scope=read,activity:write,activity:read_all"
    code, _, err = run_cli(["auth", "strava", "--code", url], capsys)
    assert code == 0, err and strava.tokens().scope == "read,activity:write,activity:read_all"
    strava.state.codes.add("auth-code-3")
    run_cli(["auth", "strava", "--code", url.replace("auth-code-2", "auth-code-3").replace(",activity:write", "")],
            capsys)
    code, out, _ = run_cli(["doctor"], capsys)
    assert code == 1 and "granted read,activity:read_all: notes need activity:write" in " ".join(out.split())


# --- 12 and 13: private folders, and a failure doctor tells as it was ----------------------------------------

def test_auth_on_a_fresh_machine_leaves_every_folder_private(strava, tmp_path, monkeypatch, capsys):
    home = tmp_path / "fresh" / "home"
    data_dir = home / ".local" / "share" / "pose-sync"
    monkeypatch.setenv("POSE_SYNC_HOME", str(data_dir))
    old = os.umask(0o022)
    try:
        code, _, err = run_cli(["auth", "strava", "--code", "auth-code-ok"], capsys)
    finally:
        os.umask(old)
    assert code == 0, err
    for folder in (tmp_path / "fresh", home, home / ".local", home / ".local" / "share", data_dir,
                   data_dir / "tokens"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stat.S_IMODE((data_dir / "tokens" / "strava.json").stat().st_mode) == 0o600


def test_a_data_folder_others_can_read_is_made_private(strava, capsys, caplog):
    caplog.set_level(logging.WARNING)
    os.chmod(strava.data_dir, 0o755)
    code, _, err = run_cli(["auth", "strava", "--code", "auth-code-ok"], capsys)
    assert code == 0, err
    assert stat.S_IMODE(strava.data_dir.stat().st_mode) == 0o700
    assert f"data folder {strava.data_dir} could be read by others (mode 755); made it private (700)" in caplog.text


def test_doctor_after_a_sync_that_lost_the_connection_shows_that_failure(strava, monkeypatch, capsys):
    for key in ("HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(key, "http://127.0.0.1:9")  # nothing listens: the connection drops
    code, out, err = run_cli(["sync", "--platform", "strava"], capsys)
    assert code == 1 and err.count("\n") == 1 and "cannot reach www.strava.com" in err and "Traceback" not in err
    code, out, _ = run_cli(["doctor"], capsys)
    text = " ".join(out.split())
    assert code == 1 and "did not finish" not in text
    assert "FAIL strava: last sync" in text and "failed: 0 new" in text and "stopped: strava: cannot reach" in text


def test_an_activity_edited_from_ride_to_run_is_synced_and_a_title_edit_costs_nothing(strava):
    strava.state.add(FakeActivity(107, strava.state.activities[101].fit_path, datetime(2019, 1, 5, tzinfo=timezone.utc),
                                  sport_type="Ride", description="Logged as a ride by mistake"))
    sync(strava)
    with Store.open(strava.data_dir) as store:
        assert store.get_item("strava", "107").state == "skipped"
    web = create_app(strava.data_dir, strava.settings).test_client()
    web.post("/webhook", json=event(107, "update", {"title": "Easy run"}))
    log_size = len(strava.state.log)
    EventWorker(strava.data_dir, NO_SETTLE, strava.settings).process_pending()
    assert not [line for line in strava.state.log[log_size:] if "/107" in line]  # a title edit: not fetched
    strava.state.activities[107].sport_type = "Run"
    web.post("/webhook", json=event(107, "update", {"type": "Run"}))
    EventWorker(strava.data_dir, NO_SETTLE, strava.settings).process_pending()
    assert strava.state.activities[107].description.startswith("Logged as a ride by mistake\n\n" + BEGIN)
