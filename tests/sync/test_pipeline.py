"""Unattended operation: nothing lost, nothing doubled, whatever fails or dies and when."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pose_sync.notes import BEGIN, extract
from pose_sync.store import Store
from pose_sync.sync import Pipeline
from tests.conftest import NO_SETTLE, ROOT, sample
from tests.fakes.memory_platform import POINTS, MemoryPlatform

RUNS = [
    ("101", "jimmykane_fit-parser/running-with-developer-data.fit", "2018-06-14T14:55:22+00:00", 5383.19,
     "Track session with the club.\r\nFelt smooth."),
    ("102", "roznet_FitFileParser/running.fit", "2018-10-20T14:46:25+00:00", 18658.57, ""),
    ("103", "dtcooper_python-fitparse/garmin-fenix-5-bike.fit", "2017-06-12T16:09:22+00:00", 459.52, "Commute"),
]


def activities(sport_of_ride: str = "cycling") -> list[dict]:
    return [{"id": rid, "fit": str(sample(path)), "start_time": start, "distance_m": dist, "description": text,
             "sport": sport_of_ride if "bike" in path else "running"} for rid, path, start, dist, text in RUNS]


@pytest.fixture
def platform(tmp_path: Path) -> MemoryPlatform:
    return MemoryPlatform.create(tmp_path / "platform.json", activities())


def sync(data_dir: Path, platform: MemoryPlatform, **kwargs):
    with Store.open(data_dir) as store:
        return Pipeline(store, NO_SETTLE, echo=kwargs.pop("echo", lambda _: None), **kwargs).sync(platform)


def assert_final_state(data_dir: Path, platform: MemoryPlatform) -> None:
    """Every run stored once, every note written exactly once, athlete text intact."""
    with Store.open(data_dir) as store:
        assert store.count_runs() == 2
        assert {i.state for i in store.items("memory")} == {"done", "skipped"}
        notes = store.ledger("memory", "note")
        assert sorted(e.remote_id for e in notes) == ["101", "102"]
    writes = [r for r in platform.state()["requests"] if r.startswith("write")]
    assert sorted(writes) == ["write 101", "write 102"]
    first = platform.description("101")
    assert first.startswith("Track session with the club.\r\nFelt smooth.\r\n\r\n" + BEGIN)
    assert first.count(BEGIN) == 1 and extract(first).startswith("Pose form")
    assert platform.description("103") == "Commute"


def test_sync_writes_notes_and_a_second_sync_changes_nothing(tmp_path, platform):
    first = sync(tmp_path / "d", platform)
    assert first.summary() == {"new": 2, "skipped": 1, "failed": 0, "already": 0, "notes_written": 2,
                               "settling": 0, "busy": 0, "restored": 0, "respected": 0, "stopped": None}
    assert_final_state(tmp_path / "d", platform)
    before = platform.state()
    second = sync(tmp_path / "d", platform)
    assert second.summary()["notes_written"] == 0 and second.count("already") == 1  # listed from the cursor
    after = platform.state()
    assert after["activities"] == before["activities"]
    # listed, and each note read once more (the later pass that would restore one an app save removed)
    assert after["requests"] == before["requests"] + ["list", "read 101", "read 102"]
    third = sync(tmp_path / "d", platform)
    assert third.summary()["notes_written"] == 0
    assert platform.state()["requests"] == after["requests"] + ["list"]  # nothing fetched, read or written


def test_dry_run_shows_exactly_what_would_be_written_and_writes_nothing(tmp_path, platform):
    shown: list[str] = []
    result = sync(tmp_path / "d", platform, dry_run=True, echo=shown.append)
    assert [i.note for i in result.items if i.status == "dry-run"] == ["would write", "would write"]
    assert not any(r.startswith("write") for r in platform.state()["requests"])
    with Store.open(tmp_path / "d") as store:
        assert store.ledger() == [] and store.get_cursor("memory") is None
    previews = [i.preview for i in result.items if i.preview]
    assert any(p.startswith("Track session with the club.\r\nFelt smooth.") for p in previews)
    assert all(any(p in text for text in shown) for p in previews)
    # the real run afterwards writes exactly what the dry run showed
    sync(tmp_path / "d", platform)
    assert platform.description("101") in previews


@pytest.mark.parametrize("point", POINTS)
def test_an_exception_at_any_step_is_finished_by_the_next_run(tmp_path, point):
    broken = MemoryPlatform.create(tmp_path / "platform.json", activities(), fail_at=point)
    result = sync(tmp_path / "d", broken)
    assert result.count("failed") >= 1
    with Store.open(tmp_path / "d") as store:
        cursor = store.get_cursor("memory")
        assert cursor is None or cursor < "2018-06-14T14:55:22"
    healthy = MemoryPlatform(tmp_path / "platform.json")
    sync(tmp_path / "d", healthy)
    assert_final_state(tmp_path / "d", healthy)


@pytest.mark.parametrize("point", POINTS)
def test_kill_9_at_any_step_loses_nothing_and_doubles_nothing(tmp_path, point):
    state = tmp_path / "platform.json"
    MemoryPlatform.create(state, activities())
    killed = subprocess.run([sys.executable, "-m", "tests.sync.crashing_sync", str(tmp_path / "d"), str(state), point],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9, killed.stderr
    resumed = subprocess.run([sys.executable, "-m", "tests.sync.crashing_sync", str(tmp_path / "d"), str(state), ""],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert_final_state(tmp_path / "d", MemoryPlatform(state))


def test_a_run_on_two_platforms_is_analysed_once_and_noted_on_both(tmp_path):
    garmin = MemoryPlatform.create(tmp_path / "g.json", activities()[:1], name="garmin")
    # Strava's copy of the same run: its own id, a second later, GPS distance 1.5 % longer, streams only.
    strava_copy = activities()[:1]
    strava_copy[0].update(id="9001", start_time="2018-06-14T14:55:23+00:00", distance_m=5383.19 * 1.015,
                          description="Strava title text")
    strava = MemoryPlatform.create(tmp_path / "s.json", strava_copy, name="strava", source_quality=1, as_streams=True)
    sync(tmp_path / "d", garmin)
    sync(tmp_path / "d", strava)
    with Store.open(tmp_path / "d") as store:
        [run] = store.list_runs()
        assert {s.platform for s in run.sources} == {"garmin", "strava"}
    assert not any(r.startswith("fetch") for r in strava.state()["requests"]), "the copy must not be fetched"
    for platform, rid, text in ((garmin, "101", "Track session"), (strava, "9001", "Strava title text")):
        description = platform.description(rid)
        assert description.startswith(text) and description.count(BEGIN) == 1
    assert extract(garmin.description("101")) == extract(strava.description("9001"))


def test_streams_first_then_the_original_file_upgrades_the_analysis(tmp_path):
    strava = MemoryPlatform.create(tmp_path / "s.json", activities()[:1], name="strava", source_quality=1,
                                   as_streams=True)
    garmin = MemoryPlatform.create(tmp_path / "g.json", activities()[:1], name="garmin")
    sync(tmp_path / "d", strava)
    sync(tmp_path / "d", garmin)
    with Store.open(tmp_path / "d") as store:
        [run] = store.list_runs()
        assert run.quality == 2 and {s.platform for s in run.sources} == {"garmin", "strava"}


def test_the_cursor_moves_only_past_finished_work(tmp_path):
    platform = MemoryPlatform.create(tmp_path / "p.json", activities())
    state = platform.state()
    state["activities"][1]["fit"] = str(tmp_path / "missing.fit")  # 102 cannot be fetched
    platform._save(state)
    with Store.open(tmp_path / "d") as store:
        pipeline = Pipeline(store, NO_SETTLE, echo=lambda _: None)
        with pytest.raises(FileNotFoundError):
            pipeline.sync(platform)
    # an unexpected error is not swallowed, and the cursor did not move past 102
    with Store.open(tmp_path / "d") as store:
        assert store.get_cursor("memory") is None


def test_late_uploads_before_the_cursor_are_still_found(tmp_path):
    platform = MemoryPlatform.create(tmp_path / "p.json", activities()[1:2])
    sync(tmp_path / "d", platform)
    state = platform.state()
    late = activities()[0] | {"start_time": (datetime(2018, 10, 20, 14, 46, 25, tzinfo=timezone.utc)
                                             - timedelta(days=1)).isoformat()}
    state["activities"].append(late)
    platform._save(state)
    result = sync(tmp_path / "d", platform)
    assert result.count("done") == 1
