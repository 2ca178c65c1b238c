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


def test_acwr_is_the_exponentially_weighted_7_over_28_day_ratio():
    series = daily_series({D0: 100.0, D0 + timedelta(days=3): 50.0}, D0, D0 + timedelta(days=3))
    # lambda_a = 2/8 = 0.25, lambda_c = 2/29
    acute = [25.0, 18.75, 14.0625, 0.25 * 50 + 0.75 * 14.0625]
    chronic = [200 / 29]
    for load in (0, 0, 50):
        chronic.append(2 / 29 * load + 27 / 29 * chronic[-1])
    for day, a, c in zip(series, acute, chronic, strict=True):
        assert day.acute == pytest.approx(a) and day.chronic == pytest.approx(c)
        assert day.acwr == pytest.approx(a / c)
    assert series[0].acwr == pytest.approx(3.625)


def test_fitness_and_fatigue_use_42_and_7_day_constants():
    series = daily_series({D0: 100.0}, D0, D0 + timedelta(days=1))
    assert series[0].fitness == pytest.approx(100 / 42) and series[0].fatigue == pytest.approx(100 / 7)
    assert series[1].fitness == pytest.approx(100 / 42 * 41 / 42)
    assert series[1].fatigue == pytest.approx(100 / 7 * 6 / 7)
    assert series[1].form == pytest.approx(series[1].fitness - series[1].fatigue)


def test_trimp_of_an_hour_at_half_heart_rate_reserve():
    hr = HeartRateAnchors(max_bpm=190, resting_bpm=50, threshold_bpm=170, estimated=())
    one_hour = run(D0, minutes=60, hr=120)  # HRr = (120 - 50) / 140 = 0.5
    assert run_load(one_hour, hr, 3.5, "male") == pytest.approx(60 * 0.5 * 0.64 * math.exp(1.92 * 0.5))
    assert run_load(one_hour, hr, 3.5, "female") == pytest.approx(60 * 0.5 * 0.86 * math.exp(1.67 * 0.5))


def test_runs_without_heart_rate_count_like_time_at_threshold():
    hr = HeartRateAnchors(max_bpm=190, resting_bpm=50, threshold_bpm=176, estimated=())  # HRr 0.9
    threshold_hour = 60 * 0.9 * 0.64 * math.exp(1.92 * 0.9)
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
    assert ramp_state(day, relaxed, 46).level == "danger"
    calm_day = D0 + timedelta(days=40)
    calm = history.on(calm_day)
    assert 0.8 < calm.acwr < 1.2 and ramp_state(calm, relaxed, 41).level == "safe"
    # a moderate rise is only a caution normally, but already danger during a technique + shoe change
    moderate = load_history(_steady_then_spike(30), relaxed, until=spike_day).on(spike_day)
    assert 1.3 < moderate.acwr < 1.5
    assert ramp_state(moderate, relaxed, 46).level == "caution"
    assert ramp_state(moderate, strict, 46).level == "danger"


def test_the_ramp_is_not_judged_on_too_little_history():
    history = load_history([run(D0, minutes=60)], Config(), until=D0 + timedelta(days=3))
    state = ramp_state(history.on(D0 + timedelta(days=3)), Config(), 4)
    assert state.level == "unknown" and "not enough history" in state.reason
