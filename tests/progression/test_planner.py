"""The program is valid data, and the planner adapts it to the ramp (no intervals on a danger ramp)."""

from __future__ import annotations

from datetime import date, timedelta
from importlib import resources

import pytest

from pose_sync.config import Config
from pose_sync.errors import ConfigError
from pose_sync.progression.planner import plan
from pose_sync.progression.program import builtin_program, load_program, program_week
from pose_sync.workouts.model import Repeat, StepKind, TargetKind
from tests.progression.factory import run

START = date(2026, 9, 7)  # a Monday
CONFIG = Config.model_validate({"program": {"start_date": START.isoformat()},
                                "athlete": {"threshold_pace_s_per_km": 250, "max_heart_rate_bpm": 190}})


def test_builtin_program_is_twelve_weeks_in_four_phases():
    program = builtin_program()
    assert [w.number for w in program.week] == list(range(1, 13))
    assert [p.name for p in program.phase] == ["Learn the pose", "Fall and pull", "Integrate at pace", "Consolidate"]
    kinds = [s.kind for w in program.week for s in w.sessions]
    assert kinds.count("form_test") == 2 and "intervals" in kinds and "tempo" in kinds
    assert all("heel_drops" in s.drills for w in program.week for s in w.sessions if s.kind == "drills_easy")


def test_invalid_program_files_are_refused(tmp_path):
    source = resources.files("pose_sync.progression").joinpath("program.toml").read_text()
    assert load_program(_write(tmp_path, source)) == builtin_program()
    for bad in (source.replace('"wall_fall", "pony", "foot_taps"', '"wall_fall", "moonwalk"'),  # unknown drill
                source.replace('kind = "intervals", drills', 'kind = "intervals", target_x = 1, drills', 1),
                source.replace("number = 12", "number = 13")):
        with pytest.raises(ConfigError, match="invalid"):
            load_program(_write(tmp_path, bad))


def _write(folder, text: str):
    path = folder / "program.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_program_weeks_count_from_the_start_date():
    assert program_week(START, START - timedelta(days=1)) == 0
    assert program_week(START, START) == 1 and program_week(START, START + timedelta(days=6)) == 1
    assert program_week(START, START + timedelta(days=7)) == 2


def _steady_history(until: date, spike: bool) -> list:
    history = [run(until - timedelta(days=d), minutes=40, hr=140) for d in range(44, 3, -2)]
    if spike:
        history += [run(until - timedelta(days=d), minutes=100, hr=155) for d in range(3, -1, -1)]
    return history


def test_week_four_plans_intervals_with_pace_targets_on_a_safe_ramp():
    today = START + timedelta(weeks=3)  # Monday of week 4
    result = plan(_steady_history(today, spike=False), CONFIG, today)
    assert result.ramp.level == "safe"
    kinds = [w.tags[0] for w in result.workouts]
    assert kinds == ["drills_easy", "intervals", "drills_easy", "long"]
    assert [w.scheduled_date.weekday() for w in result.workouts] == [1, 3, 5, 6]  # tue thu sat sun
    intervals = result.workouts[1]
    repeat = next(s for s in intervals.steps if isinstance(s, Repeat))
    assert repeat.count == 8 and repeat.steps[0].duration.value == 200
    threshold = 1000 / 250
    assert repeat.steps[0].target.kind is TargetKind.SPEED
    assert repeat.steps[0].target.low == pytest.approx(1.05 * threshold, abs=1e-3)
    assert intervals.key == f"pose12-{intervals.scheduled_date}-intervals"


def test_no_intervals_on_top_of_a_danger_ramp_but_drills_stay():
    today = START + timedelta(weeks=3)
    result = plan(_steady_history(today, spike=True), CONFIG, today)
    assert result.ramp.level == "danger"
    assert "intervals" not in [w.tags[0] for w in result.workouts]
    for workout in result.workouts:
        assert not any(isinstance(s, Repeat) for s in workout.steps)
    replaced = result.workouts[1]
    assert any(s.kind is StepKind.DRILL for s in replaced.steps)
    assert any("replaced by drills" in note for note in result.notes)


def test_caution_cuts_repetitions_and_says_so():
    today = START + timedelta(weeks=3)
    history = _steady_history(today, spike=False) + [run(today - timedelta(days=d), minutes=30, hr=150)
                                                      for d in (2, 1, 0)]
    caution = Config.model_validate({**CONFIG.model_dump(exclude={"source"}),
                                     "program": {"start_date": START.isoformat(), "technique_change": False}})
    result = plan(history, caution, today)
    assert result.ramp.level == "caution"
    repeat = next(s for s in result.workouts[1].steps if isinstance(s, Repeat))
    assert repeat.count == 5  # 8 x 0.67
    assert any("5 instead of 8 repetitions" in note for note in result.notes)


def test_without_a_start_date_the_plan_says_when_it_assumes_the_program_starts():
    result = plan([], Config(), date(2026, 11, 25))  # a Wednesday: the next Monday is 30 Nov
    assert result.start_date == date(2026, 11, 30)
    assert any("start_date is not set" in note for note in result.notes)
    # within the next 7 days only Tuesday 1 Dec is both in the program and a run day: week 1's form test
    assert [(w.scheduled_date, w.tags[0]) for w in result.workouts] == [(date(2026, 12, 1), "form_test")]
