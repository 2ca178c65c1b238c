"""Is form actually changing? Each metric compared at matched pace, against the athlete's own history.

Every stored run carries, per 0.25 m/s speed band of steady running, the
time spent there and the mean of each form metric. Comparing like with like:

* a **band reference** is the time-weighted mean of a metric in a band over a
  set of runs;
* a run's **residual** is its time-weighted difference from the band
  references, over the bands it ran in: how it compares at the paces it
  actually ran;
* the **weekly value** is the reference at the athlete's most-run band plus
  that week's mean residual: "your cadence at your usual pace";
* the **before/after** comparison takes the band references from the runs
  before the date only, keeps the bands run on both sides, and compares the
  runs' residuals after versus before: difference of means with a Welch 95 %
  confidence interval. The references are *out of sample*: a "before" run is
  compared with references built from the *other* before runs (leave one
  out), an "after" run with all of them. Compared with references that
  include the run itself, that keeps the before runs' spread honest (on real
  runs in-sample SDs were 4.9 spm and 16 ms against 6.0 and 22 out of sample),
  so the interval is not too narrow. Fewer than three runs on a side is "not
  enough data", not a guess.
* **one sensor, one baseline**: contact time from a chest strap, from Stryd
  and from the wrist are different measurements, so a trend uses only the
  runs whose metric came from the same kind of sensor as the latest run, and
  a before/after uses only one kind; both say what they left out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from pose_sync.analysis.population import SPEED_MODELS
from pose_sync.model import RunAnalysis
from pose_sync.progression.load import week_start

TREND_METRICS = ("cadence_spm", "stance_time_ms", "vertical_oscillation_cm", "vertical_ratio_pct",
                 "stance_time_balance_pct", "step_length_m")
# Trended only when the runs have them (Garmin HRM 600), so other runners see no empty rows.
OPTIONAL_TREND_METRICS = ("step_speed_loss_pct",)
MIN_RUNS_PER_SIDE = 3
MIN_MATCHED_S = 60.0
HIGHER_IS_BETTER = {name: model.higher_is_better for name, model in SPEED_MODELS.items()}


Sums = dict[float, list[float]]   # band lower edge -> [value x seconds, seconds]


def _sums(runs: Iterable[RunAnalysis], metric: str) -> Sums:
    sums: Sums = {}
    for run in runs:
        for band in run.speed_bands:
            value = band.metrics.get(metric)
            if value is None:
                continue
            entry = sums.setdefault(band.lo_mps, [0.0, 0.0])
            entry[0] += value * band.seconds
            entry[1] += band.seconds
    return sums


def _as_refs(sums: Sums) -> dict[float, tuple[float, float]]:
    return {lo: (total / seconds, seconds) for lo, (total, seconds) in sums.items() if seconds > 1e-9}


def references(runs: Iterable[RunAnalysis], metric: str) -> dict[float, tuple[float, float]]:
    """Per band: (time-weighted mean of ``metric``, seconds)."""
    return _as_refs(_sums(runs, metric))


def references_without(sums: Sums, run: RunAnalysis, metric: str) -> dict[float, tuple[float, float]]:
    """The references of a set of runs with ``run`` left out (its own bands subtracted)."""
    left = {lo: list(entry) for lo, entry in sums.items()}
    for band in run.speed_bands:
        value = band.metrics.get(metric)
        if value is not None and band.lo_mps in left:
            left[band.lo_mps][0] -= value * band.seconds
            left[band.lo_mps][1] -= band.seconds
    return _as_refs(left)


def residual(run: RunAnalysis, metric: str, refs: dict[float, tuple[float, float]]) -> tuple[float, float] | None:
    """(time-weighted difference from the band references, matched seconds), or None if nothing matched."""
    total = seconds = 0.0
    for band in run.speed_bands:
        value = band.metrics.get(metric)
        if value is None or band.lo_mps not in refs:
            continue
        total += (value - refs[band.lo_mps][0]) * band.seconds
        seconds += band.seconds
    return (total / seconds, seconds) if seconds > 0 else None


def sensor_of(run: RunAnalysis, metric: str) -> str:
    """The kind of sensor behind ``metric`` in ``run`` (``unknown`` for analyses that predate the field)."""
    return run.sources.get(metric, "unknown")


def same_sensor(runs: Sequence[RunAnalysis], metric: str) -> tuple[list[RunAnalysis], str | None, int]:
    """The runs whose ``metric`` came from the latest run's kind of sensor; that kind; how many were left out."""
    having = [r for r in runs if any(metric in b.metrics for b in r.speed_bands)]
    if not having:
        return [], None, 0
    sensor = sensor_of(max(having, key=lambda r: r.start_time), metric)
    kept = [r for r in having if sensor_of(r, metric) == sensor]
    return kept, sensor, len(having) - len(kept)


@dataclass(frozen=True)
class WeekValue:
    week: date
    value: float
    runs: int


@dataclass(frozen=True)
class MetricTrend:
    metric: str
    reference_band_mps: float | None
    weeks: tuple[WeekValue, ...]
    sensor: str | None = None
    other_sensor_runs: int = 0       # runs left out because another kind of sensor measured them


def weekly_trend(runs: Sequence[RunAnalysis], metric: str) -> MetricTrend:
    runs, sensor, left_out = same_sensor(runs, metric)
    refs = references(runs, metric)
    if not refs:
        return MetricTrend(metric, None, (), sensor, left_out)
    usual = max(refs, key=lambda lo: refs[lo][1])
    by_week: dict[date, list[tuple[float, float]]] = {}
    for run in runs:
        found = residual(run, metric, refs)
        if found is not None:
            by_week.setdefault(week_start(run.start_time.date()), []).append(found)
    weeks = []
    for week, items in sorted(by_week.items()):
        seconds = sum(s for _, s in items)
        weeks.append(WeekValue(week, refs[usual][0] + sum(r * s for r, s in items) / seconds, len(items)))
    return MetricTrend(metric, usual, tuple(weeks), sensor, left_out)


T_975_SMALL_DF = {1.0: 12.7062, 2.0: 4.3027, 3.0: 3.1824}   # exact values


def t_quantile_975(df: float) -> float:
    """Student t 97.5 % quantile: exact for df <= 3 (interpolated in 1/df), else Cornish-Fisher (A&S 26.7.5).

    The expansion's error is under 0.01 from df = 3 on; below it the
    expansion is far too small, which would make small samples overconfident.
    """
    z = 1.959964
    if not math.isfinite(df):
        return z
    if df <= 3.0:
        df = max(df, 1.0)
        lo, hi = math.floor(df), math.ceil(df)
        if lo == hi:
            return T_975_SMALL_DF[float(lo)]
        share = (1 / df - 1 / hi) / (1 / lo - 1 / hi)
        return T_975_SMALL_DF[float(hi)] + share * (T_975_SMALL_DF[float(lo)] - T_975_SMALL_DF[float(hi)])
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


@dataclass(frozen=True)
class Comparison:
    """After minus before, at matched pace. ``verdict``: better, worse, no clear change, not enough data."""

    metric: str
    runs_before: int
    runs_after: int
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    verdict: str
    detail: str


def _mean_var(values: list[float]) -> tuple[float, float]:
    mean = sum(values) / len(values)
    return mean, sum((v - mean) ** 2 for v in values) / (len(values) - 1)


def before_after(runs: Sequence[RunAnalysis], metric: str, since: date) -> Comparison:
    """After ``since`` minus before it, at matched pace, on one kind of sensor, out of sample."""
    runs = [r for r in runs if any(metric in b.metrics for b in r.speed_bands)]
    sensors_before = {sensor_of(r, metric) for r in runs if r.start_time.date() < since}
    sensors_after = {sensor_of(r, metric) for r in runs if r.start_time.date() >= since}
    shared_sensors = sensors_before & sensors_after
    note = ""
    if sensors_before and sensors_after and not shared_sensors:
        return Comparison(metric, 0, 0, None, None, None, "not comparable",
                          f"measured by {'/'.join(sorted(sensors_before))} before {since} and by"
                          f" {'/'.join(sorted(sensors_after))} after: a sensor change, not a form change")
    if len(sensors_before | sensors_after) > 1 and shared_sensors:
        counts = {s: sum(1 for r in runs if sensor_of(r, metric) == s) for s in shared_sensors}
        sensor = max(counts, key=lambda s: counts[s])
        left_out = sum(1 for r in runs if sensor_of(r, metric) != sensor)
        runs = [r for r in runs if sensor_of(r, metric) == sensor]
        note = f"; {sensor} runs only ({left_out} from other sensors left out)"
    before = [r for r in runs if r.start_time.date() < since]
    after = [r for r in runs if r.start_time.date() >= since]
    sums_before = _sums(before, metric)
    bands_after = references(after, metric)
    shared = {lo for lo in _as_refs(sums_before) if lo in bands_after}

    def matched(refs: dict[float, tuple[float, float]]) -> dict[float, tuple[float, float]]:
        return {lo: ref for lo, ref in refs.items() if lo in shared}

    refs_before = matched(_as_refs(sums_before))
    side_before = [residual(r, metric, matched(references_without(sums_before, r, metric))) for r in before]
    side_after = [residual(r, metric, refs_before) for r in after]
    side = [[res for res, s in filter(None, group) if s >= MIN_MATCHED_S] for group in (side_before, side_after)]
    n1, n2 = len(side[0]), len(side[1])
    if n1 < MIN_RUNS_PER_SIDE or n2 < MIN_RUNS_PER_SIDE:
        return Comparison(metric, n1, n2, None, None, None, "not enough data",
                          f"needs at least {MIN_RUNS_PER_SIDE} runs on each side of {since} at matched pace;"
                          f" have {n1} before and {n2} after{note}")
    (m1, v1), (m2, v2) = _mean_var(side[0]), _mean_var(side[1])
    difference = m2 - m1
    se2 = v1 / n1 + v2 / n2
    if se2 == 0:
        low = high = difference
    else:
        df = se2**2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1)) if v1 + v2 > 0 else math.inf
        half = t_quantile_975(df) * math.sqrt(se2)
        low, high = difference - half, difference + half
    if low <= 0 <= high:
        verdict = "no clear change"
    elif metric not in HIGHER_IS_BETTER:
        verdict = "changed"  # step length and balance: no better direction at a given pace
    else:
        verdict = "better" if (difference > 0) == HIGHER_IS_BETTER[metric] else "worse"
    return Comparison(metric, n1, n2, difference, low, high, verdict,
                      f"{n1} runs before, {n2} after, at {len(shared)} matched pace band(s){note}")
