"""Running economy proxies on steady running: efficiency factor and aerobic decoupling.

The efficiency factor (EF) is speed per unit of cost: metres per minute per
heartbeat, or per watt when a power meter is present. Decoupling compares
the first and second halves of the steady running: a positive value means
the cost of the same speed rose (fatigue, heat, or a technique that costs
more). This is how a runner sees whether a technique change costs economy, as
Dallam et al. (2005) found for Pose retraining. Heart rate is preferred as
the basis because it reflects metabolic cost; power-based EF is also kept.

Speed here is grade-adjusted (:mod:`pose_sync.analysis.grade`): on raw speed a
climb in the first half and a descent in the second read as -20 % decoupling.
Economy is measured on steady running at an even effort only: in intervals,
strides or a progression run heart rate lags the pace changes, so EF and
decoupling would measure the session's structure, not the runner.
"""

from __future__ import annotations

import numpy as np

from pose_sync.analysis.form import weighted_mean
from pose_sync.analysis.segments import Segmentation
from pose_sync.model import Economy

MIN_EF_STEADY_S = 300.0
MIN_DECOUPLING_STEADY_S = 1200.0
PACE_WINDOW_S = 60.0
HARD_EFFORT_FACTOR = 1.2       # a minute this much above the run's median effort is a "hard" minute...
MAX_HARD_SHARE = 0.15          # ...and a run with more of its steady time hard than this is a workout


def _ef(speed: np.ndarray, cost: np.ndarray, weights: np.ndarray) -> float | None:
    both = np.isfinite(speed) & np.isfinite(cost)
    w = np.where(both, weights, 0.0)
    if w.sum() <= 0:
        return None
    mean_speed = weighted_mean(speed, w)
    mean_cost = weighted_mean(cost, w)
    if mean_speed is None or not mean_cost:
        return None
    return mean_speed * 60.0 / mean_cost


def efficiency(speed: np.ndarray, cost: np.ndarray, seg: Segmentation) -> tuple[float, float | None] | None:
    """(EF over steady running, decoupling % first vs second half) or None if too little data."""
    steady_w = np.where(seg.steady & np.isfinite(cost) & np.isfinite(speed), seg.weight_s, 0.0)
    total = float(steady_w.sum())
    if total < MIN_EF_STEADY_S:
        return None
    ef = _ef(speed, cost, steady_w)
    if ef is None:
        return None
    decoupling = None
    if total >= MIN_DECOUPLING_STEADY_S:
        position = np.cumsum(steady_w) - steady_w / 2
        first = _ef(speed, cost, np.where(position < total / 2, steady_w, 0.0))
        second = _ef(speed, cost, np.where(position >= total / 2, steady_w, 0.0))
        if first and second:
            decoupling = round((first - second) / first * 100.0, 2)
    return round(ef, 4), decoupling


def hard_share(gap_mps: np.ndarray, seg: Segmentation, elapsed_s: np.ndarray) -> float | None:
    """Share of steady running whose 1-minute mean effort (GAP) is over 1.2 x the run's median.

    Easy and long runs, hills included, keep it under a few percent; a
    session with repetitions or a tempo block spends a third of its steady
    time there.
    """
    steady = seg.steady & np.isfinite(gap_mps)
    weights = np.where(steady, seg.weight_s, 0.0)
    total = float(weights.sum())
    if total < MIN_EF_STEADY_S:
        return None
    cum_v = np.concatenate(([0.0], np.cumsum(np.where(steady, gap_mps, 0.0) * weights)))
    cum_w = np.concatenate(([0.0], np.cumsum(weights)))
    lo = np.searchsorted(elapsed_s, elapsed_s - PACE_WINDOW_S / 2, side="left")
    hi = np.searchsorted(elapsed_s, elapsed_s + PACE_WINDOW_S / 2, side="right")
    with np.errstate(invalid="ignore", divide="ignore"):
        minute = (cum_v[hi] - cum_v[lo]) / (cum_w[hi] - cum_w[lo])
    median = float(np.median(minute[steady & np.isfinite(minute)]))
    hard = steady & np.isfinite(minute) & (minute > HARD_EFFORT_FACTOR * median)
    return float(weights[hard].sum()) / total


def economy(channels: dict[str, np.ndarray], seg: Segmentation, gap_mps: np.ndarray,
            speed_basis: str = "grade-adjusted", elapsed_s: np.ndarray | None = None,
            ) -> tuple[Economy | None, float | None, str | None]:
    """(Economy on the preferred basis, power-based EF when both exist, why there is none).

    ``gap_mps`` is the grade-adjusted speed; ``speed_basis`` says what it is
    (``flat (no altitude)`` when there was nothing to adjust with).
    """
    if elapsed_s is not None:
        share = hard_share(gap_mps, seg, elapsed_s)
        if share is not None and share > MAX_HARD_SHARE:
            return None, None, (f"{share:.0%} of the steady running was well above the run's usual effort"
                                " (intervals or tempo): economy is measured on even-effort runs only")
    by_hr = efficiency(gap_mps, channels["heart_rate_bpm"], seg)
    by_power = efficiency(gap_mps, channels["power_w"], seg)
    if by_hr is not None:
        return Economy("heart_rate", by_hr[0], by_hr[1], speed_basis), (by_power[0] if by_power else None), None
    if by_power is not None:
        return Economy("power", by_power[0], by_power[1], speed_basis), by_power[0], None
    return None, None, None
