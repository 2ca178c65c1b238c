"""Plausibility screening: glitches dropped wherever they fall, plausible data untouched."""

from __future__ import annotations

import numpy as np
import pytest

from pose_sync.analysis.plausibility import (
    MAX_RECORD_GAP_S,
    main_time_group,
    screen,
    screen_distance,
    screen_summary,
)
from pose_sync.model import DeviceSummary, Samples

T = np.arange(600, dtype=float)
TRUE = 3.0 * T  # 3 m/s for ten minutes


@pytest.mark.parametrize("where", [0, 1, 300, 598, 599])
def test_one_glitched_distance_record_anywhere(where):
    distance = TRUE.copy()
    distance[where] = 42_949_672.8
    clean, dropped, worst = screen_distance(T, distance)
    assert dropped == 1 and abs(worst) == pytest.approx(42_949_672.8, rel=1e-4)
    covered = np.nanmax(clean) - np.nanmin(clean)
    assert covered == pytest.approx(1797.0, abs=3.0)
    assert np.isnan(clean[where]) and np.nanmax(clean) <= 1797.0


def test_a_counter_that_leaps_and_carries_on_is_summed_over_its_plausible_steps():
    distance = TRUE.copy()
    distance[300:] += 1_000_000.0
    clean, dropped, _ = screen_distance(T, distance)
    assert dropped == 1 and np.nanmax(clean) - np.nanmin(clean) == pytest.approx(1794.0)


def test_a_plausible_distance_is_the_same_array():
    distance = TRUE + np.random.default_rng(1).normal(0, 0.3, len(T))
    assert screen_distance(T, distance)[0] is distance
    fast_but_possible = 12.0 * T
    assert screen_distance(T, fast_but_possible)[1] == 0


def test_records_a_lifetime_away_are_dropped_and_a_glitched_start_moves():
    elapsed = np.concatenate(([0.0], 1e9 + T))          # the first record (the start) is decades early
    keep = main_time_group(elapsed)
    assert keep is not None and not keep[0] and keep[1:].all()
    samples = Samples(elapsed, {"speed_mps": np.full(len(elapsed), 3.0)})
    screened = screen(samples, None, "run.fit")
    assert screened.start_shift_s == 1e9 and screened.samples.elapsed_s[0] == 0.0
    assert len(screened.samples) == 600 and "run.fit" in screened.warnings[0]
    assert main_time_group(np.array([0.0, MAX_RECORD_GAP_S, 2 * MAX_RECORD_GAP_S])) is None  # long but joined


def test_implausible_record_values_are_dropped_and_named():
    speed = np.full(600, 3.0)
    speed[10] = 143_644.0
    cadence = np.full(600, 170.0)
    cadence[20:25] = 510.0
    stance = np.full(600, 240.0)
    stance[:5] = 0.0                                      # "no reading": not a glitch
    screened = screen(Samples(T, {"speed_mps": speed, "cadence_spm": cadence, "stance_time_ms": stance}), None,
                      "x.fit")
    assert np.isnan(screened.samples.channels["speed_mps"][10])
    assert np.isnan(screened.samples.channels["cadence_spm"][20:25]).all()
    assert (screened.samples.channels["stance_time_ms"][:5] == 0).all()
    said = " | ".join(screened.warnings)
    assert "1 implausible speed" in said and "5 implausible cadence" in said and "ground contact" not in said


def test_a_clean_activity_comes_back_unchanged():
    samples = Samples(T, {"distance_m": TRUE, "speed_mps": np.full(600, 3.0), "heart_rate_bpm": np.full(600, 150.0)})
    summary = DeviceSummary(total_timer_time_s=600, total_elapsed_time_s=600, total_distance_m=1800, avg_speed_mps=3)
    screened = screen(samples, summary, "x.fit")
    assert screened.samples is samples and screened.summary is summary and not screened.warnings


@pytest.mark.parametrize("change, dropped", [
    ({"total_distance_m": 42_949_672.8}, "total_distance_m"),
    ({"total_elapsed_time_s": 4e6}, "total_elapsed_time_s"),
    ({"total_elapsed_time_s": 30.0}, "total_elapsed_time_s"),     # shorter than its own records
    ({"avg_speed_mps": 143_644.0}, "avg_speed_mps"),
    ({"avg_cadence_spm": 508.0}, "avg_cadence_spm"),
])
def test_implausible_session_values_are_dropped(change, dropped):
    base = dict(total_timer_time_s=600.0, total_elapsed_time_s=600.0, total_distance_m=1800.0, avg_speed_mps=3.0,
                avg_cadence_spm=170.0)
    summary, warnings = screen_summary(DeviceSummary(**{**base, **change}), 599.0, "x.fit")
    assert getattr(summary, dropped) is None and len(warnings) == 1 and warnings[0].startswith("x.fit: ")
    assert all(getattr(summary, k) == v for k, v in base.items() if k != dropped)
