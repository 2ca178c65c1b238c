"""Grade-adjusted speed: the speed on the flat that costs the same energy as the speed run on a slope.

Hills confound every comparison of speed with cost: climbing at 2.5 m/s can
take the heart rate of 3.2 m/s on the flat, so raw speed makes the first
(uphill) half of an out-and-back look uneconomical and the way down look
brilliant. Economy and matched-pace comparisons therefore use grade-adjusted
speed (GAP).

Cost of running per metre at a gradient ``i`` (rise over run) is Minetti et
al. (2002, J Appl Physiol 93:1039-1046), measured on treadmills from -45 % to
+45 %::

    C(i) = 155.4 i^5 - 30.4 i^4 - 43.3 i^3 + 46.3 i^2 + 19.5 i + 3.6   (J/kg/m)

At equal metabolic power C(i) v = C(0) v_flat, so ``GAP = v C(i) / C(0)``.

The gradient comes from the recorded altitude (barometric or GPS), smoothed
over time and differenced over distance, so altimeter steps and GPS jitter do
not become ±20 % grades. Runs without altitude (treadmill, indoor, a watch
without an altimeter) are taken as flat, and the result says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose_sync.model import Samples

ALTITUDE_SMOOTHING_S = 30.0   # time window of the altitude moving average
GRADE_BASE_M = 40.0           # gradient over this much distance (centred)
MAX_GRADE = 0.45              # Minetti's measured range; steeper is a glitch or a scramble
MIN_ALTITUDE_COVERAGE = 0.8   # share of samples with altitude needed to adjust at all
FLAT_COST_J_KG_M = 3.6


def minetti_cost(grade: np.ndarray | float) -> np.ndarray:
    """Energy cost of running, J/kg/m, at a gradient (rise/run)."""
    i = np.clip(np.asarray(grade, dtype=float), -MAX_GRADE, MAX_GRADE)
    return 155.4 * i**5 - 30.4 * i**4 - 43.3 * i**3 + 46.3 * i**2 + 19.5 * i + FLAT_COST_J_KG_M


@dataclass(frozen=True)
class GradeAdjusted:
    """Grade-adjusted speed per sample, the gradient used, and how it was obtained."""

    speed_mps: np.ndarray
    grade: np.ndarray
    basis: str          # "grade-adjusted", "flat (treadmill)", "flat (no altitude)"
    ascent_m: float


def _moving_average(t: np.ndarray, values: np.ndarray, window_s: float) -> np.ndarray:
    valid = np.isfinite(values)
    cum = np.concatenate(([0.0], np.cumsum(np.where(valid, values, 0.0))))
    cnt = np.concatenate(([0], np.cumsum(valid)))
    lo = np.searchsorted(t, t - window_s / 2, side="left")
    hi = np.searchsorted(t, t + window_s / 2, side="right")
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (cum[hi] - cum[lo]) / (cnt[hi] - cnt[lo])
    return out


def gradient(samples: Samples, speed_mps: np.ndarray) -> np.ndarray | None:
    """Gradient (rise/run) per sample from altitude over distance, or None without enough altitude."""
    altitude = samples.get("altitude_m")
    t = samples.elapsed_s
    if len(t) < 3 or np.isfinite(altitude).mean() < MIN_ALTITUDE_COVERAGE:
        return None
    distance = samples.get("distance_m")
    if np.isfinite(distance).mean() < MIN_ALTITUDE_COVERAGE:
        step = np.where(np.isfinite(speed_mps), speed_mps, 0.0) * np.diff(t, prepend=t[0])
        distance = np.cumsum(step)
    else:
        distance = np.fmax.accumulate(np.where(np.isfinite(distance), distance, -np.inf))
        distance[~np.isfinite(distance)] = 0.0
    smooth = _moving_average(t, altitude, ALTITUDE_SMOOTHING_S)
    valid = np.isfinite(smooth)
    if valid.sum() < 3:
        return None
    smooth = np.interp(np.arange(len(t)), np.flatnonzero(valid), smooth[valid])
    lo = np.searchsorted(distance, distance - GRADE_BASE_M / 2, side="left")
    hi = np.clip(np.searchsorted(distance, distance + GRADE_BASE_M / 2, side="right") - 1, 0, len(t) - 1)
    run = distance[hi] - distance[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        grade = np.where(run >= GRADE_BASE_M / 2, (smooth[hi] - smooth[lo]) / run, 0.0)
    return np.clip(np.nan_to_num(grade, nan=0.0), -MAX_GRADE, MAX_GRADE)


def grade_adjusted(samples: Samples, speed_mps: np.ndarray, sub_sport: str | None) -> GradeAdjusted:
    """Grade-adjusted speed for ``speed_mps`` (the smoothed speed the analysis uses)."""
    flat = np.zeros(len(speed_mps))
    if sub_sport in ("treadmill", "indoor_running", "virtual_activity"):
        return GradeAdjusted(speed_mps, flat, "flat (treadmill)", 0.0)
    grade = gradient(samples, speed_mps)
    if grade is None:
        return GradeAdjusted(speed_mps, flat, "flat (no altitude)", 0.0)
    altitude = _moving_average(samples.elapsed_s, samples.get("altitude_m"), ALTITUDE_SMOOTHING_S)
    rises = np.diff(altitude[np.isfinite(altitude)])
    ascent = float(rises[rises > 0].sum()) if len(rises) else 0.0
    return GradeAdjusted(speed_mps * minetti_cost(grade) / FLAT_COST_J_KG_M, grade, "grade-adjusted", ascent)
