"""Running economy proxies on steady running: efficiency factor and aerobic decoupling.

The efficiency factor (EF) is speed per unit of cost: metres per minute per
heartbeat, or per watt when a power meter is present. Decoupling compares
the first and second halves of the steady running: a positive value means
the cost of the same speed rose (fatigue, heat, or a technique that costs
more). This is how a runner sees whether a technique change costs economy, as
Dallam et al. (2005) found for Pose retraining. Heart rate is preferred as
the basis because it reflects metabolic cost; power-based EF is also kept.
"""

from __future__ import annotations

import numpy as np

from pose_sync.analysis.form import weighted_mean
from pose_sync.analysis.segments import Segmentation
from pose_sync.model import Economy

MIN_EF_STEADY_S = 300.0
MIN_DECOUPLING_STEADY_S = 1200.0


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


def economy(channels: dict[str, np.ndarray], seg: Segmentation) -> tuple[Economy | None, float | None]:
    """(Economy on the preferred basis, power-based EF when both HR and power exist)."""
    speed = seg.speed_mps
    by_hr = efficiency(speed, channels["heart_rate_bpm"], seg)
    by_power = efficiency(speed, channels["power_w"], seg)
    if by_hr is not None:
        return Economy("heart_rate", by_hr[0], by_hr[1]), (by_power[0] if by_power else None)
    if by_power is not None:
        return Economy("power", by_power[0], by_power[1]), by_power[0]
    return None, None
