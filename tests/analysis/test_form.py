"""The form score responds to form, not pace (synthetic runs written with Garmin's FIT SDK).

"The same runner" at two paces means a runner who sits at the same place in
the population at each pace. The test checks that such a runner, whose raw
cadence and contact time differ a lot between the paces, scores alike, and
that a naive score on raw values would not have: so the test can fail.
"""

from __future__ import annotations

import pytest

from pose_sync.analysis.population import CADENCE, STANCE_TIME, VERTICAL_OSCILLATION, normal_cdf
from pose_sync.importer import OK, analyse_fit
from pose_sync.model import SourceRef
from tests.fitgen import Segment, SyntheticRun, steady_run


def analyse(run: SyntheticRun):
    [outcome] = analyse_fit(run.encode(), SourceRef("file", "synthetic.fit"))
    assert outcome.status == OK, outcome.reason
    return outcome.analysis


def runner_at(speed: float, z: float, **extra: float | None) -> SyntheticRun:
    """A runner ``z`` population SDs better than typical in cadence, contact time and bounce."""
    cad = float(CADENCE.expected(speed)) * (1 + z * CADENCE.coefficient_of_variation)
    gct = float(STANCE_TIME.expected(speed)) * (1 - z * STANCE_TIME.coefficient_of_variation)
    vo = float(VERTICAL_OSCILLATION.expected(speed)) * (1 - z * VERTICAL_OSCILLATION.coefficient_of_variation)
    return steady_run(speed, 1500, cadence_spm=cad, stance_time_ms=gct, vertical_oscillation_cm=vo, **extra)


@pytest.mark.parametrize("z", [-1.0, 0.0, 0.8])
def test_same_runner_at_two_paces_scores_alike(z):
    easy = analyse(runner_at(2.7, z))          # 6:10 min/km
    tempo = analyse(runner_at(4.0, z))         # 4:10 min/km
    # The raw numbers are apart (within one runner: cadence ~ v^0.134, contact ~ v^-0.40)...
    assert tempo.averages.cadence_spm - easy.averages.cadence_spm > 7
    assert easy.averages.stance_time_ms - tempo.averages.stance_time_ms > 30
    # ...a score on raw values would differ by a lot...
    naive_easy, naive_tempo = (100 * normal_cdf(float(CADENCE.z(a.averages.cadence_spm, 3.0))) for a in (easy, tempo))
    assert abs(naive_tempo - naive_easy) > 15
    # ...but the speed-normalised score does not.
    assert abs(tempo.form.score - easy.form.score) < 3
    for name in ("cadence_spm", "stance_time_ms", "vertical_oscillation_cm"):
        assert abs(tempo.form.components[name].score - easy.form.components[name].score) < 4


def test_better_form_at_the_same_pace_scores_higher():
    base = dict(stance_time_balance_pct=50.4, heart_rate_bpm=150.0)
    plain = analyse(steady_run(3.3, 1500, cadence_spm=164, stance_time_ms=265, vertical_oscillation_cm=9.6, **base))
    quicker = analyse(steady_run(3.3, 1500, cadence_spm=164, stance_time_ms=235, vertical_oscillation_cm=9.6, **base))
    higher = analyse(steady_run(3.3, 1500, cadence_spm=178, stance_time_ms=265, vertical_oscillation_cm=9.6, **base))
    flatter = analyse(steady_run(3.3, 1500, cadence_spm=164, stance_time_ms=265, vertical_oscillation_cm=7.6, **base))
    pose = analyse(steady_run(3.3, 1500, cadence_spm=180, stance_time_ms=228, vertical_oscillation_cm=7.2, **base))
    for better in (quicker, higher, flatter):
        assert better.form.score > plain.form.score + 3
    assert pose.form.score > max(quicker.form.score, higher.form.score, flatter.form.score)
    assert quicker.form.components["stance_time_ms"].score > plain.form.components["stance_time_ms"].score
    assert higher.form.components["cadence_spm"].score > plain.form.components["cadence_spm"].score
    assert flatter.form.components["vertical_oscillation_cm"].score > \
        plain.form.components["vertical_oscillation_cm"].score


def test_population_anchors_reproduce_garmin_zones_at_the_reference_speed():
    assert 100 * normal_cdf(float(CADENCE.z(183.0, 3.0))) == pytest.approx(95, abs=0.1)
    assert 100 * normal_cdf(float(CADENCE.z(153.0, 3.0))) == pytest.approx(5, abs=0.1)
    assert 100 * normal_cdf(float(STANCE_TIME.z(218.0, 3.0))) == pytest.approx(95, abs=0.1)
    assert 100 * normal_cdf(float(VERTICAL_OSCILLATION.z(11.5, 3.0))) == pytest.approx(5, abs=0.1)


def test_cadence_only_run_is_scored_on_what_it_has_and_says_so():
    full = analyse(steady_run(3.2, 1500))
    cadence_only = analyse(steady_run(3.2, 1500, stance_time_ms=None, vertical_oscillation_cm=None))
    assert cadence_only.form.inputs == ("cadence_spm",)
    assert set(cadence_only.form.missing) >= {"stance_time_ms", "vertical_oscillation_cm", "vertical_ratio_pct"}
    assert cadence_only.form.confidence < 0.7 * full.form.confidence
    assert any("cadence_spm alone" in w for w in cadence_only.warnings)


def test_walking_and_stops_are_excluded_and_reported():
    run = SyntheticRun([
        Segment(300, 3.3, cadence_spm=172),
        Segment(120, 1.4, cadence_spm=116, stance_time_ms=380, vertical_oscillation_cm=5.0),   # walking break
        Segment(60, 0.0, cadence_spm=0, stance_time_ms=None, vertical_oscillation_cm=None),   # standing at lights
        Segment(600, 3.3, cadence_spm=172),
    ])
    a = analyse(run)
    assert a.walking_time_s == pytest.approx(120, abs=3)
    assert a.stopped_time_s == pytest.approx(60, abs=3)
    # steady: the 900 s of running minus the seconds spent slowing down and speeding up again
    assert a.steady_time_s == pytest.approx(880, abs=20)
    # form comes from the running only: the walking contact times do not leak in
    assert a.form.components["stance_time_ms"].value == pytest.approx(250, abs=2)
    assert a.form.components["cadence_spm"].value == pytest.approx(172, abs=1)


def test_fatigue_shows_as_late_drift_even_when_the_pace_rises():
    run = SyntheticRun([
        Segment(900, 3.0, cadence_spm=170, stance_time_ms=255),
        Segment(900, 3.2, cadence_spm=170, stance_time_ms=262),  # faster yet longer contact: fatigue
    ])
    a = analyse(run)
    # Faster running should shorten contact by ~10 ms; it lengthened by 7: drift ~ +17 ms.
    assert a.drift.deltas["stance_time_ms"] > 12
    assert a.drift.deltas["cadence_spm"] < -1  # cadence should have risen with the pace, it did not


def test_economy_efficiency_factor_and_decoupling():
    run = SyntheticRun([
        Segment(900, 3.0, heart_rate_bpm=145),
        Segment(900, 3.0, heart_rate_bpm=155),
    ], noise=0.0)
    a = analyse(run)
    assert a.economy.basis == "heart_rate"
    assert a.economy.efficiency_factor == pytest.approx(180 / 150, rel=0.01)   # m/min per bpm
    assert a.economy.decoupling_pct == pytest.approx((180 / 145 - 180 / 155) / (180 / 145) * 100, abs=0.3)


def test_stryd_power_is_used_and_its_ground_time_kept_but_not_scored_on_garmin_norms():
    a = analyse(SyntheticRun([Segment(1500, 3.2, power_w=240.0, heart_rate_bpm=None)], stryd=True))
    assert a.form.inputs == ("cadence_spm",) and "stance_time_ms" in a.form.missing
    assert a.averages.stance_time_ms == pytest.approx(250, abs=3)   # still shown and stored for its own trend
    assert a.sources["stance_time_ms"] in ("stryd", "developer field")
    assert any("not scored" in w for w in a.warnings)
    assert a.economy.basis == "power"
    assert a.economy.efficiency_factor == pytest.approx(3.2 * 60 / 240, rel=0.02)


def test_speed_bands_and_histograms_summarise_the_run_for_progression():
    run = SyntheticRun([Segment(600, 2.8, heart_rate_bpm=140), Segment(600, 3.6, heart_rate_bpm=165)], noise=0.002)
    a = analyse(run)
    bands = {b.lo_mps: b for b in a.speed_bands}
    assert set(bands) == {2.75, 3.5}
    assert bands[2.75].seconds == pytest.approx(600, abs=15)
    assert bands[3.5].metrics["heart_rate_bpm"] == pytest.approx(165, abs=1)
    assert sum(a.hr_histogram.values()) == pytest.approx(a.moving_time_s, abs=2)
    assert a.hr_histogram[140] > 300 and a.hr_histogram[165] > 300
