"""The Strava connector through the real stravalib: auth, refresh, pull, streams, notes, errors, rate limits."""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from pose_sync.cli import main
from pose_sync.errors import AuthError, RateLimited
from pose_sync.notes import BEGIN, extract
from pose_sync.store import QUALITY_STREAMS, Store
from pose_sync.sync import Pipeline
from tests.conftest import NO_SETTLE
from tests.fakes.strava_app import FakeActivity
from tests.plugins.strava.conftest import ATHLETE_TEXT, assert_no_secrets


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def sync(strava, **kwargs):
    connector = strava.connector()
    with Store.open(strava.data_dir) as store:
        result = Pipeline(store, NO_SETTLE, echo=kwargs.pop("echo", lambda _: None), **kwargs).sync(connector)
    connector.close()
    return result


def test_auth_with_a_pasted_code_saves_tokens_owner_only(strava, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    (strava.data_dir / "tokens" / "strava.json").unlink()
    code, out, err = run_cli(["auth", "strava", "--code", "auth-code-ok"], capsys)
    assert code == 0, err
    assert "Connected to Strava as Daniel Block" in out
    path = strava.data_dir / "tokens" / "strava.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    saved = json.loads(path.read_text())
    assert saved["access_token"] == "access-token-2" and saved["athlete_id"] == 134815
    assert_no_secrets(out, err, caplog.text)
    code, _, err = run_cli(["auth", "strava", "--code", "auth-code-ok"], capsys)  # a code works once
    assert code == 1 and "authorisation code was refused" in err and "pose-sync auth strava" in err


def test_auth_catches_the_browser_redirect_on_localhost(strava, capsys):
    port = 18731
    result: dict[str, int] = {}
    thread = threading.Thread(target=lambda: result.setdefault(
        "code", _exit_code(["auth", "strava", "--no-browser", "--port", str(port)])))
    thread.start()
    browser = requests.Session()
    browser.trust_env = False  # the athlete's browser is not behind the test proxy
    for _ in range(50):
        try:
            reply = browser.get(f"http://127.0.0.1:{port}/authorized", timeout=2, params={
                "state": "", "code": "auth-code-ok", "scope": "read,activity:write,activity:read_all"})
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    thread.join(timeout=30)
    assert reply.status_code == 200 and b"connected to Strava" in reply.content
    assert result["code"] == 0
    assert strava.tokens().scope == "read,activity:write,activity:read_all"
    out, err = capsys.readouterr()
    assert "https://www.strava.com/oauth/authorize?client_id=24523" in err and "activity%3Awrite" in err


def _exit_code(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exit_info:
        return int(exit_info.code or 0)
    return 0


def test_an_expired_token_is_refreshed_and_the_new_pair_persisted(strava, caplog):
    caplog.set_level(logging.DEBUG)
    strava.save_tokens(expires_in=-60)
    result = sync(strava)
    assert result.count("done") == 2
    assert strava.state.requests_to(r"^POST /oauth/token") == ["POST /oauth/token"]
    tokens = strava.tokens()
    assert (tokens.access_token, tokens.refresh_token) == ("access-token-2", "refresh-token-2")
    assert tokens.expires_at > time.time() + 3600
    assert "refresh-token-1" not in strava.state.refresh_tokens  # rotated: the old one is gone
    assert_no_secrets(caplog.text)


def test_a_revoked_authorisation_is_one_clear_line(strava, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    strava.state.access_tokens.clear()
    strava.state.refresh_tokens.clear()
    code, out, err = run_cli(["sync", "--platform", "strava"], capsys)
    assert code == 1
    assert ("error: strava: the saved authorisation was revoked or has expired"
            " (run `pose-sync auth strava` again)") in err
    assert "Traceback" not in err
    assert_no_secrets(out, err, caplog.text)


def test_401_refreshes_once_then_retries(strava):
    strava.state.fail_next("GET", r"^/api/v3/athlete/activities", 401)
    result = sync(strava)
    assert result.count("done") == 2
    assert len(strava.state.requests_to("POST /oauth/token")) == 1


def test_listing_pages_through_all_activities_oldest_first(strava):
    start = datetime(2020, 1, 1, tzinfo=timezone.utc)
    for k in range(450):
        strava.state.add(FakeActivity(10_000 + k, None, start + timedelta(hours=k), distance=5000.0))
    connector = strava.connector()
    listed = list(connector.list_activities(None))
    connector.close()
    assert len(listed) == 453
    assert [a.start_time for a in listed] == sorted(a.start_time for a in listed)
    pages = strava.state.requests_to(r"^GET /api/v3/athlete/activities")
    assert len(pages) == 3 and all("per_page=200" in p and "after=" in p for p in pages)
    assert {a.sport for a in listed} == {"running", "cycling"}


def test_streams_become_an_analysed_run_with_per_leg_cadence_doubled(strava):
    sync(strava)
    with Store.open(strava.data_dir) as store:
        runs = {s.remote_id: r for r in store.list_runs() for s in r.sources}
    run = runs["101"]
    assert run.quality == QUALITY_STREAMS and run.samples_sha256
    a = run.analysis
    # the FIT file's own session average (160 spm) is what Strava's per-leg stream, doubled, must give
    assert a.averages.cadence_spm == pytest.approx(159.8, abs=1.5)
    assert a.form.score is not None and "cadence_spm" in a.form.components
    assert any("Strava's streams" in w for w in a.warnings)
    streams = strava.state.requests_to(r"/streams")
    assert len(streams) == 2 and "keys=time%2Cdistance%2Cvelocity_smooth" in streams[0].replace(",", "%2C")


def test_notes_keep_the_athletes_text_and_a_second_sync_changes_nothing(strava):
    first = sync(strava)
    assert first.summary()["notes_written"] == 2 and first.count("skipped") == 1
    text = strava.state.activities[101].description
    assert text.startswith(ATHLETE_TEXT + "\r\n\r\n" + BEGIN) and text.count(BEGIN) == 1
    assert extract(text).startswith("Pose form")
    assert strava.state.activities[103].description == "Commute"  # the ride is untouched
    # fewest requests: per run one streams GET, one activity GET, one PUT; nothing for the ride
    assert len(strava.state.requests_to(r"^GET /api/v3/activities/\d+(\?|$)")) == 2
    assert len(strava.state.requests_to(r"^PUT")) == 2
    assert not strava.state.requests_to(r"activities/103")
    before = {k: a.description for k, a in strava.state.activities.items()}
    log_size = len(strava.state.log)
    second = sync(strava)
    assert second.summary()["notes_written"] == 0
    assert {k: a.description for k, a in strava.state.activities.items()} == before
    # one listing, and each note read once more: the later pass that puts back a note an app save removed
    assert strava.state.log[log_size + 1:] == ["GET /api/v3/activities/101?include_all_efforts=False",
                                               "GET /api/v3/activities/102?include_all_efforts=False"]
    log_size = len(strava.state.log)
    third = sync(strava)
    assert third.summary()["notes_written"] == 0
    assert strava.state.log[log_size:] == [strava.state.log[log_size]]  # one listing request, nothing else
    with Store.open(strava.data_dir) as store:
        assert len(store.ledger("strava", "note")) == 2


def test_a_deleted_activity_is_one_failed_item_and_the_rest_goes_on(strava, capsys):
    strava.state.fail_next("GET", r"^/api/v3/activities/101/streams", 404)
    code, out, err = run_cli(["sync", "--platform", "strava"], capsys)
    assert code == 1
    assert "error: strava:101: strava: reading the streams of activity 101 not found (deleted or private?)" in err
    assert "strava: 1 new, 1 skipped, 1 failed, 1 note(s) written" in out


def test_server_errors_fail_the_item_not_the_batch(strava, capsys):
    strava.state.fail_next("PUT", r"^/api/v3/activities/101$", 503)
    code, out, err = run_cli(["sync", "--platform", "strava"], capsys)
    assert code == 1 and "Strava had a server error (503)" in err and "try again later" in err
    code, out, _ = run_cli(["sync", "--platform", "strava"], capsys)
    assert code == 0 and "1 note(s) written" in out
    assert strava.state.activities[101].description.count(BEGIN) == 1


def test_a_429_stops_cleanly_with_the_reset_time_and_the_next_run_resumes(strava, capsys):
    strava.state.read_usage = [98, 500]  # read budget 100 per 15 minutes: two reads left
    code, out, err = run_cli(["sync", "--platform", "strava"], capsys)
    assert code == 0  # a rate limit is not a failure: the next run resumes
    assert "stopped: strava: rate limit reached: 15-minute read budget used (100/100)" in out
    assert "the next sync resumes where this one stopped" in out
    with Store.open(strava.data_dir) as store:
        assert store.get_cursor("strava") is None  # nothing finished, the cursor did not move
    calls = len(strava.state.log)
    code, out, _ = run_cli(["sync", "--platform", "strava"], capsys)
    assert len(strava.state.log) == calls, "the spent budget is known: not one request is made"
    # the quarter passes
    strava.state.read_usage = [0, 510]
    budget = strava.data_dir / "strava-budget.json"
    state = json.loads(budget.read_text())
    state["at"] = (datetime.now(timezone.utc) - timedelta(minutes=16)).isoformat()
    budget.write_text(json.dumps(state))
    code, out, _ = run_cli(["sync", "--platform", "strava"], capsys)
    assert code == 0 and "2 new" in out


def test_a_backfill_spreads_over_several_runs_and_writes_each_note_once(strava, capsys):
    start = datetime(2021, 3, 1, tzinfo=timezone.utc)
    path = strava.state.activities[101].fit_path
    for k in range(12):
        strava.state.add(FakeActivity(500 + k, path, start + timedelta(days=k), description=f"run {k}"))
    strava.state.read_limits = (10, 1000)
    runs = 0
    while True:
        runs += 1
        code, out, _ = run_cli(["sync", "--platform", "strava"], capsys)
        assert code == 0 and runs < 20
        if "stopped" not in out:
            break
        strava.state.read_usage[0] = 0
        budget = strava.data_dir / "strava-budget.json"
        state = json.loads(budget.read_text())
        state["at"] = (datetime.now(timezone.utc) - timedelta(minutes=16)).isoformat()
        budget.write_text(json.dumps(state))
    assert runs >= 4
    for activity in strava.state.activities.values():
        if activity.sport_type == "Run":
            assert activity.description.count(BEGIN) == 1, activity.id
    with Store.open(strava.data_dir) as store:
        notes = store.ledger("strava", "note")
        assert len(notes) == len({n.remote_id for n in notes}) == 14


def test_dry_run_prints_exactly_the_notes_it_would_write(strava, capsys):
    code, out, err = run_cli(["sync", "--platform", "strava", "--dry-run"], capsys)
    assert code == 0, err
    assert not strava.state.requests_to("^PUT")
    assert not (strava.data_dir / "pose-sync.sqlite3").exists()  # no store, no cursor: nothing of ours written
    shown_text = out.replace("\r\n", "\n")
    assert "would write the description of strava:101:\n" + ATHLETE_TEXT.replace("\r\n", "\n") in shown_text
    assert out.count("would write the description of") == 2
    assert "dry run: strava: 2 new" in out  # what a real sync would add (none of it is stored)
    shown = out.split("would write the description of strava:101:\n", 1)[1].split("\n\n[pose-sync]")[1]
    code, _, _ = run_cli(["sync", "--platform", "strava"], capsys)
    assert shown.split("\n[/pose-sync]")[0] in strava.state.activities[101].description.replace("\r\n", "\n")


def test_doctor_reports_the_connection(strava, capsys):
    code, out, _ = run_cli(["doctor"], capsys)
    text = " ".join(out.split())  # the table wraps long lines
    assert "strava: tokens" in text and "connected as Sam Runner" in text
    assert_no_secrets(out)


def test_rate_limited_is_never_a_silent_sleep(strava):
    strava.state.usage = [200, 500]
    connector = strava.connector()
    started = time.monotonic()
    with pytest.raises(RateLimited) as info:
        list(connector.list_activities(None))
    assert time.monotonic() - started < 5
    assert info.value.reset_at is not None and info.value.reset_at > datetime.now(timezone.utc)
    connector.close()


def test_get_activity_without_tokens_says_how_to_connect(strava):
    (strava.data_dir / "tokens" / "strava.json").unlink()
    with pytest.raises(AuthError, match="run `pose-sync auth strava` to connect") as info:
        strava.connector().get_activity("101")
    assert "again" not in str(info.value)  # never connected: nothing to do "again"
