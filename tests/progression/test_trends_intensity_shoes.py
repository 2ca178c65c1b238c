"""Matched-pace trends, before/after with its interval, easy/hard split and shoes, worked out by hand."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta

import pytest

from pose_sync.config import Config
from pose_sync.progression import intensity, shoes
from pose_sync.progression.load import HeartRateAnchors, week_start
from pose_sync.progression.trends import before_after, t_quantile_975, weekly_trend
from tests.progression.factory import run

D0 = date(2026, 3, 2)  # a Monday
SINCE = D0 + timedelta(weeks=2)


def test_before_after_at_matched_pace_with_a_welch_interval():
    before = [run(D0 + timedelta(days=d), speed=3.05, cadence=c) for d, c in ((1, 166), (3, 168), (5, 170))]
    after = [run(SINCE + timedelta(days=d), speed=3.05, cadence=c) for d, c in ((1, 174), (3, 176), (5, 178))]
    result = before_after(before + after, "cadence_spm", SINCE)
    # before runs against the other two (leave one out): 166 - 169, 168 - 168, 170 - 167 = -3, 0, +3;
    # after runs against all three before (168): 6, 8, 10
    assert result.difference == pytest.approx(8.0)
    # variances 9 and 4, n = 3: se^2 = 13/3; Welch df = (13/3)^2 / (3^2/2 + (4/3)^2/2) = 3.485
    df = (13 / 3) ** 2 / (9 / 2 + (16 / 9) / 2)
    assert df == pytest.approx(3.485, abs=0.001)
    half = t_quantile_975(df) * math.sqrt(13 / 3)
    assert 2.92 < t_quantile_975(df) < 3.00            # t(0.975) is 3.182 at df 3 and 2.776 at df 4
    assert result.ci_low == pytest.approx(8 - half, abs=0.02) and result.ci_high == pytest.approx(8 + half, abs=0.02)
    assert result.verdict == "better"
    contact = before_after([run(d.start_time.date(), speed=3.05, contact=c) for d, c in zip(
        before + after, (250, 252, 254, 240, 242, 244), strict=True)], "stance_time_ms", SINCE)
    assert contact.difference == pytest.approx(-10) and contact.verdict == "better"


def test_faster_running_alone_is_not_mistaken_for_better_cadence():
    # after the date the runner only ran faster, at a band never run before: nothing to compare
    before = [run(D0 + timedelta(days=d), speed=3.05, cadence=168) for d in (1, 3, 5)]
    after = [run(SINCE + timedelta(days=d), speed=3.55, cadence=178) for d in (1, 3, 5)]
    result = before_after(before + after, "cadence_spm", SINCE)
    assert result.verdict == "not enough data" and result.difference is None


def test_too_few_runs_says_not_enough_data():
    runs = [run(D0 + timedelta(days=d), speed=3.05) for d in (1, 3, 5)] + [run(SINCE + timedelta(days=1), speed=3.05)]
    result = before_after(runs, "cadence_spm", SINCE)
    assert result.verdict == "not enough data"
    assert "have 3 before and 1 after" in result.detail


def test_weekly_values_are_at_the_usual_pace():
    runs = [run(D0 + timedelta(days=1), speed=3.05, cadence=168, minutes=60),   # band 3.0, the usual one
            run(D0 + timedelta(days=3), speed=3.55, cadence=178, minutes=20),   # band 3.5
            run(D0 + timedelta(days=8), speed=3.05, cadence=170, minutes=60),
            run(D0 + timedelta(days=10), speed=3.55, cadence=180, minutes=20)]
    trend = weekly_trend(runs, "cadence_spm")
    assert trend.reference_band_mps == 3.0
    # references: band 3.0 = 169, band 3.5 = 179; week 1 residuals -1 (60 min) and -1 (20 min) -> 168
    assert [w.value for w in trend.weeks] == pytest.approx([168.0, 170.0])


def test_t_quantile_approximation():
    for df, exact in ((1, 12.7062), (2, 4.302653), (3, 3.182446), (4, 2.776445), (10, 2.228139), (30, 2.042272)):
        assert t_quantile_975(df) == pytest.approx(exact, abs=0.01)
    assert 3.18 < t_quantile_975(2.5) < 4.30    # between its neighbours, never the expansion's too-small value


def _sensor(r, sensor: str):
    return replace(r, sources={"stance_time_ms": sensor, "cadence_spm": sensor})


def test_a_sensor_change_is_not_a_form_change():
    before = [_sensor(run(D0 + timedelta(days=d), speed=3.05, contact=c), "wrist")
              for d, c in ((1, 262), (3, 264), (5, 266), (6, 263))]
    after = [_sensor(run(SINCE + timedelta(days=d), speed=3.05, contact=c), "strap")
             for d, c in ((1, 240), (3, 241), (5, 242), (6, 239))]
    result = before_after(before + after, "stance_time_ms", SINCE)
    assert result.verdict == "not comparable" and "wrist" in result.detail and "strap" in result.detail
    # with some strap runs before too, only strap runs are compared, and it says so
    strap_before = [_sensor(run(D0 + timedelta(days=d), speed=3.05, contact=c), "strap")
                    for d, c in ((2, 241), (4, 240), (7, 242))]
    result = before_after(before + strap_before + after, "stance_time_ms", SINCE)
    assert result.verdict == "no clear change" and "strap runs only (4 from other sensors left out)" in result.detail
    trend = weekly_trend(before + strap_before + after, "stance_time_ms")
    assert trend.sensor == "strap" and trend.other_sensor_runs == 4


def test_easy_hard_split_from_heart_rate_or_pace():
    bounds = intensity.Boundaries(easy_max_hr_bpm=155, easy_max_speed_mps=3.2)
    week = intensity.weekly([run(D0, minutes=30, hr=140), run(D0 + timedelta(days=2), minutes=10, hr=170),
                             run(D0 + timedelta(days=4), minutes=20, speed=3.5, hr=None)], bounds)
    split = week[week_start(D0)]
    assert (split.easy_s, split.hard_s) == (1800, 600 + 1200)
    assert split.easy_share == pytest.approx(1800 / 3600)
    config = Config.model_validate({"athlete": {"max_heart_rate_bpm": 200}})
    defaults = intensity.boundaries(config, HeartRateAnchors(200, 50, 180, ()), threshold_mps=4.6)
    assert defaults.easy_max_hr_bpm == pytest.approx(164) and defaults.easy_max_speed_mps == pytest.approx(4.0)


def test_minimalist_shoes_get_their_own_slower_ramp():
    config = Config.model_validate({"shoes": {"minimalist": ["Vivobarefoot Primus"],
                                              "minimalist_start_km_per_week": 2.4,
                                              "minimalist_weekly_increase_pct": 10}})
    today = D0 + timedelta(weeks=2, days=3)
    runs = [(run(D0 + timedelta(days=1), speed=3.0, minutes=25), "g1"),              # 4.5 km, week 1
            (run(today - timedelta(days=1), speed=3.0, minutes=40), "g1"),            # 7.2 km this week
            (run(today - timedelta(days=2), speed=3.0, minutes=60), "g2")]            # 10.8 km, cushioned
    gear = {"g1": ("Vivobarefoot Primus", 120_000.0), "g2": ("Daily trainer", None)}
    rows = {s.gear_id: s for s in shoes.shoes(runs, gear, config, today)}
    assert rows["g1"].minimalist and not rows["g2"].minimalist
    assert rows["g1"].distance_km == pytest.approx(11.7) and rows["g1"].platform_total_km == 120.0
    assert rows["g1"].allowed_week_km == pytest.approx(3 * 2.4)  # third week of use: three short runs (Ridge)
    assert not rows["g1"].over_ramp and not rows["g2"].over_ramp  # 7.2 km: right at the allowance
    runs.append((run(today, speed=3.0, minutes=10), "g1"))                           # 1.8 km more
    rows = {s.gear_id: s for s in shoes.shoes(runs, gear, config, today)}
    assert rows["g1"].over_ramp and rows["g1"].last_week_km == pytest.approx(9.0)
