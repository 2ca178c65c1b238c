"""The analysis against the truth: simulated runners of known form, through the real CLI.

Each scenario is written as real FIT files with the FIT SDK encoder
(``sim``), fed to ``pose-sync analyze`` / ``import`` / ``report`` in-process,
and the figures compared with what the simulation put in. ``python -m bench
validity`` prints the same figures.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pose_sync.analysis import analyse_run
from sim import checks
from sim.runner import Runner, simulate_run, steady

# Three runners: typical, weaker, and one whose own speed curve differs from the prior.
WEAK = Runner(cadence_spm=160, stance_time_ms=280, vertical_oscillation_cm=10.0)


@pytest.mark.parametrize("runner", [checks.TYPICAL, WEAK], ids=["typical", "weaker"])
def test_the_score_does_not_move_with_pace(runner):
    figures = checks.form_across_paces(runner)
    assert figures.separate_spread <= 10, figures.separate_runs
    assert figures.within_spread <= 10, figures.within_interval_run
    assert len(figures.within_interval_run) >= 5          # bands from 2.5 to 4.5 m/s were all scored
    # and it did not just stay flat by giving everyone 50: the weaker runner scores lower
    if runner is WEAK:
        assert max(figures.separate_runs.values()) < min(checks.form_across_paces().separate_runs.values()) - 15


def test_inside_an_interval_session_the_fast_and_easy_bands_score_alike():
    bands = checks.intervals_by_speed()
    assert max(bands) > 4.0 and min(bands) < 3.0
    assert max(bands.values()) - min(bands.values()) <= 10


def test_streams_and_the_original_file_agree_on_a_cadence_only_score():
    from pose_sync_strava.streams import activity_from_streams

    start = datetime(2026, 3, 3, 6, 30, tzinfo=timezone.utc)
    run = simulate_run(Runner(), steady(3.1, 30), start, seed=8, dynamics=False)
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "run.fit"
        path.write_bytes(run.fit)
        [from_file] = checks.analyze([path])
    streams = activity_from_streams(checks.strava_streams(run), activity_id="1", sport_type="Run", start=start,
                                    summary={"distance": float(run.columns["distance_m"][-1])})
    from_streams = analyse_run(streams)
    assert from_file["form"]["inputs"] == ["cadence_spm"] and from_streams.form.inputs == ("cadence_spm",)
    assert abs(from_file["form"]["score"] - from_streams.form.score) <= 3
    # Strava averages over moving time, and so do we for its streams
    assert from_streams.averages.speed_mps == pytest.approx(from_file["averages"]["speed_mps"], rel=0.01)


def test_decoupling_is_grade_adjusted():
    assert abs(checks.decoupling("hilly", drift_pct=0.0)) <= 3       # raw speed would give about -40 %
    assert 5 <= checks.decoupling("flat", drift_pct=8.0) <= 11


@pytest.mark.slow
def test_a_new_runner_on_constant_load_never_reaches_the_caution_line():
    figures = checks.ramp_new_runner()
    levels = [w["ramp_level"] for w in figures.weeks]
    assert levels[:4] == ["building"] * 4
    assert set(levels[4:]) == {"safe"}, figures.weeks
    assert all(w["acwr"] is None or w["acwr"] < 1.17 for w in figures.weeks)


@pytest.mark.slow
def test_a_week_at_twice_the_volume_is_flagged():
    figures = checks.ramp_new_runner(spike_week=4)
    assert figures.weeks[4]["ramp_level"] == "danger" and figures.weeks[4]["acwr"] > 1.8


@pytest.mark.slow
def test_a_return_after_six_weeks_off_says_returning_not_danger():
    figures = checks.ramp_after_a_break()
    assert figures.ramp["level"] == "returning" and "build back gradually" in figures.ramp["reason"]


@pytest.mark.slow
def test_before_after_stays_calibrated_over_ten_runners():
    """Ten seeds here (about 100 s); ``python -m bench validity`` runs more."""
    claims = {"cadence_spm": 0, "stance_time_ms": 0}
    found = {"cadence_spm": 0, "stance_time_ms": 0}
    for seed in range(10):
        unchanged, changed = checks.before_after(seed)
        for metric in claims:
            claims[metric] += checks.claimed(unchanged[metric])
            found[metric] += changed[metric]["verdict"] == "better"   # +6 spm, -15 ms: better, right sign
    assert claims["cadence_spm"] <= 1 and claims["stance_time_ms"] <= 1, claims
    assert found["cadence_spm"] >= 9 and found["stance_time_ms"] >= 9, found
