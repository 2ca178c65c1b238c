"""Unattended sync against the fake platforms: kill -9 at every step, and one run on two platforms."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pose_sync.notes import BEGIN, extract
from pose_sync.store import Store
from tests.fakes.garmin_app import GarminState, create_diauth_app
from tests.fakes.garmin_app import create_app as create_garmin
from tests.fakes.proxy import platform_proxy
from tests.fakes.strava_app import StravaState
from tests.fakes.strava_app import create_app as create_strava
from tests.plugins.garmin.conftest import ATHLETE_TEXT as GARMIN_TEXT
from tests.plugins.garmin.conftest import FakeGarmin
from tests.plugins.garmin.conftest import standard_activities as garmin_activities
from tests.plugins.strava.conftest import ATHLETE_TEXT as STRAVA_TEXT
from tests.plugins.strava.conftest import FakeStrava, strava_config
from tests.plugins.strava.conftest import standard_activities as strava_activities

BIN = Path(sys.executable).parent


@pytest.fixture
def platforms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeStrava, FakeGarmin]]:
    strava_state, garmin_state = StravaState(), GarminState()
    strava_activities(strava_state)
    garmin_activities(garmin_state)
    data_dir, config = tmp_path / "data", tmp_path / "config.toml"
    config.write_text(strava_config(strava_state) + "\n[connectors.garmin]\nbackfill_days = 0\n", encoding="utf-8")
    monkeypatch.setenv("POSE_SYNC_HOME", str(data_dir))
    monkeypatch.setenv("POSE_SYNC_CONFIG", str(config))
    apps = {"www.strava.com": create_strava(strava_state), "connectapi.garmin.com": create_garmin(garmin_state),
            "diauth.garmin.com": create_diauth_app(garmin_state)}
    with platform_proxy(apps, tmp_path) as proxy:
        for key, value in proxy.env().items():
            monkeypatch.setenv(key, value)
        strava = FakeStrava(strava_state, proxy, data_dir, config)
        garmin = FakeGarmin(garmin_state, proxy, data_dir, config)
        strava.save_tokens()
        garmin.save_tokens()
        yield strava, garmin


def sync_process(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([str(BIN / "pose-sync"), "sync", *args], env=dict(os.environ), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def assert_strava_final_state(strava: FakeStrava) -> None:
    """Each run stored once, each note written exactly once, the athlete's text intact."""
    with Store.open(strava.data_dir) as store:
        assert store.count_runs() == 2
        notes = store.ledger("strava", "note")
        assert sorted(n.remote_id for n in notes) == ["101", "102"]
    for activity_id in (101, 102):
        written = strava.state.writes.count(activity_id)
        assert written == 1, f"activity {activity_id} written {written} times"
        assert strava.state.activities[activity_id].description.count(BEGIN) == 1
    assert strava.state.activities[101].description.startswith(STRAVA_TEXT + "\r\n\r\n" + BEGIN)
    assert strava.state.activities[103].description == "Commute"


# (method, path, moment): the step boundary at which the sync process is killed
KILL_POINTS = {
    "while fetching": ("GET", r"^/api/v3/activities/101/streams$", "on_arrival"),
    "after storing, before reading the description": ("GET", r"^/api/v3/activities/101$", "on_arrival"),
    "before writing the note": ("PUT", r"^/api/v3/activities/101$", "on_arrival"),
    "after the note was written, before the ledger": ("PUT", r"^/api/v3/activities/101$", "after_applying"),
    "in the middle of the second activity": ("GET", r"^/api/v3/activities/102/streams$", "on_arrival"),
}


@pytest.mark.parametrize("point", KILL_POINTS)
def test_kill_9_at_any_step_against_the_fake_strava(platforms, point):
    strava, _ = platforms
    process = sync_process("--platform", "strava")
    method, path, moment = KILL_POINTS[point]
    strava.state.kill = (method, path, moment, process.pid)
    process.communicate(timeout=120)
    assert process.returncode == -9, "the sync was not killed where intended"
    resumed = sync_process("--platform", "strava")
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    assert_strava_final_state(strava)


def test_one_run_on_both_platforms_is_analysed_once_and_noted_on_both(platforms, capsys):
    strava, garmin = platforms
    process = sync_process()
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert out.splitlines() == ["garmin: 2 new, 1 skipped, 0 failed, 2 note(s) written",
                                "strava: 2 new, 1 skipped, 0 failed, 2 note(s) written"]
    with Store.open(strava.data_dir) as store:
        runs = store.list_runs()
        assert len(runs) == 2  # four platform activities, two runs
        for run in runs:
            assert {s.platform for s in run.sources} == {"garmin", "strava"}
            assert run.quality == 2  # analysed from Garmin's original FIT file
    assert not strava.state.requests_to("/streams"), "Strava's copies were linked, not fetched again"
    garmin_note = garmin.state.activities[201].description
    strava_note = strava.state.activities[101].description
    assert garmin_note.startswith(GARMIN_TEXT) and strava_note.startswith(STRAVA_TEXT)
    assert extract(garmin_note) == extract(strava_note)
    again = sync_process()
    out, _ = again.communicate(timeout=120)
    assert "0 note(s) written" in out and "2 note(s) written" not in out


def test_strava_first_then_garmin_ends_with_the_same_dynamics_note_on_both(platforms):
    """The webhook makes Strava the usual first arrival (streams: cadence only); the Garmin original comes later."""
    strava, garmin = platforms
    first = sync_process("--platform", "strava")
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    poor = extract(strava.state.activities[101].description)
    assert "bounce" not in poor  # no running dynamics in Strava's streams
    both = sync_process()
    out, err = both.communicate(timeout=120)
    assert both.returncode == 0, err
    assert out.splitlines()[0] == "garmin: 2 new, 1 skipped, 0 failed, 2 note(s) written"
    assert out.splitlines()[1].startswith("strava: ") and "2 note(s) written" in out.splitlines()[1]
    for strava_id, garmin_id in ((101, 201), (102, 202)):
        strava_note = extract(strava.state.activities[strava_id].description)
        assert strava_note == extract(garmin.state.activities[garmin_id].description)
        assert strava.state.writes.count(strava_id) == 2  # once from streams, once from the original file
    assert "bounce" in extract(strava.state.activities[101].description)
    assert strava.state.activities[101].description.startswith(STRAVA_TEXT + "\r\n\r\n" + BEGIN)
    with Store.open(strava.data_dir) as store:
        assert all(run.quality == 2 for run in store.list_runs()) and store.count_runs() == 2
    writes = (list(strava.state.writes), list(garmin.state.writes))
    again = sync_process()
    again.communicate(timeout=120)
    assert (strava.state.writes, garmin.state.writes) == writes  # refreshed once, never again
