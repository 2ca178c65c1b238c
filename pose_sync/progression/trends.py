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
  confidence interval. Fewer than three runs on a side is "not enough data",
  not a guess.
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
MIN_RUNS_PER_SIDE = 3
MIN_MATCHED_S = 60.0
HIGHER_IS_BETTER = {name: model.higher_is_better for name, model in SPEED_MODELS.items()}


def references(runs: Iterable[RunAnalysis], metric: str) -> dict[float, tuple[float, float]]:
    """Per band: (time-weighted mean of ``metric``, seconds)."""
    sums: dict[float, list[float]] = {}
    for run in runs:
        for band in run.speed_bands:
            value = band.metrics.get(metric)
            if value is None:
                continue
            entry = sums.setdefault(band.lo_mps, [0.0, 0.0])
            entry[0] += value * band.seconds
            entry[1] += band.seconds
    return {lo: (total / seconds, seconds) for lo, (total, seconds) in sums.items() if seconds > 0}


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


def weekly_trend(runs: Sequence[RunAnalysis], metric: str) -> MetricTrend:
    refs = references(runs, metric)
    if not refs:
        return MetricTrend(metric, None, ())
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
    return MetricTrend(metric, usual, tuple(weeks))


def t_quantile_975(df: float) -> float:
    """Student t 97.5 % quantile (Cornish-Fisher expansion, A&S 26.7.5; error < 0.01 for df >= 3)."""
    z = 1.959964
    if not math.isfinite(df):
        return z
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
    before = [r for r in runs if r.start_time.date() < since]
    after = [r for r in runs if r.start_time.date() >= since]
    refs_before = references(before, metric)
    bands_after = references(after, metric)
    shared = {lo: ref for lo, ref in refs_before.items() if lo in bands_after}
    side = [[res for res, s in filter(None, (residual(r, metric, shared) for r in group)) if s >= MIN_MATCHED_S]
            for group in (before, after)]
    n1, n2 = len(side[0]), len(side[1])
    if n1 < MIN_RUNS_PER_SIDE or n2 < MIN_RUNS_PER_SIDE:
        return Comparison(metric, n1, n2, None, None, None, "not enough data",
                          f"needs at least {MIN_RUNS_PER_SIDE} runs on each side of {since} at matched pace;"
                          f" have {n1} before and {n2} after")
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
                      f"{n1} runs before, {n2} after, at {len(shared)} matched pace band(s)")
