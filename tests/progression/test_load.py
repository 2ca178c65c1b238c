"""Load, ramp and fitness/fatigue against numbers worked out by hand."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from pose_sync.config import Config
from pose_sync.progression.load import (
    HeartRateAnchors,
    daily_series,
    load_history,
    ramp_state,
    ramp_thresholds,
    run_load,
)
from tests.progression.factory import run

D0 = date(2026, 3, 2)


def test_ramp_is_the_last_week_over_the_four_weeks_before_it():
    loads = {D0 + timedelta(days=d): 50.0 for d in range(0, 35, 2)}      # every other day
    loads[D0 + timedelta(days=34)] = 150.0                                   # a big day at the end
    series = daily_series(loads, D0, D0 + timedelta(days=34))
    last = series[-1]
    acute = (50.0 * 3 + 150.0) / 7                      # days 28..34: runs on 28, 30, 32 and 34
    chronic = 50.0 * 14 / 28                            # days 0..27: 14 runs of 50
    assert last.acute == pytest.approx(acute) and last.chronic == pytest.approx(chronic)
    assert last.acwr == pytest.approx(acute / chronic)
    # the chronic window is the 28 days before the acute week; with fewer than 21 of them there is no ratio
    day_26 = series[26]
    assert day_26.acwr is None and day_26.phase == "building" and day_26.days_to_go == 1
    day_27 = series[27]
    assert day_27.chronic == pytest.approx(50.0 * 11 / 21)   # days 0..20 hold 11 runs


def test_constant_training_reads_one_and_never_reaches_the_caution_line():
    strict = Config.model_validate({"program": {"technique_change": True, "shoe_change": True}})
    loads = {D0 + timedelta(days=7 * w + d): 60.0 for w in range(8) for d in (0, 1, 3, 5)}   # 4 runs a week
    series = daily_series(loads, D0, D0 + timedelta(days=55))
    levels = [ramp_state(day, strict) for day in series]
    assert all(s.level == "building" for s in levels[:27])
    assert "shown in 21 day(s)" in levels[6].reason
    judged = [day.acwr for day in series[27:]]
    assert all(a == pytest.approx(1.0, abs=0.1) for a in judged)   # every day, run day or not
    assert {s.level for s in levels[27:]} == {"safe"}


def test_a_week_at_twice_the_volume_is_flagged():
    loads = {D0 + timedelta(days=7 * w + d): 60.0 * (2 if w == 5 else 1) for w in range(6) for d in (0, 1, 3, 5)}
    end_of_spike = daily_series(loads, D0, D0 + timedelta(days=41))[-1]
    assert end_of_spike.acwr == pytest.approx(2.0)
    assert ramp_state(end_of_spike, Config()).level == "danger"


def test_a_return_after_six_weeks_off_is_returning_not_danger():
    weeks = [w for w in range(16) if not 5 <= w < 11]          # six weeks off, then back
    loads = {D0 + timedelta(days=7 * w + d): 60.0 for w in weeks for d in (0, 2, 4)}
    series = daily_series(loads, D0, D0 + timedelta(days=7 * 16 - 1))
    on_break = series[7 * 8]
    assert ramp_state(on_break, Config()).level == "break" and on_break.break_days > 14
    first_back = series[7 * 11]
    state = ramp_state(first_back, Config())
    assert state.level == "returning" and "after 44 days off" in state.reason and state.acwr is None
    assert "build back gradually" in state.reason
    # three weeks back, a new baseline exists and the ramp is judged again
    assert ramp_state(series[7 * 11 + 27], Config()).level == "safe"


def test_fitness_fatigue_on_the_training_stress_scale_and_form_from_the_day_before():
    series = daily_series({D0: 100.0}, D0, D0 + timedelta(days=1))
    assert series[0].fitness == pytest.approx(100 / 42) and series[0].fatigue == pytest.approx(100 / 7)
    assert series[0].form == 0.0                       # this morning, before the run
    assert series[1].fitness == pytest.approx(100 / 42 * 41 / 42)
    assert series[1].form == pytest.approx(100 / 42 - 100 / 7)   # yesterday's fitness - fatigue


def test_an_hour_at_threshold_is_100():
    hr = HeartRateAnchors(max_bpm=190, resting_bpm=50, threshold_bpm=170, estimated=())
    assert run_load(run(D0, minutes=60, hr=170), hr, 3.5, "male") == pytest.approx(100.0)
    assert run_load(run(D0, minutes=30, hr=170), hr, 3.5, None) == pytest.approx(50.0)
    assert run_load(run(D0, minutes=60, speed=3.5, hr=None), hr, 3.5, "male") == pytest.approx(100.0)


def test_trimp_of_an_hour_at_half_heart_rate_reserve():
    hr = HeartRateAnchors(max_bpm=190, resting_bpm=50, threshold_bpm=176, estimated=())   # threshold HRr 0.9
    one_hour = run(D0, minutes=60, hr=120)  # HRr = (120 - 50) / 140 = 0.5
    for sex, (k, c) in (("male", (0.64, 1.92)), ("female", (0.86, 1.67))):
        trimp, threshold_hour = 60 * 0.5 * k * math.exp(c * 0.5), 60 * 0.9 * k * math.exp(c * 0.9)
        assert run_load(one_hour, hr, 3.5, sex) == pytest.approx(trimp / threshold_hour * 100)


def test_runs_without_heart_rate_count_like_time_at_threshold():
    hr = HeartRateAnchors(max_bpm=190, resting_bpm=50, threshold_bpm=176, estimated=())  # HRr 0.9
    threshold_hour = 100.0
    at_threshold = run(D0, minutes=60, speed=4.0, hr=None)
    easy = run(D0, minutes=60, speed=3.0, hr=None)
    assert run_load(at_threshold, hr, 4.0, "male") == pytest.approx(threshold_hour)
    assert run_load(easy, hr, 4.0, "male") == pytest.approx(threshold_hour * 0.75**2)


def _steady_then_spike(spike_minutes: float) -> list:
    history = [run(D0 + timedelta(days=d), minutes=40, hr=140) for d in range(0, 42, 2)]
    history += [run(D0 + timedelta(days=42 + d), minutes=spike_minutes, hr=150) for d in range(4)]
    return history


def test_a_ramp_crossing_the_danger_line_is_flagged_and_stricter_during_a_change():
    relaxed = Config.model_validate({"program": {"technique_change": False}})
    strict = Config.model_validate({"program": {"technique_change": True, "shoe_change": True}})
    assert ramp_thresholds(relaxed)[:2] == (1.3, 1.5)
    assert ramp_thresholds(strict)[:2] == pytest.approx((1.3 * 0.81, 1.5 * 0.81))
    spike_day = D0 + timedelta(days=45)
    history = load_history(_steady_then_spike(90), relaxed, until=spike_day)
    day = history.on(spike_day)
    assert day.acwr > 1.5
    assert ramp_state(day, relaxed).level == "danger"
    calm_day = D0 + timedelta(days=40)
    calm = history.on(calm_day)
    assert 0.8 < calm.acwr < 1.2 and ramp_state(calm, relaxed).level == "safe"
    # a moderate rise is only a caution normally, but already danger during a technique + shoe change
    moderate = load_history(_steady_then_spike(30), relaxed, until=spike_day).on(spike_day)
    assert 1.3 < moderate.acwr < 1.5
    assert ramp_state(moderate, relaxed).level == "caution"
    assert ramp_state(moderate, strict).level == "danger"


def test_the_ramp_is_not_judged_on_too_little_history():
    history = load_history([run(D0, minutes=60)], Config(), until=D0 + timedelta(days=3))
    state = ramp_state(history.on(D0 + timedelta(days=3)), Config())
    assert state.level == "building" and state.acwr is None and "shown in 24 day(s)" in state.reason
