"""The Garmin connector through the real garminconnect HTTP code, against a fake Garmin Connect."""

from __future__ import annotations

import json
import logging
import os
import stat
from datetime import date, timedelta

import pytest
from pose_sync_garmin.connector import fit_from_zip

from pose_sync.cli import main
from pose_sync.config import Config
from pose_sync.notes import BEGIN, extract
from pose_sync.store import QUALITY_FIT, Store
from pose_sync.sync import Pipeline
from pose_sync.workouts.garmin_json import to_garmin
from tests.conftest import NO_SETTLE, NO_SETTLE_TOML
from tests.fakes.garmin_app import RECORDED_ZIP, WIRE, FakeGarminActivity, utc
from tests.plugins.garmin.conftest import ATHLETE_TEXT, SHOE


def cli(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def sync(garmin):
    connector = garmin.connector()
    with Store.open(garmin.data_dir) as store:
        return Pipeline(store, NO_SETTLE, echo=lambda _: None).sync(connector)


def secrets_of(garmin) -> list[str]:
    tokens = garmin.tokens()
    return [tokens["di_token"], tokens["di_refresh_token"], "di-refresh-"]


def test_the_original_fit_file_is_analysed_with_running_dynamics(garmin):
    result = sync(garmin)
    assert result.count("done") == 2 and result.count("skipped") == 1
    with Store.open(garmin.data_dir) as store:
        runs = {s.remote_id: r for r in store.list_runs() for s in r.sources}
        run = runs["201"]
        assert run.quality == QUALITY_FIT and store.get_blob(run.fit_sha256)[8:12] == b".FIT"
        a = run.analysis
        assert set(a.form.inputs) >= {"cadence_spm", "stance_time_ms", "vertical_oscillation_cm", "vertical_ratio_pct"}
        assert a.averages.stance_time_ms == pytest.approx(271.1, abs=2)  # the watch's own session value
        assert run.gear_id == SHOE
        assert store.gear_names()[SHOE] == ("Xero HFS", 412345.0)
    assert not garmin.state.requests_to(r"download-service/files/activity/203")  # yoga: never downloaded


def test_listing_pages_oldest_first(garmin, tmp_path):
    garmin.config_path.write_text(NO_SETTLE_TOML + "[connectors.garmin]\nbackfill_days = 0\npage_size = 10\n")
    for k in range(25):
        garmin.state.add(FakeGarminActivity(300 + k, utc(2024, 1, 1) + timedelta(days=k), distance=1000.0))
    connector = garmin.connector()
    listed = list(connector.list_activities(None))
    assert len(listed) == 28
    assert [a.start_time for a in listed] == sorted(a.start_time for a in listed)
    pages = garmin.state.requests_to("activities/search/activities")
    assert [p.split("start=")[1].split("&")[0] for p in pages] == ["0", "10", "20"]
    assert all("sortOrder=asc" in p and "limit=10" in p for p in pages)


def test_notes_keep_the_athletes_text_and_a_second_sync_changes_nothing(garmin):
    first = sync(garmin)
    assert first.summary()["notes_written"] == 2
    text = garmin.state.activities[201].description
    assert text.startswith(ATHLETE_TEXT + "\n\n" + BEGIN) and text.count(BEGIN) == 1
    assert extract(garmin.state.activities[202].description).startswith("Pose form")
    puts = garmin.state.requests_to("^PUT /activity-service")
    assert len(puts) == 2
    sync(garmin)
    assert garmin.state.requests_to("^PUT /activity-service") == puts
    assert garmin.state.activities[201].description == text


def test_dry_run_shows_the_notes_and_writes_nothing(garmin, capsys):
    code, out, err = cli(["sync", "--platform", "garmin", "--dry-run"], capsys)
    assert code == 0, err
    assert "would write the description of garmin:201:\n" + ATHLETE_TEXT + "\n\n[pose-sync]\nPose form" in out
    assert "would write the description of garmin:202:\n[pose-sync]\nPose form" in out
    assert not garmin.state.requests_to("^PUT")
    assert garmin.state.activities[201].description == ATHLETE_TEXT


def test_an_expired_token_is_refreshed_through_the_proxy_and_kept_owner_only(garmin, caplog):
    caplog.set_level(logging.DEBUG)
    old = garmin.save_tokens(expires_in=-10)
    result = sync(garmin)
    assert result.count("done") == 2
    assert garmin.state.requests_to("POST diauth/token")
    tokens = garmin.tokens()
    assert tokens["di_token"] != old and tokens["di_refresh_token"] == "di-refresh-2"
    assert stat.S_IMODE(os.stat(garmin.token_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(garmin.token_file.parent).st_mode) == 0o700
    for secret in [old, *secrets_of(garmin)]:
        assert secret not in caplog.text


def test_revoked_access_is_one_clear_line(garmin, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    garmin.state.access_tokens.clear()
    garmin.state.refresh_tokens.clear()
    code, out, err = cli(["sync", "--platform", "garmin"], capsys)
    assert code == 1
    assert "error: garmin: the saved sign-in was refused or has expired (run `pose-sync auth garmin` again)" in err
    assert "Traceback" not in err and err.count("\n") <= 1
    for secret in secrets_of(garmin):
        assert secret not in out + err + caplog.text


def test_429_stops_cleanly_and_5xx_fails_only_the_activity(garmin, capsys):
    garmin.state.fail_next("GET", r"^/activitylist-service", 429)
    code, out, err = cli(["sync", "--platform", "garmin"], capsys)
    assert code == 0 and "stopped: garmin: rate limit reached: Garmin answered 429" in out
    garmin.state.fail_next("GET", r"^/download-service/files/activity/201", 503)
    code, out, err = cli(["sync", "--platform", "garmin"], capsys)
    assert code == 1 and "Garmin Connect had a server error (503)" in err
    assert "garmin: 1 new, 1 skipped, 1 failed" in out
    code, out, _ = cli(["sync", "--platform", "garmin"], capsys)
    assert code == 0 and "1 new" in out


def test_a_deleted_activity_is_not_found(garmin, capsys):
    garmin.state.fail_next("GET", r"^/download-service/files/activity/202", 404)
    code, _, err = cli(["sync", "--platform", "garmin"], capsys)
    assert code == 1 and "garmin: downloading activity 202 not found (deleted or private?)" in err


def test_the_recorded_original_download_unzips_to_its_fit_file():
    data = fit_from_zip(RECORDED_ZIP, "11998957007")
    assert data[8:12] == b".FIT" and len(data) == 88212


def test_import_tokens_adopts_an_existing_store(garmin, tmp_path, capsys):
    elsewhere = tmp_path / "garminconnect"
    elsewhere.mkdir()
    (elsewhere / "garmin_tokens.json").write_text(garmin.token_file.read_text())
    garmin.token_file.unlink()
    code, out, err = cli(["auth", "garmin", "--import-tokens", str(elsewhere)], capsys)
    assert code == 0, err
    assert "connected as Matin Tamizi" in out
    assert stat.S_IMODE(os.stat(garmin.token_file).st_mode) == 0o600
    assert not garmin.state.requests_to("sso")  # no sign-in
    (tmp_path / "bad").mkdir()
    code, _, err = cli(["auth", "garmin", "--import-tokens", str(tmp_path / "bad")], capsys)
    assert code == 1 and "cannot read a token store" in err


def test_auth_with_working_tokens_never_signs_in(garmin, capsys):
    code, out, _ = cli(["auth", "garmin"], capsys)
    assert code == 0 and "Already connected to Garmin Connect as Matin Tamizi" in out
    assert garmin.state.requests_to("socialProfile")


def test_doctor_shows_the_token_state(garmin, capsys):
    code, out, _ = cli(["doctor"], capsys)
    text = " ".join(out.split())  # the table wraps long lines
    assert "garmin: tokens" in text and "refresh token present" in text
    for secret in secrets_of(garmin):
        assert secret not in out


def test_workout_json_has_the_recorded_shape():
    from pose_sync.progression.planner import plan
    from tests.progression.factory import run

    config = Config.model_validate({"program": {"start_date": "2026-09-07"},
                                    "athlete": {"threshold_pace_s_per_km": 250}})
    today = date(2026, 9, 28)
    history = [run(today - timedelta(days=d), minutes=40, hr=140) for d in range(40, 0, -2)]
    workouts = plan(history, config, today).workouts
    body = to_garmin(next(w for w in workouts if "intervals" in w.tags))
    recorded = json.loads((WIRE / "workout" / "POST_workout-service_workout.request.json").read_text())["body"]
    assert set(recorded) <= set(body)
    steps = body["workoutSegments"][0]["workoutSteps"]
    repeat = next(s for s in steps if s["type"] == "RepeatGroupDTO")
    recorded_repeat = next(s for s in recorded["workoutSegments"][0]["workoutSteps"] if s["type"] == "RepeatGroupDTO")
    assert set(recorded_repeat) - {"workoutSteps"} <= set(repeat)
    assert repeat["numberOfIterations"] == 8 and [c["stepType"]["stepTypeKey"] for c in repeat["workoutSteps"]] == [
        "interval", "recovery"]
    work = repeat["workoutSteps"][0]
    assert work["endCondition"]["conditionTypeKey"] == "distance" and work["endConditionValue"] == 200.0
    assert work["targetType"]["workoutTargetTypeKey"] == "pace.zone"
    assert work["targetValueOne"] == pytest.approx(1.05 * 4.0, abs=1e-3)
    drills = [s for s in steps if s["stepType"]["stepTypeKey"] == "other"]
    assert drills and drills[0]["description"].startswith("Pony - ")
    orders = [s["stepOrder"] for s in steps] + [c["stepOrder"] for c in repeat["workoutSteps"]]
    assert sorted(orders) == list(range(1, len(orders) + 1))


def _history_store(garmin) -> None:
    from tests.progression.factory import run

    with Store.open(garmin.data_dir) as store:
        today = date(2026, 9, 28)
        for d in range(40, 0, -2):
            store.save_run(run(today - timedelta(days=d), minutes=40, hr=140), fit_sha256=None, quality=2)


def test_plan_push_creates_schedules_and_never_duplicates(garmin, capsys):
    garmin.config_path.write_text(NO_SETTLE_TOML + "[program]\nstart_date = 2026-09-07\n"
                                  "[connectors.garmin]\nbackfill_days = 0\n")
    _history_store(garmin)
    code, out, err = cli(["plan", "--push", "garmin", "--today", "2026-09-28", "--dry-run"], capsys)
    assert code == 0, err
    assert out.count("would create garmin workout") == 4 and not garmin.state.workouts
    code, out, err = cli(["plan", "--push", "garmin", "--today", "2026-09-28"], capsys)
    assert code == 0, err and "4 created" in out
    assert len(garmin.state.workouts) == 4 and len(garmin.state.schedules) == 4
    assert sorted(s["calendarDate"] for s in garmin.state.schedules.values()) == [
        "2026-09-29", "2026-10-01", "2026-10-03", "2026-10-04"]
    posted = len(garmin.state.requests_to("^POST /workout-service/workout"))
    code, out, _ = cli(["plan", "--push", "garmin", "--today", "2026-09-28"], capsys)
    assert "0 created, 0 updated, 0 removed, 4 unchanged" in out
    assert len(garmin.state.requests_to("^POST /workout-service/workout")) == posted
    # a danger ramp re-plans the intervals as drills: that session is updated, the rest unchanged
    with Store.open(garmin.data_dir) as store:
        from tests.progression.factory import run
        for d in (3, 2, 1, 0):
            store.save_run(run(date(2026, 9, 28) - timedelta(days=d), minutes=100, hr=155), fit_sha256=None,
                           quality=2)
    code, out, _ = cli(["plan", "--push", "garmin", "--today", "2026-09-28"], capsys)
    assert "1 created" in out and "1 removed" in out
    assert len(garmin.state.workouts) == 4 and len(garmin.state.schedules) == 4
    names = sorted(w["workoutName"] for w in garmin.state.workouts.values())
    assert not any("intervals" in n for n in names)


def test_sync_pushes_planned_workouts_when_configured(garmin, capsys):
    garmin.config_path.write_text(NO_SETTLE_TOML + "[program]\nstart_date = 2026-11-23\n"
                                  "[connectors.garmin]\nbackfill_days = 0\npush_workouts = true\n")
    code, out, err = cli(["sync", "--platform", "garmin"], capsys)
    assert code == 0, err
    assert "garmin workouts:" in out and garmin.state.schedules
    code, out, _ = cli(["sync", "--platform", "garmin"], capsys)
    assert "0 created" in out


TYPED = ATHLETE_TEXT + "\nAchilles fine today."


def test_an_app_save_right_after_our_write_is_seen_and_the_note_comes_back_once(garmin):
    """Garmin answers a description PUT with 204: pose-sync reads it back. An app save that lands right after
    our write removes the note; the next sync puts it back into the athlete's new text, once."""
    garmin.state.on("PUT", r"^/activity-service/activity/201$", lambda s: s.athlete_types(201, TYPED))
    first = sync(garmin)
    assert first.summary()["notes_written"] == 2 and garmin.state.activities[201].description == TYPED
    reads = garmin.state.requests_to(r"^GET /activity-service/activity/201")
    assert len(reads) == 2  # just before the write, and the read-back after it
    second = sync(garmin)
    assert second.summary()["restored"] == 1
    text = garmin.state.activities[201].description
    assert text.startswith(TYPED + "\n\n" + BEGIN) and text.count(BEGIN) == 1
    garmin.state.athlete_types(201, TYPED)  # removed again: the athlete means it
    third = sync(garmin)
    assert third.summary()["respected"] == 1 and garmin.state.activities[201].description == TYPED
    writes = list(garmin.state.writes)
    assert writes == [201, 202, 201]
    for _ in range(2):
        assert sync(garmin).summary()["notes_written"] == 0
    assert garmin.state.writes == writes


def test_a_429_says_garmin_gives_no_reset_time(garmin, capsys):
    garmin.state.fail_next("GET", r"^/download-service/files/activity/201", 429)
    code, out, err = cli(["sync", "--platform", "garmin"], capsys)
    assert code == 0
    assert "resets at later" not in out + err
    assert ("stopped: garmin: rate limit reached: Garmin answered 429 while downloading activity 201 (garmin does not"
            " say for how long: wait a while; the next sync resumes where this one stopped)") in out
