"""Analysis of one run: a pure function from :class:`Activity` to :class:`RunAnalysis`.

No history, no configuration, no I/O: the same activity always gives the same
analysis, so stored results can be trusted and history re-scored in parallel.
Bump :data:`ANALYSIS_VERSION` whenever a change alters any number, so that
``pose-sync rescore`` knows what is stale.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np

from pose_sync.analysis import averaging, form, grade, plausibility
from pose_sync.analysis import economy as economy_mod
from pose_sync.analysis.segments import clean, segment
from pose_sync.analysis.speed_curve import PRIOR, SpeedCurves
from pose_sync.errors import InputError
from pose_sync.model import Activity, RunAnalysis, Samples

ANALYSIS_VERSION = 4   # 3: step speed loss (record fields 146/147) read and scored; 4: glitched values dropped

_CHANNELS = (
    "speed_mps", "heart_rate_bpm", "cadence_spm", "stance_time_ms", "stance_time_balance_pct",
    "vertical_oscillation_cm", "vertical_ratio_pct", "step_length_m", "power_w", "form_power_w",
    "leg_spring_stiffness_knm", "step_speed_loss_cm_s", "step_speed_loss_pct",
)
HR_BIN_BPM = 1.0
# Sensors whose dynamics are not on the scale of Garmin's population zones (Stryd's
# ground time runs shorter than a chest strap's contact time); no published mapping
# is used, so their values are kept for the athlete's own trends but not scored.
UNSCORED_SENSORS = frozenset({"stryd", "developer field"})
SPEED_BIN_MPS = 0.1


def _distance_m(activity: Activity, moving_speed: np.ndarray, weights: np.ndarray) -> float:
    """The device's total, else what the records cover, else speed integrated over moving time."""
    summary = activity.device_summary
    if summary and summary.total_distance_m:
        return float(summary.total_distance_m)
    covered = _record_distance_m(activity.samples)
    if covered is not None:
        return covered
    return float(np.nansum(np.where(np.isfinite(moving_speed), moving_speed, 0.0) * weights))


def _record_distance_m(samples: Samples) -> float | None:
    """Distance covered by the records themselves (the device total may include more)."""
    distance = samples.get("distance_m")
    if not np.isfinite(distance).any():
        return None
    return float(np.nanmax(distance) - np.nanmin(distance))


def analyse_run(activity: Activity, curves: SpeedCurves = PRIOR) -> RunAnalysis:
    """Form, economy and the per-run material progression needs, for one running session.

    ``curves`` is the athlete's speed curve (from their stored history) or the
    population prior; it is the only input besides the activity, and the
    analysis records which one it used.
    """
    if not activity.is_run:
        raise InputError(f"{activity.source.label()}: a {activity.sport} activity, not a run")
    samples = activity.samples
    if len(samples) < 2:
        raise InputError(f"{activity.source.label()}: too few samples to analyse ({len(samples)})")
    # A glitched record or session value is dropped before anything is computed from it.
    screened = plausibility.screen(samples, activity.device_summary, activity.source.label())
    shift = screened.start_shift_s
    activity = replace(activity, samples=screened.samples, device_summary=screened.summary,
                       start_time=activity.start_time + timedelta(seconds=shift),
                       timer_pauses=tuple((a - shift, b - shift) for a, b in activity.timer_pauses))
    samples = activity.samples
    if len(samples) < 2:
        raise InputError(f"{activity.source.label()}: too few plausible samples to analyse ({len(samples)})")

    channels = {name: clean(samples, name) for name in _CHANNELS}
    seg = segment(samples, activity.timer_pauses)
    warnings = list(activity.warnings) + list(screened.warnings)
    moving_w = np.where(seg.moving, seg.weight_s, 0.0)

    moving_s = seg.seconds(seg.moving)
    walking_s = seg.seconds(seg.walking)
    steady_s = seg.seconds(seg.steady)
    total_s = float(seg.weight_s.sum())
    elapsed_s = (activity.device_summary.total_elapsed_time_s if activity.device_summary else None) \
        or float(samples.elapsed_s[-1] - samples.elapsed_s[0])

    sources = {name: unit for name, unit in samples.units.items() if unit.startswith("from developer field")}
    unscored = frozenset(name for name, sensor in activity.sources.items()
                         if sensor in UNSCORED_SENSORS and name != "cadence_spm")
    score = form.form_score(channels, seg, sources, curves, unscored)
    if unscored & set(form.SPEED_MODELS):
        warnings.append(f"{', '.join(sorted(unscored & set(form.SPEED_MODELS)))} from a Stryd pod: shown and"
                        " trended on its own, but not scored (Stryd's scale is not Garmin's population norms)")
    if score.score is None:
        warnings.append("too little steady running with form data to score form"
                        if steady_s >= form.MIN_SCORED_STEADY_S else
                        f"only {steady_s:.0f} s of steady running: form not scored")
    elif score.missing and len(score.inputs) == 1:
        warnings.append(f"form scored on {score.inputs[0]} alone")
    if moving_s > 0 and walking_s / moving_s > 0.2:
        warnings.append(f"{walking_s / moving_s:.0%} of moving time was walking (excluded from form)")

    gap = grade.grade_adjusted(samples, seg.speed_mps, activity.sub_sport)
    econ, ef_power, no_economy = economy_mod.economy(channels, seg, gap.speed_mps, gap.basis, samples.elapsed_s)
    if no_economy:
        warnings.append(no_economy)
    extras: dict[str, float] = {}
    if ef_power is not None:
        extras["ef_power"] = ef_power
    steady_w = np.where(seg.steady, seg.weight_s, 0.0)
    for name in ("form_power_w", "leg_spring_stiffness_knm"):
        value = form.weighted_mean(channels[name], steady_w)
        if value is not None:
            extras[name] = round(value, 3)
    power = form.weighted_mean(channels["power_w"], steady_w)
    if "form_power_w" in extras and power:
        extras["form_power_ratio"] = round(extras["form_power_w"] / power, 4)
    steady_speed = form.weighted_mean(seg.speed_mps, steady_w)
    if steady_speed is not None:
        extras["steady_speed_mps"] = round(steady_speed, 4)
    steady_gap = form.weighted_mean(gap.speed_mps, steady_w)
    if steady_gap is not None and gap.basis == "grade-adjusted":
        extras["steady_gap_mps"] = round(steady_gap, 4)
        extras["ascent_m"] = round(gap.ascent_m, 1)
    hr = channels["heart_rate_bpm"]
    if np.isfinite(hr).any():
        extras["max_heart_rate_bpm"] = float(np.nanmax(hr))

    distance_m = _distance_m(activity, seg.speed_mps, moving_w)
    raw = {name: samples.get(name) for name in _CHANNELS}
    return RunAnalysis(
        source=activity.source,
        sport=activity.sport,
        sub_sport=activity.sub_sport,
        start_time=activity.start_time,
        device=activity.device,
        moving_time_s=round(moving_s, 1),
        elapsed_time_s=round(float(elapsed_s), 1),
        distance_m=round(distance_m, 1),
        steady_time_s=round(steady_s, 1),
        walking_time_s=round(walking_s, 1),
        stopped_time_s=round(max(total_s - moving_s, 0.0), 1),
        averages=averaging.session_averages(raw, seg.weight_s, _record_distance_m(samples),
                                            averaging.rules_for(activity.device, activity.averages_over),
                                            seg.moving),
        device_summary=activity.device_summary,
        form=score,
        drift=form.drift(channels, seg, samples.elapsed_s, curves),
        economy=econ,
        speed_bands=form.speed_bands(channels, seg, gap.speed_mps),
        hr_histogram={int(k): v for k, v in form.histogram(hr, moving_w, HR_BIN_BPM).items()},
        speed_histogram=form.histogram(channels["speed_mps"], moving_w, SPEED_BIN_MPS),
        extras=extras,
        warnings=tuple(warnings),
        analysis_version=ANALYSIS_VERSION,
        sources=dict(activity.sources),
        averages_over=activity.averages_over,
    )
